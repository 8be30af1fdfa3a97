//! The command line: the top-level parser and the list of subcommands. Each
//! subcommand's own arguments live beside its `run` in `cmd/`.

use clap::{Parser, Subcommand};

use crate::cmd;

/// Protect learners' daily streaks after an outage.
///
/// Reads S3 server access logs of the "Big Red Button" maintenance fetches, maps
/// each fetch to the learner's local day, applies the streak-freeze gap-fill rules,
/// and writes an idempotent repair manifest with a per-learner decision log. It
/// never writes to the streak store: it plans, another system applies.
#[derive(Debug, Parser)]
#[command(name = "streak-repair", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Plan(cmd::plan::Args),
    Scan(cmd::scan::Args),
    Report(cmd::report::Args),
    Explain(cmd::explain::Args),
    Replay(cmd::replay::Args),
    Verify(cmd::verify::Args),
    Sql(cmd::sql::Args),
}
