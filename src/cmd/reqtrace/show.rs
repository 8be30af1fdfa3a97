//! `reqtrace show`: one request's call tree in the terminal, found by its root, or by the
//! user or request id an application log names.

use std::io::Write;

use anyhow::Context;

use super::{instant, parse_root, read_traces, roots_from_app_logs, LogArgs, SourceArgs};
use crate::trace::show;

/// Show a request's call tree: service, operation, status, start offset, duration and
/// a waterfall bar per hop; errors marked ✗, hops whose parent is unknown marked ?.
///
/// Name the trace by ROOT (`1-5759e988-bd862e3fe1be46a994272793`, `Root=…` or 32 hex), or
/// by --request-id or --user (with --from/--to) through application logs. Reads --logs
/// (parsing only the lines that name the trace), or with --source athena queries the ALB
/// table for the trace's lines (sql/alb_trace.sql); prints what it read and stitched on
/// stderr.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The trace's root.
    #[arg(required_unless_present_any = ["user", "request_id"])]
    root: Option<String>,
    /// Find the traces of this user id in the application logs.
    #[arg(long, requires_all = ["app_logs", "from", "to"], conflicts_with = "root")]
    user: Option<String>,
    /// Find the trace of this request id in the application logs.
    #[arg(long, requires = "app_logs", conflicts_with_all = ["root", "user"])]
    request_id: Option<String>,
    /// Application logs (JSON Lines, TRACING.md): for --user and --request-id, and their
    /// calls are drawn under the hops they name (status -).
    #[arg(long, num_args = 1..)]
    app_logs: Vec<String>,
    /// With --user: calls starting at or after this instant (RFC 3339).
    #[arg(long)]
    from: Option<String>,
    /// With --user: calls starting before this instant.
    #[arg(long)]
    to: Option<String>,
    /// Width of the waterfall bar in characters (0: none).
    #[arg(long, default_value_t = 40)]
    width: usize,
    #[command(flatten)]
    logs: LogArgs,
    #[command(flatten)]
    source: SourceArgs,
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let roots = match (&args.root, &args.user, &args.request_id) {
        (Some(root), _, _) => vec![parse_root(root)?],
        (None, Some(user), _) => {
            let from = instant("from", args.from.as_deref().unwrap_or_default())?;
            let to = instant("to", args.to.as_deref().unwrap_or_default())?;
            let wanted = |c: &crate::logs::applog::AppCall| {
                c.user_id.as_deref() == Some(user.as_str()) && (from..to).contains(&c.start_micros())
            };
            roots_from_app_logs(&args.app_logs, &args.logs.s3, &wanted)?
        }
        (None, None, Some(id)) => {
            let wanted = |c: &crate::logs::applog::AppCall| c.request_id.as_deref() == Some(id.as_str());
            roots_from_app_logs(&args.app_logs, &args.logs.s3, &wanted)?
        }
        (None, None, None) => anyhow::bail!("name a trace: ROOT, --user or --request-id"),
    };
    if roots.is_empty() {
        anyhow::bail!("no application-log call matches; no trace to show");
    }
    let athena_lines = args.source.trace_lines(&args.logs, &roots)?;
    let keep = |h: &crate::trace::hop::Hop| roots.contains(&h.trace);
    let stitched = read_traces(&args.logs, athena_lines, &args.app_logs, &roots, &keep)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for root in &roots {
        match stitched.traces.iter().find(|t| t.id == *root) {
            Some(trace) => show::render(trace, args.width, &mut out)?,
            None => writeln!(out, "trace {}: no hop of it in the logs read", root.logged())?,
        }
    }
    out.flush().context("cannot write to stdout")?;
    let all_found = roots.iter().all(|r| stitched.traces.iter().any(|t| t.id == *r));
    Ok(if all_found {
        super::Finding::Clean
    } else {
        super::Finding::Problem
    })
}
