//! The one seam between where evidence is found and the planner. Every evidence source
//! (log files scanned here, local or from S3: `gather::LogScan`; Athena's evidence
//! query: `source::athena::Session`, adapted below) hands over the same [`Collected`],
//! so the planner never knows which one ran.

use crate::incident::Incident;
use crate::model::{LineAccounting, NearMiss, Sighting};
use crate::output::run::Provenance;
use crate::source::{athena, TableFiles};

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
    /// Sorted by learner, then time; one per learner and 15-minute UTC bucket.
    pub sightings: Vec<Sighting>,
    /// What every line became; `None` when the lines were read elsewhere (Athena).
    pub lines: Option<LineAccounting>,
    /// Lines naming a learner that are not evidence.
    pub near_misses: Vec<NearMiss>,
    /// The inputs [`NearMiss::input`] counts in, by name.
    pub input_names: Vec<String>,
}

/// The tables a source read itself.
#[derive(Default)]
pub struct SourceTables {
    pub learners: Option<TableFiles>,
    pub calendars: Option<TableFiles>,
}

impl EvidenceSource for athena::Session {
    fn collect(&mut self, incident: &Incident) -> anyhow::Result<Collected> {
        Ok(Collected {
            sightings: self.evidence(incident)?,
            lines: None,
            near_misses: Vec::new(),
            input_names: Vec::new(),
        })
    }

    fn tables(&mut self, learners: bool, calendars: bool) -> anyhow::Result<SourceTables> {
        let (learners, calendars) = self.read_tables(learners, calendars)?;
        Ok(SourceTables { learners, calendars })
    }

    fn provenance(self: Box<Self>) -> Provenance {
        Provenance {
            athena: Some(self.into_run()),
            ..Provenance::default()
        }
    }
}
