//! `reqtrace deps`: the service dependency graph of a window, from ALB logs.

use std::io::Write;

use anyhow::Context;

use super::{instant, read_alb, LogArgs, MakeHop, SourceArgs};
use crate::source::athena::alb::AlbEdgeRow;
use crate::trace::deps::{self, formats, Edge, Filter};
use crate::trace::from_alb;
use crate::trace::hop::EdgeHop;

/// Print the service dependency graph of a window.
///
/// One edge per caller and callee (the `Caller` field; `(none)` for entry hops and hops
/// whose header was cut) over the hops that ended in [--from, --to): calls, errors,
/// p50/p99 latency, bytes, and the median time between services (latency minus the
/// target's own processing time). Edges are flagged for oversized responses, repeated
/// errors and latency between services (thresholds in src/trace/deps/mod.rs). The rules are
/// sql/alb_edges.sql's, so --source athena (which runs that query over the ALB table) gives
/// the same edges, its percentiles Athena's approximations (rank error about 1%).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Hops that ended at or after this instant (RFC 3339).
    #[arg(long)]
    from: String,
    /// ... and before this one.
    #[arg(long)]
    to: String,
    /// text, dot, jaeger (dependency links), json, or html (one self-contained page: the
    /// graph drawn in SVG, then every edge in a table).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Keep edges with at least this many calls.
    #[arg(long, default_value_t = 0)]
    min_calls: u64,
    /// Keep edges with at least this error rate (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    min_error_rate: f64,
    /// Keep edges whose p99 latency is at least this (ms).
    #[arg(long, default_value_t = 0.0)]
    min_p99_ms: f64,
    /// Keep edges whose mean response is at least this many bytes.
    #[arg(long, default_value_t = 0)]
    min_response_bytes: u64,
    /// Keep flagged edges only.
    #[arg(long)]
    flagged: bool,
    #[command(flatten)]
    logs: LogArgs,
    #[command(flatten)]
    source: SourceArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Dot,
    Jaeger,
    Json,
    Html,
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let (from, to) = (instant("from", &args.from)?, instant("to", &args.to)?);
    if from >= to {
        anyhow::bail!("--from {} is not before --to {}", args.from, args.to);
    }
    let filter = Filter {
        min_calls: args.min_calls,
        min_error_rate: args.min_error_rate,
        min_p99_ms: args.min_p99_ms,
        min_mean_response_bytes: args.min_response_bytes,
        flagged_only: args.flagged,
    };
    let mut edges = match args.source.edges(&args.logs, from, to)? {
        Some(rows) => rows.into_iter().map(edge).collect(),
        None => edges_of_logs(&args.logs, from, to)?,
    };
    edges.sort_by(|a, b| (&a.caller, &a.callee).cmp(&(&b.caller, &b.callee)));
    edges.retain(|e| filter.keeps(e));
    let format: &dyn formats::Format = match args.format {
        Format::Text => &formats::Text,
        Format::Dot => &formats::Dot,
        Format::Jaeger => &formats::JaegerLinks,
        Format::Json => &formats::Json,
        Format::Html => &deps::html::Html,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    format.write(&edges, &mut out)?;
    out.flush().context("cannot write to stdout")?;
    Ok(super::Finding::Clean)
}

/// The edges of the hops in the logs that end in `[from, to)`, folded as they are read.
fn edges_of_logs(logs: &LogArgs, from: i64, to: i64) -> anyhow::Result<Vec<Edge>> {
    let mut builder = deps::EdgeBuilder::default();
    let keep = |h: &EdgeHop| (from..to).contains(&h.end);
    let make: MakeHop<EdgeHop> = |record, _, _| from_alb::edge_hop(record);
    let batch = move |hops| deps::EdgeBatch::new(hops, from..to);
    let reading = read_alb(logs, None, None, make, &keep, &batch, &mut |input, batch| {
        builder.add(delivery_group(input), batch)
    })?;
    let (edges, summary) = builder.finish();
    reading.report_lines();
    eprintln!("reqtrace: {summary}");
    Ok(edges)
}

/// The log objects that may repeat each other's lines: AWS names an object
/// `…_{end time}_{node ip}_{random}.log.gz`, and delivers one twice under another random
/// part, so its group is its name without the last `_…`; a name without `_` is its own.
fn delivery_group(name: &str) -> &str {
    let file = name.rfind('/').map_or(0, |i| i + 1);
    name[file..].rfind('_').map_or(name, |i| &name[..file + i])
}

/// An edge as Athena aggregated it, flagged by the same rules as a local one.
fn edge(row: AlbEdgeRow) -> Edge {
    deps::flagged(Edge {
        caller: row.caller.unwrap_or_else(|| deps::NO_CALLER.to_string()),
        callee: row.callee,
        calls: row.calls,
        errors: row.errors,
        entries: row.entries,
        p50_ms: row.p50_ms,
        p99_ms: row.p99_ms,
        request_bytes: row.request_bytes,
        response_bytes: row.response_bytes,
        gap_p50_ms: row.gap_p50_ms,
        flags: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::delivery_group;

    #[test]
    fn a_second_delivery_is_in_the_group_of_the_first() {
        let name = |random: &str| {
            format!(
                "s3://logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2025/06/02/\
                 123456789012_elasticloadbalancing_us-east-1_app.web.43047ba89ca79e9e_20250602T1005Z_10.0.10.21_{random}.log.gz"
            )
        };
        let (first, second) = (name("j5ny3r4j"), name("9wz6gtad"));
        assert_eq!(delivery_group(&first), delivery_group(&second));
        assert!(delivery_group(&first).ends_with("_20250602T1005Z_10.0.10.21"));
        assert_eq!(delivery_group("dir_1/lines.log"), "dir_1/lines.log");
    }
}
