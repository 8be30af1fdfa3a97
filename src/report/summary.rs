//! What a run says: [`Summary`], aggregated once from a run directory (its
//! `run.json` and decision rows), holding every number and series a report shows and
//! nothing about how any format lays them out.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::QUARTER_HOUR;
use crate::output::run::RunInfo;
use crate::output::run::SetAside;
use crate::output::DecisionRow;
use crate::rundir::RunDir;

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
        let learners = Learners::of(&run_dir.decisions);
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
            learners_affected: learners.affected,
            learners_with_actions: learners.with_actions,
            actions: c.actions.clone(),
            actions_total: c.actions.values().sum(),
            streak_days_restored: learners
                .restored
                .iter()
                .map(|(days, n)| u64::from(*days) * n)
                .sum(),
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
            learners_by_local_date: learners.by_date.into_iter().collect(),
            top_zones: top(learners.zones, 10),
            restored_distribution: learners.restored.into_iter().collect(),
        }
    }
}

/// What the decision rows say about their learners.
struct Learners {
    /// Learners with evidence (decided or skipped).
    affected: u64,
    with_actions: u64,
    /// Learners with at least one decided day on each local date.
    by_date: BTreeMap<String, u64>,
    /// Streak days restored → number of decided learners.
    restored: BTreeMap<u32, u64>,
    /// Decided learners per zone.
    zones: BTreeMap<String, u64>,
}

impl Learners {
    fn of(decisions: &[DecisionRow]) -> Learners {
        let mut learners = HashMap::new();
        let mut by_date: BTreeMap<String, u64> = BTreeMap::new();
        for d in decisions {
            learners
                .entry(d.learner_id)
                .or_insert((d.tz.clone(), d.streak_before, d.streak_after));
            // One decision per learner and date, so this counts learners.
            if let Some(date) = &d.local_date {
                *by_date.entry(date.clone()).or_insert(0) += 1;
            }
        }
        // Decision rows name their action, so the manifest need not be read again.
        let with_actions: HashSet<u64> = decisions
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
        Learners {
            affected: learners.len() as u64,
            with_actions: with_actions.len() as u64,
            by_date,
            restored,
            zones,
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
    let q = QUARTER_HOUR;
    (start.div_euclid(q)..end.div_euclid(q) + i64::from(end % q != 0))
        .map(|i| {
            let at = crate::output::instant(i * q);
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

/// A count map's entries, in name order.
pub fn pairs(map: &BTreeMap<String, u64>) -> Vec<(String, u64)> {
    map.iter().map(|(k, v)| (k.clone(), *v)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::render_all;
    use super::*;
    use crate::output::ManifestRow;

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
            as_of_source: crate::output::run::AsOfSource::Cli,
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
            outcome: crate::model::Decided::Day(crate::model::Outcome::FreezeDay),
            action: None,
            repair_id: None,
            tz: Some(tz.to_string()),
            tz_source: Some(crate::model::TzSource::Learners),
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
}
