//! `streak-repair verify`: after someone applies a manifest, which of its actions the
//! streak store now shows, which are still pending, and which were overtaken because
//! the learner practised that day after all.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use std::io::Write;

use anyhow::Context;
use jiff::civil::Date;

use crate::calendar;
use crate::model::DayKind;
use crate::rundir::RunDir;

/// Check a manifest against calendars exported after it was applied.
///
/// For every action in DIR/manifest.jsonl: applied (the day is now a repair),
/// pending (not yet), or superseded (the day is now a practice day); a learner with no
/// rows at all in the export is reported apart (an incomplete export). Prints the
/// counts and the first actions not applied; with --strict, exits 1 while any are.
/// Reads only the manifest's learners from the calendars.
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
    /// The learner has no rows at all in the export: every learner in a manifest had
    /// days before, so the export is incomplete, not the repair.
    Missing,
}

impl State {
    fn of(days: &[(Date, DayKind)], date: Date) -> State {
        if days.is_empty() {
            return State::Missing;
        }
        match days
            .binary_search_by_key(&date, |&(d, _)| d)
            .ok()
            .map(|i| days[i].1)
        {
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
            State::Missing => "learner not in the export",
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let run = RunDir::load(&args.dir)?;
    let learners: HashSet<u64> = run.manifest.iter().map(|m| m.learner_id).collect();
    let calendars = calendar::read_calendars(&[&args.calendars], &|id| learners.contains(&id))?;
    let mut counts: BTreeMap<State, u64> = BTreeMap::new();
    let mut open = Vec::new();
    for (n, action) in run.manifest.iter().enumerate() {
        let date = action.local_date.parse::<Date>().with_context(|| {
            let manifest = args.dir.join("manifest.jsonl");
            format!(
                "{}: line {}: local_date {:?}",
                manifest.display(),
                n + 1,
                action.local_date
            )
        })?;
        let state = State::of(calendars.of(action.learner_id), date);
        *counts.entry(state).or_insert(0) += 1;
        if matches!(state, State::Pending | State::Missing) {
            open.push((state, action));
        }
    }
    let count = |s: State| counts.get(&s).copied().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "verify {}: {} actions: {} applied, {} pending, {} superseded",
        run.run.incident.id,
        run.manifest.len(),
        count(State::Applied),
        count(State::Pending),
        count(State::Superseded)
    )?;
    if count(State::Missing) > 0 {
        let calendars = args.calendars.display();
        let missing = count(State::Missing);
        writeln!(
            out,
            "  {missing} action(s) name learners with no rows in {calendars}: is the export complete?"
        )?;
    }
    for (state, a) in open.iter().take(args.show) {
        let (name, id, date, action, repair) =
            (state.name(), a.learner_id, &a.local_date, &a.action, &a.repair_id);
        writeln!(out, "  {name}: learner {id} {date} {action} (repair_id {repair})")?;
    }
    if open.len() > args.show {
        writeln!(out, "  ... and {} more not applied", open.len() - args.show)?;
    }
    out.flush()?;
    let problem = args.strict && !open.is_empty();
    Ok(if problem {
        super::Finding::Problem
    } else {
        super::Finding::Clean
    })
}
