//! reqtrace: request tracing from load-balancer logs (TRACING.md). Stitches any
//! request's call tree from ALB access logs, exports it to Jaeger and OTLP.
//! This file decides the exit code and prints errors, once.

use std::process::ExitCode;

use clap::Parser;
use streak_repair::cmd::{reqtrace, Finding};

fn main() -> ExitCode {
    match reqtrace::run(reqtrace::Cli::parse()) {
        Ok(Finding::Clean) => ExitCode::SUCCESS,
        Ok(Finding::Problem) => ExitCode::from(1),
        Err(e) if streak_repair::cmd::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reqtrace: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
