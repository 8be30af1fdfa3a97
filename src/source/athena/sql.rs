//! The Athena SQL of `sql/`, rendered for one incident. Names and locations, already
//! validated by the incident file's checks, are written into the text (Athena takes no
//! parameters for identifiers, DDL or UNLOAD's target); every value from the incident's
//! evidence rules travels as an execution parameter, never as text.

use crate::incident::{AthenaSpec, Incident};

const ACCESS_LOG_TABLE: &str = include_str!("../../../sql/access_log_table.sql");
const EVIDENCE: &str = include_str!("../../../sql/evidence.sql");
const AFFECTED_TABLE: &str = include_str!("../../../sql/affected_table.sql");
const DROP_AFFECTED_TABLE: &str = include_str!("../../../sql/drop_affected_table.sql");
const CALENDARS: &str = include_str!("../../../sql/calendars.sql");
const LEARNERS: &str = include_str!("../../../sql/learners.sql");

/// Athena's limit on one execution parameter's value.
const PARAMETER_LIMIT: usize = 1024;

/// One statement as it is submitted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    /// evidence, calendars, ...: names the query in messages, run.json and folders.
    pub name: &'static str,
    pub query: String,
    /// SQL literals, one per `?` in order.
    pub parameters: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("`athena.{0}` is needed for this query (see sql/access_log_table.sql)")]
    Missing(&'static str),
    #[error("the {name} parameter is {len} characters quoted; Athena takes at most {PARAMETER_LIMIT}")]
    TooLong { name: &'static str, len: usize },
    #[error(
        "window[{0}] lists keys, which sql/evidence.sql cannot filter on yet: \
         scan the logs instead (`--logs s3://bucket/prefix/`)"
    )]
    KeyedWindow(usize),
}

/// The statement without its header comment: DDL goes to Hive's parser, which does not
/// take comments before the statement.
fn body(file: &str) -> &str {
    let start = file
        .lines()
        .take_while(|l| l.starts_with("--"))
        .map(|l| l.len() + 1)
        .sum::<usize>();
    file[start..].trim_end()
}

pub(crate) fn fill(file: &str, values: &[(&str, &str)]) -> String {
    let mut text = body(file).to_string();
    for (key, value) in values {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    debug_assert!(!text.contains("{{"), "unfilled placeholder in {text}");
    text
}

/// A SQL string literal: quoted, each quote doubled.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// sql/access_log_table.sql, for the admin who registers the logs once.
pub fn access_log_table(athena: &AthenaSpec) -> Result<Statement, SqlError> {
    let location = athena
        .log_location
        .as_deref()
        .ok_or(SqlError::Missing("log_location"))?;
    let first_day = athena
        .log_first_day
        .as_deref()
        .ok_or(SqlError::Missing("log_first_day"))?;
    Ok(Statement {
        name: "access_log_table",
        query: fill(
            ACCESS_LOG_TABLE,
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

/// sql/evidence.sql with its 9 parameters. `lag_seconds` and `skew_seconds` widen the
/// partitions read exactly as the S3 source widens its key pruning.
pub fn evidence(
    incident: &Incident,
    athena: &AthenaSpec,
    lag_seconds: i64,
    skew_seconds: i64,
) -> Result<Statement, SqlError> {
    if let Some(i) = incident.windows.iter().position(|w| !w.keys.is_empty()) {
        return Err(SqlError::KeyedWindow(i));
    }
    let ev = &incident.evidence;
    let join = |items: Vec<String>| items.join(",");
    let windows = join(
        incident
            .windows
            .iter()
            .map(|w| format!("{}/{}", w.start, w.end))
            .collect(),
    );
    let first = incident.windows.iter().map(|w| w.start).min().unwrap_or(0) - skew_seconds;
    let last = incident.windows.iter().map(|w| w.end).max().unwrap_or(0) + lag_seconds;
    // In the order of the `?`s in sql/evidence.sql.
    let values: [(&'static str, Option<String>); 9] = [
        ("first_day", Some(partition_day(first))),
        ("last_day", Some(partition_day(last))),
        ("bucket", ev.bucket.clone()),
        ("operations", Some(ev.operations.join(","))),
        (
            "statuses",
            Some(join(ev.statuses.iter().map(u16::to_string).collect())),
        ),
        ("windows", Some(windows)),
        ("key_prefix", Some(ev.key_prefix.clone())),
        ("learner_param", Some(ev.learner_param.clone())),
        ("tz_param", Some(ev.tz_param.clone())),
    ];
    let mut parameters = Vec::with_capacity(values.len());
    for (name, value) in values {
        // The limit is on the value as sent: the quoted literal.
        let sent = value.map_or_else(|| "NULL".to_string(), |v| literal(&v));
        let len = sent.chars().count();
        if len > PARAMETER_LIMIT {
            return Err(SqlError::TooLong { name, len });
        }
        parameters.push(sent);
    }
    Ok(Statement {
        name: "evidence",
        query: fill(
            EVIDENCE,
            &[("database", &athena.database), ("table", &athena.table)],
        ),
        parameters,
    })
}

/// The UTC date of `t` as the partition column writes it.
fn partition_day(t: i64) -> String {
    let date = jiff::Timestamp::from_second(t)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    date.strftime("%Y/%m/%d").to_string()
}

/// The scratch table over the evidence results (sql/affected_table.sql).
pub fn affected_table(athena: &AthenaSpec, table: &str, location: &str) -> Statement {
    let values = [
        ("database", athena.database.as_str()),
        ("affected_table", table),
        ("location", location),
    ];
    Statement {
        name: "affected_table",
        query: fill(AFFECTED_TABLE, &values),
        parameters: Vec::new(),
    }
}

pub fn drop_affected_table(athena: &AthenaSpec, table: &str) -> Statement {
    let values = [("database", athena.database.as_str()), ("affected_table", table)];
    Statement {
        name: "drop_affected_table",
        query: fill(DROP_AFFECTED_TABLE, &values),
        parameters: Vec::new(),
    }
}

/// sql/calendars.sql, when the incident names a calendars table.
pub fn calendars(athena: &AthenaSpec, affected: &str) -> Option<Statement> {
    let table = athena.calendars_table.as_deref()?;
    Some(affected_rows(
        CALENDARS,
        "calendars",
        ("calendars_table", table),
        athena,
        affected,
    ))
}

/// sql/learners.sql, when the incident names a learners table.
pub fn learners(athena: &AthenaSpec, affected: &str) -> Option<Statement> {
    let table = athena.learners_table.as_deref()?;
    Some(affected_rows(
        LEARNERS,
        "learners",
        ("learners_table", table),
        athena,
        affected,
    ))
}

/// A query of a table's rows for the affected learners (calendars.sql, learners.sql).
fn affected_rows(
    file: &str,
    name: &'static str,
    table: (&str, &str),
    athena: &AthenaSpec,
    affected: &str,
) -> Statement {
    let values = [
        ("database", athena.database.as_str()),
        table,
        ("affected_table", affected),
    ];
    Statement {
        name,
        query: fill(file, &values),
        parameters: Vec::new(),
    }
}

/// A SELECT wrapped so Athena writes its result as Parquet files under `location`.
pub fn unload(select: Statement, location: &str) -> Statement {
    Statement {
        query: format!(
            "UNLOAD (\n{}\n)\nTO {}\nWITH (format = 'PARQUET', compression = 'SNAPPY')",
            select.query,
            literal(location)
        ),
        ..select
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(key_prefix: &str) -> Incident {
        let text = format!(
            r#"
id = "inc-1"
[window]
start = "2026-11-20T13:00:00Z"
end = "2026-11-20T16:30:00Z"
[evidence]
bucket = "duo-brb"
key_prefix = {key_prefix:?}
[athena]
database = "streak_repair"
table = "brb_logs"
calendars_table = "calendars"
output_location = "s3://athena-results/streak-repair/"
log_location = "s3://logs/s3/123456789012/us-east-1/duo-brb/"
log_first_day = "2024/01/01"
"#
        );
        Incident::parse(&text, "inc.toml").unwrap()
    }

    /// The SQL cannot name the Rust constant: this keeps the two in step.
    #[test]
    fn the_evidence_query_buckets_by_the_jobs_quarter_hour() {
        let q = crate::model::QUARTER_HOUR;
        let code = EVIDENCE.lines().map(|l| l.split("--").next().unwrap_or(""));
        let buckets: Vec<&str> = code.filter(|l| l.contains(" % ")).collect();
        assert!(!buckets.is_empty());
        for line in buckets {
            assert!(line.contains(&format!("t - t % {q}")), "{line}");
        }
    }

    #[test]
    fn incident_values_travel_only_as_parameters() {
        let hostile = "brb/'; DROP TABLE calendars; --";
        let inc = incident(hostile);
        let athena = inc.athena.as_ref().unwrap();
        let s = evidence(&inc, athena, 24 * 3600, 900).unwrap();
        assert!(!s.query.contains("DROP"), "the prefix reached the query text");
        assert_eq!(s.parameters[6], "'brb/''; DROP TABLE calendars; --'");
        // One parameter per `?` outside comments and string literals.
        let code: String = s
            .query
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect();
        let outside_literals: String = code.split('\'').step_by(2).collect();
        assert_eq!(outside_literals.matches('?').count(), s.parameters.len());
        assert_eq!(
            s.parameters,
            [
                "'2026/11/20'",
                "'2026/11/21'",
                "'duo-brb'",
                "'REST.GET.OBJECT,REST.HEAD.OBJECT'",
                "'200,206,304'",
                "'1795179600/1795192200'",
                "'brb/''; DROP TABLE calendars; --'",
                "'learner_id'",
                "'tz'",
            ]
        );
    }

    #[test]
    fn every_placeholder_is_filled_and_headers_are_dropped() {
        let inc = incident("brb/");
        let athena = inc.athena.as_ref().unwrap();
        let statements = [
            access_log_table(athena).unwrap(),
            evidence(&inc, athena, 0, 0).unwrap(),
            affected_table(athena, "streak_repair_affected_x", "s3://r/x/"),
            drop_affected_table(athena, "streak_repair_affected_x"),
            calendars(athena, "streak_repair_affected_x").unwrap(),
        ];
        for s in statements {
            assert!(!s.query.contains("{{"), "{}: {}", s.name, s.query);
            assert!(!s.query.starts_with("--"), "{}", s.name);
        }
        assert!(learners(athena, "t").is_none(), "no learners_table, no query");
    }

    #[test]
    fn the_ddl_needs_the_log_location_and_a_long_parameter_is_refused() {
        let mut inc = incident("brb/");
        let mut athena = inc.athena.clone().unwrap();
        athena.log_location = None;
        assert!(access_log_table(&athena)
            .unwrap_err()
            .to_string()
            .contains("athena.log_location"));
        inc.evidence.key_prefix = "k".repeat(1022);
        assert!(evidence(&inc, &athena, 0, 0).is_ok(), "1024 characters quoted");
        inc.evidence.key_prefix = "k".repeat(1023);
        let e = evidence(&inc, &athena, 0, 0).unwrap_err().to_string();
        assert!(
            e.contains("key_prefix parameter is 1025 characters quoted"),
            "{e}"
        );
    }

    #[test]
    fn unload_quotes_its_target() {
        let s = unload(
            Statement {
                name: "evidence",
                query: "SELECT 1".into(),
                parameters: vec![],
            },
            "s3://r/a/",
        );
        assert_eq!(
            s.query,
            "UNLOAD (\nSELECT 1\n)\nTO 's3://r/a/'\nWITH (format = 'PARQUET', compression = 'SNAPPY')"
        );
    }
}
