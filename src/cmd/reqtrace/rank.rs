//! `reqtrace rank`: the services most likely behind a change that started at --at, from
//! ALB logs (stitched) or span tables (RANKING.md has the method).

use std::io::{BufRead, Write};

use anyhow::Context;

use super::{instant, read_traces, LogArgs};
use crate::cmd::S3Args;
use crate::rank::span::Reading;
use crate::rank::span::{Span, SpanSet};
use crate::rank::{self, from_trace, html, text, Windows};
use crate::rank::{span_csv, span_otlp};
use crate::source::{self, Opened};

/// Rank the services most likely behind a slowdown or errors that started at --at.
///
/// Compares the traces that started in [--at, --at + --window) with a normal window (by
/// default the --window before --at; or --baseline-from/--baseline-to): per service, the
/// change in own time (not the time its callees take), in the time between it and its
/// neighbours, in errors, and calls gone or new; then a personalised PageRank over the
/// call graph of the window. Reads ALB logs (--logs, stitched as `show` does, with
/// --app-logs as child spans) or span tables (--spans). Prints the ranking with its
/// evidence; what was read, and every line or row that is not a span, on stderr.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// When the change started (RFC 3339).
    #[arg(long)]
    at: String,
    /// Length of the abnormal window, and of the default normal window before --at.
    #[arg(long, default_value = "5m")]
    window: String,
    /// A named normal window instead: its start (RFC 3339) ...
    #[arg(long, requires = "baseline_to")]
    baseline_from: Option<String>,
    /// ... and its end.
    #[arg(long, requires = "baseline_from")]
    baseline_to: Option<String>,
    /// Span tables: CSV with Nezha's columns (TraceID, SpanID, ParentID, PodName,
    /// OperationName, StartTimeUnixNano, EndTimeUnixNano), or OTLP/JSON (told apart by
    /// the first byte); files, directories or s3://bucket/prefix; plain or gzip.
    #[arg(long, num_args = 1.., required_unless_present = "logs", conflicts_with_all = ["logs", "app_logs"])]
    spans: Vec<String>,
    /// With --logs: application logs (JSON Lines, TRACING.md), their calls child spans.
    #[arg(long, num_args = 1.., requires = "logs")]
    app_logs: Vec<String>,
    /// text, json (every service, with all its evidence) or html (one self-contained
    /// page: the call graph coloured by suspicion, and the evidence).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Services shown in text.
    #[arg(long, default_value_t = 10)]
    top: usize,
    #[command(flatten)]
    logs: LogArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Html,
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let at = instant("at", &args.at)?;
    let window = window("window", &args.window)?;
    let end = at
        .checked_add(window)
        .ok_or_else(|| anyhow::anyhow!("--at plus --window is out of range"))?;
    let normal = match (&args.baseline_from, &args.baseline_to) {
        (Some(from), Some(to)) => (instant("baseline-from", from)?, instant("baseline-to", to)?),
        _ => (at.saturating_sub(window), at),
    };
    if normal.0 >= normal.1 {
        anyhow::bail!("the normal window [{}, {}) is empty", normal.0, normal.1);
    }
    let windows = Windows {
        normal,
        abnormal: (at, end),
    };
    let set = match args.spans.is_empty() {
        true => read_logs(&args.logs, &args.app_logs, windows)?,
        false => read_span_tables(&args.spans, &args.logs.s3)?,
    };
    let ranking = rank::rank(&set, windows)
        .map_err(|e| anyhow::anyhow!("nothing to rank: {e} (check --at and --window)"))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Text => text::render(&ranking, args.top, &mut out)?,
        Format::Html => html::render(&ranking, &mut out)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &ranking)?;
            writeln!(out)?;
        }
    }
    out.flush().context("cannot write to stdout")?;
    Ok(super::Finding::Clean)
}

/// A duration like `5m` or `90s`, positive, in µs.
pub fn window(flag: &str, text: &str) -> anyhow::Result<i64> {
    let d: jiff::SignedDuration = text
        .parse()
        .map_err(|e| anyhow::anyhow!("--{flag}: {text:?} is not a duration like 5m ({e})"))?;
    match d.as_micros() {
        us if us > 0 => i64::try_from(us).map_err(|_| anyhow::anyhow!("--{flag}: {text:?} is too long")),
        _ => anyhow::bail!("--{flag}: {text:?} is not positive"),
    }
}

/// Hops starting within [`MARGIN`] of the windows, stitched; stderr says what was read
/// and stitched, as for `show`.
fn read_logs(logs: &LogArgs, app_logs: &[String], windows: Windows) -> anyhow::Result<SpanSet> {
    let from = windows.normal.0.min(windows.abnormal.0).saturating_sub(MARGIN);
    let to = windows.normal.1.max(windows.abnormal.1).saturating_add(MARGIN);
    let keep = |h: &crate::trace::hop::Hop| (from..to).contains(&h.start);
    let stitched = read_traces(logs, None, app_logs, &[], &keep)?;
    Ok(SpanSet::new(from_trace::spans(&stitched)))
}

/// How far outside the windows a hop is still read: a trace that started inside them
/// may run on past their end (µs).
const MARGIN: i64 = 5 * 60 * 1_000_000;

/// A UTF-8 byte-order mark, which spreadsheet exports put first.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Every span of the tables named, and a stderr line saying what was read.
pub fn read_span_tables(names: &[String], s3: &S3Args) -> anyhow::Result<SpanSet> {
    let inputs = source::expand(names, &s3.options(&[]))?;
    let (mut reading, mut spans) = (Reading::default(), Vec::<Span>::new());
    for input in &inputs.list {
        let opened = Opened::open(input, false)?;
        let name = opened.name().to_string();
        let mut table = std::io::BufReader::new(opened);
        let head = table.fill_buf().with_context(|| format!("cannot read {name}"))?;
        if head.starts_with(BOM) {
            table.consume(BOM.len());
        }
        let head = table.fill_buf().with_context(|| format!("cannot read {name}"))?;
        // OTLP/JSON is an object; a CSV table starts with its header.
        match head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => span_otlp::read(&name, table, &mut reading, &mut spans)?,
            _ => span_csv::read(&name, table, &mut reading, &mut spans)?,
        }
    }
    let set = SpanSet::new(spans);
    eprintln!("reqtrace: {}", reading_line(inputs.list.len(), &reading, &set));
    Ok(set)
}

/// "3 tables, 14,260 rows: 14,260 spans (2 recorded twice), 0 rejected".
fn reading_line(tables: usize, reading: &Reading, set: &SpanSet) -> String {
    let rejected: u64 = reading.rejected.values().sum();
    let reasons: Vec<String> = reading.rejected.iter().map(|(r, n)| format!("{r} {n}")).collect();
    format!(
        "{tables} span tables, {} rows: {} spans ({} recorded twice), {rejected} rejected{}",
        reading.rows,
        reading.spans,
        set.duplicates,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        }
    )
}
