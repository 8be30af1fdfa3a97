//! `reqtrace sql`: the Athena statements over ALB access logs (sql/alb_*.sql), rendered
//! exactly as reqtrace submits them, for review before they touch production data. It
//! renders only; running them is the Athena source's business.

use anyhow::Context;

use crate::cmd::sql::{print_statements, Format};
use crate::source::athena::alb::{self, AlbAthena};
use crate::source::athena::sql::Statement;

/// Print the Athena SQL for ALB access logs.
///
/// Prints each statement as it is submitted, execution parameters included (in a comment
/// after it, or as a JSON list): the table over the logs (`ddl`, run once by whoever
/// registers them), one trace's raw lines (`trace`, for --root) and a window's dependency
/// edges (`edges`, for --from/--to). Names and locations are checked and written into the
/// text; roots, days and windows are parameters. `{run_id}` stands for the id each run
/// makes for its result folders. Without --query, every statement whose flags are given.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// One statement (default: each one whose flags are given).
    #[arg(long, value_enum)]
    pub query: Option<Query>,
    #[command(flatten)]
    pub athena: super::AthenaTableArgs,
    /// For ddl: the region's folder of logs,
    /// s3://bucket/[prefix/]AWSLogs/{account}/elasticloadbalancing/{region}/.
    #[arg(long)]
    pub log_location: Option<String>,
    /// For ddl: the first day to project, yyyy/MM/dd.
    #[arg(long)]
    pub first_day: Option<String>,
    /// For trace: the trace's Root (1-…-…, Root=1-…-… or its 32 hex digits).
    #[arg(long)]
    pub root: Option<String>,
    /// For edges: the window's start (RFC 3339), on each line's `time`.
    #[arg(long)]
    pub from: Option<String>,
    /// For edges: the window's end (RFC 3339, exclusive).
    #[arg(long)]
    pub to: Option<String>,
    /// `sql` text, or `json` (a list of {name, query, parameters}).
    #[arg(long, value_enum, default_value = "sql")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Query {
    /// The table over the logs (sql/alb_access_log_table.sql).
    Ddl,
    /// One trace's raw lines (sql/alb_trace.sql).
    Trace,
    /// A window's dependency edges (sql/alb_edges.sql).
    Edges,
}

const RUN_ID: &str = "{run_id}";

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let athena = AlbAthena {
        log_location: args.log_location.clone(),
        first_day: args.first_day.clone(),
        ..args.athena.athena()
    };
    athena.validate().context("reqtrace sql")?;
    let given = |q: Query| match q {
        Query::Ddl => args.log_location.is_some() || args.first_day.is_some(),
        Query::Trace => args.root.is_some(),
        Query::Edges => args.from.is_some() || args.to.is_some(),
    };
    let wanted: Vec<Query> = match args.query {
        Some(q) => vec![q],
        None => [Query::Ddl, Query::Trace, Query::Edges]
            .into_iter()
            .filter(|&q| given(q))
            .collect(),
    };
    if wanted.is_empty() {
        anyhow::bail!(
            "nothing to print: give --query, or the flags of a statement \
             (--log-location and --first-day, --root, or --from and --to)"
        );
    }
    let mut statements: Vec<Statement> = Vec::new();
    for query in wanted {
        statements.push(match query {
            Query::Ddl => alb::access_log_table(&athena)?,
            Query::Trace => {
                let root = args.root.as_deref().context("--query trace needs --root")?;
                alb::unload_to(alb::trace(&athena, root)?, &athena, RUN_ID)
                    .context("give --output-location")?
            }
            Query::Edges => {
                let from = instant("--from", args.from.as_deref())?;
                let to = instant("--to", args.to.as_deref())?;
                let select = alb::edges(&athena, from, to).context("--from and --to")?;
                alb::unload_to(select, &athena, RUN_ID).context("give --output-location")?
            }
        });
    }
    print_statements(&statements, args.format == Format::Json)?;
    Ok(super::Finding::Clean)
}

/// An RFC 3339 instant in Unix microseconds; `flag` names it in errors.
fn instant(flag: &str, text: Option<&str>) -> anyhow::Result<i64> {
    let text = text.with_context(|| format!("--query edges needs {flag}"))?;
    let at: jiff::Timestamp = text
        .parse()
        .with_context(|| format!("{flag} {text:?} is not an RFC 3339 instant like 2025-06-02T10:00:00Z"))?;
    Ok(at.as_microsecond())
}
