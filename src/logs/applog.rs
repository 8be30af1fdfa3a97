//! Application logs for tracing (TRACING.md, "Application logs"): one JSON object per
//! line describing a call a service made that never passed a load balancer (a database
//! query, a cache read), tied to the request it served by that request's trace header.
//!
//! Owns the line schema only: which fields, their types, and the reasons a line is not a
//! record. What a record becomes in a trace is `trace`'s business.

use serde::{Deserialize, Serialize};

use super::LONGEST_LINE;
use crate::model::Reject;

/// One application-log line.
/// Other fields (a level, a message) are allowed and ignored: services log more than this.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AppCall {
    /// The `Root` of the request the service was handling (`1-{8 hex}-{24 hex}`).
    pub root: String,
    /// The `Self` of that request as the service received it, or `root` when it was the
    /// entry hop (it had no `Self`): the call hangs under that hop.
    #[serde(rename = "self")]
    pub self_id: String,
    /// The service that made the call.
    pub service: String,
    /// What it called, e.g. `SELECT lessons` or `redis GET`.
    pub operation: String,
    /// When the call started, RFC 3339 (any offset; fractions to the microsecond kept).
    pub start: String,
    /// How long it took, in microseconds.
    pub duration_us: u64,
    /// Whether it failed.
    #[serde(default)]
    pub error: bool,
    /// The learner or user the request was for, when the service knows it: what
    /// `reqtrace show --user` finds traces by.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The service's own request id, when it logs one: what `show --request-id` finds.
    #[serde(default)]
    pub request_id: Option<String>,
}

impl AppCall {
    /// The start in Unix microseconds; checked by [`parse`].
    pub fn start_micros(&self) -> i64 {
        start_micros(&self.start).unwrap_or_default()
    }
}

fn start_micros(text: &str) -> Option<i64> {
    let at: jiff::Timestamp = text.parse().ok()?;
    Some(at.as_microsecond())
}

/// Parses one line: a JSON object of the schema, with a start that is an instant.
pub fn parse(line: &[u8]) -> Result<AppCall, Reject> {
    if line.len() > LONGEST_LINE {
        return Err(Reject::LineTooLong);
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(Reject::BlankLine);
    }
    let call: AppCall = serde_json::from_slice(line).map_err(|_| Reject::BadJson)?;
    start_micros(&call.start).ok_or(Reject::BadTime)?;
    Ok(call)
}

/// Application logs, as [`super::Grammar`]: `reqtrace scan --app-logs` prints them.
pub struct AppLog;

impl super::Grammar for AppLog {
    type Record<'a> = AppCall;

    fn parse(line: &[u8]) -> Result<AppCall, Reject> {
        parse(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"root":"1-67891233-abcdef012345678912345678","self":"1-67891233-000000000000000000000001","service":"lessons","operation":"SELECT lessons","start":"2026-11-20T13:05:00.123456Z","duration_us":1500,"user_id":"1001"}"#;

    #[test]
    fn a_line_of_the_schema_is_a_call() {
        let call = parse(LINE.as_bytes()).expect("parses");
        assert_eq!(
            (call.service.as_str(), call.duration_us, call.error),
            ("lessons", 1500, false)
        );
        assert_eq!(call.start_micros(), 1_795_179_900_123_456);
        assert_eq!(call.user_id.as_deref(), Some("1001"));
        let offset = LINE.replace("13:05:00.123456Z", "08:05:00.123456-05:00");
        assert_eq!(
            parse(offset.as_bytes()).map(|c| c.start_micros()),
            Ok(1_795_179_900_123_456)
        );
        let more = LINE.replace("\"user_id\":\"1001\"", "\"level\":\"info\"");
        assert_eq!(parse(more.as_bytes()).map(|c| c.user_id), Ok(None));
    }

    #[test]
    fn lines_off_the_schema_are_counted_rejections() {
        let cases = [
            ("", Reject::BlankLine),
            ("not json", Reject::BadJson),
            (r#"{"root":"1-1-1"}"#, Reject::BadJson),
            (
                &LINE.replace("\"duration_us\":1500", "\"duration_us\":-1"),
                Reject::BadJson,
            ),
            (&LINE.replace("\"service\"", "\"svc\""), Reject::BadJson),
            (
                &LINE.replace("2026-11-20T13:05:00.123456Z", "yesterday"),
                Reject::BadTime,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line.as_bytes()), Err(want), "{line}");
        }
    }
}
