//! The manifest as Parquet: learner ids as UInt64, instants as strings so the file
//! holds exactly what the JSON Lines manifest says.

use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt32Array, UInt64Array};

use super::{Format, ManifestRow};

pub struct Parquet;

impl Format for Parquet {
    fn file_name(&self) -> &'static str {
        "manifest.parquet"
    }

    fn write(&self, rows: &[ManifestRow], out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
        let text = |f: fn(&ManifestRow) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
        };
        let batch = RecordBatch::try_from_iter([
            ("repair_id", text(|r| &r.repair_id)),
            ("incident_id", text(|r| &r.incident_id)),
            (
                "learner_id",
                Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.learner_id))) as ArrayRef,
            ),
            ("local_date", text(|r| &r.local_date)),
            ("action", text(|r| r.action.name())),
            ("tz", text(|r| &r.tz)),
            ("evidence_first", text(|r| &r.evidence_first)),
            ("evidence_last", text(|r| &r.evidence_last)),
            (
                "evidence_hits",
                Arc::new(UInt64Array::from_iter_values(
                    rows.iter().map(|r| r.evidence_hits),
                )) as ArrayRef,
            ),
            (
                "streak_before",
                Arc::new(UInt32Array::from_iter_values(
                    rows.iter().map(|r| r.streak_before),
                )) as ArrayRef,
            ),
            (
                "streak_after",
                Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.streak_after))) as ArrayRef,
            ),
        ])?;
        let mut writer = parquet::arrow::ArrowWriter::try_new(out, batch.schema(), None)?;
        writer.write(&batch)?;
        writer.close()?;
        Ok(())
    }
}
