//! `reqtrace`'s command line (TRACING.md): one file per subcommand over the shared
//! sources, the ALB log parser and the trace module, and the reading every stitching
//! command shares (logs → hops, with every line that is not one counted).

pub mod deps;
pub mod export;
pub mod scan;
pub mod show;
pub mod sql;

use std::collections::BTreeMap;

use clap::{Parser, Subcommand};

use super::{Finding, S3Args};
use crate::blocks::Block;
use crate::logs::{alb, applog};
use crate::source;
use crate::trace::from_alb;
use crate::trace::header::{TraceHeader, TraceId};
use crate::trace::hop::Hop;
use crate::trace::stitch::Stitched;

/// Request tracing from load-balancer logs: every request's call tree, rebuilt from
/// ALB access logs alone (TRACING.md has the header contract services follow).
#[derive(Debug, Parser)]
#[command(name = "reqtrace", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Scan(scan::Args),
    Show(show::Args),
    Deps(deps::Args),
    Export(export::Args),
    Sql(sql::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<Finding> {
    match cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Show(a) => show::run(a),
        Command::Deps(a) => deps::run(a),
        Command::Export(a) => export::run(a),
        Command::Sql(a) => sql::run(a),
    }
}

/// Where the ALB logs are, for the commands that stitch.
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// ALB access logs: files, directories (recursive) or s3://bucket/prefix; plain or gzip.
    #[arg(long, required = true, num_args = 1..)]
    pub logs: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub s3: S3Args,
}

/// What reading the logs made of every line.
#[derive(Debug, Default)]
pub struct Reading {
    pub lines: u64,
    pub hops: u64,
    /// Lines that are not ALB records, by reason.
    pub rejected: BTreeMap<&'static str, u64>,
    /// Records with no usable `Root`, by reason.
    pub untraced: BTreeMap<&'static str, u64>,
}

impl Reading {
    /// The stderr line every stitching command prints: nothing read goes unaccounted.
    pub fn report(&self, stitched: &Stitched) {
        let mut line = format!("reqtrace: {} lines, {} hops", self.lines, self.hops);
        for (what, counts) in [("rejected", &self.rejected), ("without a trace", &self.untraced)] {
            if !counts.is_empty() {
                let parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
                line.push_str(&format!("; {what}: {}", parts.join(", ")));
            }
        }
        eprintln!("{line}\nreqtrace: {}", stitched.summary);
    }

    fn add(&mut self, other: Reading) {
        self.lines += other.lines;
        self.hops += other.hops;
        for (into, from) in [
            (&mut self.rejected, other.rejected),
            (&mut self.untraced, other.untraced),
        ] {
            for (reason, n) in from {
                *into.entry(reason).or_default() += n;
            }
        }
    }
}

/// Every hop the logs hold for which `keep` is true, and what the other lines were.
pub fn read_hops(
    args: &LogArgs,
    keep: &(dyn Fn(&Hop) -> bool + Sync),
) -> anyhow::Result<(Vec<Hop>, Reading)> {
    super::threads(args.threads)?;
    let inputs = source::expand(&args.logs, &args.s3.options(&[]))?;
    let mut hops = Vec::new();
    let mut reading = Reading::default();
    let process = |block: &Block| {
        let mut part = (Vec::new(), Reading::default());
        for (line, text) in block.lines() {
            part.1.lines += 1;
            match alb::parse(text) {
                Err(reason) => *part.1.rejected.entry(reason.name()).or_default() += 1,
                Ok(record) => match from_alb::hop(&record, block.input as u32, line) {
                    Err(why) => *part.1.untraced.entry(why.name()).or_default() += 1,
                    Ok(hop) if keep(&hop) => {
                        part.1.hops += 1;
                        part.0.push(hop);
                    }
                    Ok(_) => {}
                },
            }
        }
        part
    };
    crate::blocks::run(
        &inputs.list,
        false,
        crate::logs::LONGEST_LINE,
        &(),
        process,
        |(h, r)| {
            hops.extend(h);
            reading.add(r);
            Ok(())
        },
    )?;
    Ok((hops, reading))
}

/// The traces app-log calls name for a user or a request id, within `[from, to)`.
pub fn roots_from_app_logs(
    app_logs: &[String],
    s3: &S3Args,
    wanted: &(dyn Fn(&applog::AppCall) -> bool + Sync),
) -> anyhow::Result<Vec<TraceId>> {
    let inputs = source::expand(app_logs, &s3.options(&[]))?;
    let mut roots = Vec::new();
    let process = |block: &Block| {
        let calls = block.lines().filter_map(|(_, text)| applog::parse(text).ok());
        calls
            .filter(|c| wanted(c))
            .filter_map(|c| parse_root(&c.root).ok())
            .collect::<Vec<_>>()
    };
    crate::blocks::run(
        &inputs.list,
        false,
        crate::logs::LONGEST_LINE,
        &(),
        process,
        |r| {
            roots.extend(r);
            Ok(())
        },
    )?;
    roots.sort_unstable();
    roots.dedup();
    Ok(roots)
}

/// A trace as a user names it: `1-{8 hex}-{24 hex}`, `Root=…`, or the 32 hex digits
/// exports show.
pub fn parse_root(text: &str) -> anyhow::Result<TraceId> {
    let text = text.trim().trim_start_matches("Root=");
    let dashed = match text.len() {
        32 if text.is_ascii() => format!("1-{}-{}", &text[..8], &text[8..]),
        _ => text.to_string(),
    };
    let header = TraceHeader::parse(format!("Root={dashed}").as_bytes());
    header.map(|h| h.root).map_err(|_| {
        anyhow::anyhow!("{text:?} is not a trace root (1-{{8 hex}}-{{24 hex}} or 32 hex digits)")
    })
}

/// An RFC 3339 instant from the command line, as Unix microseconds.
pub fn instant(flag: &str, text: &str) -> anyhow::Result<i64> {
    let at: jiff::Timestamp = text
        .parse()
        .map_err(|e| anyhow::anyhow!("--{flag} {text:?} is not an RFC 3339 instant: {e}"))?;
    Ok(at.as_microsecond())
}
