//! `run.json`: what was run, on which inputs and tz data, and what every input line
//! and every learner became. It is the accounting that support and audits read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::plan::SetAside;
use crate::source::InputDigest;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub tool: Tool,
    pub incident: IncidentInfo,
    /// RFC 3339 UTC.
    pub as_of: String,
    /// `cli`, `incident` or `now`.
    pub as_of_source: String,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TzdbInfo {
    pub source: String,
    pub path: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inputs {
    pub logs: Vec<InputDigest>,
    pub learners: InputDigest,
    pub calendars: InputDigest,
    /// What listing S3 found, kept and pruned; null when every input was local.
    pub s3: Option<crate::source::s3::Listing>,
    /// The Athena queries, what they scanned and cost; null unless `--source athena`.
    #[serde(default)]
    pub athena: Option<crate::source::athena::AthenaRun>,
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
