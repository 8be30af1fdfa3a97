//! `brb log`: the journal, one line per flip, or as JSON Lines.

use crate::cmd::Finding;
use crate::switch::config::Config;
use crate::switch::journal;

/// The journal of flips, oldest first.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per line, as stored.
    #[arg(long)]
    pub json: bool,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<Finding> {
    let store = super::open(config)?;
    let journal = super::read_journal(config, &store)?;
    let (events, bad) = (&journal.events, &journal.unreadable);
    for e in events {
        if args.json {
            println!("{}", serde_json::to_string(e)?);
        } else {
            println!(
                "{} {:<6} incident {} by {}: cohorts {} features {}: {} written, {} deleted, {} conflicts, {} failed",
                e.at,
                e.action,
                e.incident,
                e.actor,
                e.requested.cohorts,
                e.requested.features.join(","),
                e.written.len(),
                e.deleted.len(),
                e.conflicts.len(),
                e.failed.len()
            );
        }
    }
    for journal::Unreadable { key, reason: why } in bad {
        eprintln!("brb: warning: s3://{}/{key}: {why}", config.journal.bucket);
    }
    Ok(if bad.is_empty() {
        Finding::Clean
    } else {
        Finding::Problem
    })
}
