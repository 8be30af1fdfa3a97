//! `brb status`: every cohort as the bucket holds it, drift against the journal, and
//! a loud warning when server access logging is off (then nobody can be repaired).

use std::collections::BTreeMap;

use crate::cmd::Finding;
use crate::switch::config::Config;
use crate::switch::flip;
use crate::switch::journal::Side;
use crate::switch::selection::ranges_text;

/// Per cohort and feature, from the bucket itself.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(config: &Config, _: Args) -> anyhow::Result<Finding> {
    let store = super::open(config)?;
    let all: Vec<u32> = (0..config.cohorts).collect();
    let current = super::read_cohorts(config, &store, &all)?;
    let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let sides: BTreeMap<String, Side> = current
        .iter()
        .map(|(c, o)| (config.key(*c), flip::side(o)))
        .collect();
    for (c, o) in &current {
        let label = match flip::side(o) {
            Side::Absent => "running".to_string(),
            Side::Paused { paused, incident } => format!("paused {} (incident {incident})", paused.join(",")),
            Side::Unreadable => "unreadable object (clients run as if nothing is paused)".to_string(),
            Side::Unknown => "unknown".to_string(),
        };
        groups.entry(label).or_default().push(*c);
    }
    for (label, cohorts) in &groups {
        let share = 100.0 * cohorts.len() as f64 / f64::from(config.cohorts);
        println!(
            "{label}: {} cohorts ≈ {share:.0}% of learners: {}",
            cohorts.len(),
            ranges_text(cohorts)
        );
    }
    let mut finding = Finding::Clean;
    let journal = super::read_journal(config, &store)?;
    let (events, bad) = (&journal.events, &journal.unreadable);
    if !bad.is_empty() {
        eprintln!(
            "brb: warning: {} journal objects do not parse (see `brb log`)",
            bad.len()
        );
    }
    let mut journaled: BTreeMap<String, Side> = BTreeMap::new();
    for e in events {
        for c in &e.changes {
            journaled.insert(c.key.clone(), c.after.clone());
        }
    }
    for (key, side) in &journaled {
        let now = sides.get(key).unwrap_or(&Side::Absent);
        if now != side {
            println!("drift: {key}: the journal says {side:?}, the bucket has {now:?}");
            finding = Finding::Problem;
        }
    }
    let logging = store.block_on(store.client().get_bucket_logging().bucket(&config.bucket).send());
    match logging {
        Ok(out) if out.logging_enabled().is_some() => {
            let l = out
                .logging_enabled()
                .map(|l| format!("s3://{}/{}", l.target_bucket(), l.target_prefix()));
            println!("server access logging: on, to {}", l.unwrap_or_default());
        }
        Ok(_) => {
            eprintln!(
                "brb: WARNING: server access logging is OFF for s3://{}: learners paused now leave no \
                 evidence and cannot be repaired. Run `brb setup`.",
                config.bucket
            );
            finding = Finding::Problem;
        }
        Err(e) => {
            eprintln!(
                "brb: warning: cannot read the bucket's logging setting: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            );
            finding = Finding::Problem;
        }
    }
    Ok(finding)
}
