//! brb: the Big Red Button's switch (SPEC §7). Pauses and resumes learners' cohorts
//! on S3, journals every flip, and writes the incident file the repair job takes.
//! This file decides the exit code and prints errors, once.

use std::process::ExitCode;

use clap::Parser;
use streak_repair::cmd::brb;
use streak_repair::cmd::Finding;

fn main() -> ExitCode {
    match brb::run(brb::Cli::parse()) {
        Ok(Finding::Clean) => ExitCode::SUCCESS,
        Ok(Finding::Problem) => ExitCode::from(1),
        Err(e) => {
            eprintln!("brb: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
