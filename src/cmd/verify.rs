//! `streak-repair verify`: after someone applies a manifest, which of its actions the
//! streak store now shows, which are still pending, and which were overtaken because
//! the learner practised that day after all.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use crate::calendar::{self, DayKind};
use crate::rundir::RunDir;

/// Check a manifest against calendars exported after it was applied.
///
/// For every action in DIR/manifest.jsonl: applied (the day is now a repair),
/// pending (not yet), or superseded (the day is now a practice day). Prints the counts
/// and the first pending actions; with --strict, exits 1 while any are pending. Reads
/// only the manifest's learners from the calendars.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The --out directory of a plan run.
    dir: PathBuf,
    /// Calendars exported after applying (.csv, .jsonl or .parquet).
    #[arg(long)]
    calendars: PathBuf,
    /// Exit 1 while any action is pending.
    #[arg(long)]
    strict: bool,
    /// How many pending actions to list.
    #[arg(long, default_value_t = 10)]
    show: usize,
}

/// What the calendar now says of one action's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Applied,
    Pending,
    Superseded,
}

impl State {
    fn of(kind: Option<DayKind>) -> State {
        match kind {
            Some(DayKind::Repair) => State::Applied,
            Some(DayKind::Practice) => State::Superseded,
            Some(DayKind::Freeze) | None => State::Pending,
        }
    }

    fn name(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Superseded => "superseded",
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let run = RunDir::load(&args.dir)?;
    let learners: HashSet<u64> = run.manifest.iter().map(|m| m.learner_id).collect();
    let calendars = calendar::read_calendars(&args.calendars, &|id| learners.contains(&id))?;
    let mut counts: BTreeMap<State, u64> = BTreeMap::new();
    let mut pending = Vec::new();
    for action in &run.manifest {
        let date = action.local_date.parse::<jiff::civil::Date>()?;
        let days = calendars.of(action.learner_id);
        let kind = days
            .binary_search_by_key(&date, |&(d, _)| d)
            .ok()
            .map(|i| days[i].1);
        let state = State::of(kind);
        *counts.entry(state).or_insert(0) += 1;
        if state == State::Pending {
            pending.push(action);
        }
    }
    let count = |s: State| counts.get(&s).copied().unwrap_or(0);
    println!(
        "verify {}: {} actions: {} applied, {} pending, {} superseded",
        run.run.incident.id,
        run.manifest.len(),
        count(State::Applied),
        count(State::Pending),
        count(State::Superseded)
    );
    for a in pending.iter().take(args.show) {
        println!(
            "  {}: learner {} {} {} (repair_id {})",
            State::Pending.name(),
            a.learner_id,
            a.local_date,
            a.action,
            a.repair_id
        );
    }
    if pending.len() > args.show {
        println!("  ... and {} more pending", pending.len() - args.show);
    }
    let problem = args.strict && !pending.is_empty();
    Ok(if problem {
        super::Finding::Problem
    } else {
        super::Finding::Clean
    })
}
