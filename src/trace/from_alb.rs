//! One ALB access-log record as a [`Hop`] (TRACING.md, "What each log line becomes"), or
//! why it is not one. Owns which fields make the hop; the header's grammar is `header`'s.

use std::sync::LazyLock;

use compact_str::CompactString;
use memchr::memmem::Finder;

use super::header::{HeaderError, TraceHeader};
use super::hop::{EdgeHop, Hop, Origin};
use super::operation::operation;
use crate::logs::alb::{Field, Record};

/// Why a parsed record is not a hop: it carries no usable `Root`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Untraced {
    /// `trace_id` is `-` or absent (a layout before tracing, or a request ALB refused
    /// before tracing it).
    NoTraceId,
    Header(HeaderError),
}

impl Untraced {
    pub fn name(self) -> &'static str {
        match self {
            Untraced::NoTraceId => "no_trace_id",
            Untraced::Header(e) => e.name(),
        }
    }
}

/// The hop `record` logs; `input` and `line` say where it was read.
pub fn hop(record: &Record<'_>, input: u32, line: u64) -> Result<Hop, Untraced> {
    Ok(hop_of(record, header(record)?, input, line))
}

/// What the dependency edge of the hop `record` logs counts of it: [`EdgeHop::of`] its
/// [`hop`], without building what an edge does not show (an entry hop, rare, is built
/// whole for its content hash).
pub fn edge_hop(record: &Record<'_>) -> Result<EdgeHop, Untraced> {
    let header = header(record)?;
    if header.self_id.is_none() {
        return Ok(EdgeHop::of(&hop_of(record, header, 0, 0)));
    }
    let end = record.time_micros();
    Ok(EdgeHop {
        trace: header.root,
        self_id: header.self_id,
        entry_hash: 0,
        caller: header.caller,
        service: service(record),
        error: outcome(record).1,
        start: start(record, end),
        end,
        target_time: target_time(record),
        request_bytes: record.integer(Field::ReceivedBytes).unwrap_or(0),
        response_bytes: record.integer(Field::SentBytes).unwrap_or(0),
    })
}

fn header(record: &Record<'_>) -> Result<TraceHeader, Untraced> {
    let text = record.get(Field::TraceId).ok_or(Untraced::NoTraceId)?;
    TraceHeader::parse(text).map_err(Untraced::Header)
}

fn hop_of(record: &Record<'_>, header: TraceHeader, input: u32, line: u64) -> Hop {
    let (status, error) = outcome(record);
    let end = record.time_micros();
    Hop {
        origin: Origin::Alb,
        trace: header.root,
        self_id: header.self_id,
        caller: header.caller,
        caller_self: header.caller_self,
        bad_link: header.bad_link,
        service: service(record),
        operation: operation(record.get(Field::Request).unwrap_or(b"-")),
        status,
        elb_status: record.status(Field::ElbStatusCode),
        error,
        start: start(record, end),
        end,
        request_bytes: record.integer(Field::ReceivedBytes).unwrap_or(0),
        response_bytes: record.integer(Field::SentBytes).unwrap_or(0),
        elb: elb_name(record.get(Field::Elb).unwrap_or_default()),
        input,
        line,
        error_reason: record.get(Field::ErrorReason).map(lossy),
        classification: record.get(Field::Classification).map(lossy),
        target_time: target_time(record),
    }
}

fn outcome(record: &Record<'_>) -> (Option<u16>, bool) {
    Hop::outcome(
        record.status(Field::TargetStatusCode),
        record.status(Field::ElbStatusCode),
    )
}

/// When the load balancer received the request; never after `end`.
fn start(record: &Record<'_>, end: i64) -> i64 {
    record.request_creation_micros().unwrap_or(end).min(end)
}

/// The target's own processing time in µs; `None` when no target answered (-1).
fn target_time(record: &Record<'_>) -> Option<i64> {
    record
        .seconds(Field::TargetProcessingTime)
        .filter(|s| *s >= 0.0)
        .map(|s| (s * 1e6).round() as i64)
}

/// Built once: building a finder costs more than one search in an ARN.
static TARGET_GROUP: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"targetgroup/"));

/// The target group's name, else the domain name, else the load balancer's name.
fn service(record: &Record<'_>) -> CompactString {
    let group = record.get(Field::TargetGroupArn).and_then(|arn| {
        let rest = TARGET_GROUP.find(arn).map(|i| &arn[i + 12..])?;
        rest.split(|&b| b == b'/').next().filter(|name| !name.is_empty())
    });
    match group.or_else(|| record.get(Field::DomainName)) {
        Some(name) => lossy(name),
        None => elb_name(record.get(Field::Elb).unwrap_or_default()),
    }
}

/// `app/{name}/{id}` → `{name}`; anything else as logged.
fn elb_name(elb: &[u8]) -> CompactString {
    let mut parts = elb.split(|&b| b == b'/');
    match (parts.next(), parts.next()) {
        (Some(_), Some(name)) if !name.is_empty() => lossy(name),
        _ => lossy(elb),
    }
}

fn lossy(bytes: &[u8]) -> CompactString {
    CompactString::from(String::from_utf8_lossy(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::alb;
    use crate::trace::header::CallerSelf;

    const LINE: &str = concat!(
        "https 2025-06-02T09:58:01.250000Z app/internal-alb-1/50dc6c495c0c9188 10.0.1.7:41234 10.0.2.9:8080 ",
        "0.001 0.200 0.000 503 503 7400 120 \"GET https://leaderboards.internal:443/boards/123456/top?n=5 HTTP/1.1\" ",
        "\"svc\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/leaderboards/73e2d6bc24d8a067 ",
        "\"Self=1-683d7644-6ea6e38ddc42ee00feff9326;Root=1-683d7644-0123456789abcdef01234567;Caller=auth;CallerSelf=root\" ",
        "\"leaderboards.internal\" \"-\" 3 2025-06-02T09:58:01.049000Z \"forward\" \"-\" \"-\" \"10.0.2.9:8080\" \"503\" ",
        "\"-\" \"-\" TID_00 \"-\" \"-\" \"-\""
    );

    #[test]
    fn a_forwarded_hop_takes_its_parent_service_and_times_from_the_line() {
        let record = alb::parse(LINE.as_bytes()).unwrap();
        let hop = hop(&record, 2, 7).unwrap();
        assert_eq!(
            (hop.service.as_str(), hop.operation.as_str()),
            ("leaderboards", "GET /boards/{id}/top")
        );
        assert_eq!(
            (hop.caller.as_deref(), hop.caller_self),
            (Some("auth"), Some(CallerSelf::Root))
        );
        assert_eq!(
            (hop.status, hop.error, hop.duration()),
            (Some(503), true, 201_000)
        );
        assert_eq!((hop.elb.as_str(), hop.input, hop.line), ("internal-alb-1", 2, 7));
        assert_eq!((hop.request_bytes, hop.response_bytes), (7400, 120));
        assert_eq!(hop.target_time, Some(200_000));
    }

    #[test]
    fn no_target_group_falls_back_to_the_domain_then_the_load_balancer() {
        let no_group = LINE.replace(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/leaderboards/73e2d6bc24d8a067",
            "-",
        );
        let record = alb::parse(no_group.as_bytes()).unwrap();
        assert_eq!(hop(&record, 0, 1).unwrap().service, "leaderboards.internal");
        let neither = no_group.replace("\"leaderboards.internal\"", "\"-\"");
        let record = alb::parse(neither.as_bytes()).unwrap();
        assert_eq!(hop(&record, 0, 1).unwrap().service, "internal-alb-1");
    }

    #[test]
    fn a_line_without_a_usable_root_is_untraced_with_its_reason() {
        let none = LINE.replace(
            "\"Self=1-683d7644-6ea6e38ddc42ee00feff9326;Root=1-683d7644-0123456789abcdef01234567;Caller=auth;CallerSelf=root\"",
            "\"-\"",
        );
        let record = alb::parse(none.as_bytes()).unwrap();
        assert_eq!(hop(&record, 0, 1), Err(Untraced::NoTraceId));
        let bad = LINE.replace("Root=1-683d7644-0123456789abcdef01234567", "Root=nope");
        let record = alb::parse(bad.as_bytes()).unwrap();
        assert_eq!(hop(&record, 0, 1).map_err(Untraced::name), Err("bad_root"));
    }

    /// Every line of the hand-checked small case (entries, cut headers, errors, repeats).
    fn small_case_lines() -> Vec<String> {
        use std::io::Read;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/traces/small/logs");
        let mut lines = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(dir)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let mut text = String::new();
                let file = std::fs::File::open(&path).unwrap();
                flate2::read::GzDecoder::new(file)
                    .read_to_string(&mut text)
                    .unwrap();
                lines.extend(text.lines().map(String::from));
            }
        }
        lines
    }

    fn agree(line: &str) -> Result<(), String> {
        let Ok(record) = alb::parse(line.as_bytes()) else {
            return Ok(());
        };
        let whole = hop(&record, 0, 1).map(|h| EdgeHop::of(&h));
        match whole == edge_hop(&record) {
            true => Ok(()),
            false => Err(format!("{whole:?} vs {:?} for {line}", edge_hop(&record))),
        }
    }

    #[test]
    fn an_edge_hop_is_what_the_whole_hop_gives_for_every_line_of_the_small_case() {
        let lines = small_case_lines();
        assert!(lines.len() >= 15 && lines.iter().any(|l| !l.contains("Self=")));
        for line in lines {
            agree(&line).unwrap();
        }
    }

    proptest::proptest! {
        #[test]
        fn an_edge_hop_is_what_the_whole_hop_gives(
            header in proptest::sample::select(vec![
                "Self=1-683d7644-6ea6e38ddc42ee00feff9326;Root=1-683d7644-0123456789abcdef01234567;Caller=auth;CallerSelf=root",
                "Root=1-683d7644-0123456789abcdef01234567",
                "Root=1-683d7644-0123456789abcdef01234567;Caller=web",
                "Self=1-683d7644-6ea6e38ddc42ee00feff9326;Root=1-683d7644-0123456789abcdef01234567",
                "Self=1-683d7644-6ea6e38ddc42ee00feff9326;Root=1-683d7644-0123456789ABCDEF01234567;Caller=a b",
                "Root=nope", "-",
            ]),
            statuses in proptest::sample::select(vec![("503", "503"), ("200", "200"), ("502", "-"), ("404", "-"), ("-", "-")]),
            target_seconds in proptest::sample::select(vec!["0.200", "-1", "0.000"]),
            created in proptest::sample::select(vec!["2025-06-02T09:58:01.049000Z", "-", "2025-06-02T09:58:02.000000Z"]),
            group in proptest::prelude::any::<bool>(),
            domain in proptest::prelude::any::<bool>(),
            sent in proptest::sample::select(vec!["120", "-", "0"]),
        ) {
            let mut line = LINE
                .replace("Self=1-683d7644-6ea6e38ddc42ee00feff9326;Root=1-683d7644-0123456789abcdef01234567;Caller=auth;CallerSelf=root", header)
                .replace(" 503 503 7400 120 ", &format!(" {} {} 7400 {sent} ", statuses.0, statuses.1))
                .replace("0.001 0.200 0.000", &format!("0.001 {target_seconds} 0.000"))
                .replace("2025-06-02T09:58:01.049000Z", created);
            if !group {
                line = line.replace("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/leaderboards/73e2d6bc24d8a067", "-");
            }
            if !domain {
                line = line.replace("\"leaderboards.internal\"", "\"-\"");
            }
            proptest::prop_assert!(alb::parse(line.as_bytes()).is_ok(), "{line}");
            agree(&line).map_err(proptest::test_runner::TestCaseError::fail)?;
        }
    }
}
