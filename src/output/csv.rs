//! The manifest as CSV with a header, columns in manifest key order.

use std::io::Write;

use super::{Format, ManifestRow};

pub struct Csv;

impl Format for Csv {
    fn file_name(&self) -> &'static str {
        "manifest.csv"
    }

    fn write(&self, rows: &[ManifestRow], out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        if rows.is_empty() {
            w.write_record(super::rows::MANIFEST_COLUMNS)?;
        }
        for row in rows {
            w.serialize(row)?;
        }
        w.flush()?;
        Ok(())
    }
}
