//! The dry-run report for support and on-call: headline numbers first, then the
//! charts' series, rendered as text, Markdown or one self-contained HTML page.
//!
//! [`Summary`] is computed once from a run directory; each format is a small file
//! behind [`Render`]. Every string that came from the logs or inputs (zone names,
//! paths, reasons) is escaped by the format that prints it.

mod html;
mod markdown;
mod svg;
mod text;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use crate::output::run::RunInfo;
use crate::output::run::SetAside;
use crate::rundir::RunDir;

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Markdown,
    Html,
}

impl ReportFormat {
    /// `color` asks the text format for ANSI colour (only when stdout is a terminal).
    pub fn renderer(self, color: bool) -> Box<dyn Render> {
        match self {
            ReportFormat::Text => Box::new(text::Text { color }),
            ReportFormat::Markdown => Box::new(markdown::Markdown),
            ReportFormat::Html => Box::new(html::Html),
        }
    }
}

/// One report format: a summary in, bytes out.
pub trait Render {
    fn render(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()>;
}

/// One input file of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLine {
    /// `logs`, `learners` or `calendars`.
    pub role: &'static str,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Everything a report shows, in the order it shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub incident_id: String,
    pub as_of: String,
    /// `[start, end)` pairs, RFC 3339 UTC.
    pub windows: Vec<[String; 2]>,
    pub tool_version: String,
    /// e.g. `bundled 2026e`.
    pub tzdb: String,

    // Headline.
    /// Learners with evidence (decided or skipped).
    pub learners_affected: u64,
    pub learners_with_actions: u64,
    pub actions: BTreeMap<String, u64>,
    pub actions_total: u64,
    /// Sum over learners of streak_after - streak_before.
    pub streak_days_restored: u64,
    pub learners_skipped: BTreeMap<String, u64>,
    pub outcomes: BTreeMap<String, u64>,
    /// Null when Athena read the lines (then `athena` says what it did).
    pub lines_read: Option<u64>,
    pub evidence_records: u64,
    pub duplicate_records: Option<u64>,
    pub not_evidence: BTreeMap<String, u64>,
    pub rejected: BTreeMap<String, u64>,
    pub set_aside: SetAside,
    pub athena: Option<crate::output::run::AthenaRun>,
    pub inputs: Vec<InputLine>,
    pub manifest_sha256: String,

    // Chart series.
    /// Every 15-minute UTC bucket from the first window's start to the last window's
    /// end (RFC 3339 start, distinct evidence records), zeros included.
    pub evidence_per_quarter_hour: Vec<(String, u64)>,
    /// Learners with at least one decided day on each local date.
    pub learners_by_local_date: Vec<(String, u64)>,
    /// The ten zones with most affected learners, then `other` if any.
    pub top_zones: Vec<(String, u64)>,
    /// Streak days restored → number of decided learners.
    pub restored_distribution: Vec<(u32, u64)>,
}

impl Summary {
    pub fn of(run_dir: &RunDir) -> Summary {
        let run = &run_dir.run;
        let c = &run.counts;
        let mut learners = HashMap::new();
        let mut by_date: BTreeMap<String, u64> = BTreeMap::new();
        for d in &run_dir.decisions {
            learners
                .entry(d.learner_id)
                .or_insert((d.tz.clone(), d.streak_before, d.streak_after));
            // One decision per learner and date, so this counts learners.
            if let Some(date) = &d.local_date {
                *by_date.entry(date.clone()).or_insert(0) += 1;
            }
        }
        // Decision rows name their action, so the manifest need not be read again.
        let with_actions: std::collections::HashSet<u64> = run_dir
            .decisions
            .iter()
            .filter(|d| d.action.is_some())
            .map(|d| d.learner_id)
            .collect();
        let mut restored = BTreeMap::new();
        let mut zones: BTreeMap<String, u64> = BTreeMap::new();
        // `learners` iterates in a hash order that differs between runs: only counts and
        // sorted maps are built from it, so that order never shows.
        for (tz, before, after) in learners.values() {
            if let (Some(tz), Some(before), Some(after)) = (tz, before, after) {
                *restored.entry(after.saturating_sub(*before)).or_insert(0) += 1;
                *zones.entry(tz.clone()).or_insert(0) += 1;
            }
        }
        Summary {
            incident_id: run.incident.id.clone(),
            as_of: run.as_of.clone(),
            windows: run.incident.windows.clone(),
            tool_version: run.tool.version.clone(),
            tzdb: format!(
                "{} {}",
                run.tzdb.source,
                run.tzdb.version.as_deref().unwrap_or("(unknown version)")
            ),
            learners_affected: learners.len() as u64,
            learners_with_actions: with_actions.len() as u64,
            actions: c.actions.clone(),
            actions_total: c.actions.values().sum(),
            streak_days_restored: restored.iter().map(|(days, n)| u64::from(*days) * n).sum(),
            learners_skipped: c.learners_skipped.clone(),
            outcomes: c.outcomes.clone(),
            lines_read: c.lines_read,
            evidence_records: c.evidence_records,
            duplicate_records: c.duplicate_records,
            not_evidence: c.not_evidence_by_reason.clone(),
            rejected: c.rejected.clone(),
            set_aside: c.set_aside,
            athena: run.inputs.athena.clone(),
            inputs: inputs(run),
            manifest_sha256: run.manifest_sha256.clone(),
            evidence_per_quarter_hour: quarter_hours(run),
            learners_by_local_date: by_date.into_iter().collect(),
            top_zones: top(zones, 10),
            restored_distribution: restored.into_iter().collect(),
        }
    }
}

fn inputs(run: &RunInfo) -> Vec<InputLine> {
    let line = |role, d: &crate::output::run::InputDigest| InputLine {
        role,
        path: d.path.clone(),
        bytes: d.bytes,
        sha256: d.sha256.clone(),
    };
    let logs = run.inputs.logs.iter().map(|d| line("logs", d));
    logs.chain([
        line("learners", &run.inputs.learners),
        line("calendars", &run.inputs.calendars),
    ])
    .collect()
}

/// The run's buckets spread over every quarter hour of the windows' span.
fn quarter_hours(run: &RunInfo) -> Vec<(String, u64)> {
    let parse = |s: &str| s.parse::<jiff::Timestamp>().map(|t| t.as_second()).ok();
    let start = run.incident.windows.iter().filter_map(|w| parse(&w[0])).min();
    let end = run.incident.windows.iter().filter_map(|w| parse(&w[1])).max();
    let (Some(start), Some(end)) = (start, end) else {
        return Vec::new();
    };
    (start.div_euclid(900)..end.div_euclid(900) + i64::from(end % 900 != 0))
        .map(|q| {
            let at = crate::output::instant(q * 900);
            let n = run.evidence_per_quarter_hour.get(&at).copied().unwrap_or(0);
            (at, n)
        })
        .collect()
}

/// The `n` largest entries (ties by name), then `other` for the rest.
fn top(counts: BTreeMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut all: Vec<(String, u64)> = counts.into_iter().collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rest: u64 = all.iter().skip(n).map(|(_, c)| c).sum();
    all.truncate(n);
    if rest > 0 {
        all.push(("other".to_string(), rest));
    }
    all
}

// What every format shows the same way: the headline rows, the run's facts and
// number formats. Each format only decides how to lay them out and escape them.

/// One headline number. The HTML id of its value is `headline-{key}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    pub key: &'static str,
    pub label: &'static str,
    pub value: u64,
    /// The number broken down by kind or reason, in name order.
    pub detail: Vec<(String, u64)>,
    /// A non-zero value means something was left out and deserves a look.
    pub concern: bool,
}

/// A titled group of headline numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadlineGroup {
    pub title: &'static str,
    pub rows: Vec<Headline>,
}

impl Summary {
    /// Where the evidence came from: every log line accounted for, or (with Athena,
    /// which returns only the evidence) the records and quarter-hour buckets.
    fn evidence_group(&self) -> HeadlineGroup {
        let evidence = row(
            "evidence-records",
            "Evidence records",
            self.evidence_records,
            vec![],
        );
        match (&self.athena, self.lines_read) {
            (Some(athena), _) => HeadlineGroup {
                title: "Evidence from Athena",
                rows: vec![
                    evidence,
                    row(
                        "evidence-buckets",
                        "Learner quarter-hours",
                        athena.evidence_buckets,
                        vec![],
                    ),
                    concern(row(
                        "buckets-across-local-days",
                        "Quarter-hours across two local dates",
                        self.set_aside.buckets_across_local_days,
                        vec![],
                    )),
                ],
            },
            (None, lines_read) => HeadlineGroup {
                title: "Log lines",
                rows: vec![
                    row("lines-read", "Lines read", lines_read.unwrap_or(0), vec![]),
                    evidence,
                    row(
                        "duplicate-records",
                        "Duplicate records",
                        self.duplicate_records.unwrap_or(0),
                        vec![],
                    ),
                    total("not-evidence", "Not evidence", pairs(&self.not_evidence)),
                    concern(total("lines-rejected", "Lines rejected", pairs(&self.rejected))),
                ],
            },
        }
    }

    /// The headline numbers, in the order every format prints them.
    pub fn headline(&self) -> Vec<HeadlineGroup> {
        let sa = &self.set_aside;
        let with_actions = vec![("with actions".to_string(), self.learners_with_actions)];
        vec![
            HeadlineGroup {
                title: "Learners and actions",
                rows: vec![
                    row(
                        "learners-affected",
                        "Learners affected",
                        self.learners_affected,
                        with_actions,
                    ),
                    row(
                        "actions-total",
                        "Actions",
                        self.actions_total,
                        pairs(&self.actions),
                    ),
                    row(
                        "streak-days-restored",
                        "Streak days restored",
                        self.streak_days_restored,
                        vec![],
                    ),
                    concern(total(
                        "learners-skipped",
                        "Learners skipped",
                        pairs(&self.learners_skipped),
                    )),
                    total(
                        "learner-days-decided",
                        "Learner-days decided",
                        pairs(&self.outcomes),
                    ),
                ],
            },
            self.evidence_group(),
            HeadlineGroup {
                title: "Set aside",
                rows: vec![
                    concern(row(
                        "invalid-zone-in-learners-file",
                        "Learners with an invalid zone in the learners file",
                        sa.invalid_zone_in_learners_file,
                        vec![],
                    )),
                    concern(row(
                        "invalid-zone-in-tz-param",
                        "Evidence records with an invalid tz parameter",
                        sa.invalid_zone_in_tz_param,
                        vec![],
                    )),
                    concern(row(
                        "calendar-days-not-in-zone",
                        "Calendar days that do not exist in the zone",
                        sa.calendar_days_not_in_zone,
                        vec![],
                    )),
                ],
            },
        ]
    }

    /// What was run and on what: a label and its values (one per window).
    pub fn run_facts(&self) -> Vec<(&'static str, Vec<String>)> {
        let windows = self.windows.iter().map(|[a, b]| format!("{a} to {b}")).collect();
        vec![
            ("Incident", vec![self.incident_id.clone()]),
            ("As of", vec![self.as_of.clone()]),
            ("Windows", windows),
            ("Tz database", vec![self.tzdb.clone()]),
            ("Manifest SHA-256", vec![self.manifest_sha256.clone()]),
            ("Tool version", vec![self.tool_version.clone()]),
            ("Athena queries", self.athena_queries()),
        ]
    }

    /// One line per Athena query: id, data scanned and cost; empty for other sources.
    fn athena_queries(&self) -> Vec<String> {
        let Some(athena) = &self.athena else {
            return Vec::new();
        };
        let mut lines: Vec<String> = athena
            .queries
            .iter()
            .map(|q| {
                format!(
                    "{} {}: {} bytes scanned, ${:.4}",
                    q.name,
                    q.id,
                    thousands(q.data_scanned_bytes),
                    q.cost_usd
                )
            })
            .collect();
        lines.push(format!(
            "total {} bytes scanned, ${:.4} at ${}/TB ({})",
            thousands(athena.data_scanned_bytes),
            athena.cost_usd,
            athena.price_per_tb,
            athena.workgroup
        ));
        lines
    }

    /// The learners of [`Summary::restored_distribution`] in [`RESTORED_BINS`], labelled
    /// `0`, `8–14` or `366+`, up to the last bin with learners in it.
    pub fn restored_bins(&self) -> Vec<(String, u64)> {
        let mut bins: Vec<(String, u64)> = RESTORED_BINS
            .iter()
            .map(|&(lo, hi)| {
                let n = self
                    .restored_distribution
                    .iter()
                    .filter(|(d, _)| (lo..=hi).contains(d))
                    .map(|(_, n)| n);
                (bin_label(lo, hi), n.sum())
            })
            .collect();
        while bins.last().is_some_and(|(_, n)| *n == 0) {
            bins.pop();
        }
        bins
    }

    /// The charts every format draws, in this order. The evidence series is merged
    /// into buckets of a round length to fit `max_time_rows` rows; `gaps` says whether
    /// long runs of empty buckets may be left out to fit.
    pub fn charts(&self, max_time_rows: usize, gaps: Gaps) -> Vec<ChartData> {
        let (minutes, buckets) = self.evidence_rows(max_time_rows, gaps);
        let windows = window_rows(&buckets, minutes * 60, &self.windows);
        let evidence = buckets
            .into_iter()
            .map(|row| row.map(|(t, n)| (short_time(&t), n)))
            .collect();
        let all = |rows: &[(String, u64)]| rows.iter().cloned().map(Some).collect();
        let outcomes: Vec<(String, u64)> = pairs(&self.outcomes);
        vec![
            ChartData {
                id: "chart-evidence-per-quarter-hour",
                title: format!("Evidence records per {} (UTC)", duration_words(minutes)),
                caption: "Distinct evidence records by the time they were logged.",
                label: "start (UTC)",
                unit: "records",
                columns: true,
                time_axis: true,
                rows: evidence,
                windows,
            },
            ChartData {
                id: "chart-learners-by-local-date",
                title: "Affected learners by local date".to_string(),
                caption: "Learners with a decision on each date in their own time zone.",
                label: "local date",
                unit: "learners",
                columns: true,
                time_axis: false,
                rows: all(&self.learners_by_local_date),
                windows: vec![],
            },
            ChartData {
                id: "chart-outcomes",
                title: "Outcomes by kind".to_string(),
                caption: "One outcome per learner and local date decided.",
                label: "outcome",
                unit: "learner-days",
                columns: false,
                time_axis: false,
                rows: all(&outcomes),
                windows: vec![],
            },
            ChartData {
                id: "chart-top-zones",
                title: "Top time zones by decided learners".to_string(),
                caption: "Decided learners per time zone; the rest summed as other.",
                label: "zone",
                unit: "decided learners",
                columns: false,
                time_axis: false,
                rows: all(&self.top_zones),
                windows: vec![],
            },
            ChartData {
                id: "chart-streak-days-restored",
                title: "Decided learners by streak days restored".to_string(),
                caption: "Decided learners by how many days their streak gains (0: unchanged).",
                label: "days restored",
                unit: "decided learners",
                columns: true,
                time_axis: false,
                rows: all(&self.restored_bins()),
                windows: vec![],
            },
        ]
    }

    /// The evidence series in at most `max_rows` rows: buckets of the shortest length
    /// that fits (15 or 30 minutes, 1, 2, 3, 6 or 12 hours, 1 day, then doubling) and,
    /// with [`Gaps::Elide`], within each run of four or more empty buckets all but the
    /// first and last shown as one `None`. Returns the bucket length in minutes and the
    /// rows: bucket start (RFC 3339) and total.
    fn evidence_rows(&self, max_rows: usize, gaps: Gaps) -> (u64, Vec<Option<(String, u64)>>) {
        let series = &self.evidence_per_quarter_hour;
        let mut quarters = 1;
        loop {
            let merged = merge(series, quarters);
            let rows = match gaps {
                Gaps::Elide => elide_empty_runs(merged),
                Gaps::Keep => merged.into_iter().map(Some).collect(),
            };
            if rows.len() <= max_rows || quarters >= series.len() {
                return (15 * quarters as u64, rows);
            }
            quarters = [1, 2, 4, 8, 12, 24, 48, 96]
                .into_iter()
                .find(|q| *q > quarters)
                .unwrap_or(quarters * 2);
        }
    }
}

/// Whether a chart of the evidence series may leave out long runs of empty buckets: a
/// list may, a drawn time axis needs every column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gaps {
    Elide,
    Keep,
}

/// One chart, the same in every format: each format only lays it out and escapes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartData {
    /// The HTML id of the chart's svg element.
    pub id: &'static str,
    pub title: String,
    /// What one count is, in a sentence.
    pub caption: &'static str,
    /// What a row's label names, as a column heading: `local date`, `zone`.
    pub label: &'static str,
    /// What a row's count counts: `records`, `learners`.
    pub unit: &'static str,
    /// Drawn as vertical columns (an ordered axis) rather than horizontal bars.
    pub columns: bool,
    /// The rows are consecutive UTC time buckets labelled `YYYY-MM-DD HH:MM`.
    pub time_axis: bool,
    /// Label and count, in the order shown; `None` stands for empty buckets left out.
    /// Empty when there is nothing to show, and every format then says "no data"; rows
    /// that count zero are shown like any other.
    pub rows: Vec<Option<(String, u64)>>,
    /// Rows `[from, to)` whose buckets overlap each incident window (time axis only).
    pub windows: Vec<(usize, usize)>,
}

/// For each window, the rows whose bucket (`seconds` long from its start) overlaps it,
/// as `[from, to)`; rows left out (`None`) between two such rows are inside the range.
fn window_rows(rows: &[Option<(String, u64)>], seconds: u64, windows: &[[String; 2]]) -> Vec<(usize, usize)> {
    let at = |t: &str| t.parse::<jiff::Timestamp>().ok().map(|t| t.as_second());
    let starts: Vec<Option<i64>> = rows.iter().map(|r| r.as_ref().and_then(|(t, _)| at(t))).collect();
    let len = i64::try_from(seconds).unwrap_or(i64::MAX);
    let mut ranges = Vec::new();
    for [a, b] in windows {
        let (Some(a), Some(b)) = (at(a), at(b)) else {
            continue;
        };
        let overlaps = |t: &Option<i64>| t.is_some_and(|t| t < b && t.saturating_add(len) > a);
        let first = starts.iter().position(overlaps);
        let last = starts.iter().rposition(overlaps);
        if let (Some(first), Some(last)) = (first, last) {
            ranges.push((first, last + 1));
        }
    }
    ranges
}

/// Streak days restored, grouped: each of the first week's days, then up to two weeks,
/// a month, a quarter, a year, and more.
pub const RESTORED_BINS: [(u32, u32); 13] = [
    (0, 0),
    (1, 1),
    (2, 2),
    (3, 3),
    (4, 4),
    (5, 5),
    (6, 6),
    (7, 7),
    (8, 14),
    (15, 30),
    (31, 90),
    (91, 365),
    (366, u32::MAX),
];

fn bin_label(lo: u32, hi: u32) -> String {
    match (lo, hi) {
        (lo, hi) if lo == hi => lo.to_string(),
        (lo, u32::MAX) => format!("{lo}+"),
        (lo, hi) => format!("{lo}–{hi}"),
    }
}

fn row(key: &'static str, label: &'static str, value: u64, detail: Vec<(String, u64)>) -> Headline {
    Headline {
        key,
        label,
        value,
        detail,
        concern: false,
    }
}

/// A headline row whose value is the sum of its detail.
fn total(key: &'static str, label: &'static str, detail: Vec<(String, u64)>) -> Headline {
    row(key, label, detail.iter().map(|(_, n)| n).sum(), detail)
}

fn concern(headline: Headline) -> Headline {
    Headline {
        concern: true,
        ..headline
    }
}

fn pairs(map: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    map.iter().map(|(k, v)| (k.clone(), *v)).collect()
}

/// Consecutive `quarters` buckets summed, each labelled with the first one's start.
fn merge(series: &[(String, u64)], quarters: usize) -> Vec<(String, u64)> {
    series
        .chunks(quarters.max(1))
        .map(|chunk| (chunk[0].0.clone(), chunk.iter().map(|(_, n)| n).sum()))
        .collect()
}

/// Runs of four or more zero rows kept only by their first and last row, with `None`
/// between them.
fn elide_empty_runs(rows: Vec<(String, u64)>) -> Vec<Option<(String, u64)>> {
    let mut out: Vec<Option<(String, u64)>> = Vec::with_capacity(rows.len());
    let mut run: Vec<(String, u64)> = Vec::new();
    let flush = |run: &mut Vec<(String, u64)>, out: &mut Vec<Option<(String, u64)>>| {
        if run.len() >= 4 {
            let last = run.pop();
            out.extend([Some(run.swap_remove(0)), None, last]);
        } else {
            out.extend(run.drain(..).map(Some));
        }
        run.clear();
    };
    for row in rows {
        if row.1 == 0 {
            run.push(row);
        } else {
            flush(&mut run, &mut out);
            out.push(Some(row));
        }
    }
    flush(&mut run, &mut out);
    out
}

/// `90` → `90 minutes`, `60` → `hour`, `120` → `2 hours`, `2880` → `2 days`.
fn duration_words(minutes: u64) -> String {
    let (n, unit) = match minutes {
        m if m % 1440 == 0 => (m / 1440, "day"),
        m if m % 60 == 0 => (m / 60, "hour"),
        m => (m, "minute"),
    };
    match n {
        1 => unit.to_string(),
        n => format!("{n} {unit}s"),
    }
}

/// `label` cut to `max` characters, ending in an ellipsis when cut.
pub fn cut(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let mut short: String = label.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `2026-11-20T13:00:00Z` → `2026-11-20 13:00`; anything else unchanged.
pub fn short_time(rfc3339: &str) -> String {
    match rfc3339.strip_suffix(":00Z") {
        Some(rest) if rest.len() == 16 && rest.as_bytes()[10] == b'T' => rest.replacen('T', " ", 1),
        _ => rfc3339.to_string(),
    }
}

/// Characters no report prints as they are: control characters (ESC, NUL, newlines)
/// and the invisible marks that reorder text (bidi overrides), which could hide or
/// disguise what a name really says.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A bar of `n` out of `max` in `width` block characters; a non-zero `n` shows at least one.
pub fn bar(n: u64, max: u64, width: usize) -> String {
    if n == 0 || max == 0 {
        return String::new();
    }
    let len = (n as f64 / max as f64 * width as f64).round() as usize;
    "█".repeat(len.clamp(1, width))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::output::{DecisionRow, ManifestRow};

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

    #[test]
    fn thousands_groups_by_three() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1234567, "1,234,567"),
            (100000, "100,000"),
        ];
        for (n, want) in cases {
            assert_eq!(thousands(n), want);
        }
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn short_time_drops_seconds_and_zone() {
        assert_eq!(short_time("2026-11-20T13:15:00Z"), "2026-11-20 13:15");
        assert_eq!(short_time("2026-11-20T13:15:01Z"), "2026-11-20T13:15:01Z");
        assert_eq!(short_time("<b>"), "<b>");
    }

    #[test]
    fn evidence_rows_merge_to_round_lengths() {
        let s = sample();
        let all: Vec<_> = s.evidence_per_quarter_hour.iter().cloned().map(Some).collect();
        assert_eq!(s.evidence_rows(100, Gaps::Elide), (15, all));
        let (minutes, rows) = s.evidence_rows(4, Gaps::Elide);
        assert_eq!((minutes, rows.len()), (60, 4));
        assert_eq!(
            rows[0],
            Some(("2026-11-20T13:00:00Z".to_string(), 612 + 1_403 + 7))
        );
        let long = Summary {
            evidence_per_quarter_hour: vec![("t".to_string(), 1); 1_000],
            ..sample()
        };
        let (minutes, rows) = long.evidence_rows(4, Gaps::Elide);
        assert_eq!((minutes, rows.len()), (4 * 1440, 3));
        assert_eq!(rows.iter().flatten().map(|(_, n)| n).sum::<u64>(), 1_000);
        assert_eq!(
            Summary {
                evidence_per_quarter_hour: vec![],
                ..sample()
            }
            .evidence_rows(4, Gaps::Elide)
            .1,
            vec![]
        );
    }

    #[test]
    fn long_empty_stretches_are_elided() {
        let at = |i: usize| format!("q{i:03}");
        let mut series: Vec<(String, u64)> = (0..200).map(|i| (at(i), 0)).collect();
        series[0].1 = 5;
        series[1].1 = 0;
        series[2].1 = 3;
        series[199].1 = 7;
        let s = Summary {
            evidence_per_quarter_hour: series,
            ..sample()
        };
        let (minutes, rows) = s.evidence_rows(10, Gaps::Elide);
        assert_eq!(minutes, 15);
        let want = [
            Some((at(0), 5)),
            Some((at(1), 0)),
            Some((at(2), 3)),
            Some((at(3), 0)),
            None,
        ];
        assert_eq!(rows[..5], want);
        assert_eq!(rows[5..], [Some((at(198), 0)), Some((at(199), 7))]);
        // A drawn time axis keeps every bucket, merging instead: 200 quarters in 100
        // columns of half an hour.
        let (minutes, rows) = s.evidence_rows(120, Gaps::Keep);
        assert_eq!((minutes, rows.len()), (30, 100));
        assert!(rows.iter().all(Option::is_some));
        assert_eq!(rows.iter().flatten().map(|(_, n)| n).sum::<u64>(), 15);
    }

    #[test]
    fn bucket_lengths_in_words() {
        let cases = [
            (15, "15 minutes"),
            (60, "hour"),
            (120, "2 hours"),
            (1440, "day"),
            (5760, "4 days"),
        ];
        for (minutes, want) in cases {
            assert_eq!(duration_words(minutes), want);
        }
    }

    #[test]
    fn one_chart_list_for_every_format() {
        let s = sample();
        let charts = s.charts(48, Gaps::Elide);
        let ids: Vec<&str> = charts.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [
                "chart-evidence-per-quarter-hour",
                "chart-learners-by-local-date",
                "chart-outcomes",
                "chart-top-zones",
                "chart-streak-days-restored",
            ]
        );
        assert_eq!(charts[0].title, "Evidence records per 15 minutes (UTC)");
        assert_eq!(charts[0].rows[1], Some(("2026-11-20 13:15".to_string(), 612)));
        assert_eq!(charts[2].rows[0], Some(("already_repaired".to_string(), 27)));
        let render = |format: ReportFormat| {
            let mut out = Vec::new();
            format
                .renderer(false)
                .render(&s, &mut out)
                .expect("writing to a Vec");
            String::from_utf8(out).expect("UTF-8")
        };
        let (text, md, html) = (
            render(ReportFormat::Text),
            render(ReportFormat::Markdown),
            render(ReportFormat::Html),
        );
        for chart in &charts {
            assert!(text.contains(&format!("\n{}\n", chart.title)), "{}", chart.title);
            assert!(md.contains(&format!("\n## {}\n", chart.title)), "{}", chart.title);
            assert!(
                html.contains(&format!("<h3>{}</h3>", chart.title)),
                "{}",
                chart.title
            );
        }
    }

    #[test]
    fn merged_columns_keep_the_windows_shaded() {
        // Eight days of quarter hours in 96 columns of two hours.
        let start = 1_795_132_800; // 2026-11-20T00:00:00Z
        let s = Summary {
            windows: vec![
                [
                    crate::output::instant(start + 2 * 3600),
                    crate::output::instant(start + 5 * 3600),
                ],
                [
                    crate::output::instant(start + 86_400 + 7 * 3600 + 1800),
                    crate::output::instant(start + 86_400 + 8 * 3600),
                ],
            ],
            evidence_per_quarter_hour: (0..8 * 96)
                .map(|q| (crate::output::instant(start + 900 * q), 1))
                .collect(),
            ..sample()
        };
        let evidence = &s.charts(120, Gaps::Keep)[0];
        assert_eq!(evidence.title, "Evidence records per 2 hours (UTC)");
        assert_eq!(evidence.rows.len(), 96);
        assert_eq!(evidence.rows[1], Some(("2026-11-20 02:00".to_string(), 8)));
        // 02:00–05:00 overlaps the columns of 02:00 and 04:00; the next day's 07:30–08:00
        // the column of 06:00.
        assert_eq!(evidence.windows, vec![(1, 3), (15, 16)]);
    }

    /// Every format on the same summary, for comparing them.
    fn render_all(s: &Summary) -> [String; 3] {
        [ReportFormat::Text, ReportFormat::Markdown, ReportFormat::Html].map(|format| {
            let mut out = Vec::new();
            format
                .renderer(false)
                .render(s, &mut out)
                .expect("writing to a Vec");
            String::from_utf8(out).expect("UTF-8")
        })
    }

    #[test]
    fn zero_evidence_looks_the_same_in_every_format() {
        // Zeros are data: every format shows the zero rows, none says "no data".
        let zeros = Summary {
            evidence_per_quarter_hour: sample()
                .evidence_per_quarter_hour
                .into_iter()
                .map(|(t, _)| (t, 0))
                .collect(),
            ..sample()
        };
        let [text, md, html] = render_all(&zeros);
        for page in [&text, &md, &html] {
            assert!(!page.to_lowercase().contains("no data"), "{page}");
        }
        assert!(
            text.contains("(UTC)\n  2026-11-20 13:00 0\n  ⋮\n  2026-11-20 16:15 0\n"),
            "{text}"
        );
        assert!(
            md.contains("| 2026-11-20 13:00 | 0 |  |\n| ⋮ | | |\n| 2026-11-20 16:15 | 0 |  |\n"),
            "{md}"
        );
        let svg = &html[html
            .find("id=\"chart-evidence-per-quarter-hour\"")
            .expect("the chart")..];
        let svg = &svg[..svg.find("</svg>").expect("its end")];
        assert_eq!(svg.matches("<rect x=").count(), 14, "{svg}");
        // No buckets at all (no windows) is no data, in every format.
        let none = Summary {
            evidence_per_quarter_hour: vec![],
            ..sample()
        };
        let [text, md, html] = render_all(&none);
        assert_eq!(text.matches("(no data)").count(), 1);
        assert_eq!(md.matches("No data.").count(), 1);
        assert_eq!(html.matches(">no data</text>").count(), 1);
    }

    /// A run directory holding only what [`Summary::of`] reads besides the rows.
    fn run_dir(decisions: Vec<DecisionRow>, manifest: Vec<ManifestRow>) -> RunDir {
        use crate::output::run::{IncidentInfo, Inputs, Tool, TzdbInfo};
        let digest = |path: &str| crate::output::run::InputDigest {
            path: path.to_string(),
            bytes: 1,
            sha256: "00".repeat(32),
        };
        let run = RunInfo {
            tool: Tool {
                name: "streak-repair".to_string(),
                version: "0.1.0".to_string(),
            },
            incident: IncidentInfo {
                id: "test".to_string(),
                path: "incident.toml".to_string(),
                windows: vec![[
                    "2026-11-20T13:00:00Z".to_string(),
                    "2026-11-20T14:00:00Z".to_string(),
                ]],
            },
            as_of: "2026-11-22T06:00:00Z".to_string(),
            as_of_source: "cli".to_string(),
            tzdb: TzdbInfo {
                source: "bundled".to_string(),
                path: None,
                version: Some("2026e".to_string()),
            },
            inputs: Inputs {
                logs: vec![digest("logs/a")],
                learners: digest("learners.csv"),
                calendars: digest("calendars.csv"),
                s3: None,
                athena: None,
            },
            counts: Default::default(),
            evidence_per_quarter_hour: [("2026-11-20T13:15:00Z".to_string(), 4)].into(),
            manifest_sha256: "00".repeat(32),
            decisions_sha256: "00".repeat(32),
            threads: 1,
            stage_seconds: BTreeMap::new(),
            wall_seconds: 0.0,
        };
        RunDir {
            dir: std::path::PathBuf::from("out"),
            run,
            manifest,
            decisions,
        }
    }

    /// A decided learner's row for one local date.
    fn decided(learner_id: u64, tz: &str, date: &str, before: u32, after: u32) -> DecisionRow {
        DecisionRow {
            learner_id,
            local_date: Some(date.to_string()),
            outcome: "freeze_day".to_string(),
            action: None,
            repair_id: None,
            tz: Some(tz.to_string()),
            tz_source: Some("learners".to_string()),
            evidence_first: "2026-11-20T13:05:00Z".to_string(),
            evidence_last: "2026-11-20T13:05:00Z".to_string(),
            evidence_hits: 1,
            streak_before: Some(before),
            streak_after: Some(after),
            day_before: None,
            day_before_kind: None,
            day_kind: None,
        }
    }

    /// The same rows in another order: every `step`-th row from each start in turn.
    fn interleave<T: Clone>(rows: &[T], step: usize) -> Vec<T> {
        (0..step)
            .flat_map(|i| rows.iter().skip(i).step_by(step).cloned())
            .collect()
    }

    #[test]
    fn zones_that_tie_are_ordered_by_name_whatever_the_row_order() {
        // 2,400 learners in 13 zones whose counts tie in threes and fives; each
        // learner decided on two dates; learner ids scattered. `Summary::of` walks its
        // learners in a hash order that differs from one call to the next.
        let zones = [
            ("Europe/Paris", 3),
            ("Asia/Tokyo", 3),
            ("America/Lima", 3),
            ("Pacific/Fiji", 2),
            ("Africa/Cairo", 2),
            ("Europe/Oslo", 2),
            ("Asia/Dubai", 2),
            ("America/Bogota", 2),
            ("Australia/Perth", 1),
            ("Europe/Rome", 1),
            ("Asia/Seoul", 1),
            ("Africa/Lagos", 1),
            ("America/Denver", 1),
        ];
        let mut decisions = Vec::new();
        let mut id = 0u64;
        for (zone, weight) in zones {
            for _ in 0..weight * 100 {
                id += 1;
                let learner = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let (before, after) = ((id % 7) as u32, (id % 7 + id % 3) as u32);
                decisions.push(decided(learner, zone, "2026-11-19", before, after));
                decisions.push(decided(learner, zone, "2026-11-20", before, after));
            }
        }
        let first = Summary::of(&run_dir(decisions.clone(), vec![]));
        let want: Vec<(String, u64)> = [
            ("America/Lima", 300),
            ("Asia/Tokyo", 300),
            ("Europe/Paris", 300),
            ("Africa/Cairo", 200),
            ("America/Bogota", 200),
            ("Asia/Dubai", 200),
            ("Europe/Oslo", 200),
            ("Pacific/Fiji", 200),
            ("Africa/Lagos", 100),
            ("America/Denver", 100),
            ("other", 300),
        ]
        .iter()
        .map(|(z, n)| (z.to_string(), *n))
        .collect();
        assert_eq!(first.top_zones, want);
        assert_eq!(first.learners_affected, 2_400);
        for other_order in [
            decisions.iter().rev().cloned().collect(),
            interleave(&decisions, 7),
            interleave(&decisions, 101),
        ] {
            assert_eq!(Summary::of(&run_dir(other_order, vec![])), first);
        }
    }

    #[test]
    fn a_recorded_run_summarises_the_same_in_any_row_order() {
        let expected = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/generated/expected/");
        let read = |name: &str| std::path::PathBuf::from(format!("{expected}{name}"));
        let decisions: Vec<DecisionRow> =
            crate::rundir::read_jsonl(&read("decisions.jsonl")).expect("decisions");
        let manifest: Vec<ManifestRow> =
            crate::rundir::read_jsonl(&read("manifest.jsonl")).expect("manifest");
        let dir = run_dir(decisions.clone(), manifest.clone());
        let first = Summary::of(&dir);
        assert!(
            first.top_zones.len() > 5 && first.restored_distribution.len() > 1,
            "{first:?}"
        );
        assert_eq!(Summary::of(&dir), first, "the same run directory twice");
        let shuffled = run_dir(interleave(&decisions, 13), interleave(&manifest, 5));
        let again = Summary::of(&shuffled);
        assert_eq!(again, first, "the rows in another order");
        assert_eq!(render_all(&again), render_all(&first));
    }

    #[test]
    fn restored_bins_group_the_long_tail() {
        let s = Summary {
            restored_distribution: vec![(0, 5), (2, 1), (9, 2), (14, 3), (1_121, 1)],
            ..sample()
        };
        let bins = s.restored_bins();
        assert_eq!(bins.len(), 13);
        assert_eq!(
            bins[..3],
            [("0".to_string(), 5), ("1".to_string(), 0), ("2".to_string(), 1)]
        );
        assert_eq!(bins[8], ("8–14".to_string(), 5));
        assert_eq!(bins[12], ("366+".to_string(), 1));
        let short = Summary {
            restored_distribution: vec![(1, 4), (3, 1)],
            ..sample()
        };
        assert_eq!(short.restored_bins().len(), 4);
        assert!(Summary {
            restored_distribution: vec![],
            ..sample()
        }
        .restored_bins()
        .is_empty());
    }

    #[test]
    fn cut_marks_what_it_cuts() {
        assert_eq!(cut("Europe/Berlin", 13), "Europe/Berlin");
        assert_eq!(cut("Europe/Berlin", 8), "Europe/…");
    }

    #[test]
    fn hidden_characters() {
        for c in [
            '\x1b', '\0', '\n', '\r', '\t', '\x7f', '\u{9b}', '\u{202e}', '\u{2066}',
        ] {
            assert!(is_hidden(c), "{c:?}");
        }
        for c in ['a', '/', '<', '|', 'é', '…', '█'] {
            assert!(!is_hidden(c), "{c:?}");
        }
    }

    #[test]
    fn bars_scale_and_show_small_values() {
        assert_eq!(bar(0, 10, 20), "");
        assert_eq!(bar(1, 1000, 20).chars().count(), 1);
        assert_eq!(bar(10, 10, 20).chars().count(), 20);
        assert_eq!(bar(5, 10, 20).chars().count(), 10);
    }
}
