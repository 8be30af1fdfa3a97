//! `streak-repair report`: the dry-run report of a plan run, for the on-call engineer
//! deciding whether to ship the manifest and for the incident doc.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;

use crate::report::{ReportFormat, Summary};
use crate::rundir::RunDir;

/// Print the dry-run report of a plan run.
///
/// Headline numbers first (learners affected, actions by kind, streak days restored,
/// learners skipped and why, lines rejected and why, inputs and their hashes, tz
/// data), then charts. text fits a 100-column terminal (colour only on a terminal,
/// and never with NO_COLOR set); markdown pastes into a ticket; html is one
/// self-contained page with inline SVG charts and no network access.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The --out directory of a plan run.
    dir: PathBuf,
    /// text, markdown or html.
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let summary = Summary::of(&RunDir::load(&args.dir)?);
    let stdout = std::io::stdout();
    let color = args.format == ReportFormat::Text
        && stdout.is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = std::io::BufWriter::new(stdout.lock());
    args.format
        .renderer(color)
        .render(&summary, &mut out)
        .context("cannot write the report")?;
    out.flush().context("cannot write the report")?;
    Ok(super::Finding::Clean)
}
