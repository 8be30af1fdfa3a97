//! The Athena side of `reqtrace`: sql/alb_*.sql rendered for one set of ALB settings, the
//! trace query run to raw log lines, and the edges query's Parquet read into rows.
//!
//! Owns the ALB statements, the checks on the names and locations written into them, and
//! reading their results strictly (a row that breaks a query's contract is an error naming
//! the object and row). It does not parse log lines: the trace query returns them raw, and
//! reqtrace parses them with `logs::alb`, as it parses files. Running statements is the
//! [`Session`]'s business, shared with streak-repair's queries.

use std::time::Duration;

use bytes::Bytes;

use super::sql::{fill, literal, unload, Statement};
use super::{results, s3, AthenaError, Session};
use crate::cells::{Column, Value};
use crate::incident::{is_identifier, is_partition_day, is_s3_folder, AthenaSpec};
use crate::source::SourceError;

const ALB_ACCESS_LOG_TABLE: &str = include_str!("../../../sql/alb_access_log_table.sql");
const ALB_TRACE: &str = include_str!("../../../sql/alb_trace.sql");
const ALB_EDGES: &str = include_str!("../../../sql/alb_edges.sql");

/// Athena's limit on one execution parameter's value, quoted.
const PARAMETER_LIMIT: usize = 1024;
/// How long after its last line's `time` an edges window's lines may sit in a later day's
/// folder (objects cover 5 minutes and are written at its end).
pub const EDGES_DELIVERY_SLACK_SECONDS: i64 = 15 * 60;
/// Athena's list price, for run.json's cost: USD per TB scanned.
const PRICE_PER_TB: f64 = 5.0;

/// Where the ALB table lives and where queries write: every name and location here is
/// written into SQL text, so [`AlbAthena::validate`] checks each against a strict pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct AlbAthena {
    /// Glue database of the table.
    pub database: String,
    /// The table sql/alb_access_log_table.sql creates.
    pub table: String,
    pub workgroup: String,
    /// `s3://bucket/prefix/` for query results; each query UNLOADs into a folder under it.
    pub output_location: String,
    /// For the DDL only: `s3://bucket/prefix/AWSLogs/{account}/elasticloadbalancing/{region}/`.
    pub log_location: Option<String>,
    /// For the DDL only: the first partition to project, yyyy/MM/dd.
    pub first_day: Option<String>,
    /// A query still running after this is stopped.
    pub timeout: Duration,
}

impl Default for AlbAthena {
    fn default() -> AlbAthena {
        AlbAthena {
            database: "reqtrace".into(),
            table: "alb_access_logs".into(),
            workgroup: "primary".into(),
            output_location: String::new(),
            log_location: None,
            first_day: None,
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AlbSqlError {
    #[error("{key} {value:?} is not an Athena name: a lower-case letter, then up to 127 of a-z 0-9 _")]
    Name { key: &'static str, value: String },
    #[error("{key} {value:?} is not a workgroup name (1-128 of A-Z a-z 0-9 . _ -)")]
    Workgroup { key: &'static str, value: String },
    #[error(
        "{key} {value:?} must be s3://bucket/ or s3://bucket/prefix/ (ending in a slash; the prefix \
         in A-Z a-z 0-9 ! _ . * ( ) / -)"
    )]
    Folder { key: &'static str, value: String },
    #[error(
        "{key} {value:?} must be the region's folder of ALB logs, \
         s3://bucket/[prefix/]AWSLogs/{{12-digit account}}/elasticloadbalancing/{{region}}/"
    )]
    LogLocation { key: &'static str, value: String },
    #[error("{key} {value:?} is not a date like 2024/01/31")]
    Day { key: &'static str, value: String },
    #[error("{key} is needed for this query")]
    Missing { key: &'static str },
    #[error("{key} {value:?} is not a trace: give its Root, 1-{{8 hex}}-{{24 hex}}, or 32 hex digits")]
    Root { key: &'static str, value: String },
    #[error("the window [{start}, {end}) is empty or out of range: the end must come after the start")]
    Window { start: i64, end: i64 },
    #[error("the {name} parameter is {len} characters quoted; Athena takes at most {PARAMETER_LIMIT}")]
    TooLong { name: &'static str, len: usize },
}

impl AlbAthena {
    /// Checks every name and location that is written into SQL text. `log_location` and
    /// `first_day` are checked when given (only the DDL needs them).
    pub fn validate(&self) -> Result<(), AlbSqlError> {
        for (key, value) in [("database", &self.database), ("table", &self.table)] {
            if !is_identifier(value) {
                return Err(AlbSqlError::Name {
                    key,
                    value: value.clone(),
                });
            }
        }
        let workgroup_ok = (1..=128).contains(&self.workgroup.len())
            && self
                .workgroup
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !workgroup_ok {
            return Err(AlbSqlError::Workgroup {
                key: "workgroup",
                value: self.workgroup.clone(),
            });
        }
        if !self.output_location.is_empty() && !is_s3_folder(&self.output_location) {
            return Err(AlbSqlError::Folder {
                key: "output_location",
                value: self.output_location.clone(),
            });
        }
        if let Some(location) = self.log_location.as_ref().filter(|l| !is_alb_log_location(l)) {
            return Err(AlbSqlError::LogLocation {
                key: "log_location",
                value: location.clone(),
            });
        }
        if let Some(day) = self.first_day.as_ref().filter(|d| !is_partition_day(d)) {
            return Err(AlbSqlError::Day {
                key: "first_day",
                value: day.clone(),
            });
        }
        Ok(())
    }

    /// The settings as the shared [`Session`] takes them.
    pub fn spec(&self) -> AthenaSpec {
        AthenaSpec {
            database: self.database.clone(),
            table: self.table.clone(),
            calendars_table: None,
            learners_table: None,
            workgroup: self.workgroup.clone(),
            output_location: self.output_location.clone(),
            price_per_tb: PRICE_PER_TB,
            timeout_minutes: self.timeout.as_secs().div_ceil(60).max(1),
            log_location: self.log_location.clone(),
            log_first_day: self.first_day.clone(),
        }
    }

    /// The folder a query of run `run_id` writes to (`reqtrace` names the folders).
    pub fn folder(&self, run_id: &str, name: &str) -> String {
        super::folder(&self.spec(), FOLDER_ID, run_id, name)
    }

    /// Queries UNLOAD under `output_location`: it must be given.
    pub fn require_output_location(&self) -> Result<(), AlbSqlError> {
        if self.output_location.is_empty() {
            return Err(AlbSqlError::Missing {
                key: "output_location",
            });
        }
        Ok(())
    }
}

/// The name the session's result folders are filed under: `{output_location}reqtrace/{run}/`.
pub const FOLDER_ID: &str = "reqtrace";

/// A session for reqtrace's queries, stopped after `athena.timeout`.
pub fn open_session(athena: &AlbAthena, s3: &s3::Options) -> Result<Session, SourceError> {
    let mut session = Session::open_for(FOLDER_ID, &athena.spec(), s3)?;
    session.policy.timeout = athena.timeout;
    Ok(session)
}

/// A trace's Root from `Root=1-…-…`, `1-…-…` or the 32 hex digits exports use, as
/// `1-{8 hex}-{24 hex}` in lower case.
pub fn parse_root(text: &str) -> Result<String, AlbSqlError> {
    let bad = || AlbSqlError::Root {
        key: "root",
        value: text.to_string(),
    };
    let t = text.trim();
    let t = t.strip_prefix("Root=").unwrap_or(t);
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let (time, random) = match t.strip_prefix("1-").and_then(|r| r.split_once('-')) {
        Some((time, random)) => (time, random),
        None if t.len() == 32 => t.split_at(8),
        None => return Err(bad()),
    };
    if time.len() != 8 || random.len() != 24 || !hex(time) || !hex(random) {
        return Err(bad());
    }
    Ok(format!(
        "1-{}-{}",
        time.to_ascii_lowercase(),
        random.to_ascii_lowercase()
    ))
}

/// sql/alb_access_log_table.sql, for whoever registers the logs once.
pub fn access_log_table(athena: &AlbAthena) -> Result<Statement, AlbSqlError> {
    athena.validate()?;
    let location = athena
        .log_location
        .as_deref()
        .ok_or(AlbSqlError::Missing { key: "log_location" })?;
    let first_day = athena
        .first_day
        .as_deref()
        .ok_or(AlbSqlError::Missing { key: "first_day" })?;
    Ok(Statement {
        name: "alb_access_log_table",
        query: fill(
            ALB_ACCESS_LOG_TABLE,
            &[
                ("database", &athena.database),
                ("table", &athena.table),
                ("log_location", location),
                ("first_day", first_day),
            ],
        ),
        parameters: Vec::new(),
    })
}

/// sql/alb_trace.sql (the SELECT, before [`unload`]) for one Root, as [`parse_root`] reads
/// it: its 3 parameters are the days from the Root's epoch to the next day, and the Root.
pub fn trace(athena: &AlbAthena, root: &str) -> Result<Statement, AlbSqlError> {
    athena.validate()?;
    let root = parse_root(root)?;
    let epoch = i64::from_str_radix(&root[2..10], 16).map_err(|_| AlbSqlError::Root {
        key: "root",
        value: root.clone(),
    })?;
    let values = [
        ("first_day", partition_day(epoch)),
        ("last_day", partition_day(epoch + 86_400)),
        ("root", root),
    ];
    Ok(Statement {
        name: "trace",
        query: fill(
            ALB_TRACE,
            &[("database", &athena.database), ("table", &athena.table)],
        ),
        parameters: parameters(values)?,
    })
}

/// sql/alb_edges.sql (the SELECT, before [`unload`]) for the half-open window
/// `[start_us, end_us)` of `time`, in Unix microseconds.
pub fn edges(athena: &AlbAthena, start_us: i64, end_us: i64) -> Result<Statement, AlbSqlError> {
    athena.validate()?;
    let bad = AlbSqlError::Window {
        start: start_us,
        end: end_us,
    };
    let in_range = |t: i64| jiff::Timestamp::from_microsecond(t).is_ok();
    if start_us >= end_us || !in_range(start_us) || !in_range(end_us) {
        return Err(bad);
    }
    let values = [
        ("first_day", partition_day(start_us.div_euclid(1_000_000))),
        (
            "last_day",
            partition_day(end_us.div_euclid(1_000_000) + EDGES_DELIVERY_SLACK_SECONDS),
        ),
        ("window_start", start_us.to_string()),
        ("window_end", end_us.to_string()),
    ];
    Ok(Statement {
        name: "edges",
        query: fill(
            ALB_EDGES,
            &[("database", &athena.database), ("table", &athena.table)],
        ),
        parameters: parameters(values)?,
    })
}

/// Runs the trace query and returns its raw lines (in result-file order; reqtrace sorts).
pub fn trace_lines(
    session: &mut Session,
    athena: &AlbAthena,
    root: &str,
) -> Result<Vec<String>, AthenaError> {
    let select = athena
        .require_output_location()
        .and_then(|()| trace(athena, root));
    let select = select.map_err(|e| AthenaError::Start {
        name: "trace",
        message: e.to_string(),
    })?;
    let mut lines = Vec::new();
    for (place, bytes) in session.unload(select)? {
        let part = read_lines(&place, bytes).map_err(|message| AthenaError::Results {
            name: "trace",
            message,
        })?;
        lines.extend(part);
    }
    Ok(lines)
}

/// Runs the edges query for `[start_us, end_us)` and returns its rows, sorted by caller
/// (none first), then callee.
pub fn dependency_edges(
    session: &mut Session,
    athena: &AlbAthena,
    start_us: i64,
    end_us: i64,
) -> Result<Vec<AlbEdgeRow>, AthenaError> {
    let select = athena
        .require_output_location()
        .and_then(|()| edges(athena, start_us, end_us));
    let select = select.map_err(|e| AthenaError::Start {
        name: "edges",
        message: e.to_string(),
    })?;
    let mut rows = Vec::new();
    for (place, bytes) in session.unload(select)? {
        let part = read_edges(&place, bytes).map_err(|message| AthenaError::Results {
            name: "edges",
            message,
        })?;
        rows.extend(part);
    }
    rows.sort_by(|a, b| (&a.caller, &a.callee).cmp(&(&b.caller, &b.callee)));
    Ok(rows)
}

/// The `line` column of one trace result object; a NULL line breaks the query's contract.
pub fn read_lines(place: &str, bytes: Bytes) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for batch in results::record_batches(place, bytes)? {
        let column = Column::of(&batch, "line").map_err(|m| format!("{place}: {m}"))?;
        for i in 0..batch.num_rows() {
            match column.get(i) {
                Value::Text(line) => out.push(line.to_string()),
                other => {
                    return Err(format!(
                        "{place}: row {}: line {other} is not a log line",
                        out.len() + 1
                    ))
                }
            }
        }
    }
    Ok(out)
}

/// One row of sql/alb_edges.sql: one caller → callee pair in the window.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AlbEdgeRow {
    /// The calling service (`Caller`); `None` for entry hops and hops of unknown caller.
    pub caller: Option<String>,
    /// The called service: target group name, else domain name, else load balancer name.
    pub callee: String,
    /// Hops (distinct lines), at least 1.
    pub calls: u64,
    /// Hops with status 500 or more (the target's, else the load balancer's).
    pub errors: u64,
    /// Hops without `Self`: entry hops.
    pub entries: u64,
    /// Approximate median and 99th percentile of time − request_creation_time, in ms;
    /// `None` when no hop logged request_creation_time.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Sums of received_bytes and sent_bytes.
    pub request_bytes: u64,
    pub response_bytes: u64,
    /// Approximate median of latency − target_processing_time, in ms; `None` when no hop
    /// had a target's time.
    pub gap_p50_ms: Option<f64>,
}

const EDGE_COLUMNS: [&str; 10] = [
    "caller",
    "callee",
    "calls",
    "errors",
    "entries",
    "p50_ms",
    "p99_ms",
    "request_bytes",
    "response_bytes",
    "gap_p50_ms",
];

/// The rows of one edges result object; `place` names it in errors.
pub fn read_edges(place: &str, bytes: Bytes) -> Result<Vec<AlbEdgeRow>, String> {
    let mut out = Vec::new();
    for batch in results::record_batches(place, bytes)? {
        let of = |name: &str| Column::of(&batch, name).map_err(|m| format!("{place}: {m}"));
        let float = |name: &str| Floats::of(&batch, name).map_err(|m| format!("{place}: {m}"));
        let (caller, callee) = (of(EDGE_COLUMNS[0])?, of(EDGE_COLUMNS[1])?);
        let ints = [2, 3, 4, 7, 8].map(|i| of(EDGE_COLUMNS[i]));
        let [calls, errors, entries, request_bytes, response_bytes] = ints;
        let (calls, errors, entries) = (calls?, errors?, entries?);
        let (request_bytes, response_bytes) = (request_bytes?, response_bytes?);
        let (p50, p99, gap) = (
            float(EDGE_COLUMNS[5])?,
            float(EDGE_COLUMNS[6])?,
            float(EDGE_COLUMNS[9])?,
        );
        for i in 0..batch.num_rows() {
            let bad = |m: String| format!("{place}: row {}: {m}", out.len() + 1);
            let count = |c: &Column<'_>, name: &str| -> Result<u64, String> {
                match c.get(i) {
                    Value::Null => Err(format!("{name} is null")),
                    v => u64::try_from(v.int(name)?).map_err(|_| format!("{name} {v} is negative")),
                }
            };
            let row = (|| {
                let caller = match caller.get(i) {
                    Value::Null => None,
                    Value::Text(s) if is_service_name(s) => Some(s.to_string()),
                    other => return Err(format!("caller {other} is not a service name")),
                };
                let callee = match callee.get(i) {
                    Value::Text(s) if !s.is_empty() => s.to_string(),
                    other => return Err(format!("callee {other} is not a service")),
                };
                let row = AlbEdgeRow {
                    caller,
                    callee,
                    calls: count(&calls, "calls")?,
                    errors: count(&errors, "errors")?,
                    entries: count(&entries, "entries")?,
                    p50_ms: p50.get(i, "p50_ms", true)?,
                    p99_ms: p99.get(i, "p99_ms", true)?,
                    request_bytes: count(&request_bytes, "request_bytes")?,
                    response_bytes: count(&response_bytes, "response_bytes")?,
                    gap_p50_ms: gap.get(i, "gap_p50_ms", false)?,
                };
                if row.calls == 0 || row.errors > row.calls || row.entries > row.calls {
                    return Err(format!(
                        "calls {}, errors {}, entries {} are not one edge's counts",
                        row.calls, row.errors, row.entries
                    ));
                }
                Ok(row)
            })();
            out.push(row.map_err(bad)?);
        }
    }
    Ok(out)
}

/// A floating-point result column (approx_percentile gives DOUBLE).
enum Floats<'a> {
    F64(&'a arrow_array::Float64Array),
    F32(&'a arrow_array::Float32Array),
}

impl<'a> Floats<'a> {
    fn of(batch: &'a arrow_array::RecordBatch, name: &str) -> Result<Floats<'a>, String> {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Float32Type, Float64Type};
        use arrow_schema::DataType;
        let c = batch
            .column_by_name(name)
            .ok_or_else(|| format!("no `{name}` column"))?;
        match c.data_type() {
            DataType::Float64 => Ok(Floats::F64(c.as_primitive::<Float64Type>())),
            DataType::Float32 => Ok(Floats::F32(c.as_primitive::<Float32Type>())),
            other => Err(format!(
                "column `{name}` has type {other}, expected a floating-point number"
            )),
        }
    }

    /// Row `i`: `None` for NULL; an error for NaN, infinity or (when `non_negative`) below 0.
    fn get(&self, i: usize, name: &str, non_negative: bool) -> Result<Option<f64>, String> {
        use arrow_array::Array;
        let value = match self {
            Floats::F64(a) => a.is_valid(i).then(|| a.value(i)),
            Floats::F32(a) => a.is_valid(i).then(|| f64::from(a.value(i))),
        };
        match value {
            Some(v) if !v.is_finite() || (non_negative && v < 0.0) => {
                Err(format!("{name} {v} is not a duration in milliseconds"))
            }
            v => Ok(v),
        }
    }
}

/// TRACING.md's service names: `[a-z0-9][a-z0-9._-]{0,62}`.
fn is_service_name(s: &str) -> bool {
    let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    s.len() <= 63
        && s.bytes().next().is_some_and(ok)
        && s.bytes().all(|b| ok(b) || matches!(b, b'.' | b'_' | b'-'))
}

/// Each value as a quoted SQL literal, each within Athena's limit.
fn parameters<const N: usize>(values: [(&'static str, String); N]) -> Result<Vec<String>, AlbSqlError> {
    values
        .into_iter()
        .map(|(name, value)| {
            let sent = literal(&value);
            let len = sent.chars().count();
            if len > PARAMETER_LIMIT {
                return Err(AlbSqlError::TooLong { name, len });
            }
            Ok(sent)
        })
        .collect()
}

/// The UTC date of `t` (Unix seconds) as the partition column writes it.
fn partition_day(t: i64) -> String {
    let date = jiff::Timestamp::from_second(t)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    date.strftime("%Y/%m/%d").to_string()
}

/// An S3 folder ending in AWS's `AWSLogs/{account}/elasticloadbalancing/{region}/`.
fn is_alb_log_location(s: &str) -> bool {
    if !is_s3_folder(s) {
        return false;
    }
    let parts: Vec<&str> = s.trim_end_matches('/').rsplit('/').take(4).collect();
    let [region, service, account, logs] = parts[..] else {
        return false;
    };
    logs == "AWSLogs"
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && service == "elasticloadbalancing"
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `s3://bucket/prefix/` of the unload: kept here so callers need not import `sql`.
pub fn unload_to(select: Statement, athena: &AlbAthena, run_id: &str) -> Result<Statement, AlbSqlError> {
    athena.require_output_location()?;
    let location = athena.folder(run_id, select.name);
    Ok(unload(select, &location))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};

    const ROOT: &str = "1-683d7644-459fe5cb118e733d5a346c5b";

    fn athena() -> AlbAthena {
        AlbAthena {
            output_location: "s3://athena-results/reqtrace/".into(),
            log_location: Some(
                "s3://duo-alb-logs/prod/AWSLogs/123456789012/elasticloadbalancing/us-east-1/".into(),
            ),
            first_day: Some("2025/01/01".into()),
            ..AlbAthena::default()
        }
    }

    /// One parameter per `?` outside comments and string literals.
    fn placeholders(query: &str) -> usize {
        let code: String = query
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        code.split('\'').step_by(2).map(|s| s.matches('?').count()).sum()
    }

    #[test]
    fn roots_are_read_in_three_spellings() {
        for text in [
            ROOT,
            "Root=1-683D7644-459fe5cb118e733d5a346c5b",
            "683d7644459fe5cb118e733d5a346c5b",
        ] {
            assert_eq!(parse_root(text).unwrap(), ROOT, "{text}");
        }
        for bad in [
            "",
            "1-683d7644",
            "1-683d764-4459fe5cb118e733d5a346c5b",
            "1-683d7644-459fe5cb118e733d5a346c5g",
            "x",
        ] {
            assert!(parse_root(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_trace_query_reads_the_roots_day_and_the_next() {
        let s = trace(&athena(), ROOT).unwrap();
        assert_eq!(
            s.parameters,
            ["'2025/06/02'", "'2025/06/03'", &format!("'{ROOT}'")]
        );
        assert_eq!(placeholders(&s.query), s.parameters.len());
        assert!(
            s.query
                .starts_with("SELECT line\nFROM \"reqtrace\".\"alb_access_logs\""),
            "{}",
            s.query
        );
        let u = unload_to(s, &athena(), "{run_id}").unwrap();
        assert!(
            u.query
                .contains("TO 's3://athena-results/reqtrace/reqtrace/{run_id}/trace/'"),
            "{}",
            u.query
        );
    }

    #[test]
    fn the_edges_query_takes_its_window_as_parameters() {
        let start = 1_748_858_280_000_000; // 2025-06-02T09:58:00Z
        let end = 1_748_908_740_000_000; // 2025-06-02T23:59:00Z: the slack reaches the next day
        let s = edges(&athena(), start, end).unwrap();
        assert_eq!(
            s.parameters,
            [
                "'2025/06/02'",
                "'2025/06/03'",
                &format!("'{start}'"),
                &format!("'{end}'")
            ]
        );
        assert_eq!(placeholders(&s.query), s.parameters.len());
        assert!(edges(&athena(), end, start).is_err());
        assert!(edges(&athena(), start, start).is_err());
    }

    /// Makes one setting invalid.
    type Spoil = fn(&mut AlbAthena);

    #[test]
    fn names_and_locations_are_checked_before_they_reach_the_text() {
        let ddl = access_log_table(&athena()).unwrap();
        assert!(!ddl.query.contains("{{") && ddl.query.starts_with("CREATE EXTERNAL TABLE"));
        assert!(ddl.query.contains(
            "'storage.location.template' = 's3://duo-alb-logs/prod/AWSLogs/123456789012/elasticloadbalancing/us-east-1/${day}'"
        ));
        let cases: [(Spoil, &str); 6] = [
            (|a| a.table = "Logs".into(), "table \"Logs\""),
            (|a| a.database = "db`; DROP".into(), "database"),
            (|a| a.workgroup = "a b".into(), "workgroup"),
            (|a| a.output_location = "s3://r/it's/".into(), "output_location"),
            (
                |a| a.log_location = Some("s3://duo-alb-logs/prod/".into()),
                "log_location",
            ),
            (|a| a.first_day = Some("2025/02/30".into()), "first_day"),
        ];
        for (spoil, want) in cases {
            let mut a = athena();
            spoil(&mut a);
            let e = access_log_table(&a).unwrap_err().to_string();
            assert!(e.contains(want), "{e} lacks {want}");
        }
        let mut a = athena();
        a.log_location = None;
        assert!(access_log_table(&a)
            .unwrap_err()
            .to_string()
            .contains("log_location is needed"));
        a.output_location = String::new();
        let e = unload_to(trace(&a, ROOT).unwrap(), &a, "r").unwrap_err();
        assert!(e.to_string().contains("output_location is needed"), "{e}");
    }

    fn parquet(batch: RecordBatch) -> Bytes {
        let mut out = Vec::new();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        Bytes::from(out)
    }

    /// caller, callee, calls, errors, entries, p50, p99, request bytes, response bytes, gap.
    type Row<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        i64,
        i64,
        i64,
        Option<f64>,
        Option<f64>,
        i64,
        i64,
        Option<f64>,
    );

    fn edges_file(rows: &[Row<'_>]) -> Bytes {
        let text = |f: &dyn for<'r> Fn(&'r Row<'r>) -> Option<&'r str>| {
            Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>())) as ArrayRef
        };
        let int = |f: &dyn Fn(&Row<'_>) -> i64| {
            Arc::new(Int64Array::from(rows.iter().map(f).collect::<Vec<_>>())) as ArrayRef
        };
        let float = |f: &dyn Fn(&Row<'_>) -> Option<f64>| {
            Arc::new(Float64Array::from(rows.iter().map(f).collect::<Vec<_>>())) as ArrayRef
        };
        parquet(
            RecordBatch::try_from_iter([
                ("caller", text(&|r| r.0)),
                ("callee", text(&|r| r.1)),
                ("calls", int(&|r| r.2)),
                ("errors", int(&|r| r.3)),
                ("entries", int(&|r| r.4)),
                ("p50_ms", float(&|r| r.5)),
                ("p99_ms", float(&|r| r.6)),
                ("request_bytes", int(&|r| r.7)),
                ("response_bytes", int(&|r| r.8)),
                ("gap_p50_ms", float(&|r| r.9)),
            ])
            .unwrap(),
        )
    }

    const GOOD: Row<'static> = (
        Some("auth"),
        Some("leaderboards"),
        2,
        1,
        0,
        Some(3.0),
        Some(5.0),
        10,
        20,
        Some(-0.5),
    );

    #[test]
    fn edge_rows_are_read_with_their_nulls() {
        let entry = (None, Some("gateway"), 3, 1, 3, None, None, 0, 0, None);
        let rows = read_edges("s3://r/e/0.parquet", edges_file(&[GOOD, entry])).unwrap();
        assert_eq!(rows[0].caller.as_deref(), Some("auth"));
        assert_eq!(
            (rows[0].calls, rows[0].errors, rows[0].gap_p50_ms),
            (2, 1, Some(-0.5))
        );
        assert_eq!(rows[1].caller, None);
        assert_eq!((rows[1].entries, rows[1].p50_ms), (3, None));
    }

    #[test]
    fn an_edge_row_outside_the_contract_names_object_and_row() {
        let cases: [(Row<'_>, &str); 7] = [
            (
                (Some("Auth"), Some("x"), 1, 0, 0, None, None, 0, 0, None),
                "caller \"Auth\"",
            ),
            ((Some("a"), None, 1, 0, 0, None, None, 0, 0, None), "callee null"),
            (
                (Some("a"), Some("x"), 0, 0, 0, None, None, 0, 0, None),
                "not one edge's counts",
            ),
            (
                (Some("a"), Some("x"), 1, 2, 0, None, None, 0, 0, None),
                "not one edge's counts",
            ),
            (
                (Some("a"), Some("x"), 1, 0, 0, Some(-1.0), None, 0, 0, None),
                "p50_ms -1",
            ),
            (
                (Some("a"), Some("x"), 1, 0, 0, None, Some(f64::NAN), 0, 0, None),
                "p99_ms NaN",
            ),
            (
                (Some("a"), Some("x"), 1, 0, 0, None, None, -5, 0, None),
                "request_bytes -5 is negative",
            ),
        ];
        for (row, want) in cases {
            let e = read_edges("s3://r/e/1.parquet", edges_file(&[GOOD, row])).unwrap_err();
            assert!(e.starts_with("s3://r/e/1.parquet: row 2: "), "{e}");
            assert!(e.contains(want), "{e} lacks {want}");
        }
        let e = read_edges("s3://r/e/2.parquet", Bytes::from_static(b"PAR1 nope")).unwrap_err();
        assert!(
            e.contains("s3://r/e/2.parquet: not a readable Parquet file"),
            "{e}"
        );
    }

    #[test]
    fn trace_lines_come_back_verbatim_and_a_null_is_an_error() {
        let lines = StringArray::from(vec![Some("http 2025-06-02T10:00:36Z a"), Some("  b  ")]);
        let file = parquet(RecordBatch::try_from_iter([("line", Arc::new(lines) as ArrayRef)]).unwrap());
        assert_eq!(
            read_lines("s3://r/t/0.parquet", file).unwrap(),
            ["http 2025-06-02T10:00:36Z a", "  b  "]
        );
        let lines = StringArray::from(vec![Some("a"), None]);
        let file = parquet(RecordBatch::try_from_iter([("line", Arc::new(lines) as ArrayRef)]).unwrap());
        let e = read_lines("s3://r/t/1.parquet", file).unwrap_err();
        assert_eq!(e, "s3://r/t/1.parquet: row 2: line null is not a log line");
    }
}
