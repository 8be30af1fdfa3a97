//! `streak-repair sql`: the Athena statements for an incident, rendered exactly as
//! `plan --source athena` submits them, for review before they touch production data.

use std::io::Write;
use std::path::PathBuf;

use crate::incident::Incident;
use crate::source::athena::{self, sql, sql::Statement};
use crate::source::s3::SKEW_SECONDS;

/// Print the Athena SQL for an incident.
///
/// Prints each statement as it is submitted, execution parameters included (in a
/// comment after it, or as a JSON list). Identifiers and locations come from the
/// incident's [athena] table; every evidence rule is a parameter. `{run_id}` stands for
/// the id each run makes for its result folders and scratch table.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The incident file with an [athena] table.
    #[arg(long)]
    pub incident: PathBuf,
    /// One statement (default: all, in the order a run submits them).
    #[arg(long, value_enum)]
    pub query: Option<Query>,
    /// Hours after a request that AWS may still deliver its record: widens the
    /// partitions the evidence query reads, as for `plan`.
    #[arg(long, default_value_t = 24)]
    pub delivery_lag_hours: i64,
    /// `sql` text, or `json` (a list of {name, query, parameters}).
    #[arg(long, value_enum, default_value = "sql")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Query {
    /// The access-log table (run once, by whoever registers the logs).
    Ddl,
    Evidence,
    AffectedTable,
    Calendars,
    Learners,
    DropAffectedTable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Sql,
    Json,
}

const RUN_ID: &str = "{run_id}";

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let incident = Incident::load(&args.incident)?;
    let Some(spec) = &incident.athena else {
        anyhow::bail!(
            "{}: no [athena] table (see README, Running against AWS)",
            args.incident.display()
        );
    };
    let folder = |name| athena::folder(spec, &incident.id, RUN_ID, name);
    let affected = athena::affected_table_name(RUN_ID);
    let wanted = |q: Query| args.query.is_none_or(|w| w == q);
    let mut statements: Vec<Statement> = Vec::new();
    if wanted(Query::Ddl) && (args.query.is_some() || spec.log_location.is_some()) {
        statements.push(sql::access_log_table(spec)?);
    }
    if wanted(Query::Evidence) {
        let select = sql::evidence(&incident, spec, args.delivery_lag_hours * 3600, SKEW_SECONDS)?;
        statements.push(sql::unload(select, &folder("evidence")));
    }
    let tables = [
        (
            Query::Calendars,
            sql::calendars(spec, &affected),
            "calendars_table",
        ),
        (Query::Learners, sql::learners(spec, &affected), "learners_table"),
    ];
    let any_table = tables.iter().any(|(_, s, _)| s.is_some());
    if wanted(Query::AffectedTable) && any_table {
        statements.push(sql::affected_table(spec, &affected, &folder("evidence")));
    }
    for (query, statement, key) in tables {
        match statement {
            Some(s) if wanted(query) => {
                let location = folder(s.name);
                statements.push(sql::unload(s, &location));
            }
            None if args.query == Some(query) => anyhow::bail!(
                "{}: no athena.{key}: this run reads that table from a file",
                args.incident.display()
            ),
            _ => {}
        }
    }
    if wanted(Query::DropAffectedTable) && any_table {
        statements.push(sql::drop_affected_table(spec, &affected));
    }
    print_statements(&statements, args.format == Format::Json)?;
    Ok(super::Finding::Clean)
}

/// Statements on stdout: as SQL with their parameters in comments, or as a JSON list.
pub(crate) fn print_statements(statements: &[Statement], json: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, statements)?;
        return writeln!(out);
    }
    statements.iter().try_for_each(|s| write_sql(&mut out, s))
}

/// A statement as submitted, its parameters in a comment after it.
fn write_sql(out: &mut impl Write, s: &Statement) -> std::io::Result<()> {
    writeln!(out, "-- {}", s.name)?;
    writeln!(out, "{};", s.query)?;
    if !s.parameters.is_empty() {
        writeln!(out, "-- ExecutionParameters, in order:")?;
        for (i, p) in s.parameters.iter().enumerate() {
            // A newline in a value would end the comment: show control characters escaped.
            let shown: String = p
                .chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_unicode().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            writeln!(out, "--   {} {shown}", i + 1)?;
        }
    }
    writeln!(out)
}
