//! `reqtrace export`: traces as a file another tool opens: Jaeger's JSON (the UI's
//! offline "JSON File" upload) or OTLP/JSON (any OpenTelemetry backend).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use super::{instant, parse_root, read_traces, LogArgs};
use crate::trace::export::{Export, Jaeger, Otlp};
use crate::trace::hop::Hop;

/// Export traces to Jaeger or OTLP.
///
/// The traces named by --root, or every trace with a hop that started in [--from, --to);
/// with neither, every trace in the logs. Hops whose parent is unknown are exported under
/// their trace's root with a parent_unknown tag, never dropped. With --app-logs, each
/// call becomes a client span under the hop it names.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// jaeger or otlp.
    #[arg(long, value_enum)]
    format: Format,
    /// A trace to export (repeatable).
    #[arg(long)]
    root: Vec<String>,
    /// Traces with a hop starting at or after this instant (RFC 3339).
    #[arg(long, requires = "to", conflicts_with = "root")]
    from: Option<String>,
    /// ... and before this one.
    #[arg(long, requires = "from")]
    to: Option<String>,
    /// Application logs (JSON Lines, TRACING.md): their calls become client spans under
    /// the hops they name.
    #[arg(long, num_args = 1..)]
    app_logs: Vec<String>,
    /// Write here instead of stdout (written whole, then renamed into place).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    logs: LogArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Jaeger,
    Otlp,
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let roots = args
        .root
        .iter()
        .map(|r| parse_root(r))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let window = match (&args.from, &args.to) {
        (Some(from), Some(to)) => Some((instant("from", from)?, instant("to", to)?)),
        _ => None,
    };
    let keep = |h: &Hop| roots.is_empty() || roots.contains(&h.trace);
    let mut stitched = read_traces(&args.logs, None, &args.app_logs, &roots, &keep)?;
    if let Some((from, to)) = window {
        stitched.traces.retain(|t| {
            t.spans
                .iter()
                .any(|s| s.hop.is_some() && (from..to).contains(&s.start))
        });
    }
    let format: &dyn Export = match args.format {
        Format::Jaeger => &Jaeger,
        Format::Otlp => &Otlp,
    };
    match &args.out {
        Some(path) => write_file(path, |out| format.write(&stitched.traces, out))?,
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            format.write(&stitched.traces, &mut out)?;
            out.flush().context("cannot write to stdout")?;
        }
    }
    eprintln!("reqtrace: exported {} traces", stitched.traces.len());
    Ok(super::Finding::Clean)
}

/// Writes beside `path` and renames, so a failed export never leaves half a file.
fn write_file(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut file =
        tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write in {}", dir.display()))?;
    {
        let mut out = std::io::BufWriter::new(file.as_file_mut());
        write(&mut out)?;
        out.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
