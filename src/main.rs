//! streak-repair: protect learners' daily streaks after an outage.
//!
//! Data flows one way: source → logs → evidence → local days → rules → plan →
//! output. Only `cmd/` wires the stages together. This file decides the exit code
//! and prints errors, once.

mod calendar;
mod cli;
mod cmd;
mod evidence;
mod gather;
mod incident;
mod localday;
mod logs;
mod output;
mod plan;
mod progress;
mod query;
mod rules;
mod scan;
mod source;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Plan(args) => cmd::plan::run(args),
        cli::Command::Scan(args) => cmd::scan::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("streak-repair: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A reader that stops early (`| head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
