//! streak-repair: protect learners' daily streaks after an outage.
//!
//! Data flows one way: source → logs → evidence → local days → rules → plan →
//! output. Only `cmd/` wires the stages together. This file decides the exit code
//! and prints errors, once.

use std::process::ExitCode;

use clap::Parser;
use streak_repair::{cli, cmd};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Plan(args) => cmd::plan::run(args),
        cli::Command::Scan(args) => cmd::scan::run(args),
        cli::Command::Explain(args) => cmd::explain::run(args),
        cli::Command::Replay(args) => cmd::replay::run(args),
        cli::Command::Verify(args) => cmd::verify::run(args),
        cli::Command::Sql(args) => cmd::sql::run(args),
        cli::Command::Report(args) => cmd::report::run(args),
    };
    match result {
        Ok(cmd::Finding::Clean) => ExitCode::SUCCESS,
        Ok(cmd::Finding::Problem) => ExitCode::from(1),
        Err(e) if cmd::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("streak-repair: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
