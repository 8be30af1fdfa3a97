//! `brb pause`: show learners of the chosen cohorts the maintenance page.

use super::{Confirm, FlipRequest, Select};
use crate::cmd::Finding;
use crate::switch::config::Config;
use crate::switch::flip::Action;

/// Pause cohorts (all, --cohorts, or --percent) for some or all features.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub select: Select,
    /// What the apps show the learner.
    #[arg(long)]
    pub message: Option<String>,
    /// The incident this pause belongs to (default: that of a cohort already paused,
    /// else brb-{UTC time}).
    #[arg(long)]
    pub incident: Option<String>,
    #[command(flatten)]
    pub confirm: Confirm,
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<Finding> {
    if let Some(id) = &args.incident {
        crate::incident::check_id(id).map_err(|m| anyhow::anyhow!("--incident: {m}"))?;
    }
    let store = super::open(config)?;
    let request = FlipRequest {
        action: Action::Pause,
        select: &args.select,
        incident: args.incident,
        message: args.message,
        label: "pause",
    };
    super::flip(config, &store, request, &args.confirm)
}
