//! `brb cohort LEARNER_ID`: for support, the learner's cohort and whether it is paused.

use crate::cmd::Finding;
use crate::switch::config::Config;
use crate::switch::store::{self, Object};

/// Which cohort a learner is in, and whether it is paused now.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The learner id, in decimal.
    pub learner_id: u64,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<Finding> {
    let cohort = brb_client::cohort(&config.salt, args.learner_id, config.cohorts);
    let key = config.key(cohort);
    println!(
        "learner {}: cohort {cohort} of {} (s3://{}/{key})",
        args.learner_id, config.cohorts, config.bucket
    );
    let store = super::open(config)?;
    let object = store
        .block_on(store::read(store.client(), &config.bucket, &key))
        .map_err(anyhow::Error::msg)?;
    match object.value {
        Object::Absent => println!("running: nothing is paused for this learner"),
        Object::Present { body, .. } => match brb_client::Notice::parse(&body) {
            Some(n) => println!(
                "paused: {} since {}, incident {}; message: {}",
                n.paused.join(","),
                n.since,
                n.incident,
                n.message
            ),
            None => {
                println!("an object is there but clients cannot read it: they run as if nothing is paused")
            }
        },
    }
    Ok(Finding::Clean)
}
