//! The evidence query's Parquet result (sql/evidence.sql's columns) read back into
//! per-learner, per-quarter-hour sightings. Every row is checked: a row that breaks the
//! query's contract is an error naming the object and row, never skipped.

use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::cells::Value;
use crate::model::{Sighting, QUARTER_HOUR};

const COLUMNS: [&str; 7] = [
    "learner_id",
    "bucket_start",
    "first_time",
    "last_time",
    "hits",
    "tz_params",
    "tz_hits",
];

/// The sightings of one result object; `place` names it in errors.
pub fn sightings(place: &str, bytes: Bytes) -> Result<Vec<Sighting>, String> {
    let bad = |row: usize, m: String| format!("{place}: row {row}: {m}");
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| format!("{place}: not a readable Parquet file: {e}"))?;
    let reader = builder
        .build()
        .map_err(|e| format!("{place}: not a readable Parquet file: {e}"))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| format!("{place}: not a readable Parquet file: {e}"))?;
        let columns = crate::cells::columns(&batch, &COLUMNS).map_err(|m| format!("{place}: {m}"))?;
        let mut row = Vec::with_capacity(COLUMNS.len());
        for i in 0..batch.num_rows() {
            row.clear();
            row.extend(columns.iter().map(|c| c.get(i)));
            out.push(sighting(&row).map_err(|m| bad(out.len() + 1, m))?);
        }
    }
    Ok(out)
}

/// Every record batch of one result object, for readers of other queries' results
/// (`alb`); `place` names the object in errors.
pub fn record_batches(place: &str, bytes: Bytes) -> Result<Vec<arrow_array::RecordBatch>, String> {
    let unreadable = |e: &dyn std::fmt::Display| format!("{place}: not a readable Parquet file: {e}");
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| unreadable(&e))?
        .build()
        .map_err(|e| unreadable(&e))?;
    reader.map(|batch| batch.map_err(|e| unreadable(&e))).collect()
}

fn sighting(row: &[Value<'_>]) -> Result<Sighting, String> {
    let int = |i: usize| match row[i] {
        Value::Null => Err(format!("{} is null", COLUMNS[i])),
        v => v.int(COLUMNS[i]),
    };
    let learner_id = row[0].learner_id()?;
    let (start, first, last, hits) = (int(1)?, int(2)?, int(3)?, int(4)?);
    let inside = |t: i64| start <= t && start.checked_add(QUARTER_HOUR).is_some_and(|end| t < end);
    if start.rem_euclid(QUARTER_HOUR) != 0 || !inside(first) || !inside(last) || first > last || hits < 1 {
        return Err(format!(
            "bucket_start {start}, first_time {first}, last_time {last}, hits {hits} \
             are not one quarter hour's evidence"
        ));
    }
    let names: Vec<String> = json_list(row[5], COLUMNS[5])?;
    let counts: Vec<u64> = json_list(row[6], COLUMNS[6])?;
    if names.len() != counts.len() || counts.iter().sum::<u64>() > hits as u64 {
        return Err(format!(
            "tz_params {names:?} and tz_hits {counts:?} do not pair up"
        ));
    }
    Ok(Sighting {
        learner_id,
        start,
        first,
        last,
        hits: hits as u64,
        tz_params: names
            .into_iter()
            .map(compact_str::CompactString::from)
            .zip(counts)
            .collect(),
    })
}

/// A JSON array column; NULL (no tz parameter in the bucket) is an empty list.
fn json_list<T: serde::de::DeserializeOwned>(cell: Value<'_>, name: &str) -> Result<Vec<T>, String> {
    match cell {
        Value::Null => Ok(Vec::new()),
        Value::Text(text) => serde_json::from_str(text)
            .map_err(|e| format!("{name} {text:?} is not the expected JSON array: {e}")),
        other => Err(format!("{name} {other} is not the expected JSON array")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};

    /// learner_id, bucket_start, first_time, last_time, hits, tz_params, tz_hits.
    type Row<'a> = (&'a str, i64, i64, i64, i64, Option<&'a str>, Option<&'a str>);

    fn parquet(rows: &[Row<'_>]) -> Bytes {
        let text = |f: &dyn Fn(&Row<'_>) -> Option<String>| {
            Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>())) as ArrayRef
        };
        let int = |f: &dyn Fn(&Row<'_>) -> i64| {
            Arc::new(Int64Array::from(rows.iter().map(f).collect::<Vec<_>>())) as ArrayRef
        };
        let batch = RecordBatch::try_from_iter([
            ("learner_id", text(&|r| Some(r.0.to_string()))),
            ("bucket_start", int(&|r| r.1)),
            ("first_time", int(&|r| r.2)),
            ("last_time", int(&|r| r.3)),
            ("hits", int(&|r| r.4)),
            (
                "latest_tz",
                text(&|r| {
                    r.5.and_then(|j| serde_json::from_str::<Vec<String>>(j).ok()?.first().cloned())
                }),
            ),
            ("tz_params", text(&|r| r.5.map(str::to_string))),
            ("tz_hits", text(&|r| r.6.map(str::to_string))),
        ])
        .unwrap();
        let mut out = Vec::new();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        Bytes::from(out)
    }

    #[test]
    fn rows_become_buckets_with_their_zones_newest_first() {
        let b = sightings(
            "s3://r/e/0.parquet",
            parquet(&[
                (
                    "42",
                    900,
                    905,
                    1700,
                    3,
                    Some(r#"["Asia/Kathmandu","Bad/Zone"]"#),
                    Some("[2,1]"),
                ),
                ("18446744073709551615", 0, 0, 0, 1, None, None),
            ]),
        )
        .unwrap();
        assert_eq!(b[0].learner_id, 42);
        assert_eq!(
            (b[0].start, b[0].first, b[0].last, b[0].hits),
            (900, 905, 1700, 3)
        );
        assert_eq!(
            b[0].tz_params.as_slice(),
            [("Asia/Kathmandu".into(), 2), ("Bad/Zone".into(), 1)]
        );
        assert_eq!(b[1].learner_id, u64::MAX);
        assert!(b[1].tz_params.is_empty());
    }

    #[test]
    fn a_row_outside_the_contract_names_object_and_row() {
        let cases = [
            (("7", 900, 899, 905, 2, None, None), "not one quarter hour"),
            (("7", 900, 905, 1800, 2, None, None), "not one quarter hour"),
            (("7", 950, 950, 951, 2, None, None), "not one quarter hour"),
            (
                ("7", i64::MAX - 7, i64::MAX - 1, i64::MAX - 1, 2, None, None),
                "not one quarter hour",
            ),
            (("x7", 900, 905, 905, 1, None, None), "learner_id \"x7\""),
            (
                ("7", 900, 905, 905, 1, Some(r#"["UTC"]"#), Some("[1,1]")),
                "do not pair up",
            ),
            (
                ("7", 900, 905, 905, 1, Some("not json"), Some("[1]")),
                "tz_params \"not json\"",
            ),
        ];
        for (row, want) in cases {
            let good = ("1", 0, 0, 0, 1, None, None);
            let e = sightings("s3://r/e/1.parquet", parquet(&[good, row])).unwrap_err();
            assert!(e.starts_with("s3://r/e/1.parquet: row 2: "), "{e}");
            assert!(e.contains(want), "{e} lacks {want}");
        }
        let e = sightings("s3://r/e/2.parquet", Bytes::from_static(b"PAR1 nope")).unwrap_err();
        assert!(
            e.contains("s3://r/e/2.parquet: not a readable Parquet file"),
            "{e}"
        );
    }
}
