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
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("streak-repair: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A reader that stops early (`| head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        let io = c.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        // serde_json wraps the write error without exposing it as a source.
        let json = c
            .downcast_ref::<serde_json::Error>()
            .and_then(serde_json::Error::io_error_kind);
        io == Some(BrokenPipe) || json == Some(BrokenPipe)
    })
}
