//! `brb incident --id ID`: the incident file `streak-repair plan` takes, its windows
//! derived from the journal (SPEC §7).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::cmd::Finding;
use crate::switch::config::Config;
use crate::switch::journal;
use crate::switch::windows;

/// Write the incident TOML for the repair job, windows from the journal.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident id the pauses were made under.
    #[arg(long)]
    pub id: String,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip journal objects that do not parse (each is named and counted).
    #[arg(long)]
    pub force: bool,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<Finding> {
    crate::incident::check_id(&args.id).map_err(|m| anyhow::anyhow!("--id: {m}"))?;
    let store = super::open(config)?;
    let journal = super::read_journal(config, &store)?;
    let (events, bad) = (&journal.events, &journal.unreadable);
    for journal::Unreadable { key, reason: why } in bad {
        eprintln!(
            "brb: {}: s3://{}/{key}: {why}",
            if args.force { "skipped" } else { "error" },
            config.journal.bucket
        );
    }
    if !bad.is_empty() && !args.force {
        bail!(
            "{} journal objects do not parse: nothing was written (--force skips them)",
            bad.len()
        );
    }
    let (found, still) = windows::derive(config, events, &args.id, jiff::Timestamp::now());
    if found.is_empty() {
        bail!(
            "the journal has no pause of a practice-blocking feature for incident {:?}",
            args.id
        );
    }
    if !still.is_empty() {
        eprintln!(
            "brb: warning: {} cohort objects are still paused; their windows end now: run this again after the resume",
            still.len()
        );
    }
    let text = windows::incident_toml(config, &args.id, &found);
    crate::incident::Incident::parse(&text, "the derived incident")?;
    match &args.out {
        Some(path) => write_whole(path, &text)?,
        None => print!("{text}"),
    }
    eprintln!(
        "{} windows over {} cohort objects, from {} journal events{}",
        found.len(),
        found.iter().map(|w| w.keys.len()).sum::<usize>(),
        events.len(),
        if bad.is_empty() {
            String::new()
        } else {
            format!(" ({} skipped)", bad.len())
        }
    );
    Ok(if bad.is_empty() {
        Finding::Clean
    } else {
        Finding::Problem
    })
}

/// All of the file or none of it: written beside the target, then renamed.
fn write_whole(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot write here: {e}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.error))?;
    Ok(())
}
