//! `brb resume`: let the chosen cohorts' learners back in.

use super::{Confirm, FlipRequest, Select};
use crate::cmd::Finding;
use crate::switch::config::Config;
use crate::switch::flip::Action;

/// Resume cohorts (all, --cohorts, or --percent) for some or all features.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub select: Select,
    #[command(flatten)]
    pub confirm: Confirm,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<Finding> {
    let store = super::open(config)?;
    let request = FlipRequest {
        action: Action::Resume,
        select: &args.select,
        incident: None,
        message: None,
        label: "resume",
    };
    super::flip(config, &store, request, &args.confirm)
}
