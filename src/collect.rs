//! The one seam between where evidence is found and the planner. Every evidence source
//! (log files scanned here, local or from S3, in `gather`; Athena's evidence query in
//! `source::athena`) hands over the same [`Collected`], so the planner never knows
//! which one ran.

use std::collections::BTreeMap;

use crate::incident::Incident;
use crate::model::{NearMiss, NotEvidence, Reject, Sighting};
use crate::output::run::Provenance;
use crate::source::TableFiles;

/// A place evidence comes from.
pub trait EvidenceSource {
    /// The incident's evidence, sorted by learner and time, with its accounting.
    fn collect(&mut self, incident: &Incident) -> anyhow::Result<Collected>;

    /// The learners and calendars tables this source reads itself, for those asked
    /// (after `collect`, for its learners only). Most sources read none.
    fn tables(&mut self, _learners: bool, _calendars: bool) -> anyhow::Result<SourceTables> {
        Ok(SourceTables::default())
    }

    /// What run.json records of where the evidence came from; asked last.
    fn provenance(self: Box<Self>) -> Provenance;
}

/// What a source found.
pub struct Collected {
    /// Sorted by learner, then time; one per distinct record or per Athena bucket.
    pub sightings: Vec<Sighting>,
    /// What every line became; `None` when the lines were read elsewhere (Athena).
    pub lines: Option<LineAccounting>,
    /// Lines naming a learner that are not evidence.
    pub near_misses: Vec<NearMiss>,
    /// The inputs [`NearMiss::input`] counts in, by name.
    pub input_names: Vec<String>,
}

impl Collected {
    /// Distinct evidence records, whichever way they were counted.
    pub fn evidence_records(&self) -> u64 {
        self.sightings.iter().map(|s| s.hits).sum()
    }
}

/// The tables a source read itself.
#[derive(Default)]
pub struct SourceTables {
    pub learners: Option<TableFiles>,
    pub calendars: Option<TableFiles>,
}

/// What every line became, before de-duplication.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LineCounts {
    pub lines: u64,
    pub evidence: u64,
    pub not_evidence: BTreeMap<NotEvidence, u64>,
    pub rejected: BTreeMap<Reject, u64>,
}

impl LineCounts {
    pub fn merge(&mut self, other: LineCounts) {
        self.lines += other.lines;
        self.evidence += other.evidence;
        for (k, n) in other.not_evidence {
            *self.not_evidence.entry(k).or_default() += n;
        }
        for (k, n) in other.rejected {
            *self.rejected.entry(k).or_default() += n;
        }
    }
}

/// Every line read here: its counts and the repeats de-duplication removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAccounting {
    pub counts: LineCounts,
    pub duplicates: u64,
}
