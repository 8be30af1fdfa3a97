//! The incident file (SPEC §2): parsing, validation and every default in one place.
//!
//! This module turns TOML into a validated [`Incident`]. It does not know about log
//! lines or time zones beyond checking that the values are well formed; `default_tz`
//! is checked against the tz database by the caller, which owns that database.

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;

/// Windows must lie in these years: it keeps every local-date neighbour inside the
/// calendar range and catches a mistyped year early.
const YEARS: std::ops::RangeInclusive<i16> = 1970..=2200;

/// A validated incident.
#[derive(Debug, Clone)]
pub struct Incident {
    pub id: String,
    pub as_of: Option<Timestamp>,
    pub windows: Vec<Window>,
    pub evidence: EvidenceSpec,
    /// Where Athena finds the logs and tables, for `--source athena` and `sql`.
    pub athena: Option<AthenaSpec>,
}

/// The `[athena]` table. Names and locations are written into SQL text (identifiers
/// cannot be parameters), so each is checked here against a strict pattern.
#[derive(Debug, Clone)]
pub struct AthenaSpec {
    /// Glue database of the tables below; the run's scratch table is created there.
    pub database: String,
    /// The access-log table that sql/access_log_table.sql creates.
    pub table: String,
    /// Read calendars from this table instead of `--calendars`.
    pub calendars_table: Option<String>,
    /// Read learner zones from this table instead of `--learners`.
    pub learners_table: Option<String>,
    pub workgroup: String,
    /// `s3://bucket/prefix/` for query results; each run UNLOADs under it.
    pub output_location: String,
    /// USD per TB scanned, for the cost in run.json and the report.
    pub price_per_tb: f64,
    /// A query still running after this is stopped.
    pub timeout_minutes: u64,
    /// For the DDL only: the date-partitioned log folder and its first day (yyyy/MM/dd).
    pub log_location: Option<String>,
    pub log_first_day: Option<String>,
}

/// A half-open interval `[start, end)` in unix seconds, for the listed object keys
/// (as stored, not URL-encoded) or, when none are listed, for every key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
    pub keys: Vec<String>,
}

impl Window {
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && t < self.end
    }

    /// Whether a record of this decoded key at `t` is inside the window.
    pub fn admits(&self, t: i64, key: &[u8]) -> bool {
        self.contains(t) && (self.keys.is_empty() || self.keys.iter().any(|k| k.as_bytes() == key))
    }
}

/// What makes a log record evidence, with SPEC defaults applied.
#[derive(Debug, Clone)]
pub struct EvidenceSpec {
    pub bucket: Option<String>,
    pub key_prefix: String,
    pub operations: Vec<String>,
    pub statuses: Vec<u16>,
    pub learner_param: String,
    pub tz_param: String,
    /// `None` when the file gives `""` or nothing: learners without a zone are skipped.
    pub default_tz: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    #[error("{path}: cannot read the incident file")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {message}")]
    Toml { path: String, message: String },
    #[error("{path}: `{key}` {message}")]
    Invalid {
        path: String,
        key: String,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIncident {
    id: String,
    /// Text or a TOML datetime, both RFC 3339.
    as_of: Option<toml::Value>,
    /// One `[window]` table or an array of `[[window]]` tables.
    window: toml::Value,
    evidence: RawEvidence,
    athena: Option<RawAthena>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAthena {
    database: String,
    table: String,
    calendars_table: Option<String>,
    learners_table: Option<String>,
    #[serde(default = "default_workgroup")]
    workgroup: String,
    output_location: String,
    #[serde(default = "default_price_per_tb")]
    price_per_tb: f64,
    #[serde(default = "default_timeout_minutes")]
    timeout_minutes: u64,
    log_location: Option<String>,
    log_first_day: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    start: toml::Value,
    end: toml::Value,
    #[serde(default)]
    keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    bucket: Option<String>,
    key_prefix: String,
    #[serde(default = "default_operations")]
    operations: Vec<String>,
    #[serde(default = "default_statuses")]
    statuses: Vec<u16>,
    #[serde(default = "default_learner_param")]
    learner_param: String,
    #[serde(default = "default_tz_param")]
    tz_param: String,
    #[serde(default)]
    default_tz: String,
}

fn default_operations() -> Vec<String> {
    vec!["REST.GET.OBJECT".into(), "REST.HEAD.OBJECT".into()]
}
fn default_statuses() -> Vec<u16> {
    vec![200, 206, 304]
}
fn default_learner_param() -> String {
    "learner_id".into()
}
fn default_tz_param() -> String {
    "tz".into()
}
fn default_workgroup() -> String {
    "primary".into()
}
/// Athena's list price in most regions (USD per TB scanned).
fn default_price_per_tb() -> f64 {
    5.0
}
fn default_timeout_minutes() -> u64 {
    30
}

impl Incident {
    /// Reads and validates an incident file.
    pub fn load(path: &Path) -> Result<Incident, IncidentError> {
        let text = std::fs::read_to_string(path).map_err(|source| IncidentError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Incident::parse(&text, &path.display().to_string())
    }

    /// Parses incident TOML; `path` only labels errors.
    pub fn parse(text: &str, path: &str) -> Result<Incident, IncidentError> {
        let raw: RawIncident = toml::from_str(text).map_err(|e| IncidentError::Toml {
            path: path.to_string(),
            message: one_line(&e.to_string()),
        })?;
        let invalid = |key: &str, message: String| IncidentError::Invalid {
            path: path.to_string(),
            key: key.to_string(),
            message,
        };
        check_id(&raw.id).map_err(|m| invalid("id", m))?;
        let as_of = match &raw.as_of {
            Some(v) => Some(toml_instant(v).map_err(|m| invalid("as_of", m))?),
            None => None,
        };
        let raw_windows = match raw.window {
            toml::Value::Array(items) => items,
            table => vec![table],
        };
        if raw_windows.is_empty() {
            return Err(invalid("window", "needs at least one window".into()));
        }
        let mut windows = Vec::with_capacity(raw_windows.len());
        for (i, w) in raw_windows.into_iter().enumerate() {
            let key = |k: &str| format!("window[{i}]{k}");
            let w: RawWindow = w
                .try_into()
                .map_err(|e: toml::de::Error| invalid(&key(""), e.message().to_string()))?;
            let start = toml_instant(&w.start).map_err(|m| invalid(&key(".start"), m))?;
            let end = toml_instant(&w.end).map_err(|m| invalid(&key(".end"), m))?;
            for (k, t) in [(".start", start), (".end", end)] {
                if !YEARS.contains(&t.to_zoned(jiff::tz::TimeZone::UTC).year()) {
                    return Err(invalid(
                        &key(k),
                        format!("{t} is outside the years {}..={}", YEARS.start(), YEARS.end()),
                    ));
                }
            }
            if end <= start {
                return Err(invalid(
                    &key(".end"),
                    format!("{end} is not after the window's start {start}"),
                ));
            }
            windows.push(Window {
                start: start.as_second(),
                end: end.as_second(),
                keys: w.keys,
            });
        }
        let evidence = validate_evidence(raw.evidence, &invalid)?;
        check_window_keys(&windows, &evidence.key_prefix, &invalid)?;
        let athena = raw.athena.map(|a| validate_athena(a, &invalid)).transpose()?;
        Ok(Incident {
            id: raw.id,
            as_of,
            windows,
            evidence,
            athena,
        })
    }
}

/// An incident id: it names output files and repair ids, so it is kept plain.
pub fn check_id(id: &str) -> Result<(), String> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    if id.is_empty() || !id.bytes().all(plain) {
        return Err(format!("{id:?} must be non-empty and use only A-Z a-z 0-9 . _ -"));
    }
    Ok(())
}

/// A window's keys must be keys the evidence test can match at all.
fn check_window_keys(
    windows: &[Window],
    key_prefix: &str,
    invalid: &dyn Fn(&str, String) -> IncidentError,
) -> Result<(), IncidentError> {
    for (i, w) in windows.iter().enumerate() {
        if let Some(k) = w.keys.iter().find(|k| !k.starts_with(key_prefix)) {
            return Err(invalid(
                &format!("window[{i}].keys"),
                format!("{k:?} does not start with evidence.key_prefix {key_prefix:?}"),
            ));
        }
    }
    Ok(())
}

fn validate_evidence(
    raw: RawEvidence,
    invalid: &dyn Fn(&str, String) -> IncidentError,
) -> Result<EvidenceSpec, IncidentError> {
    if raw.key_prefix.is_empty() {
        return Err(invalid(
            "evidence.key_prefix",
            "must not be empty (e.g. \"brb/\")".into(),
        ));
    }
    if raw.operations.is_empty() {
        return Err(invalid("evidence.operations", "must not be empty".into()));
    }
    // Athena receives the list as one comma-separated parameter.
    if let Some(op) = raw
        .operations
        .iter()
        .find(|op| op.is_empty() || op.contains([',', ' ']))
    {
        return Err(invalid(
            "evidence.operations",
            format!("{op:?} is not an operation name like REST.GET.OBJECT"),
        ));
    }
    if raw.statuses.is_empty() {
        return Err(invalid("evidence.statuses", "must not be empty".into()));
    }
    if raw.bucket.as_deref() == Some("") {
        return Err(invalid(
            "evidence.bucket",
            "must not be empty (leave it out to accept any bucket)".into(),
        ));
    }
    if let Some(s) = raw.statuses.iter().find(|s| !(100..=599).contains(*s)) {
        return Err(invalid("evidence.statuses", format!("{s} is not an HTTP status")));
    }
    for (key, value) in [
        ("evidence.learner_param", &raw.learner_param),
        ("evidence.tz_param", &raw.tz_param),
    ] {
        if value.is_empty() || value.contains(['&', '=', '?', '#']) {
            return Err(invalid(key, format!("{value:?} is not a query parameter name")));
        }
    }
    Ok(EvidenceSpec {
        bucket: raw.bucket,
        key_prefix: raw.key_prefix,
        operations: raw.operations,
        statuses: raw.statuses,
        learner_param: raw.learner_param,
        tz_param: raw.tz_param,
        default_tz: Some(raw.default_tz).filter(|z| !z.is_empty()),
    })
}

fn validate_athena(
    raw: RawAthena,
    invalid: &dyn Fn(&str, String) -> IncidentError,
) -> Result<AthenaSpec, IncidentError> {
    let names = [
        ("athena.database", Some(&raw.database)),
        ("athena.table", Some(&raw.table)),
        ("athena.calendars_table", raw.calendars_table.as_ref()),
        ("athena.learners_table", raw.learners_table.as_ref()),
    ];
    for (key, name) in names {
        if let Some(name) = name.filter(|n| !is_identifier(n)) {
            let why = "is not an Athena name: a lower-case letter, then up to 127 of a-z 0-9 _";
            return Err(invalid(key, format!("{name:?} {why}")));
        }
    }
    let workgroup_ok = (1..=128).contains(&raw.workgroup.len())
        && raw
            .workgroup
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !workgroup_ok {
        return Err(invalid(
            "athena.workgroup",
            format!(
                "{:?} is not a workgroup name (1-128 of A-Z a-z 0-9 . _ -)",
                raw.workgroup
            ),
        ));
    }
    for (key, location) in [
        ("athena.output_location", Some(&raw.output_location)),
        ("athena.log_location", raw.log_location.as_ref()),
    ] {
        if let Some(location) = location.filter(|l| !is_s3_folder(l)) {
            return Err(invalid(
                key,
                format!(
                    "{location:?} must be s3://bucket/ or s3://bucket/prefix/ (ending in a slash; \
                     the prefix in A-Z a-z 0-9 ! _ . * ( ) / -)"
                ),
            ));
        }
    }
    if let Some(day) = raw.log_first_day.as_ref().filter(|d| !is_partition_day(d)) {
        return Err(invalid(
            "athena.log_first_day",
            format!("{day:?} is not a date like 2024/01/31"),
        ));
    }
    if !(raw.price_per_tb.is_finite() && raw.price_per_tb >= 0.0) {
        return Err(invalid("athena.price_per_tb", "must be a number >= 0".into()));
    }
    if raw.timeout_minutes == 0 {
        return Err(invalid("athena.timeout_minutes", "must be at least 1".into()));
    }
    Ok(AthenaSpec {
        database: raw.database,
        table: raw.table,
        calendars_table: raw.calendars_table,
        learners_table: raw.learners_table,
        workgroup: raw.workgroup,
        output_location: raw.output_location,
        price_per_tb: raw.price_per_tb,
        timeout_minutes: raw.timeout_minutes,
        log_location: raw.log_location,
        log_first_day: raw.log_first_day,
    })
}

/// `^[a-z][a-z0-9_]{0,127}$`: Athena folds names to lower case, and this is all the
/// text a name may put into SQL.
pub fn is_identifier(s: &str) -> bool {
    s.len() <= 128
        && s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `s3://bucket/` or `s3://bucket/prefix/` with S3's "safe" key characters only, so the
/// text cannot leave a SQL string literal (no quote, backslash, space or `$`).
pub(crate) fn is_s3_folder(s: &str) -> bool {
    let Some((bucket, prefix)) = s.strip_prefix("s3://").and_then(|r| r.split_once('/')) else {
        return false;
    };
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !bucket.starts_with(['.', '-'])
        && !bucket.ends_with(['.', '-']);
    let prefix_ok = (prefix.is_empty() || prefix.ends_with('/'))
        && !prefix.starts_with('/')
        && !prefix.contains("//")
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!_.*()/-".contains(&b));
    bucket_ok && prefix_ok
}

/// yyyy/MM/dd naming a real date.
pub(crate) fn is_partition_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'/' && b[7] == b'/' && s.replace('/', "-").parse::<jiff::civil::Date>().is_ok()
}

/// An instant given as text or as a TOML datetime.
fn toml_instant(value: &toml::Value) -> Result<Timestamp, String> {
    match value {
        toml::Value::String(s) => parse_instant(s),
        toml::Value::Datetime(d) => parse_instant(&d.to_string()),
        other => Err(format!(
            "{other} is not an RFC 3339 instant like 2026-11-20T13:00:00Z"
        )),
    }
}

/// Parses an RFC 3339 instant; the message says what was expected.
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    s.parse::<Timestamp>()
        .map_err(|e| format!("{s:?} is not an RFC 3339 instant like 2026-11-20T13:00:00Z ({e})"))
}

/// toml's messages span several lines with a source excerpt; keep them on one.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^'))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "2026-11-20-api-outage"
as_of = "2026-11-22T06:00:00Z"
[window]
start = "2026-11-20T13:00:00Z"
end   = "2026-11-20T16:30:00Z"
[evidence]
bucket = "duo-brb"
key_prefix = "brb/"
"#;

    fn err(text: &str) -> String {
        Incident::parse(text, "inc.toml").unwrap_err().to_string()
    }

    #[test]
    fn defaults_fill_the_evidence_table() {
        let inc = Incident::parse(GOOD, "inc.toml").unwrap();
        assert_eq!(inc.id, "2026-11-20-api-outage");
        assert_eq!(inc.windows.len(), 1);
        assert_eq!(inc.windows[0].end - inc.windows[0].start, 3 * 3600 + 1800);
        let e = &inc.evidence;
        assert_eq!(e.operations, ["REST.GET.OBJECT", "REST.HEAD.OBJECT"]);
        assert_eq!(e.statuses, [200, 206, 304]);
        assert_eq!(
            (e.learner_param.as_str(), e.tz_param.as_str()),
            ("learner_id", "tz")
        );
        assert_eq!(e.default_tz, None);
        assert_eq!(e.bucket.as_deref(), Some("duo-brb"));
    }

    fn in_window(inc: &Incident, t: i64) -> bool {
        inc.windows.iter().any(|w| w.contains(t))
    }

    #[test]
    fn several_windows_are_accepted_and_half_open() {
        let text = r#"
id = "ramp"
[[window]]
start = "2026-11-20T13:00:00Z"
end = "2026-11-20T14:00:00Z"
[[window]]
start = "2026-11-20T16:00:00+01:00"
end = "2026-11-20T17:00:00+01:00"
[evidence]
key_prefix = "brb/"
default_tz = "UTC"
"#;
        let inc = Incident::parse(text, "x").unwrap();
        assert_eq!(inc.windows.len(), 2);
        let w0 = &inc.windows[0];
        assert!(in_window(&inc, w0.start));
        assert!(!in_window(&inc, w0.end));
        assert!(in_window(&inc, inc.windows[1].start), "offset applied: 15:00Z");
        assert_eq!(inc.evidence.default_tz.as_deref(), Some("UTC"));
        assert_eq!(inc.as_of, None);
    }

    #[test]
    fn window_end_not_after_start_names_the_key() {
        let e = err(&GOOD.replace("16:30:00Z", "13:00:00Z"));
        assert!(e.starts_with("inc.toml: `window[0].end`"), "{e}");
        assert!(e.contains("not after"), "{e}");
    }

    #[test]
    fn window_keys_outside_the_key_prefix_name_the_window() {
        let keyed = GOOD.replace(
            "end   = \"2026-11-20T16:30:00Z\"",
            "end = \"2026-11-20T16:30:00Z\"\nkeys = [\"brb/a.json\", \"other/b.json\"]",
        );
        assert!(keyed.contains("keys"), "the sample has the line replaced");
        let e = err(&keyed);
        assert!(e.starts_with("inc.toml: `window[0].keys`"), "{e}");
        assert!(e.contains("other/b.json"), "{e}");
        let ok = Incident::parse(&keyed.replace("other/b.json", "brb/b.json"), "inc.toml").unwrap();
        assert_eq!(ok.windows[0].keys, ["brb/a.json", "brb/b.json"]);
    }

    #[test]
    fn bad_id_characters_name_the_key() {
        let e = err(&GOOD.replace("2026-11-20-api-outage", "bad id/1"));
        assert!(e.starts_with("inc.toml: `id`"), "{e}");
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let e = err(&GOOD.replace("key_prefix", "keyprefix"));
        assert!(e.contains("keyprefix"), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
        let e = err(&format!("{GOOD}\nextra = 1\n"));
        assert!(e.contains("extra"), "{e}");
    }

    #[test]
    fn bad_instants_and_statuses_are_rejected() {
        let e = err(&GOOD.replace("2026-11-22T06:00:00Z", "yesterday"));
        assert!(e.contains("`as_of`"), "{e}");
        let e = err(&format!("{GOOD}statuses = [200, 700]\n"));
        assert!(e.contains("`evidence.statuses`"), "{e}");
        let e = err(&GOOD.replace("2026-11-20T13:00:00Z", "1900-11-20T13:00:00Z"));
        assert!(e.contains("window[0].start"), "{e}");
    }

    #[test]
    fn window_errors_name_the_window_and_toml_datetimes_are_instants() {
        let e = err(&GOOD.replace("end   = \"2026-11-20T16:30:00Z\"", ""));
        assert!(e.contains("`window[0]`") && e.contains("end"), "{e}");
        let e = err(&GOOD.replace("start = ", "strat = "));
        assert!(e.contains("`window[0]`") && e.contains("strat"), "{e}");
        let e = err(&GOOD.replace("\"2026-11-20T16:30:00Z\"", "42"));
        assert!(e.contains("`window[0].end`"), "{e}");
        let bare = GOOD
            .replace("\"2026-11-20T13:00:00Z\"", "2026-11-20T13:00:00Z")
            .replace("\"2026-11-22T06:00:00Z\"", "2026-11-22T07:00:00+01:00");
        let inc = Incident::parse(&bare, "inc.toml").unwrap();
        assert_eq!(
            inc.as_of.map(|t| t.to_string()).as_deref(),
            Some("2026-11-22T06:00:00Z")
        );
        assert_eq!(inc.windows[0].start, 1_795_179_600);
    }

    #[test]
    fn evidence_that_could_never_match_is_rejected() {
        let e = err(&format!("{GOOD}statuses = []\n"));
        assert!(e.contains("`evidence.statuses`"), "{e}");
        let e = err(&GOOD.replace("bucket = \"duo-brb\"", "bucket = \"\""));
        assert!(e.contains("`evidence.bucket`"), "{e}");
    }

    #[test]
    fn an_operation_with_a_comma_is_refused() {
        let e = err(&GOOD.replace(
            "key_prefix = \"brb/\"",
            "key_prefix = \"brb/\"\noperations = [\"A,B\"]",
        ));
        assert!(
            e.contains("`evidence.operations` \"A,B\" is not an operation name"),
            "{e}"
        );
    }

    #[test]
    fn missing_key_prefix_is_an_error() {
        let e = err(&GOOD.replace("key_prefix = \"brb/\"", ""));
        assert!(e.contains("key_prefix"), "{e}");
    }
}
