//! `brb ramp`: a resume schedule. Every `--every` it resumes the first `--step` more
//! percent of cohorts, up to `--to`, journaling each step; Ctrl-C stops it between
//! steps (a step under way finishes), so the bucket is always in a journaled state.

use std::time::{Duration, Instant};

use super::{Confirm, FlipRequest, Select};
use crate::cmd::Finding;
use crate::switch::config::Config;
use crate::switch::flip::Action;

/// Resume gradually: --step percent more of the cohorts every --every, up to --to.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The percentage of cohorts resumed at the end.
    #[arg(long, default_value_t = 100.0)]
    pub to: f64,
    /// Percentage points added per step.
    #[arg(long)]
    pub step: f64,
    /// Time between steps, e.g. 5m, 30s, 1h.
    #[arg(long)]
    pub every: String,
    /// Features to resume, comma-separated (default: all).
    #[arg(long)]
    pub features: Option<String>,
    #[command(flatten)]
    pub confirm: Confirm,
}

/// The percentages of each step.
fn levels(step: f64, to: f64) -> Result<Vec<f64>, String> {
    if !(step > 0.0 && step <= 100.0) {
        return Err(format!("--step: {step} is not between 0 (exclusive) and 100"));
    }
    if !(0.0..=100.0).contains(&to) {
        return Err(format!("--to: {to} is not between 0 and 100"));
    }
    let mut out = Vec::new();
    let mut p = step.min(to);
    loop {
        out.push(p);
        if p >= to {
            return Ok(out);
        }
        p = (p + step).min(to);
    }
}

fn every(text: &str) -> anyhow::Result<Duration> {
    let d: jiff::SignedDuration = text
        .parse()
        .map_err(|e| anyhow::anyhow!("--every: {text:?} is not a duration like 5m ({e})"))?;
    Duration::try_from(d).map_err(|_| anyhow::anyhow!("--every: {text:?} is negative"))
}

pub fn run(config: &Config, args: Args) -> anyhow::Result<Finding> {
    let levels = levels(args.step, args.to).map_err(anyhow::Error::msg)?;
    let wait = every(&args.every)?;
    let store = super::open(config)?;
    let mut confirm = args.confirm.clone();
    let mut finding = Finding::Clean;
    for (i, &p) in levels.iter().enumerate() {
        let select = Select {
            cohorts: None,
            percent: Some(p),
            features: args.features.clone(),
        };
        let label = format!("ramp step {}/{} to {p}%", i + 1, levels.len());
        let request = FlipRequest {
            action: Action::Resume,
            select: &select,
            incident: None,
            message: None,
            label: "ramp",
        };
        if super::flip(config, &store, request, &confirm)? == Finding::Problem {
            finding = Finding::Problem;
        }
        eprintln!("{label}: done");
        // One confirmation covers the schedule.
        confirm.yes = true;
        if i + 1 == levels.len() {
            break;
        }
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if store.interrupted() {
                eprintln!(
                    "ramp stopped after {p}%: cohorts beyond it are still paused; every step is journaled"
                );
                return Ok(Finding::Problem);
            }
            std::thread::sleep(Duration::from_millis(100).min(until - Instant::now()));
        }
    }
    Ok(finding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_climb_to_the_target_and_bad_steps_are_refused() {
        assert_eq!(levels(10.0, 30.0).unwrap(), [10.0, 20.0, 30.0]);
        assert_eq!(levels(40.0, 100.0).unwrap(), [40.0, 80.0, 100.0]);
        assert_eq!(levels(50.0, 20.0).unwrap(), [20.0]);
        assert!(levels(0.0, 100.0).is_err() && levels(10.0, 120.0).is_err());
        assert_eq!(every("5m").unwrap(), Duration::from_secs(300));
        assert!(every("soon").is_err());
    }
}
