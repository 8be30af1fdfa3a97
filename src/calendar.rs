//! Learners and calendars files (SPEC §2) → each learner's zone name and day set.
//!
//! CSV with a header, JSON Lines or Parquet, chosen by the file's extension. Rows for
//! learners the caller does not need are skipped while reading, so memory follows
//! the incident, not the export. A malformed row is an error naming file and line.
//! Zone names are kept as given; whether they are valid is for the tz database.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use jiff::civil::Date;

/// What a calendar says of one local day; the order is strength: a date listed with
/// several kinds counts as the strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DayKind {
    Freeze,
    Repair,
    Practice,
}

impl DayKind {
    pub fn name(self) -> &'static str {
        match self {
            DayKind::Practice => "practice",
            DayKind::Freeze => "freeze",
            DayKind::Repair => "repair",
        }
    }

    fn parse(s: &str) -> Option<DayKind> {
        match s {
            "practice" => Some(DayKind::Practice),
            "freeze" => Some(DayKind::Freeze),
            "repair" => Some(DayKind::Repair),
            _ => None,
        }
    }
}

/// One learner's recorded days, sorted by date, one kind per date.
pub type Days = Vec<(Date, DayKind)>;

#[derive(Debug, thiserror::Error)]
#[error("{path}: {place}{message}")]
pub struct TableError {
    pub path: String,
    pub place: Place,
    pub message: String,
}

/// Where in a table a problem is.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    File,
    Line(u64),
    Row(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::File => Ok(()),
            Place::Line(n) => write!(f, "line {n}: "),
            Place::Row(n) => write!(f, "row {n}: "),
        }
    }
}

/// Learner zones as the learners file gives them.
#[derive(Debug, Default)]
pub struct Learners {
    /// The first row's zone per learner; `None` when that row left it empty.
    zones: HashMap<u64, Option<Box<str>>>,
    /// Rows read, including skipped ones.
    pub rows: u64,
    /// Rows for a learner already seen; the first row wins.
    pub repeated_rows: u64,
}

/// Reads the learners files (one, or the parts of a query result) in order, keeping
/// rows whose learner `keep` accepts.
pub fn read_learners<P: AsRef<Path>>(
    paths: &[P],
    keep: &dyn Fn(u64) -> bool,
) -> Result<Learners, TableError> {
    let mut out = Learners::default();
    for path in paths {
        read_learners_file(path.as_ref(), keep, &mut out)?;
    }
    Ok(out)
}

fn read_learners_file(path: &Path, keep: &dyn Fn(u64) -> bool, out: &mut Learners) -> Result<(), TableError> {
    for_each_row(path, &["learner_id", "tz"], &mut |place, cells| {
        out.rows += 1;
        let id = learner_id(&cells[0]).map_err(|m| err(path, place, m))?;
        if !keep(id) {
            return Ok(());
        }
        let tz = cells[1].as_deref().map(str::trim).filter(|z| !z.is_empty());
        match out.zones.entry(id) {
            Entry::Occupied(_) => out.repeated_rows += 1,
            Entry::Vacant(v) => {
                v.insert(tz.map(Box::from));
            }
        }
        Ok(())
    })
}

impl Learners {
    /// The learner's zone name as the file gives it, if any.
    pub fn zone(&self, learner_id: u64) -> Option<&str> {
        self.zones.get(&learner_id)?.as_deref()
    }

    /// Every zone name the file gives.
    pub fn zone_names(&self) -> impl Iterator<Item = &str> {
        self.zones.values().flatten().map(|z| &**z)
    }
}

/// Every kept learner's days, sorted and merged to the strongest kind per date.
#[derive(Debug, Default)]
pub struct Calendars {
    pub days: HashMap<u64, Days>,
    pub rows: u64,
}

impl Calendars {
    pub fn of(&self, learner_id: u64) -> &[(Date, DayKind)] {
        self.days.get(&learner_id).map_or(&[], Vec::as_slice)
    }
}

/// Reads the calendars files (one, or the parts of a query result), keeping rows whose
/// learner `keep` accepts.
pub fn read_calendars<P: AsRef<Path>>(
    paths: &[P],
    keep: &dyn Fn(u64) -> bool,
) -> Result<Calendars, TableError> {
    let mut out = Calendars::default();
    for path in paths {
        read_calendars_file(path.as_ref(), keep, &mut out)?;
    }
    for days in out.days.values_mut() {
        // Strongest last per date, then keep the last of each run of one date.
        days.sort_unstable();
        days.reverse();
        days.dedup_by_key(|(d, _)| *d);
        days.reverse();
    }
    Ok(out)
}

fn read_calendars_file(
    path: &Path,
    keep: &dyn Fn(u64) -> bool,
    out: &mut Calendars,
) -> Result<(), TableError> {
    for_each_row(path, &["learner_id", "date", "kind"], &mut |place, cells| {
        out.rows += 1;
        let id = learner_id(&cells[0]).map_err(|m| err(path, place, m))?;
        if !keep(id) {
            return Ok(());
        }
        let date = parse_date(cells[1].as_deref()).map_err(|m| err(path, place, m))?;
        let kind = cells[2].as_deref().unwrap_or("").trim();
        let kind = DayKind::parse(kind).ok_or_else(|| {
            err(
                path,
                place,
                format!("kind {kind:?} is not practice, freeze or repair"),
            )
        })?;
        out.days.entry(id).or_default().push((date, kind));
        Ok(())
    })
}

fn err(path: &Path, place: Place, message: String) -> TableError {
    TableError {
        path: path.display().to_string(),
        place,
        message,
    }
}

fn learner_id(cell: &Option<String>) -> Result<u64, String> {
    let s = cell.as_deref().unwrap_or("").trim();
    crate::query::learner_id(s.as_bytes())
        .ok_or_else(|| format!("learner_id {s:?} is not an unsigned 64-bit integer"))
}

fn parse_date(cell: Option<&str>) -> Result<Date, String> {
    let s = cell.unwrap_or("").trim();
    let shaped = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    shaped
        .then(|| s.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| format!("date {s:?} is not a date like 2026-11-20"))
}

/// Checks that a learners or calendars file can be opened and has a known format, so
/// a bad path fails before the logs are scanned.
pub fn check_readable(path: &Path) -> Result<(), TableError> {
    format_of(path)?;
    open(path).map(drop)
}

#[derive(Clone, Copy)]
enum TableFormat {
    Csv,
    JsonLines,
    Parquet,
}

fn format_of(path: &Path) -> Result<TableFormat, TableError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "csv" => Ok(TableFormat::Csv),
        "jsonl" | "ndjson" | "json" => Ok(TableFormat::JsonLines),
        "parquet" | "pq" => Ok(TableFormat::Parquet),
        _ => Err(err(
            path,
            Place::File,
            "unknown format: name the file .csv, .jsonl or .parquet".into(),
        )),
    }
}

type RowFn<'a> = dyn FnMut(Place, &[Option<String>]) -> Result<(), TableError> + 'a;

/// Calls `f` with the named columns of every row, as text (null → `None`).
fn for_each_row(path: &Path, columns: &[&str], f: &mut RowFn<'_>) -> Result<(), TableError> {
    match format_of(path)? {
        TableFormat::Csv => csv_rows(path, columns, f),
        TableFormat::JsonLines => json_rows(path, columns, f),
        TableFormat::Parquet => parquet_rows(path, columns, f),
    }
}

fn open(path: &Path) -> Result<std::fs::File, TableError> {
    std::fs::File::open(path).map_err(|e| err(path, Place::File, format!("cannot open: {e}")))
}

fn missing(path: &Path, column: &str, have: &[String]) -> TableError {
    err(
        path,
        Place::File,
        format!("no `{column}` column (columns: {})", have.join(", ")),
    )
}

fn csv_rows(path: &Path, columns: &[&str], f: &mut RowFn<'_>) -> Result<(), TableError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(open(path)?);
    let csv_err = |e: csv::Error| {
        let line = e.position().map_or(Place::File, |p| Place::Line(p.line()));
        err(path, line, e.to_string())
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let index = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| missing(path, c, &header))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut record = csv::StringRecord::new();
    let mut cells = vec![None; columns.len()];
    while reader.read_record(&mut record).map_err(csv_err)? {
        let line = record.position().map_or(0, |p| p.line());
        for (cell, &i) in cells.iter_mut().zip(&index) {
            let value = record.get(i).unwrap_or_default();
            crate::cells::set(cell, !value.is_empty(), |s| s.push_str(value));
        }
        f(Place::Line(line), &cells)?;
    }
    Ok(())
}

fn json_rows(path: &Path, columns: &[&str], f: &mut RowFn<'_>) -> Result<(), TableError> {
    use std::io::BufRead;
    let reader = std::io::BufReader::new(open(path)?);
    let mut cells = vec![None; columns.len()];
    for (n, line) in reader.lines().enumerate() {
        let place = Place::Line(n as u64 + 1);
        let line = line.map_err(|e| err(path, place, format!("cannot read: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| err(path, place, format!("not a JSON object: {e}")))?;
        let object = value
            .as_object()
            .ok_or_else(|| err(path, place, "not a JSON object".into()))?;
        for (cell, column) in cells.iter_mut().zip(columns) {
            *cell = match object.get(*column) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                Some(other) => {
                    return Err(err(
                        path,
                        place,
                        format!("`{column}` is {other}, not text or a number"),
                    ))
                }
            };
        }
        f(place, &cells)?;
    }
    Ok(())
}

fn parquet_rows(path: &Path, columns: &[&str], f: &mut RowFn<'_>) -> Result<(), TableError> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let perr = |e: &dyn fmt::Display| err(path, Place::File, format!("not a readable Parquet file: {e}"));
    let builder = ParquetRecordBatchReaderBuilder::try_new(open(path)?).map_err(|e| perr(&e))?;
    let have: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|c| c.name().clone())
        .collect();
    for c in columns {
        if !have.iter().any(|h| h == c) {
            return Err(missing(path, c, &have));
        }
    }
    let reader = builder.with_batch_size(64 * 1024).build().map_err(|e| perr(&e))?;
    let mut row = 0u64;
    let mut cells = vec![None; columns.len()];
    for batch in reader {
        let batch = batch.map_err(|e| perr(&e))?;
        let arrays = columns
            .iter()
            .map(|c| crate::cells::text_column(&batch, c).map_err(|m| err(path, Place::File, m)))
            .collect::<Result<Vec<_>, _>>()?;
        for i in 0..batch.num_rows() {
            row += 1;
            for (cell, array) in cells.iter_mut().zip(&arrays) {
                array(i, cell);
            }
            f(Place::Row(row), &cells)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::RecordBatch;
    use std::io::Write;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        p
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn csv_and_jsonl_calendars_merge_to_the_strongest_kind() {
        let dir = tempfile::tempdir().unwrap();
        let csv = write(
            &dir,
            "c.csv",
            "learner_id,date,kind\n7,2026-11-19,freeze\n7,2026-11-19,practice\n7,2026-11-18,repair\n8,2026-11-19,freeze\n9,2026-11-19,practice\n",
        );
        let jsonl = write(
            &dir,
            "c.jsonl",
            "{\"learner_id\":7,\"date\":\"2026-11-19\",\"kind\":\"freeze\"}\n{\"learner_id\":\"7\",\"date\":\"2026-11-19\",\"kind\":\"practice\"}\n\n{\"learner_id\":7,\"date\":\"2026-11-18\",\"kind\":\"repair\"}\n{\"learner_id\":8,\"date\":\"2026-11-19\",\"kind\":\"freeze\"}\n",
        );
        for path in [csv, jsonl] {
            let c = read_calendars(&[&path], &|id| id != 9).unwrap();
            assert_eq!(
                c.of(7),
                [
                    (d("2026-11-18"), DayKind::Repair),
                    (d("2026-11-19"), DayKind::Practice)
                ]
            );
            assert_eq!(c.of(8), [(d("2026-11-19"), DayKind::Freeze)]);
            assert!(c.of(9).is_empty(), "filtered out");
        }
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "learner_id,date,kind\n1,2026-11-19,practice\nx,2026-11-19,practice\n",
                "line 3: learner_id \"x\"",
            ),
            (
                "learner_id,date,kind\n1,19/11/2026,practice\n",
                "line 2: date \"19/11/2026\"",
            ),
            (
                "learner_id,date,kind\n1,2026-11-19,holiday\n",
                "line 2: kind \"holiday\"",
            ),
            ("learner_id,day,kind\n", "no `date` column"),
            ("learner_id,date,kind\n1,2026-11-19\n", "line 2:"),
        ];
        for (text, want) in cases {
            let p = write(&dir, "cal.csv", text);
            let e = read_calendars(&[&p], &|_| true).unwrap_err().to_string();
            assert!(e.starts_with(&p.display().to_string()), "{e}");
            assert!(e.contains(want), "{e} lacks {want}");
        }
        let p = write(
            &dir,
            "cal.jsonl",
            "{\"learner_id\":1,\"date\":\"2026-11-19\",\"kind\":\"practice\"}\n[1]\n",
        );
        let e = read_calendars(&[&p], &|_| true).unwrap_err().to_string();
        assert!(e.contains("line 2: not a JSON object"), "{e}");
        let p = write(&dir, "cal.txt", "");
        assert!(read_calendars(&[&p], &|_| true)
            .unwrap_err()
            .to_string()
            .contains("unknown format"));
    }

    #[test]
    fn learners_keep_names_as_given_and_the_first_row_wins() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "l.csv",
            "learner_id,tz\n1,UTC\n2,\n1,Asia/Tokyo\n3,Not/AZone\n2,UTC\n",
        );
        let l = read_learners(&[&p], &|_| true).unwrap();
        assert_eq!(l.zone(1), Some("UTC"));
        assert_eq!(l.zone(2), None, "empty zone is absent");
        assert_eq!(l.zone(3), Some("Not/AZone"), "validity is checked later");
        assert_eq!(
            (l.rows, l.repeated_rows),
            (5, 2),
            "the first row wins, even an empty one"
        );
    }

    #[test]
    fn parquet_learners_and_calendars_are_read() {
        use arrow_array::{Date32Array, StringArray, UInt64Array};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cal.parquet");
        let batch = RecordBatch::try_from_iter([
            ("learner_id", Arc::new(UInt64Array::from(vec![u64::MAX, 5])) as _),
            ("date", Arc::new(Date32Array::from(vec![20_411, 20_410])) as _),
            (
                "kind",
                Arc::new(StringArray::from(vec!["practice", "freeze"])) as _,
            ),
        ])
        .unwrap();
        let file = std::fs::File::create(&path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let c = read_calendars(&[&path], &|_| true).unwrap();
        assert_eq!(c.of(u64::MAX), [(d("2025-11-19"), DayKind::Practice)]);
        assert_eq!(c.of(5), [(d("2025-11-18"), DayKind::Freeze)]);
    }
}
