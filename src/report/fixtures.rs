//! Summaries for the report's tests: one shaped like a real run, one whose every
//! string from the inputs is hostile, and every format rendering the same summary.

use super::{InputLine, ReportFormat, Summary};
use crate::output::run::SetAside;

/// A summary shaped like a real run, for the formats' tests.
pub(crate) fn sample() -> Summary {
    fn named<C: FromIterator<(String, u64)>>(pairs: &[(&str, u64)]) -> C {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }
    let quarter = |i: u64| format!("2026-11-20T{:02}:{:02}:00Z", 13 + i / 4, i % 4 * 15);
    Summary {
        incident_id: "2026-11-20-api-outage".to_string(),
        as_of: "2026-11-22T06:00:00Z".to_string(),
        windows: vec![
            [
                "2026-11-20T13:00:00Z".to_string(),
                "2026-11-20T14:45:00Z".to_string(),
            ],
            [
                "2026-11-20T15:05:00Z".to_string(),
                "2026-11-20T16:30:00Z".to_string(),
            ],
        ],
        tool_version: "0.1.0".to_string(),
        tzdb: "bundled 2026e".to_string(),
        learners_affected: 1_918,
        learners_with_actions: 1_180,
        actions: named(&[("freeze_day", 1_071), ("refund_freeze", 168)]),
        actions_total: 1_239,
        streak_days_restored: 1_234_567,
        learners_skipped: named(&[("unknown_timezone", 22)]),
        outcomes: named(&[
            ("already_repaired", 27),
            ("freeze_day", 1_071),
            ("practiced", 229),
        ]),
        lines_read: Some(17_080),
        evidence_records: 9_009,
        duplicate_records: Some(83),
        not_evidence: named(&[("other_key", 3_847), ("other_status", 3_198)]),
        rejected: named(&[("too_few_fields", 11), ("unterminated_quote", 3)]),
        set_aside: SetAside {
            invalid_zone_in_learners_file: 10,
            invalid_zone_in_tz_param: 74,
            calendar_days_not_in_zone: 0,
            buckets_across_local_days: 0,
        },
        athena: None,
        inputs: vec![
            InputLine {
                role: "logs",
                path: "testdata/generated/logs/2026-11-20-11-00-05-29D46D9F4BEFBC1C".to_string(),
                bytes: 129_067,
                sha256: "a9ce64d4affe2dc104631e254dfd761ee6c4bde6e7bc73cdc6c0eb218d8646c6".to_string(),
            },
            InputLine {
                role: "calendars",
                path: "testdata/generated/calendars.csv".to_string(),
                bytes: 4_226_113_000,
                sha256: "54223c281a553b4f8ce394037080ded50b3ba3fe870130ee5340ca6b62693d50".to_string(),
            },
        ],
        manifest_sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_string(),
        evidence_per_quarter_hour: (0..14)
            .map(|i| (quarter(i), [0, 612, 1_403, 7][i as usize % 4]))
            .collect(),
        learners_by_local_date: named(&[("2026-11-19", 12), ("2026-11-20", 1_402), ("2026-11-21", 517)]),
        top_zones: named(&[("America/New_York", 400), ("Europe/Berlin", 300), ("other", 42)]),
        restored_distribution: vec![(0, 5), (1, 1_100), (2, 70), (3, 5)],
    }
}

/// A summary whose every input-derived string is hostile.
pub(crate) fn hostile() -> Summary {
    const EVIL: &str = "<script>alert(1)</script>";
    let mut s = sample();
    s.incident_id = format!("{EVIL}a|b\x1b[31mred\x1b[0m");
    s.windows[0][0] = format!("{EVIL}|\x1b]0;title\x07");
    s.tzdb = format!("system {EVIL}");
    s.inputs[0].path = format!("logs/{EVIL}/a|b/\x1b[2J\u{202e}gpj.exe\n| injected | row |");
    s.learners_skipped.insert(format!("{EVIL}|`x`"), 1);
    s.rejected.insert("a|b\r\n=cmd|' /C calc'!A0".to_string(), 2);
    s.top_zones.insert(0, (format!("{EVIL}a|b\x1b[5m"), 999));
    s.outcomes.insert("\"quoted\" & 'single'".to_string(), 3);
    s
}

/// Every format on the same summary, for comparing them.
pub(crate) fn render_all(s: &Summary) -> [String; 3] {
    [ReportFormat::Text, ReportFormat::Markdown, ReportFormat::Html].map(|format| {
        let mut out = Vec::new();
        format
            .renderer(false)
            .render(s, &mut out)
            .expect("writing to a Vec");
        String::from_utf8(out).expect("UTF-8")
    })
}
