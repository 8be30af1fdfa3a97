//! `reqtrace`'s command line (TRACING.md): one file per subcommand over the shared
//! sources, the ALB log parser and the trace module, and the reading every stitching
//! command shares (logs → hops, with every line that is not one counted).

pub mod deps;
pub mod export;
pub mod rank;
pub mod rank_eval;
pub mod scan;
pub mod show;
pub mod sql;

use std::collections::BTreeMap;
use std::time::Duration;

use aho_corasick::AhoCorasick;
use anyhow::Context;
use clap::{Parser, Subcommand};

use super::{Finding, S3Args};
use crate::blocks::Block;
use crate::logs::{alb, applog};
use crate::output::run::AthenaRun;
use crate::source;
use crate::source::athena::alb::{self as athena, AlbAthena, AlbEdgeRow};
use crate::trace::header::{TraceHeader, TraceId};
use crate::trace::hop::Hop;
use crate::trace::stitch::{stitch, Stitched};
use crate::trace::{from_alb, from_app};

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
    Rank(rank::Args),
    RankEval(rank_eval::Args),
    Sql(sql::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<Finding> {
    match cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Show(a) => show::run(a),
        Command::Deps(a) => deps::run(a),
        Command::Export(a) => export::run(a),
        Command::Rank(a) => rank::run(a),
        Command::RankEval(a) => rank_eval::run(a),
        Command::Sql(a) => sql::run(a),
    }
}

/// Where the ALB logs are, for the commands that stitch.
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// ALB access logs: files, directories (recursive) or s3://bucket/prefix; plain or gzip.
    #[arg(long, num_args = 1..)]
    pub logs: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub s3: S3Args,
}

/// The ALB table in Athena, as sql/alb_access_log_table.sql creates it, and where the
/// queries over it write.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Athena")]
pub struct AthenaTableArgs {
    /// The Glue database of the table.
    #[arg(long, default_value = "reqtrace")]
    pub database: String,
    /// The table sql/alb_access_log_table.sql creates.
    #[arg(long, default_value = "alb_access_logs")]
    pub table: String,
    /// The Athena workgroup.
    #[arg(long, default_value = "primary")]
    pub workgroup: String,
    /// s3://bucket/prefix/ the results are UNLOADed under (each query in a folder of its own).
    #[arg(long)]
    pub output_location: Option<String>,
    /// A query still running after this many minutes is stopped.
    #[arg(long, default_value_t = 30)]
    pub timeout_minutes: u64,
}

impl AthenaTableArgs {
    /// The settings, without the DDL's log location and first day.
    pub fn athena(&self) -> AlbAthena {
        AlbAthena {
            database: self.database.clone(),
            table: self.table.clone(),
            workgroup: self.workgroup.clone(),
            output_location: self.output_location.clone().unwrap_or_default(),
            log_location: None,
            first_day: None,
            timeout: Duration::from_secs(self.timeout_minutes.max(1) * 60),
        }
    }
}

/// Where `show` and `deps` read the ALB lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    /// The logs themselves: --logs.
    Logs,
    /// Athena, over the table `reqtrace sql --query ddl` creates: the lines come back
    /// from sql/alb_trace.sql (show), the edges from sql/alb_edges.sql (deps).
    Athena,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SourceArgs {
    /// `logs` reads --logs; `athena` queries the ALB table and reads its result.
    #[arg(long, value_enum, default_value = "logs")]
    pub source: Source,
    #[command(flatten)]
    pub athena: AthenaTableArgs,
}

impl SourceArgs {
    /// The Athena settings with `--source athena`, checked; `None` for the logs.
    fn athena(&self, logs: &LogArgs) -> anyhow::Result<Option<AlbAthena>> {
        if self.source == Source::Logs {
            return Ok(None);
        }
        if !logs.logs.is_empty() {
            anyhow::bail!("--logs and --source athena do not go together: Athena reads the logs");
        }
        let settings = self.athena.athena();
        settings.validate()?;
        settings
            .require_output_location()
            .context("--source athena needs --output-location s3://bucket/prefix/")?;
        Ok(Some(settings))
    }

    /// With `--source athena`, every line Athena holds of `roots`, sorted; one query per
    /// root, each with a folder of its own.
    pub fn trace_lines(&self, logs: &LogArgs, roots: &[TraceId]) -> anyhow::Result<Option<Vec<String>>> {
        let Some(settings) = self.athena(logs)? else {
            return Ok(None);
        };
        let mut lines = Vec::new();
        for root in roots {
            let mut session = athena::open_session(&settings, &logs.s3.options(&[]))?;
            lines.extend(athena::trace_lines(&mut session, &settings, &root.logged())?);
            report_athena(&session.into_run());
        }
        lines.sort_unstable();
        Ok(Some(lines))
    }

    /// With `--source athena`, the dependency edges Athena aggregates for `[from, to)`.
    pub fn edges(&self, logs: &LogArgs, from: i64, to: i64) -> anyhow::Result<Option<Vec<AlbEdgeRow>>> {
        let Some(settings) = self.athena(logs)? else {
            return Ok(None);
        };
        let mut session = athena::open_session(&settings, &logs.s3.options(&[]))?;
        let rows = athena::dependency_edges(&mut session, &settings, from, to)?;
        report_athena(&session.into_run());
        Ok(Some(rows))
    }
}

/// "reqtrace: athena: 1 query, 2048 bytes scanned ($0.0000)".
fn report_athena(run: &AthenaRun) {
    let n = run.queries.len();
    eprintln!(
        "reqtrace: athena: {n} quer{}, {} bytes scanned (${:.4})",
        if n == 1 { "y" } else { "ies" },
        run.data_scanned_bytes,
        run.cost_usd
    );
}

/// What reading the logs made of every line.
#[derive(Debug, Default)]
pub struct Reading {
    pub lines: u64,
    /// Lines not parsed because they name none of the traces asked for.
    pub unnamed: u64,
    /// Hops kept (application-log calls, for those logs).
    pub hops: u64,
    /// Lines that are not ALB records, by reason.
    pub rejected: BTreeMap<&'static str, u64>,
    /// Records with no usable `Root`, by reason.
    pub untraced: BTreeMap<&'static str, u64>,
}

impl Reading {
    /// The stderr lines every stitching command prints, one per kind of log read and the
    /// stitch's summary: nothing read goes unaccounted.
    pub fn report_lines(&self) {
        eprintln!("reqtrace: {}", self.counts("hop"));
    }

    fn report(&self, calls: Option<&Reading>, stitched: &Stitched) {
        self.report_lines();
        if let Some(calls) = calls {
            eprintln!("reqtrace: application logs: {}", calls.counts("call"));
        }
        eprintln!("reqtrace: {}", stitched.summary);
    }

    /// "9 lines, 7 hops; rejected: 1 bad_json; without a trace: 1 bad_root".
    fn counts(&self, noun: &str) -> String {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        let (lines, hops) = (self.lines, self.hops);
        let mut line = format!("{lines} line{}", s(lines));
        if self.unnamed > 0 {
            line.push_str(&format!(" ({} naming the trace)", lines - self.unnamed));
        }
        line.push_str(&format!(", {hops} {noun}{}", s(hops)));
        for (what, counts) in [("rejected", &self.rejected), ("without a trace", &self.untraced)] {
            if !counts.is_empty() {
                let parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
                line.push_str(&format!("; {what}: {}", parts.join(", ")));
            }
        }
        line
    }

    fn add(&mut self, other: Reading) {
        self.lines += other.lines;
        self.unnamed += other.unnamed;
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

/// The traces of every hop in the ALB logs (or in `athena_lines`, the lines Athena gave
/// back, instead), and of every call in `app_logs`, for which `keep` is true, stitched;
/// what was read and stitched is reported on stderr.
///
/// With `roots`, only lines naming one of them are parsed (found by a SIMD substring
/// search, in any case, as the header's grammar allows): a hop of those traces carries
/// its root in its line, so `show` reads at the speed of `grep -F`. The others are
/// counted, not parsed, so their rejections are `scan`'s to tell.
pub fn read_traces(
    logs: &LogArgs,
    athena_lines: Option<Vec<String>>,
    app_logs: &[String],
    roots: &[TraceId],
    keep: &(dyn Fn(&Hop) -> bool + Sync),
) -> anyhow::Result<Stitched> {
    let naming = Naming::new(roots)?;
    let naming = naming.as_ref();
    let mut hops = Vec::new();
    let whole = &|part: Vec<Hop>| part;
    let reading = read_alb(
        logs,
        athena_lines,
        naming,
        from_alb::hop,
        keep,
        whole,
        &mut |_, part| hops.extend(part),
    )?;
    let calls = match app_logs {
        [] => None,
        _ => Some(read_calls(app_logs, &logs.s3, naming, keep, &mut |_, part| {
            hops.extend(part)
        })?),
    };
    let stitched = stitch(hops);
    reading.report(calls.as_ref(), &stitched);
    Ok(stitched)
}

/// Where a block's hops go (as its [`Batch`] made them), with the name of the input they
/// were read from, in input order.
pub type Sink<'a, B> = dyn FnMut(&str, B) + 'a;

/// What a block's hops become where they were made, in parallel, before the serial `Sink`.
pub type Batch<T, B> = dyn Fn(Vec<T>) -> B + Sync;

/// What a record becomes: a [`Hop`] (`from_alb::hop`), or less when less will do.
pub type MakeHop<T> = fn(&alb::Record<'_>, u32, u64) -> Result<T, from_alb::Untraced>;

/// Every hop the ALB logs (or Athena's lines) hold, as `make` makes it, for which `keep`
/// is true, block by block through `batch` into `sink`, and what the other lines were.
pub fn read_alb<T: Send + 'static, B: Send>(
    args: &LogArgs,
    athena_lines: Option<Vec<String>>,
    naming: Option<&Naming>,
    make: MakeHop<T>,
    keep: &(dyn Fn(&T) -> bool + Sync),
    batch: &Batch<T, B>,
    sink: &mut Sink<'_, B>,
) -> anyhow::Result<Reading> {
    super::threads(args.threads)?;
    let to_hop = move |text: &[u8], input, line| {
        let record = alb::parse(text).map_err(|r| NotHop::Rejected(r.name()))?;
        make(&record, input, line).map_err(|u| NotHop::Untraced(u.name()))
    };
    match athena_lines {
        Some(lines) => {
            let block = Block {
                input: 0,
                first_line: 1,
                line_count: lines.len() as u64,
                data: lines.join("\n").into_bytes().into(),
            };
            let (hops, reading) = hops_of_block(&block, None, keep, &to_hop);
            sink("athena", batch(hops));
            Ok(reading)
        }
        None if args.logs.is_empty() => {
            anyhow::bail!("give --logs: files, directories or s3://bucket/prefix")
        }
        None => read(&args.logs, &args.s3, naming, keep, &to_hop, batch, sink),
    }
}

/// Every application-log call for which `keep` is true, as a hop (a child span), and what
/// the other lines were.
fn read_calls(
    app_logs: &[String],
    s3: &S3Args,
    naming: Option<&Naming>,
    keep: &(dyn Fn(&Hop) -> bool + Sync),
    sink: &mut Sink<'_, Vec<Hop>>,
) -> anyhow::Result<Reading> {
    let to_hop = |text: &[u8], input, line| {
        let call = applog::parse(text).map_err(|r| NotHop::Rejected(r.name()))?;
        from_app::hop(&call, input, line).map_err(|u| NotHop::Untraced(u.name()))
    };
    read(app_logs, s3, naming, keep, &to_hop, &|part| part, sink)
}

/// Why a line is not a hop: not a record of its log, or a record with no usable `Root`.
enum NotHop {
    Rejected(&'static str),
    Untraced(&'static str),
}

/// A line, its input's index and its line number, as a hop or why it is not one.
type ToHop<T> = dyn Fn(&[u8], u32, u64) -> Result<T, NotHop> + Sync;

/// Reads every line of `paths` in parallel (or, with `naming`, every line it matches),
/// giving the hops `to_hop` makes and `keep` wants to `sink` block by block (each block's
/// through `batch`, in parallel), counting every other line by reason.
fn read<T: Send + 'static, B: Send>(
    paths: &[String],
    s3: &S3Args,
    naming: Option<&Naming>,
    keep: &(dyn Fn(&T) -> bool + Sync),
    to_hop: &ToHop<T>,
    batch: &Batch<T, B>,
    sink: &mut Sink<'_, B>,
) -> anyhow::Result<Reading> {
    let inputs = source::expand(paths, &s3.options(&[]))?;
    let mut reading = Reading::default();
    let process = |block: &Block| {
        let (hops, counts) = hops_of_block(block, naming, keep, to_hop);
        (block.input, (batch(hops), counts))
    };
    crate::blocks::run(
        &inputs.list,
        false,
        crate::logs::LONGEST_LINE,
        &(),
        process,
        |(input, (hops, r))| {
            sink(&inputs.list[input].name(), hops);
            reading.add(r);
            Ok(())
        },
    )?;
    Ok(reading)
}

/// The hops of one block's lines (with `naming`, of the lines it matches) that `keep`
/// wants, and every other line counted.
fn hops_of_block<T: 'static>(
    block: &Block,
    naming: Option<&Naming>,
    keep: &(dyn Fn(&T) -> bool + Sync),
    to_hop: &ToHop<T>,
) -> (Vec<T>, Reading) {
    // Sized for every line when every line is read: growing it copied the hops at each doubling.
    let room = if naming.is_none() {
        block.line_count as usize
    } else {
        0
    };
    let (mut hops, mut reading) = (Vec::with_capacity(room), Reading::default());
    reading.lines = block.line_count;
    let mut take = |(line, text): (u64, &[u8])| match to_hop(text, block.input as u32, line) {
        Err(NotHop::Rejected(reason)) => *reading.rejected.entry(reason).or_default() += 1,
        Err(NotHop::Untraced(reason)) => *reading.untraced.entry(reason).or_default() += 1,
        Ok(hop) if keep(&hop) => {
            reading.hops += 1;
            hops.push(hop);
        }
        Ok(_) => {}
    };
    // Each line is parsed as it is found, while its bytes are in the nearest cache.
    let named = match naming {
        None => {
            block.lines().for_each(&mut take);
            block.line_count
        }
        Some(roots) => {
            let lines = lines_naming(block, roots);
            let named = lines.len() as u64;
            lines.into_iter().for_each(&mut take);
            named
        }
    };
    reading.unnamed = block.line_count - named;
    (hops, reading)
}

/// The traces a command asked for, as a substring search over whole blocks.
pub struct Naming(AhoCorasick);

impl Naming {
    /// `None` for no roots: every line is wanted.
    pub fn new(roots: &[TraceId]) -> anyhow::Result<Option<Naming>> {
        if roots.is_empty() {
            return Ok(None);
        }
        Ok(Some(Naming(AhoCorasick::new(roots.iter().map(|r| r.logged()))?)))
    }
}

/// The lines of `block` that name one of the roots, with their numbers. The roots are
/// searched as logged (lower case) in a lower-cased copy of the block, as the header's hex
/// may come in either case: a case-sensitive search takes SIMD paths (memmem, Teddy) that
/// a case-insensitive one does not.
fn lines_naming<'a>(block: &'a Block, roots: &Naming) -> Vec<(u64, &'a [u8])> {
    let data = &block.data[..];
    let folded = data.to_ascii_lowercase();
    let (mut lines, mut number, mut counted_to, mut next) = (Vec::new(), block.first_line, 0, 0);
    for hit in roots.0.find_iter(&folded) {
        if hit.start() < next {
            continue; // a second match in a line already taken
        }
        let start = memchr::memrchr(b'\n', &data[..hit.start()]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &data[hit.end()..]).map_or(data.len(), |i| hit.end() + i);
        number += memchr::memchr_iter(b'\n', &data[counted_to..start]).count() as u64;
        counted_to = start;
        lines.push((number, &data[start..end]));
        next = end + 1;
    }
    lines
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_naming_finds_a_root_in_any_case_once_per_line_with_its_number() {
        let root = parse_root("1-683d7644-459fe5cb118e733d5a346c5b").unwrap();
        let roots = Naming::new(&[root]).unwrap().unwrap();
        let data = "other\nRoot=1-683d7644-459fe5cb118e733d5a346c5b twice 1-683d7644-459fe5cb118e733d5a346c5b\n\
                    other\nRoot=1-683D7644-459Fe5cB118E733D5A346C5B\nlast 1-683d7644-459fe5cb118e733d5a346c5b";
        let block = Block {
            input: 0,
            first_line: 10,
            line_count: 5,
            data: data.as_bytes().to_vec().into(),
        };
        let found: Vec<(u64, &str)> = lines_naming(&block, &roots)
            .into_iter()
            .map(|(n, l)| (n, std::str::from_utf8(l).unwrap()))
            .collect();
        let all: Vec<(u64, &str)> = block
            .lines()
            .map(|(n, l)| (n, std::str::from_utf8(l).unwrap()))
            .filter(|(_, l)| l.to_lowercase().contains("1-683d7644-459fe5cb118e733d5a346c5b"))
            .collect();
        assert_eq!(found, all);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [11, 13, 14]);
    }
}
