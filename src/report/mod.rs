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
use crate::plan::SetAside;
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
    pub lines_read: u64,
    pub evidence_records: u64,
    pub duplicate_records: u64,
    pub not_evidence: BTreeMap<String, u64>,
    pub rejected: BTreeMap<String, u64>,
    pub set_aside: SetAside,
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
            learners.entry(d.learner_id).or_insert((d.tz.clone(), d.streak_before, d.streak_after));
            // One decision per learner and date, so this counts learners.
            if let Some(date) = &d.local_date {
                *by_date.entry(date.clone()).or_insert(0) += 1;
            }
        }
        let with_actions: std::collections::HashSet<u64> = run_dir.manifest.iter().map(|m| m.learner_id).collect();
        let mut restored = BTreeMap::new();
        let mut zones: BTreeMap<String, u64> = BTreeMap::new();
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
            tzdb: format!("{} {}", run.tzdb.source, run.tzdb.version.as_deref().unwrap_or("(unknown version)")),
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
    let line = |role, d: &crate::source::InputDigest| InputLine {
        role,
        path: d.path.clone(),
        bytes: d.bytes,
        sha256: d.sha256.clone(),
    };
    let logs = run.inputs.logs.iter().map(|d| line("logs", d));
    logs.chain([line("learners", &run.inputs.learners), line("calendars", &run.inputs.calendars)]).collect()
}

/// The run's buckets spread over every quarter hour of the windows' span.
fn quarter_hours(run: &RunInfo) -> Vec<(String, u64)> {
    let parse = |s: &str| s.parse::<jiff::Timestamp>().map(|t| t.as_second()).ok();
    let start = run.incident.windows.iter().filter_map(|w| parse(&w[0])).min();
    let end = run.incident.windows.iter().filter_map(|w| parse(&w[1])).max();
    let (Some(start), Some(end)) = (start, end) else { return Vec::new() };
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
