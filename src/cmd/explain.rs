//! `streak-repair explain`: every decision about one learner, in words a support agent
//! can paste into a reply, or as JSON for tools.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::localday::Zone;
use crate::model::{Decided, MissReason, NotEvidence, Outcome, SkipReason, TzSource};
use crate::output::{DecisionRow, NearMissRow};
use crate::rundir::RunDir;
use crate::tzdb::{Tzdb, TzdbChoice};

/// Explain every decision about one learner.
///
/// Says when the learner was shown the maintenance page (UTC and their local time),
/// which local day that was, what their calendar held on it and the day before, the
/// outcome and why, the repair id, and the streak before and after. For a learner
/// not in the run, says so and lists the log lines that named them but were not
/// evidence (rejected, outside the window, another status), from near_misses.jsonl.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The --out directory of a plan run.
    dir: PathBuf,
    /// The learner id.
    #[arg(long)]
    learner: u64,
    /// text (default) or json.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// One day, as explained.
#[derive(Debug, Serialize)]
struct Day<'a> {
    #[serde(flatten)]
    decision: &'a DecisionRow,
    /// evidence_first and evidence_last in the learner's zone.
    evidence_first_local: Option<String>,
    evidence_last_local: Option<String>,
    why: String,
}

#[derive(Debug, Serialize)]
struct Explanation<'a> {
    learner_id: u64,
    incident_id: &'a str,
    as_of: &'a str,
    in_run: bool,
    days: Vec<Day<'a>>,
    /// `None` when the run kept no near misses (an older run directory).
    near_misses: Option<Vec<NearMissRow>>,
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let run = RunDir::load(&args.dir)?;
    let rows: Vec<&DecisionRow> = run
        .decisions
        .iter()
        .filter(|d| d.learner_id == args.learner)
        .collect();
    // Local times need the run's own tz data; without it the decisions still stand.
    let tzdb =
        TzdbChoice::recorded(&run.run.tzdb.source, run.run.tzdb.path.as_deref()).map(|c| Tzdb::open(&c));
    let zone = match (rows.iter().find_map(|d| d.tz.as_deref()), tzdb) {
        (Some(name), Some(Ok(db))) => db.zone(name),
        (Some(_), _) => {
            eprintln!(
                "warning: the run's tz data ({}) cannot be opened here; local times left out",
                run.run.tzdb.source
            );
            None
        }
        (None, _) => None,
    };
    let days = rows
        .iter()
        .enumerate()
        .map(|(i, d)| Day {
            decision: d,
            evidence_first_local: zone.as_ref().map(|z| local(z, &d.evidence_first)),
            evidence_last_local: zone.as_ref().map(|z| local(z, &d.evidence_last)),
            why: why(d, i.checked_sub(1).map(|p| rows[p]), &run.run.as_of),
        })
        .collect();
    let explanation = Explanation {
        learner_id: args.learner,
        incident_id: &run.run.incident.id,
        as_of: &run.run.as_of,
        in_run: !rows.is_empty(),
        days,
        near_misses: run.near_misses(args.learner)?,
    };
    let rendered = match args.format {
        Format::Json => serde_json::to_string_pretty(&explanation)? + "\n",
        Format::Text => text(&explanation),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(rendered.as_bytes())?;
    out.flush()?;
    Ok(super::Finding::Clean)
}

/// An RFC 3339 UTC instant as local wall time with its offset.
fn local(zone: &Zone, instant: &str) -> String {
    let Ok(t) = instant.parse::<jiff::Timestamp>() else {
        return instant.to_string();
    };
    zone.display(t.as_second())
}

/// Why the rules decided what they did, in one sentence.
fn why(d: &DecisionRow, previous: Option<&DecisionRow>, as_of: &str) -> String {
    let before = d.day_before.as_deref().unwrap_or("the day before");
    let before_held = match (&d.day_before_kind, previous) {
        (Some(kind), _) => format!("{before} has {kind}"),
        (None, Some(p)) if p.local_date.as_deref() == Some(before) && p.action.is_some() => {
            format!("{before} is repaired by this run")
        }
        (None, _) => format!("{before} has nothing recorded"),
    };
    match d.outcome {
        Decided::Day(Outcome::Deferred) => format!("the day was not over yet in {} at {as_of}; a later run will decide it", d.tz.as_deref().unwrap_or("their zone")),
        Decided::Day(Outcome::Practiced) => "they practised that day, so the streak needs no repair".into(),
        Decided::Day(Outcome::AlreadyRepaired) => "the day is already a repair from an earlier run".into(),
        Decided::Day(Outcome::NoActiveStreak) => format!("there was no streak to protect: {before_held}"),
        Decided::Day(Outcome::RefundFreeze) => format!("the streak was alive ({before_held}) and a streak freeze was used up that day: it is refunded and the day becomes a repair"),
        Decided::Day(Outcome::FreezeDay) => format!("the streak was alive ({before_held}) and the day had nothing recorded: it becomes a repair"),
        Decided::Skipped(SkipReason::UnknownTimezone) => "no time zone: not in the learners file (or an invalid zone there), no valid tz parameter in their fetches, and the incident has no default_tz".into(),
    }
}

fn text(e: &Explanation<'_>) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Learner {} in incident {} (as of {})",
        e.learner_id, e.incident_id, e.as_of
    );
    let Some(first) = e.days.first().map(|d| d.decision) else {
        not_in_run(&mut s, e.near_misses.as_deref());
        return s;
    };
    if let (Some(tz), Some(source)) = (&first.tz, &first.tz_source) {
        let from = match source {
            TzSource::Learners => "the learners file",
            TzSource::Evidence => "the tz parameter of their latest fetch",
            TzSource::Default => "the incident's default_tz",
        };
        let _ = writeln!(s, "Time zone: {tz} (from {from})");
    }
    if let (Some(b), Some(a)) = (first.streak_before, first.streak_after) {
        let _ = writeln!(
            s,
            "Streak as of {}: {b} before this run's repairs, {a} after",
            e.as_of
        );
    }
    for day in &e.days {
        let d = day.decision;
        let _ = writeln!(s);
        let date = d.local_date.as_deref().unwrap_or("(no local day)");
        let _ = writeln!(s, "{date}: {}", d.outcome);
        let shown = |utc: &str, local: &Option<String>| match local {
            Some(l) => format!("{utc} ({l} local)"),
            None => utc.to_string(),
        };
        let _ = writeln!(
            s,
            "  shown the maintenance page {} time(s): first {}, last {}",
            d.evidence_hits,
            shown(&d.evidence_first, &day.evidence_first_local),
            shown(&d.evidence_last, &day.evidence_last_local)
        );
        if let Some(before) = &d.day_before {
            let kind = |k: &Option<_>| k.map_or("nothing", crate::model::DayKind::name);
            let _ = writeln!(
                s,
                "  calendar: {before} {}, {date} {}",
                kind(&d.day_before_kind),
                kind(&d.day_kind)
            );
        }
        let _ = writeln!(s, "  why: {}", day.why);
        if let (Some(action), Some(id)) = (&d.action, &d.repair_id) {
            let _ = writeln!(s, "  action: {action}, repair id {id}");
        }
    }
    if let Some(misses) = e.near_misses.as_deref().filter(|m| !m.is_empty()) {
        let _ = writeln!(s, "\nOther log lines that named them but were not evidence:");
        near_misses(&mut s, misses);
    }
    s
}

/// For a learner without decisions: what the logs did say about them.
fn not_in_run(s: &mut String, misses: Option<&[NearMissRow]>) {
    use std::fmt::Write;
    let _ = writeln!(s, "Not in this run: no evidence record named this learner.");
    match misses {
        None => {
            let _ = writeln!(
                s,
                "This run directory has no near_misses.jsonl, so other lines cannot be told."
            );
        }
        Some([]) => {
            let _ = writeln!(s, "No other log line named them either.");
        }
        Some(misses) => {
            let _ = writeln!(s, "Log lines that named them but were not evidence:");
            near_misses(s, misses);
        }
    }
}

fn near_misses(s: &mut String, misses: &[NearMissRow]) {
    use std::fmt::Write;
    for m in misses {
        let when = m.time.as_deref().unwrap_or("unreadable time");
        let _ = writeln!(
            s,
            "  {}:{} at {when}: {}",
            m.file,
            m.line,
            reason_in_words(&m.reason)
        );
    }
}

fn reason_in_words(reason: &MissReason) -> String {
    let words = match reason {
        MissReason::NotEvidence(NotEvidence::OtherStatus) => {
            "the maintenance object was not served (another HTTP status, e.g. 404 after the resume)"
        }
        MissReason::NotEvidence(NotEvidence::OutsideWindow) => "outside the incident's windows",
        MissReason::NotEvidence(NotEvidence::OtherBucket) => "another bucket",
        MissReason::NotEvidence(NotEvidence::OtherOperation) => "another operation (not a GET or HEAD)",
        MissReason::NotEvidence(NotEvidence::OtherKey) => "another object key",
        MissReason::NotEvidence(NotEvidence::NoLearnerId) => "no readable learner id",
        MissReason::Rejected(why) => return format!("line rejected: {}", why.name()),
    };
    words.to_string()
}
