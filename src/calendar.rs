//! Learners and calendars files (SPEC §2) → each learner's zone name and day set.
//!
//! CSV with a header, JSON Lines or Parquet, chosen by the file's extension. Rows for
//! learners the caller does not need are skipped while reading, so memory follows
//! the incident, not the export. A malformed row is an error naming file and line.
//! Zone names are kept as given; whether they are valid is for the tz database.

use std::collections::hash_map::Entry;
use std::fmt;
use std::path::Path;

use jiff::civil::Date;

use parquet::arrow::arrow_reader::{ArrowReaderMetadata, RowSelection, RowSelector};
use rayon::prelude::*;

use crate::cells::Value;
use crate::model::{DayKind, LearnerId};

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
    zones: foldhash::HashMap<LearnerId, Option<Box<str>>>,
    /// Rows read, including skipped ones.
    pub rows: u64,
    /// Rows for a learner already seen; the first row wins.
    pub repeated_rows: u64,
}

/// Which learners a reader keeps; asked of each row's learner (of each row group's id
/// range in Parquet), on many threads.
pub trait Keep: Sync {
    fn keeps(&self, id: LearnerId) -> bool;

    /// Whether it may keep any id from `low` to `high`: a Parquet row group whose
    /// statistics say its ids lie where none is kept is not read.
    fn any_between(&self, _low: LearnerId, _high: LearnerId) -> bool {
        true
    }
}

impl<F: Fn(LearnerId) -> bool + Sync> Keep for F {
    fn keeps(&self, id: LearnerId) -> bool {
        self(id)
    }
}

/// A set of learners to keep, answering both questions of [`Keep`]: held twice, as a
/// hash set for the lookup per learner and sorted for the range asked per row group.
pub struct Wanted {
    ids: foldhash::HashSet<LearnerId>,
    sorted: Vec<LearnerId>,
}

impl Wanted {
    pub fn new(ids: impl IntoIterator<Item = LearnerId>) -> Wanted {
        let ids: foldhash::HashSet<LearnerId> = ids.into_iter().collect();
        let mut sorted: Vec<LearnerId> = ids.iter().copied().collect();
        sorted.sort_unstable();
        Wanted { ids, sorted }
    }
}

impl Keep for Wanted {
    fn keeps(&self, id: LearnerId) -> bool {
        self.ids.contains(&id)
    }

    fn any_between(&self, low: LearnerId, high: LearnerId) -> bool {
        let from = self.sorted.partition_point(|&id| id < low);
        self.sorted.get(from).is_some_and(|&id| id <= high)
    }
}

/// Reads the learners files (one, or the parts of a query result) in order, keeping
/// rows whose learner `keep` accepts.
pub fn read_learners<P: AsRef<Path>>(paths: &[P], keep: &dyn Keep) -> Result<Learners, TableError> {
    let mut out = Learners::default();
    for path in paths {
        let path = path.as_ref();
        let row = |place, id, cells: &[Value<'_>]| match cells[0] {
            Value::Null | Value::Text(_) => Ok((id, cells[0].text().map(Box::from))),
            other => Err(err(path, place, format!("tz {other} is not a zone name"))),
        };
        out.rows += read_rows(path, &["tz"], keep, &row, &mut |chunk| {
            for (id, tz) in chunk {
                match out.zones.entry(id) {
                    Entry::Occupied(_) => out.repeated_rows += 1,
                    Entry::Vacant(v) => {
                        v.insert(tz);
                    }
                }
            }
        })?;
    }
    Ok(out)
}

impl Learners {
    /// The learner's zone name as the file gives it, if any.
    pub fn zone(&self, learner_id: LearnerId) -> Option<&str> {
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
    pub days: foldhash::HashMap<LearnerId, Days>,
    pub rows: u64,
}

impl Calendars {
    pub fn of(&self, learner_id: LearnerId) -> &[(Date, DayKind)] {
        self.days.get(&learner_id).map_or(&[], Vec::as_slice)
    }
}

/// Reads the calendars files (one, or the parts of a query result), keeping rows whose
/// learner `keep` accepts.
pub fn read_calendars<P: AsRef<Path>>(paths: &[P], keep: &dyn Keep) -> Result<Calendars, TableError> {
    let mut out = Calendars::default();
    for path in paths {
        let path = path.as_ref();
        let row = |place, id, cells: &[Value<'_>]| {
            let date = parse_date(cells[0]).map_err(|m| err(path, place, m))?;
            let kind = cells[1].text().and_then(DayKind::parse).ok_or_else(|| {
                let m = format!("kind {} is not practice, freeze or repair", cells[1]);
                err(path, place, m)
            })?;
            Ok((id, date, kind))
        };
        out.rows += read_rows(path, &["date", "kind"], keep, &row, &mut |chunk| {
            // Exports list a learner's rows together: one lookup per learner, not per row.
            for rows in chunk.chunk_by(|a, b| a.0 == b.0) {
                let days = out.days.entry(rows[0].0).or_default();
                days.extend(rows.iter().map(|&(_, date, kind)| (date, kind)));
            }
        })?;
    }
    out.days.par_iter_mut().for_each(|(_, days)| {
        // Strongest last per date, then keep the last of each run of one date.
        days.sort_unstable();
        days.reverse();
        days.dedup_by_key(|(d, _)| *d);
        days.reverse();
    });
    Ok(out)
}

fn err(path: &Path, place: Place, message: String) -> TableError {
    TableError {
        path: path.display().to_string(),
        place,
        message,
    }
}

/// A date cell: a date, or text shaped like 2026-11-20.
fn parse_date(cell: Value<'_>) -> Result<Date, String> {
    let date = match cell {
        Value::Date(days) => crate::cells::date32(days),
        Value::Text(s) => iso_date(s.trim().as_bytes()),
        _ => None,
    };
    date.ok_or_else(|| format!("date {cell} is not a date like 2026-11-20"))
}

/// `YYYY-MM-DD`, by hand: calendars hold a hundred million of them and a general
/// parser costs more than the rest of the row.
fn iso_date(s: &[u8]) -> Option<Date> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *s else {
        return None;
    };
    let num = |digits: &[u8]| {
        digits.iter().try_fold(0i16, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i16::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(&[y0, y1, y2, y3])?, num(&[m0, m1])?, num(&[d0, d1])?);
    Date::new(y, m as i8, d as i8).ok()
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

/// What a reader makes of the row of a learner it keeps, given the other columns.
type RowFn<'a, T> = dyn Fn(Place, u64, &[Value<'_>]) -> Result<T, TableError> + Sync + 'a;

/// Rows handed to the sink at a time.
const CHUNK: usize = 64 * 1024;

/// Reads `learner_id` and then `columns` from every row of `path`. Every id is checked
/// (in Parquet, a row group's ids before its other columns, so a bad id can be reported
/// before a bad cell on an earlier row; a group whose statistics prove its ids valid and
/// unwanted is not read); rows of learners `keep` refuses go no further, and what `row`
/// makes of the others goes to `sink` in file order, a chunk at a time. Returns the
/// number of rows read.
fn read_rows<T: Send>(
    path: &Path,
    columns: &[&str],
    keep: &dyn Keep,
    row: &RowFn<'_, T>,
    sink: &mut dyn FnMut(Vec<T>),
) -> Result<u64, TableError> {
    let columns: Vec<&str> = std::iter::once("learner_id")
        .chain(columns.iter().copied())
        .collect();
    let rows = Rows { path, keep, row };
    match format_of(path)? {
        TableFormat::Csv => csv_rows(&rows, &columns, sink),
        TableFormat::JsonLines => json_rows(&rows, &columns, sink),
        TableFormat::Parquet => contained(path, || parquet_rows(&rows, &columns, sink)),
    }
}

/// What every format's reader does with a row once it has its cells.
struct Rows<'a, T> {
    path: &'a Path,
    keep: &'a dyn Keep,
    row: &'a RowFn<'a, T>,
}

impl<T> Rows<'_, T> {
    /// The learner id of a row, checked.
    fn id(&self, place: Place, cell: Value<'_>) -> Result<u64, TableError> {
        cell.learner_id().map_err(|m| err(self.path, place, m))
    }

    /// A row whose cells are all at hand: the id first.
    fn make(&self, place: Place, cells: &[Value<'_>]) -> Result<Option<T>, TableError> {
        let id = self.id(place, cells[0])?;
        self.keep
            .keeps(id)
            .then(|| (self.row)(place, id, &cells[1..]))
            .transpose()
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

/// Collects rows into chunks for the sink; for the readers that go row by row.
struct Chunker<'s, T> {
    kept: Vec<T>,
    rows: u64,
    sink: &'s mut dyn FnMut(Vec<T>),
}

impl<'s, T> Chunker<'s, T> {
    fn new(sink: &'s mut dyn FnMut(Vec<T>)) -> Self {
        Chunker {
            kept: Vec::new(),
            rows: 0,
            sink,
        }
    }

    fn push(&mut self, kept: Option<T>) {
        self.rows += 1;
        self.kept.extend(kept);
        if self.kept.len() >= CHUNK {
            (self.sink)(std::mem::take(&mut self.kept));
        }
    }

    fn finish(self) -> u64 {
        (self.sink)(self.kept);
        self.rows
    }
}

fn csv_rows<T: Send>(
    rows: &Rows<'_, T>,
    columns: &[&str],
    sink: &mut dyn FnMut(Vec<T>),
) -> Result<u64, TableError> {
    let path = rows.path;
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
    let mut chunker = Chunker::new(sink);
    while reader.read_record(&mut record).map_err(csv_err)? {
        let line = record.position().map_or(0, |p| p.line());
        let cells: Vec<Value<'_>> = index
            .iter()
            .map(|&i| match record.get(i).unwrap_or_default() {
                "" => Value::Null,
                text => Value::Text(text),
            })
            .collect();
        chunker.push(rows.make(Place::Line(line), &cells)?);
    }
    Ok(chunker.finish())
}

fn json_rows<T: Send>(
    rows: &Rows<'_, T>,
    columns: &[&str],
    sink: &mut dyn FnMut(Vec<T>),
) -> Result<u64, TableError> {
    use std::io::BufRead;
    let path = rows.path;
    let reader = std::io::BufReader::new(open(path)?);
    let mut chunker = Chunker::new(sink);
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
        let cells = columns
            .iter()
            .map(|column| {
                json_cell(object.get(*column)).map_err(|m| err(path, place, format!("`{column}` {m}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        chunker.push(rows.make(place, &cells)?);
    }
    Ok(chunker.finish())
}

fn json_cell(value: Option<&serde_json::Value>) -> Result<Value<'_>, String> {
    use serde_json::Value as Json;
    let whole = |n: &serde_json::Number| n.as_u64().map(i128::from).or(n.as_i64().map(i128::from));
    match value {
        None | Some(Json::Null) => Ok(Value::Null),
        Some(Json::String(s)) => Ok(Value::Text(s)),
        Some(Json::Number(n)) => whole(n)
            .map(Value::Int)
            .ok_or_else(|| format!("is {n}, not an integer")),
        Some(other) => Err(format!("is {other}, not text or a number")),
    }
}

/// Parquet row groups are read in parallel, a few at a time so memory stays bounded,
/// and handed on in file order.
fn parquet_rows<T: Send>(
    rows: &Rows<'_, T>,
    columns: &[&str],
    sink: &mut dyn FnMut(Vec<T>),
) -> Result<u64, TableError> {
    use parquet::arrow::arrow_reader::ArrowReaderOptions;
    let path = rows.path;
    let perr = |e: &dyn fmt::Display| unreadable(path, e);
    let file = open(path)?;
    let size = file.metadata().map_err(|e| perr(&e))?.len();
    let stored = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default()).map_err(|e| perr(&e))?;
    let have: Vec<String> = stored
        .schema()
        .fields()
        .iter()
        .map(|c| c.name().clone())
        .collect();
    let roots = columns
        .iter()
        .map(|c| {
            have.iter()
                .position(|h| h == c)
                .ok_or_else(|| missing(path, c, &have))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let reading = arrow_schema::Schema::new(
        stored
            .schema()
            .fields()
            .iter()
            .map(|f| {
                f.as_ref()
                    .clone()
                    .with_data_type(crate::cells::reading_type(f.data_type()))
            })
            .collect::<Vec<_>>(),
    );
    let options = ArrowReaderOptions::new().with_schema(std::sync::Arc::new(reading));
    let meta = ArrowReaderMetadata::try_new(stored.metadata().clone(), options).map_err(|e| perr(&e))?;
    let mut groups = Vec::new();
    let mut first_row = 0u64;
    for (i, group) in meta.metadata().row_groups().iter().enumerate() {
        check_chunks(group, size).map_err(|e| perr(&format!("row group {i}: {e}")))?;
        groups.push((i, first_row));
        first_row += group.num_rows() as u64;
    }
    for wave in groups.chunks(2 * rayon::current_num_threads()) {
        let kept: Vec<Result<Vec<T>, TableError>> = wave
            .par_iter()
            .map(|&(group, first)| {
                // On a rayon worker: a panic here must be caught on this thread.
                contained(path, || parquet_group(rows, &meta, &roots, group, first, columns))
            })
            .collect();
        for group in kept {
            sink(group?);
        }
    }
    Ok(first_row)
}

/// Whether every column chunk of a row group lies inside the file: the parquet crate
/// asserts (panics) on a negative offset or length, so a damaged footer is refused here.
fn check_chunks(group: &parquet::file::metadata::RowGroupMetaData, file_size: u64) -> Result<(), String> {
    if group.num_rows() < 0 {
        return Err(format!("{} rows", group.num_rows()));
    }
    for (c, column) in group.columns().iter().enumerate() {
        let start = column
            .dictionary_page_offset()
            .unwrap_or(column.data_page_offset());
        let length = column.compressed_size();
        let end = u64::try_from(start)
            .ok()
            .zip(u64::try_from(length).ok())
            .and_then(|(s, l)| s.checked_add(l));
        if end.is_none_or(|end| end > file_size) {
            return Err(format!(
                "column {c} claims bytes outside the file (start {start}, length {length})"
            ));
        }
    }
    Ok(())
}

/// Runs part of the Parquet reading. The parquet and arrow crates assert (panic) on
/// some damaged files instead of returning an error; such a panic is caught here and
/// becomes the file's one-line error, and its message is kept off stderr.
fn contained<T>(path: &Path, read: impl FnOnce() -> Result<T, TableError>) -> Result<T, TableError> {
    use std::cell::Cell;
    thread_local! {
        /// How many `contained` calls this thread is inside.
        static INSIDE: Cell<u32> = const { Cell::new(0) };
    }
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if INSIDE.get() == 0 {
                previous(info);
            }
        }));
    });
    INSIDE.set(INSIDE.get() + 1);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    INSIDE.set(INSIDE.get() - 1);
    result.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(unreadable(
            path,
            &format!("the Parquet reader gave up ({message})"),
        ))
    })
}

fn unreadable(path: &Path, e: &dyn fmt::Display) -> TableError {
    err(path, Place::File, format!("not a readable Parquet file: {e}"))
}

/// One row group's kept rows; `first` is the file's row count before it. The ids are
/// read first, alone, and the other columns only for the rows kept: a run keeps a few
/// learners of an export's millions. A group whose id statistics hold no kept learner
/// is not read at all.
fn parquet_group<T>(
    rows: &Rows<'_, T>,
    meta: &ArrowReaderMetadata,
    roots: &[usize],
    group: usize,
    first: u64,
    columns: &[&str],
) -> Result<Vec<T>, TableError> {
    if !may_keep_any(rows.keep, meta, roots[0], group) {
        return Ok(Vec::new());
    }
    let (kept, selection) = kept_ids(rows, meta, roots[0], group, first, columns[0])?;
    let path = rows.path;
    if kept.is_empty() || roots.len() == 1 {
        return kept
            .into_iter()
            .map(|(place, id)| (rows.row)(place, id, &[]))
            .collect();
    }
    let mut out = Vec::with_capacity(kept.len());
    let mut kept = kept.into_iter();
    for batch in group_reader(path, meta, &roots[1..], group, Some(selection))? {
        let batch = batch.map_err(|e| unreadable(path, &e))?;
        let others = crate::cells::columns(&batch, &columns[1..]).map_err(|m| err(path, Place::File, m))?;
        let mut cells = Vec::with_capacity(others.len());
        for i in 0..batch.num_rows() {
            let (place, id) = kept
                .next()
                .ok_or_else(|| unreadable(path, &"more rows than selected"))?;
            cells.clear();
            cells.extend(others.iter().map(|a| a.get(i)));
            out.push((rows.row)(place, id, &cells)?);
        }
    }
    match kept.next() {
        None => Ok(out),
        Some(_) => Err(unreadable(path, &"fewer rows than selected")),
    }
}

/// The kept rows' places and ids, every id checked, and which rows they are. Exports
/// list a learner's rows together, so the last id's verdict is remembered.
fn kept_ids<T>(
    rows: &Rows<'_, T>,
    meta: &ArrowReaderMetadata,
    id_root: usize,
    group: usize,
    first: u64,
    id_column: &str,
) -> Result<(Vec<(Place, LearnerId)>, RowSelection), TableError> {
    let path = rows.path;
    let mut kept = Vec::new();
    let mut runs: Vec<RowSelector> = Vec::new();
    let mut n = first;
    let mut last: Option<(u64, bool)> = None;
    for batch in group_reader(path, meta, &[id_root], group, None)? {
        let batch = batch.map_err(|e| unreadable(path, &e))?;
        let ids = crate::cells::Column::of(&batch, id_column).map_err(|m| err(path, Place::File, m))?;
        // The usual export's ids, read straight from the column: nothing to check.
        let unsigned = match ids {
            crate::cells::Column::UInt64(a) if arrow_array::Array::null_count(a) == 0 => Some(a.values()),
            _ => None,
        };
        for i in 0..batch.num_rows() {
            n += 1;
            let place = Place::Row(n);
            let id = match unsigned {
                Some(values) => values[i],
                None => rows.id(place, ids.get(i))?,
            };
            let wanted = match last {
                Some((last_id, wanted)) if last_id == id => wanted,
                _ => rows.keep.keeps(id),
            };
            last = Some((id, wanted));
            if wanted {
                kept.push((place, id));
            }
            match runs.last_mut() {
                Some(run) if run.skip != wanted => run.row_count += 1,
                _ => runs.push(if wanted {
                    RowSelector::select(1)
                } else {
                    RowSelector::skip(1)
                }),
            }
        }
    }
    Ok((kept, RowSelection::from(runs)))
}

/// Whether the id column's statistics leave room for a kept learner in the group.
/// Without statistics, with a null or negative id possible, or for an id column that is
/// not a plain 64-bit integer (nested, or a timestamp stored as one), the group is read
/// (and every id checked).
fn may_keep_any(keep: &dyn Keep, meta: &ArrowReaderMetadata, id_root: usize, group: usize) -> bool {
    use arrow_schema::DataType;
    use parquet::file::statistics::Statistics;
    let integer = matches!(
        meta.schema().field(id_root).data_type(),
        DataType::Int64 | DataType::UInt64
    );
    let schema = meta.parquet_schema();
    let mut leaves = (0..schema.num_columns()).filter(|&leaf| schema.get_column_root_idx(leaf) == id_root);
    let (Some(leaf), None, true) = (leaves.next(), leaves.next(), integer) else {
        return true;
    };
    let range = match meta.metadata().row_group(group).column(leaf).statistics() {
        Some(s) if s.null_count_opt() != Some(0) => None,
        // Both ends below 2^63, so signed and unsigned order agree (unsigned columns are
        // stored as Int64, and older writers ordered their statistics as signed).
        Some(Statistics::Int64(s)) => s
            .min_opt()
            .zip(s.max_opt())
            .and_then(|(&low, &high)| u64::try_from(low).ok().zip(u64::try_from(high).ok())),
        _ => None,
    };
    range.is_none_or(|(low, high)| keep.any_between(low, high))
}

/// Batches of `roots` in one row group, of the rows `selection` names (all without).
fn group_reader(
    path: &Path,
    meta: &ArrowReaderMetadata,
    roots: &[usize],
    group: usize,
    selection: Option<RowSelection>,
) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, TableError> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ProjectionMask;
    let mask = ProjectionMask::roots(meta.parquet_schema(), roots.iter().copied());
    let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(open(path)?, meta.clone())
        .with_row_groups(vec![group])
        .with_projection(mask)
        .with_batch_size(CHUNK);
    if let Some(selection) = selection {
        builder = builder.with_row_selection(selection);
    }
    builder.build().map_err(|e| unreadable(path, &e))
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
        small_groups(&path, batch);
        let c = read_calendars(&[&path], &|_| true).unwrap();
        assert_eq!(c.of(u64::MAX), [(d("2025-11-19"), DayKind::Practice)]);
        assert_eq!(c.of(5), [(d("2025-11-18"), DayKind::Freeze)]);
    }

    /// Writes the batch with a row group every two rows.
    fn small_groups(path: &Path, batch: RecordBatch) {
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(2))
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn parquet_row_groups_read_in_parallel_keep_file_order() {
        use arrow_array::{StringArray, UInt64Array};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("learners.parquet");
        let ids: Vec<u64> = (0..40).map(|i| i % 13).collect();
        let zones: Vec<String> = (0..40).map(|i| format!("Zone/{i}")).collect();
        let batch = RecordBatch::try_from_iter([
            ("learner_id", Arc::new(UInt64Array::from(ids)) as _),
            ("tz", Arc::new(StringArray::from(zones)) as _),
        ])
        .unwrap();
        small_groups(&path, batch);
        let l = read_learners(&[&path], &|id| id != 3).unwrap();
        assert_eq!(
            (l.rows, l.repeated_rows),
            (40, 25),
            "37 kept rows for 12 learners"
        );
        assert_eq!(
            l.zone(12),
            Some("Zone/12"),
            "the first row wins across row groups"
        );
        assert_eq!(l.zone(0), Some("Zone/0"));
        assert_eq!(l.zone(3), None);
    }

    #[test]
    fn a_bad_parquet_row_names_its_row_across_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calendars.parquet");
        use arrow_array::{Int64Array, StringArray};
        use std::sync::Arc;
        let batch = RecordBatch::try_from_iter([
            (
                "learner_id",
                Arc::new(Int64Array::from(vec![1, 2, 3, 4, -5, 6, 7])) as _,
            ),
            ("date", Arc::new(StringArray::from(vec!["2026-11-19"; 7])) as _),
            ("kind", Arc::new(StringArray::from(vec!["practice"; 7])) as _),
        ])
        .unwrap();
        small_groups(&path, batch);
        let e = read_calendars(&[&path], &|_| true).unwrap_err().to_string();
        assert!(
            e.ends_with("row 5: learner_id -5 is not an unsigned 64-bit integer"),
            "{e}"
        );
    }

    #[test]
    fn wanted_answers_which_ids_and_which_ranges() {
        let w = Wanted::new([7, 3, 3, 20]);
        assert!(w.keeps(3) && w.keeps(20) && !w.keeps(4));
        assert!(w.any_between(4, 7) && w.any_between(0, 3) && w.any_between(20, u64::MAX));
        assert!(!w.any_between(4, 6) && !w.any_between(8, 19) && !w.any_between(21, u64::MAX));
    }

    /// Calendars of learners 1, 2 | 100, 101 | 3, 4 in row groups of two rows.
    fn three_groups(path: &Path) {
        use arrow_array::{StringArray, UInt64Array};
        use std::sync::Arc;
        let batch = RecordBatch::try_from_iter([
            (
                "learner_id",
                Arc::new(UInt64Array::from(vec![1, 2, 100, 101, 3, 4])) as _,
            ),
            ("date", Arc::new(StringArray::from(vec!["2026-11-19"; 6])) as _),
            ("kind", Arc::new(StringArray::from(vec!["practice"; 6])) as _),
        ])
        .unwrap();
        small_groups(path, batch);
    }

    #[test]
    fn a_row_group_whose_id_statistics_miss_every_kept_learner_is_not_read() {
        use parquet::file::reader::FileReader;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calendars.parquet");
        three_groups(&path);
        // Break the middle group's learner_id pages: reading them fails.
        let reader =
            parquet::file::serialized_reader::SerializedFileReader::new(std::fs::File::open(&path).unwrap())
                .unwrap();
        let start = reader.metadata().row_group(1).column(0).data_page_offset() as usize;
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[start..start + 8].fill(0xff);
        std::fs::write(&path, bytes).unwrap();
        let wanted = Wanted::new([1, 2, 3, 4]);
        let c = read_calendars(&[&path], &wanted).unwrap();
        assert_eq!(c.rows, 6, "the skipped group's rows are counted");
        assert_eq!(c.days.len(), 4);
        assert_eq!(c.of(4), [(d("2026-11-19"), DayKind::Practice)]);
        let e = read_calendars(&[&path], &|id| id < 50).unwrap_err().to_string();
        assert!(
            e.contains("not a readable Parquet file"),
            "without statistics to go by it is read: {e}"
        );
    }

    #[test]
    fn statistics_are_those_of_the_id_column_after_a_nested_one() {
        use arrow_array::{ArrayRef, Int64Array, StringArray, StructArray, UInt64Array};
        use arrow_schema::{DataType, Field};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calendars.parquet");
        // Two leaves before learner_id: the second's range holds no wanted id.
        let leaf = |name: &str, values: Vec<i64>| {
            (
                Arc::new(Field::new(name, DataType::Int64, false)),
                Arc::new(Int64Array::from(values)) as ArrayRef,
            )
        };
        let nested = StructArray::from(vec![
            leaf("a", vec![1, 2, 3, 4]),
            leaf("b", vec![1000, 1001, 1002, 1003]),
        ]);
        let batch = RecordBatch::try_from_iter([
            ("source", Arc::new(nested) as ArrayRef),
            ("learner_id", Arc::new(UInt64Array::from(vec![1, 2, 3, 4])) as _),
            ("date", Arc::new(StringArray::from(vec!["2026-11-19"; 4])) as _),
            ("kind", Arc::new(StringArray::from(vec!["repair"; 4])) as _),
        ])
        .unwrap();
        small_groups(&path, batch);
        let c = read_calendars(&[&path], &Wanted::new([1, 2, 3, 4])).unwrap();
        assert_eq!(c.days.len(), 4, "no group skipped on another column's statistics");
    }

    #[test]
    fn only_kept_rows_are_read_past_their_ids_and_keep_their_row_numbers() {
        use arrow_array::{StringArray, UInt64Array};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calendars.parquet");
        let mut dates = vec!["2026-11-19"; 7];
        dates[4] = "someday";
        dates[5] = "never";
        let batch = RecordBatch::try_from_iter([
            (
                "learner_id",
                Arc::new(UInt64Array::from(vec![1, 2, 3, 4, 5, 6, 7])) as _,
            ),
            ("date", Arc::new(StringArray::from(dates)) as _),
            ("kind", Arc::new(StringArray::from(vec!["freeze"; 7])) as _),
        ])
        .unwrap();
        small_groups(&path, batch);
        let e = read_calendars(&[&path], &|id| id != 5).unwrap_err().to_string();
        assert!(
            e.ends_with("row 6: date \"never\" is not a date like 2026-11-20"),
            "{e}"
        );
        let c = read_calendars(&[&path], &|id| id % 2 == 1 && id != 5).unwrap();
        assert_eq!(c.days.len(), 3);
        assert_eq!(c.of(7), [(d("2026-11-19"), DayKind::Freeze)]);
    }

    proptest::proptest! {
        #[test]
        fn iso_dates_read_as_jiff_reads_them(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}") {
            proptest::prop_assert_eq!(iso_date(s.as_bytes()), s.parse::<Date>().ok());
        }

        #[test]
        fn iso_dates_reject_other_shapes(s in "[0-9 +-]{0,12}") {
            let shaped = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
            if !shaped || s.contains([' ', '+']) || s[..4].contains('-') {
                proptest::prop_assert_eq!(iso_date(s.as_bytes()), None);
            }
        }
    }
}
