//! `reqtrace scan`: every ALB access-log record as JSON Lines, and every rejected line
//! with its reason, as `streak-repair scan --all` prints S3 logs.

use std::io::Write;

use anyhow::Context;

use crate::cmd::{scan::print_records, S3Args};
use crate::logs::alb::AlbLog;
use crate::logs::applog::AppLog;
use crate::source;

/// Print every ALB access-log record as JSON Lines.
///
/// One object per line with every documented field by its documented name in snake_case
/// (client:port as client_ip and client_port; `-` as null, numbers as numbers, times RFC
/// 3339 UTC), fields after the known ones in extra_fields; a line that is not a record
/// prints {"rejected": reason, "file", "line"}. In file and line order; streams. With
/// --app-logs, the application-log records (TRACING.md) follow, the same way.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// ALB access logs: files, directories (recursive) or s3://bucket/prefix; plain or gzip.
    #[arg(long, num_args = 1.., required_unless_present = "app_logs")]
    logs: Vec<String>,
    /// Application logs (JSON Lines), the same kinds of places.
    #[arg(long, num_args = 1..)]
    app_logs: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    s3: S3Args,
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    crate::cmd::threads(args.threads)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    if !args.logs.is_empty() {
        let inputs = source::expand(&args.logs, &args.s3.options(&[]))?;
        print_records::<AlbLog>(&inputs.list, &mut out)?;
    }
    if !args.app_logs.is_empty() {
        let inputs = source::expand(&args.app_logs, &args.s3.options(&[]))?;
        print_records::<AppLog>(&inputs.list, &mut out)?;
    }
    out.flush().context("cannot write to stdout")?;
    Ok(super::Finding::Clean)
}
