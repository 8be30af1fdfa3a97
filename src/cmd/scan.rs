//! `streak-repair scan`: evidence records (or, with `--all`, every parsed record and
//! every rejected line) as JSON Lines on stdout, for debugging and piping.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use crate::blocks::Block;
use crate::evidence::{self, Evidence, Matcher};
use crate::gather;
use crate::incident::Incident;
use crate::logs::s3::S3Log;
use crate::logs::{Grammar, LogFormat};
use crate::model::Reject;
use crate::source::{self, Input};

/// Print evidence records as JSON Lines.
///
/// Without --all: the incident's evidence records, de-duplicated by request id and
/// sorted by learner, time and request id, one object per line with learner_id,
/// time, request_id, key, http_status and tz_param. With --all: every log record
/// with every field, in file and line order, and each rejected line as
/// {"rejected": reason, "file", "line"}. The evidence view holds all evidence in
/// memory to de-duplicate it; --all streams.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The incident file (TOML); required unless --all.
    #[arg(long, required_unless_present = "all")]
    incident: Option<PathBuf>,
    /// Log files, directories (recursive) or s3://bucket/prefix; plain or gzip.
    #[arg(long, required = true, num_args = 1..)]
    logs: Vec<String>,
    /// Print every parsed record and every rejected line instead of evidence.
    #[arg(long)]
    all: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    s3: super::S3Args,
}

#[derive(Serialize)]
struct EvidenceLine<'a> {
    learner_id: u64,
    time: String,
    request_id: Option<&'a str>,
    key: &'a str,
    http_status: u16,
    tz_param: Option<&'a str>,
}

#[derive(Serialize)]
struct RejectedLine<'a> {
    rejected: Reject,
    file: &'a str,
    line: u64,
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    super::threads(args.threads)?;
    let incident = match &args.incident {
        Some(path) if !args.all => Some(Incident::load(path)?),
        _ => None,
    };
    let windows = incident.as_ref().map_or(&[][..], |i| &i.windows[..]);
    let inputs = source::expand(&args.logs, &args.s3.options(windows))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    match &incident {
        Some(incident) => print_evidence(incident, &inputs.list, &mut out)?,
        None => print_all(&inputs.list, &mut out)?,
    }
    out.flush().context("cannot write to stdout")?;
    Ok(super::Finding::Clean)
}

fn print_evidence(incident: &Incident, inputs: &[Input], out: &mut dyn Write) -> anyhow::Result<()> {
    let mut g = gather::gather(FORMAT, inputs, &Matcher::new(incident), &(), false)?;
    evidence::dedupe(&mut g.evidence);
    gather::warn_rejections(inputs, &g.rejections, &g.counts);
    let line = |e: &Evidence, bytes: &mut Vec<u8>| {
        let line = EvidenceLine {
            learner_id: e.learner_id,
            time: crate::output::instant(e.time),
            request_id: e.request_id.as_deref(),
            key: &e.key,
            http_status: e.http_status,
            tz_param: e.tz_param.as_deref(),
        };
        crate::output::json_line(bytes, &line)
    };
    crate::output::write_jsonl_with(&g.evidence, line, out)
}

fn print_all(inputs: &[Input], out: &mut dyn Write) -> anyhow::Result<()> {
    print_records::<S3Log>(inputs, out)
}

/// The format `scan` reads evidence from (the only one so far; a flag comes with the second).
const FORMAT: LogFormat = LogFormat::S3;

/// Every record of `inputs` (every field, as JSON) and every rejected line with its
/// reason, in input and line order, parsed in parallel: `scan --all` for any grammar.
pub fn print_records<G: Grammar>(inputs: &[Input], out: &mut dyn Write) -> anyhow::Result<()> {
    let names: Vec<String> = inputs.iter().map(Input::name).collect();
    crate::blocks::run(
        inputs,
        false,
        crate::logs::LONGEST_LINE,
        &(),
        |block: &Block| render_block::<G>(block, &names[block.input]),
        |bytes: Vec<u8>| out.write_all(&bytes).context("cannot write to stdout"),
    )?;
    Ok(())
}

/// One block as JSON Lines.
fn render_block<G: Grammar>(block: &Block, file: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(block.data.len() * 2);
    for (line, text) in block.lines() {
        // Writing JSON into a Vec cannot fail.
        let _ = match G::parse(text) {
            Ok(record) => serde_json::to_writer(&mut bytes, &record),
            Err(reason) => serde_json::to_writer(
                &mut bytes,
                &RejectedLine {
                    rejected: reason,
                    file,
                    line,
                },
            ),
        };
        bytes.push(b'\n');
    }
    bytes
}
