//! `run.json`: what was run, on which inputs and tz data, and what every input line
//! and every learner became. It is the accounting that support and audits read.
//!
//! These types are the job's own: sources fill in what they read ([`InputDigest`],
//! [`S3Listing`], [`AthenaRun`]) and the report reads them back without knowing how
//! the evidence was fetched.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{instant, Written};
use crate::calendar::{Calendars, Learners};
use crate::incident::Incident;
use crate::model::{LineAccounting, Sighting};
pub use crate::plan::SetAside;
use crate::plan::{LearnerPlan, Verdict};
use crate::tzdb::Tzdb;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub tool: Tool,
    pub incident: IncidentInfo,
    /// RFC 3339 UTC.
    pub as_of: String,
    pub as_of_source: AsOfSource,
    pub tzdb: TzdbInfo,
    pub inputs: Inputs,
    pub counts: Counts,
    /// Distinct evidence records per 15-minute UTC bucket, keyed by the bucket's start.
    pub evidence_per_quarter_hour: BTreeMap<String, u64>,
    pub manifest_sha256: String,
    pub decisions_sha256: String,
    pub threads: usize,
    /// Wall seconds of each stage: scan, learners_and_calendars, rules, outputs.
    pub stage_seconds: BTreeMap<String, f64>,
    pub wall_seconds: f64,
}

/// Where the run's "now" came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsOfSource {
    Cli,
    Incident,
    Now,
}

/// What the job knows of itself when it writes run.json.
pub struct Job<'a> {
    pub incident: &'a Incident,
    pub incident_path: &'a Path,
    pub as_of: i64,
    pub as_of_source: AsOfSource,
    pub tzdb: &'a Tzdb,
    /// Each table's identity, and how many rows it had.
    pub learners: (InputDigest, TableRows),
    pub calendars: (InputDigest, TableRows),
    /// The evidence planned, and what every line became when the lines were read here.
    pub evidence: EvidenceTally,
    pub lines: Option<&'a LineAccounting>,
}

/// A table's row counts, kept once the table itself is freed.
#[derive(Debug, Clone, Copy)]
pub struct TableRows {
    pub rows: u64,
    /// Rows for a learner already seen (learners files only).
    pub repeated_rows: u64,
}

impl From<&Learners> for TableRows {
    fn from(l: &Learners) -> TableRows {
        TableRows {
            rows: l.rows,
            repeated_rows: l.repeated_rows,
        }
    }
}

impl From<&Calendars> for TableRows {
    fn from(c: &Calendars) -> TableRows {
        TableRows {
            rows: c.rows,
            repeated_rows: 0,
        }
    }
}

/// What run.json says of the evidence planned: taken once the rules have run, so the
/// sightings can be freed before the outputs are written.
pub struct EvidenceTally {
    records: u64,
    /// Distinct records per 15-minute UTC bucket, for the report's chart.
    per_quarter_hour: BTreeMap<i64, u64>,
}

impl EvidenceTally {
    pub fn of(sightings: &[Sighting]) -> EvidenceTally {
        let mut per_quarter_hour = BTreeMap::new();
        for s in sightings {
            *per_quarter_hour.entry(s.start).or_insert(0) += s.hits;
        }
        EvidenceTally {
            records: sightings.iter().map(|s| s.hits).sum(),
            per_quarter_hour,
        }
    }
}

impl RunInfo {
    pub fn new(
        job: Job<'_>,
        provenance: Provenance,
        plans: &[LearnerPlan],
        set_aside: SetAside,
        written: Written,
        clock: Stages,
    ) -> RunInfo {
        let mut counts = Counts::of(job.evidence.records, job.lines, plans);
        counts.set_aside = set_aside;
        counts.learners_file_rows = job.learners.1.rows;
        counts.learners_file_repeated_rows = job.learners.1.repeated_rows;
        counts.calendar_rows = job.calendars.1.rows;
        counts.decisions = written.decisions;
        let (stage_seconds, wall_seconds) = clock.finish("outputs");
        RunInfo {
            tool: Tool {
                name: env!("CARGO_PKG_NAME").into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            incident: IncidentInfo::of(job.incident, job.incident_path),
            as_of: instant(job.as_of),
            as_of_source: job.as_of_source,
            tzdb: TzdbInfo::of(job.tzdb),
            inputs: Inputs {
                logs: provenance.logs,
                learners: job.learners.0,
                calendars: job.calendars.0,
                s3: provenance.s3,
                athena: provenance.athena,
            },
            counts,
            evidence_per_quarter_hour: (job.evidence.per_quarter_hour.into_iter())
                .map(|(t, n)| (instant(t), n))
                .collect(),
            manifest_sha256: written.manifest_sha256,
            decisions_sha256: written.decisions_sha256,
            threads: rayon::current_num_threads(),
            stage_seconds,
            wall_seconds,
        }
    }

    /// Pretty JSON and a newline.
    pub fn write(&self, w: &mut (dyn std::io::Write + Send)) -> anyhow::Result<()> {
        serde_json::to_writer_pretty(&mut *w, self)?;
        Ok(w.write_all(b"\n")?)
    }
}

/// Wall time per stage, for run.json (the outputs stage ends before run.json is written).
pub struct Stages {
    started: Instant,
    since: Instant,
    laps: BTreeMap<String, f64>,
}

impl Stages {
    pub fn start() -> Stages {
        Stages {
            started: Instant::now(),
            since: Instant::now(),
            laps: BTreeMap::new(),
        }
    }

    pub fn lap(&mut self, stage: &'static str) {
        self.laps.insert(stage.to_string(), seconds(self.since.elapsed()));
        self.since = Instant::now();
    }

    /// Each stage's seconds, and the whole run's.
    fn finish(mut self, stage: &'static str) -> (BTreeMap<String, f64>, f64) {
        self.lap(stage);
        (self.laps, seconds(self.started.elapsed()))
    }
}

/// Milliseconds are enough, and keep run.json short.
fn seconds(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IncidentInfo {
    pub id: String,
    pub path: String,
    pub windows: Vec<[String; 2]>,
}

impl IncidentInfo {
    fn of(incident: &Incident, path: &Path) -> IncidentInfo {
        IncidentInfo {
            id: incident.id.clone(),
            path: path.display().to_string(),
            windows: incident
                .windows
                .iter()
                .map(|w| [instant(w.start), instant(w.end)])
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TzdbInfo {
    pub source: String,
    pub path: Option<String>,
    pub version: Option<String>,
}

impl TzdbInfo {
    fn of(tzdb: &Tzdb) -> TzdbInfo {
        TzdbInfo {
            source: tzdb.source().to_string(),
            // Absolute, so `explain` can reopen it from any working directory.
            path: tzdb.path().map(|p| {
                std::fs::canonicalize(p)
                    .unwrap_or_else(|_| p.to_path_buf())
                    .display()
                    .to_string()
            }),
            version: tzdb.version().map(str::to_string),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inputs {
    pub logs: Vec<InputDigest>,
    pub learners: InputDigest,
    pub calendars: InputDigest,
    /// What listing S3 found, kept and pruned; null when every input was local.
    pub s3: Option<S3Listing>,
    /// The Athena queries, what they scanned and cost; null unless `--source athena`.
    #[serde(default)]
    pub athena: Option<AthenaRun>,
}

/// Where a run's evidence came from, as its source records it.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    pub logs: Vec<InputDigest>,
    pub s3: Option<S3Listing>,
    pub athena: Option<AthenaRun>,
}

/// An input's identity as read: where, size and SHA-256 of the stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDigest {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What listing S3 found, kept and pruned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Listing {
    pub listed_objects: u64,
    pub listed_bytes: u64,
    pub pruned_objects: u64,
    pub pruned_bytes: u64,
    /// Objects whose key carries no time: kept, since nothing says they are outside.
    pub undated_objects: u64,
    pub delivery_lag_seconds: i64,
}

/// A finished Athena query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryRecord {
    pub name: String,
    pub id: String,
    pub data_scanned_bytes: u64,
    /// At athena.price_per_tb, with Athena's rounding: up to the megabyte, 10 MB at
    /// least per query; DDL is free.
    pub cost_usd: f64,
    /// The UNLOAD folder; null for DDL.
    pub results_location: Option<String>,
    pub result_files: u64,
    pub result_bytes: u64,
    pub seconds: f64,
}

/// The Athena side of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AthenaRun {
    pub run_id: String,
    pub workgroup: String,
    pub queries: Vec<QueryRecord>,
    pub data_scanned_bytes: u64,
    pub cost_usd: f64,
    pub price_per_tb: f64,
    /// Rows of the evidence result: one per learner and quarter hour.
    pub evidence_buckets: u64,
}

/// Every input line is exactly one of evidence, duplicate, not evidence or rejected.
/// With `--source athena` the lines are read by Athena and only the distinct evidence
/// records come back: the line counts are null.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub lines_read: Option<u64>,
    pub evidence_records: u64,
    pub duplicate_records: Option<u64>,
    pub not_evidence: Option<u64>,
    pub not_evidence_by_reason: BTreeMap<String, u64>,
    pub rejected: BTreeMap<String, u64>,
    pub learners: u64,
    pub learners_skipped: BTreeMap<String, u64>,
    pub set_aside: SetAside,
    pub learners_file_rows: u64,
    pub learners_file_repeated_rows: u64,
    pub calendar_rows: u64,
    pub decisions: u64,
    pub outcomes: BTreeMap<String, u64>,
    pub actions: BTreeMap<String, u64>,
}

impl Counts {
    /// What every line and every learner became; the table counts are the caller's.
    fn of(evidence_records: u64, lines: Option<&LineAccounting>, plans: &[LearnerPlan]) -> Counts {
        let mut c = Counts {
            learners: plans.len() as u64,
            evidence_records,
            ..Counts::default()
        };
        // Athena reads the lines itself: only the distinct evidence records come back.
        if let Some(lines) = lines {
            c.lines_read = Some(lines.counts.lines);
            c.duplicate_records = Some(lines.duplicates);
            c.not_evidence = Some(lines.counts.not_evidence.values().sum());
            for (why, n) in &lines.counts.not_evidence {
                c.not_evidence_by_reason.insert(why.name().into(), *n);
            }
            for (why, n) in &lines.counts.rejected {
                c.rejected.insert(why.name().into(), *n);
            }
        }
        for plan in plans {
            match &plan.verdict {
                Verdict::Skipped { reason, .. } => {
                    *c.learners_skipped.entry(reason.name().into()).or_default() += 1
                }
                Verdict::Planned { days, .. } => {
                    for day in days {
                        *c.outcomes.entry(day.outcome.name().into()).or_default() += 1;
                        if let Some(action) = day.outcome.action() {
                            *c.actions.entry(action.name().into()).or_default() += 1;
                        }
                    }
                }
            }
        }
        c
    }
}
