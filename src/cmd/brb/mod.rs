//! `brb`'s command line: one file per subcommand, and the flip every pause, resume and
//! ramp step shares (read, plan, say it in words, confirm, write, journal).

pub mod cohort;
pub mod incident;
pub mod log;
pub mod pause;
pub mod ramp;
pub mod resume;
pub mod setup;
pub mod status;

use std::io::{BufRead, IsTerminal, Write as _};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use jiff::Timestamp;

use super::Finding;
use crate::switch::config::Config;
use crate::switch::flip::{self, Action, Ask};
use crate::switch::journal::{self, Event, Journal, Outcome, Requested, Side};
use crate::switch::selection::{ranges_text, Cohorts, Features};
use crate::switch::store::{self, Expect, Object, Store};

/// The Big Red Button: pause learners' requests during an outage, bring them back
/// gradually, and journal every flip so their streaks can be repaired.
#[derive(Debug, Parser)]
#[command(name = "brb", version, max_term_width = 100)]
pub struct Cli {
    /// The switch's config file.
    #[arg(long, global = true, env = "BRB_CONFIG", default_value = "brb.toml")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Pause(pause::Args),
    Resume(resume::Args),
    Ramp(ramp::Args),
    Status(status::Args),
    Cohort(cohort::Args),
    Log(log::Args),
    Incident(incident::Args),
    Setup(setup::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<Finding> {
    let config = Config::load(&cli.config)?;
    match cli.command {
        Command::Pause(a) => pause::run(&config, a),
        Command::Resume(a) => resume::run(&config, a),
        Command::Ramp(a) => ramp::run(&config, a),
        Command::Status(a) => status::run(&config, a),
        Command::Cohort(a) => cohort::run(&config, a),
        Command::Log(a) => log::run(&config, a),
        Command::Incident(a) => incident::run(&config, a),
        Command::Setup(a) => setup::run(&config, a),
    }
}

/// Which cohorts: all of them unless told.
#[derive(Debug, Clone, clap::Args)]
pub struct Select {
    /// Cohort ranges such as 0-49,60.
    #[arg(long, conflicts_with = "percent")]
    pub cohorts: Option<String>,
    /// The first P percent of cohorts (0 .. floor(P·N/100)−1).
    #[arg(long)]
    pub percent: Option<f64>,
    /// Features, comma-separated (default: all).
    #[arg(long)]
    pub features: Option<String>,
}

impl Select {
    pub fn cohorts(&self, config: &Config) -> anyhow::Result<Cohorts> {
        let n = config.cohorts;
        let picked = match (&self.cohorts, self.percent) {
            (Some(r), _) => Cohorts::ranges(r, n),
            (None, Some(p)) => Cohorts::percent(p, n),
            (None, None) => Ok(Cohorts::all(n)),
        };
        picked.map_err(anyhow::Error::msg)
    }
}

/// How a flip is confirmed.
#[derive(Debug, Clone, clap::Args)]
pub struct Confirm {
    /// Do not ask (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// Print the requests and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// One flip, start to end; `Problem` when some object conflicted or failed.
/// What one flip asks for; `label` names it in the journal (`pause`, `resume`, `ramp`).
pub struct FlipRequest<'a> {
    pub action: Action,
    pub select: &'a Select,
    pub incident: Option<String>,
    pub message: Option<String>,
    pub label: &'a str,
}

pub fn flip(
    config: &Config,
    store: &Store,
    request: FlipRequest<'_>,
    confirm: &Confirm,
) -> anyhow::Result<Finding> {
    let FlipRequest {
        action,
        select,
        incident: ask_incident,
        message,
        label,
    } = request;
    let cohorts = select.cohorts(config)?;
    let features = Features::parse(select.features.as_deref(), config).map_err(anyhow::Error::msg)?;
    let current = read_cohorts(config, store, &cohorts.0)?;
    let operator_clock = Timestamp::now();
    let incident = ask_incident
        .or_else(|| paused_incident(&current))
        .unwrap_or_else(|| format!("brb-{}", operator_clock.strftime("%Y%m%dT%H%MZ")));
    let ask = Ask {
        action,
        features: features.clone(),
        message: message.clone(),
        incident: incident.clone(),
    };
    let writes = flip::plan(config, &ask, &current, operator_clock);
    let verb = if action == Action::Pause {
        "pause"
    } else {
        "resume"
    };
    eprintln!(
        "{label}: {verb} {}, features: {}; incident {incident}: {} objects to change, {} already so",
        cohorts.describe(config.cohorts),
        features.describe(),
        writes.len(),
        current.len() - writes.len()
    );
    if confirm.dry_run {
        for w in &writes {
            println!("{}", request_line(config, w));
        }
        return Ok(Finding::Clean);
    }
    if writes.is_empty() {
        return Ok(Finding::Clean);
    }
    ask_operator(confirm)?;
    store.guard_interrupts();
    let changes = flip::execute(store, &config.bucket, writes);
    let mut event = Event {
        v: journal::VERSION,
        at: latest_at(&changes).unwrap_or_else(|| stamp(operator_clock)),
        operator_clock: operator_clock.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        actor: journal::actor(),
        action: label.to_string(),
        incident: event_incident(action, &incident, &changes),
        requested: Requested {
            cohorts: ranges_text(&cohorts.0),
            features: features.paused_list(),
            message,
        },
        unchanged: current.len() - changes.len(),
        changes,
        written: vec![],
        deleted: vec![],
        failed: vec![],
        conflicts: vec![],
    };
    event.summarise();
    write_journal(config, store, &event, operator_clock)?;
    Ok(report(&event))
}

fn stamp(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Every selected cohort's object; any read error stops the flip before it starts.
pub fn read_cohorts(config: &Config, store: &Store, cohorts: &[u32]) -> anyhow::Result<Vec<(u32, Object)>> {
    let keys: Vec<String> = cohorts.iter().map(|&c| config.key(c)).collect();
    let read = store.read_all(&config.bucket, &keys);
    cohorts
        .iter()
        .zip(read)
        .map(|(&c, r)| {
            r.map(|d| (c, d.value))
                .map_err(|e| anyhow::anyhow!("{e} (nothing was changed)"))
        })
        .collect()
}

fn paused_incident(current: &[(u32, Object)]) -> Option<String> {
    current.iter().find_map(|(_, o)| match flip::side(o) {
        Side::Paused { incident, .. } if !incident.is_empty() => Some(incident),
        _ => None,
    })
}

/// A resume belongs to the incident of what it resumed.
fn event_incident(action: Action, asked: &str, changes: &[journal::Change]) -> String {
    let resumed = changes.iter().find_map(|c| match &c.before {
        Side::Paused { incident, .. } if action == Action::Resume => Some(incident.clone()),
        _ => None,
    });
    resumed.unwrap_or_else(|| asked.to_string())
}

fn latest_at(changes: &[journal::Change]) -> Option<String> {
    changes.iter().filter_map(|c| c.at.clone()).max()
}

fn request_line(config: &Config, w: &flip::Write) -> String {
    let url = format!("s3://{}/{}", config.bucket, w.key);
    let condition = match &w.expect {
        Expect::Absent => "If-None-Match: *".to_string(),
        Expect::Etag(e) => format!("If-Match: {e}"),
    };
    match &w.body {
        Some(n) => format!(
            "PUT {url} {condition} {}",
            serde_json::to_string(n).unwrap_or_default()
        ),
        None => format!("DELETE {url} {condition}"),
    }
}

fn ask_operator(confirm: &Confirm) -> anyhow::Result<()> {
    if confirm.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("not a terminal: pass --yes to flip from a script, or --dry-run to see the requests");
    }
    eprint!("Proceed? [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        bail!("not confirmed: nothing was changed");
    }
    Ok(())
}

/// Creates the journal object; if that fails the flip still happened, so the event
/// is printed for the operator to keep.
fn write_journal(
    config: &Config,
    store: &Store,
    event: &Event,
    operator_clock: Timestamp,
) -> anyhow::Result<()> {
    let key = journal::object_key(&config.journal, operator_clock);
    let body = serde_json::to_vec_pretty(event)?;
    let put = store.block_on(store::put(
        store.client(),
        &config.journal.bucket,
        &key,
        body,
        &Expect::Absent,
        None,
    ));
    put.map(|_| eprintln!("journal: s3://{}/{key}", config.journal.bucket))
        .or_else(|e| {
            eprintln!("{}", serde_json::to_string(event).unwrap_or_default());
            bail!(
                "the flip was made but its journal object s3://{}/{key} could not be written ({e:?}); \
             the event is printed above: keep it",
                config.journal.bucket
            )
        })
}

fn report(event: &Event) -> Finding {
    eprintln!(
        "{} written, {} deleted, {} conflicts, {} failed, {} unchanged",
        event.written.len(),
        event.deleted.len(),
        event.conflicts.len(),
        event.failed.len(),
        event.unchanged
    );
    for c in event
        .changes
        .iter()
        .filter(|c| matches!(c.result, Outcome::Conflict | Outcome::Failed))
    {
        let what = if c.result == Outcome::Conflict {
            "changed by someone else, left as found"
        } else {
            "failed"
        };
        eprintln!(
            "  {}: {what}: now {:?}{}",
            c.key,
            c.after,
            c.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
        );
    }
    if event.conflicts.is_empty() && event.failed.is_empty() {
        Finding::Clean
    } else {
        Finding::Problem
    }
}

/// The store for the config's bucket, checked to exist.
pub fn open(config: &Config) -> anyhow::Result<Store> {
    let store = Store::new(config)?;
    store
        .block_on(store.client().head_bucket().bucket(&config.bucket).send())
        .map_err(|e| {
            anyhow::anyhow!(
                "s3://{}: cannot reach the bucket named by `bucket` ({})",
                config.bucket,
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        })
        .context("nothing was changed")?;
    Ok(store)
}

/// Every journal event, and the objects that did not parse.
pub fn read_journal(config: &Config, store: &Store) -> anyhow::Result<Journal> {
    let place = &config.journal;
    let keys = store
        .block_on(store::list(store.client(), &place.bucket, &place.prefix))
        .map_err(anyhow::Error::msg)?;
    let bucket = place.bucket.clone();
    let bodies = store.each(keys, move |client, key| {
        let bucket = bucket.clone();
        async move { store::get(&client, &bucket, &key).await.map(|b| (key, b)) }
    });
    let objects = bodies
        .into_iter()
        .collect::<Result<Vec<_>, String>>()
        .map_err(anyhow::Error::msg)?;
    Ok(journal::parse_all(objects))
}
