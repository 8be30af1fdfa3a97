//! `streak-repair plan`: the job. Evidence in, repair manifest, decision log and
//! run metadata out, each written atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::calendar::{self, Calendars, Learners};
use crate::collect::EvidenceSource;
use crate::gather::LogScan;
use crate::incident::{self, AthenaSpec, Incident};
use crate::logs::LogFormat;
use crate::model::Sighting;
use crate::output::run::{AsOfSource, EvidenceTally, Job, RunInfo, Stages};
use crate::output::{self, ExtraFormat, Staging};
use crate::plan::{self, Context};
use crate::progress::Bar;
use crate::source::{self, athena, s3, TableFiles};
use crate::tzdb::{Tzdb, TzdbChoice};

/// Plan streak repairs for an incident.
///
/// Reads the access logs, keeps the incident's evidence, resolves each learner's
/// zone (learners file, then the latest valid tz parameter, then default_tz), maps
/// evidence to local days and applies the gap-fill rules. Writes DIR/manifest.jsonl
/// (one line per action), DIR/decisions.jsonl (one line per learner and affected
/// day), DIR/near_misses.jsonl (lines that named a learner but were not evidence, for
/// `explain`) and DIR/run.json (inputs, tz data, counts), renamed into place together
/// once all are complete. Re-running on
/// the same inputs gives byte-identical manifest and decisions; applying the
/// manifest and re-running plans nothing.
///
/// Memory grows with the evidence and the affected learners' calendars, not with
/// the size of the logs.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The incident file (TOML): id, windows, evidence rules, [athena] settings.
    #[arg(long)]
    pub incident: PathBuf,
    /// Where the evidence is scanned: `logs` reads --logs here; `athena` runs
    /// sql/evidence.sql in Athena (the incident's [athena] table) and reads its result.
    #[arg(long, value_enum, default_value = "logs")]
    pub source: Source,
    /// Log files, directories (recursive) or s3://bucket/prefix; plain or gzip,
    /// detected by content.
    #[arg(long, num_args = 1.., required_if_eq("source", "logs"))]
    pub logs: Vec<String>,
    /// Learner zones: .csv, .jsonl or .parquet with learner_id, tz (or s3://).
    /// With --source athena and athena.learners_table, read from Athena instead.
    #[arg(long)]
    pub learners: Option<String>,
    /// Learner calendars: .csv, .jsonl or .parquet with learner_id, date, kind (or
    /// s3://). With --source athena and athena.calendars_table, read from Athena instead.
    #[arg(long)]
    pub calendars: Option<String>,
    /// The run's "now", RFC 3339 (default: the incident's as_of, else now).
    #[arg(long, value_parser = parse_as_of)]
    pub as_of: Option<Timestamp>,
    /// Output directory (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the manifest as CSV or Parquet (repeatable).
    #[arg(long, value_enum)]
    pub format: Vec<ExtraFormat>,
    /// Time-zone data: bundled, system, or a zoneinfo directory of TZif files.
    #[arg(long, default_value = "bundled", value_parser = clap::value_parser!(TzdbChoice))]
    pub tzdb: TzdbChoice,
    /// Worker threads (default: one per core). Output does not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub s3: super::S3Args,
}

fn parse_as_of(s: &str) -> Result<Timestamp, String> {
    incident::parse_instant(s)
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    super::threads(args.threads)?;
    let config = Config::from_args(args)?;
    let info = execute(&config)?;
    summary(&info, &config.out);
    Ok(super::Finding::Clean)
}

/// Where `plan` scans for evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    Logs,
    Athena,
}

/// A plan, validated: what `execute` runs, made from the command line or by `replay`.
pub struct Config {
    pub incident_path: PathBuf,
    pub incident: Incident,
    pub evidence: EvidenceFrom,
    /// A path or `s3://` URL; `None` when the evidence source reads the table itself.
    pub learners: Option<String>,
    pub calendars: Option<String>,
    pub as_of: Timestamp,
    pub as_of_source: AsOfSource,
    pub out: PathBuf,
    pub formats: Vec<ExtraFormat>,
    pub tzdb: TzdbChoice,
    pub s3: s3::Options,
    /// No progress and no rejected-line warnings.
    pub quiet: bool,
}

/// Where the evidence is found.
pub enum EvidenceFrom {
    /// Log files, directories or `s3://` prefixes, scanned here.
    Logs(Vec<String>),
    /// Athena's evidence query over the incident's `[athena]` table.
    Athena(AthenaSpec),
}

impl Config {
    /// Checks the arguments against each other and the incident, once.
    pub fn from_args(args: Args) -> anyhow::Result<Config> {
        let incident = Incident::load(&args.incident)?;
        let (as_of, as_of_source) = match (args.as_of, incident.as_of) {
            (Some(t), _) => (t, AsOfSource::Cli),
            (None, Some(t)) => (t, AsOfSource::Incident),
            (None, None) => (Timestamp::now(), AsOfSource::Now),
        };
        let evidence = match args.source {
            Source::Logs => EvidenceFrom::Logs(args.logs),
            Source::Athena if !args.logs.is_empty() => {
                anyhow::bail!("--logs and --source athena do not go together: Athena reads the logs")
            }
            Source::Athena => EvidenceFrom::Athena(incident.athena.clone().ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: --source athena needs an [athena] table (see README, Running against AWS)",
                    args.incident.display()
                )
            })?),
        };
        let athena = match &evidence {
            EvidenceFrom::Athena(spec) => Some(spec),
            EvidenceFrom::Logs(_) => None,
        };
        let learners = table_arg(
            args.learners,
            athena.is_some_and(|a| a.learners_table.is_some()),
            "learners",
        )?;
        let calendars = table_arg(
            args.calendars,
            athena.is_some_and(|a| a.calendars_table.is_some()),
            "calendars",
        )?;
        Ok(Config {
            s3: args.s3.options(&incident.windows),
            incident_path: args.incident,
            incident,
            evidence,
            learners,
            calendars,
            as_of,
            as_of_source,
            out: args.out,
            formats: args.format,
            tzdb: args.tzdb,
            quiet: false,
        })
    }

    /// The evidence source this plan reads: the one place sources are chosen.
    fn source(&self, tzdb: &Tzdb) -> anyhow::Result<Box<dyn EvidenceSource>> {
        let windows = &self.incident.windows;
        let from = windows.iter().map(|w| w.start).min().unwrap_or(0);
        let to = windows.iter().map(|w| w.end).max().unwrap_or(0);
        Ok(match &self.evidence {
            EvidenceFrom::Logs(logs) => Box::new(LogScan::new(
                LogFormat::S3,
                logs.clone(),
                self.s3.clone(),
                self.quiet,
                tzdb.days_starting_off_quarter_hours(from, to),
            )),
            EvidenceFrom::Athena(spec) => Box::new(athena::Session::open(&self.incident, spec, &self.s3)?),
        })
    }
}

/// The path given for a table, unless the evidence source reads it; one is needed.
fn table_arg(given: Option<String>, from_source: bool, name: &str) -> anyhow::Result<Option<String>> {
    match (given, from_source) {
        (Some(path), _) => Ok(Some(path)),
        (None, true) => Ok(None),
        (None, false) => {
            anyhow::bail!("--{name} is needed (or, with --source athena, athena.{name}_table)")
        }
    }
}

/// Runs the job (scan, learners and calendars, rules, outputs) and commits its
/// outputs; returns what run.json says.
pub fn execute(config: &Config) -> anyhow::Result<RunInfo> {
    let mut clock = Stages::start();
    let tzdb = Tzdb::open(&config.tzdb)?;
    let default_tz = checked_default_tz(&config.incident, &tzdb, &config.incident_path)?;
    let given =
        [&config.learners, &config.calendars].map(|t| t.as_deref().map(|t| file_table(t, &config.s3)));
    let [learners_given, calendars_given] = given.map(Option::transpose);
    let given = (learners_given?, calendars_given?);
    let mut staging = Staging::new(&config.out)?;
    let mut source = config.source(&tzdb)?;
    let collected = source.collect(&config.incident)?;
    clock.lap("scan");

    let reading = Bar::stage("reading learners and calendars", config.quiet);
    let (learners_file, calendars_file) = tables(given, &mut *source)?;
    let (near_misses, read) = std::thread::scope(|scope| {
        let names = &collected.input_names;
        let near_misses = collected.near_misses;
        let staged = scope.spawn(|| output::stage_near_misses(&staging, near_misses, names));
        let read = read_tables(&collected.sightings, &learners_file, &calendars_file);
        let staged = staged
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (staged, read)
    });
    let ((learners, calendars), near_misses) = (read?, near_misses?);
    reading.finish();
    clock.lap("learners_and_calendars");

    let ctx = Context {
        tzdb: &tzdb,
        learners: &learners,
        calendars: &calendars,
        default_tz: default_tz.as_deref(),
        as_of: config.as_of.as_second(),
    };
    let (plans, set_aside) = plan::plan(&collected.sightings, &ctx);
    // The plans own all they need: what grows with the logs and tables is freed before
    // the outputs are rendered beside the plans.
    let job = Job {
        incident: &config.incident,
        incident_path: &config.incident_path,
        as_of: config.as_of.as_second(),
        as_of_source: config.as_of_source,
        tzdb: &tzdb,
        learners: (learners_file.digest, (&learners).into()),
        calendars: (calendars_file.digest, (&calendars).into()),
        evidence: EvidenceTally::of(&collected.sightings),
        lines: collected.lines.as_ref(),
    };
    drop((learners, calendars, collected.sightings));
    clock.lap("rules");

    let written = output::write_plan(
        &mut staging,
        &plans,
        near_misses,
        &config.incident.id,
        &config.formats,
    )?;
    let info = RunInfo::new(job, source.provenance(), &plans, set_aside, written, clock);
    staging.add("run.json", |w| info.write(w))?;
    staging.commit()?;
    Ok(info)
}

/// Each table as given, else as the evidence source read it.
fn tables(
    given: (Option<TableFiles>, Option<TableFiles>),
    source: &mut dyn EvidenceSource,
) -> anyhow::Result<(TableFiles, TableFiles)> {
    let read = source.tables(given.0.is_none(), given.1.is_none())?;
    let pick = |given: Option<TableFiles>, read: Option<TableFiles>, name: &str| {
        given
            .or(read)
            .ok_or_else(|| anyhow::anyhow!("the evidence source read no {name} table"))
    };
    Ok((
        pick(given.0, read.learners, "learners")?,
        pick(given.1, read.calendars, "calendars")?,
    ))
}

/// A table file (local or S3), checked readable before any scanning starts.
fn file_table(arg: &str, s3: &s3::Options) -> anyhow::Result<TableFiles> {
    let table = source::table(arg, s3)?;
    calendar::check_readable(&table.path)?;
    Ok(table.into_files()?)
}

/// The learners and calendars of the learners with evidence.
fn read_tables(
    sightings: &[Sighting],
    learners: &TableFiles,
    calendars: &TableFiles,
) -> anyhow::Result<(Learners, Calendars)> {
    let wanted = calendar::Wanted::new(sightings.iter().map(|s| s.learner_id));
    Ok((
        calendar::read_learners(&learners.paths, &wanted)?,
        calendar::read_calendars(&calendars.paths, &wanted)?,
    ))
}

/// An invalid default_tz is a usage error, named with its file and key.
fn checked_default_tz(incident: &Incident, tzdb: &Tzdb, path: &Path) -> anyhow::Result<Option<String>> {
    match &incident.evidence.default_tz {
        Some(name) if tzdb.zone(name).is_none() => anyhow::bail!(
            "{}: `evidence.default_tz` {name:?} is not a zone in the {} tz database",
            path.display(),
            tzdb.source()
        ),
        other => Ok(other.clone()),
    }
}

/// A short summary on stderr; the data went to files.
fn summary(info: &RunInfo, out: &Path) {
    let c = &info.counts;
    let list = |m: &BTreeMap<String, u64>| {
        if m.is_empty() {
            return "none".to_string();
        }
        m.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rejected: u64 = c.rejected.values().sum();
    let skipped: u64 = c.learners_skipped.values().sum();
    let actions: u64 = c.actions.values().sum();
    eprintln!(
        "streak-repair plan: {} as of {} (tz data: {} {})",
        info.incident.id,
        info.as_of,
        info.tzdb.source,
        info.tzdb.version.as_deref().unwrap_or("unknown version")
    );
    match (&info.inputs.athena, c.lines_read) {
        (Some(athena), _) => eprintln!(
            "  athena    {} queries, {} bytes scanned (${:.4}): {} evidence records in {} learner-buckets",
            athena.queries.len(),
            athena.data_scanned_bytes,
            athena.cost_usd,
            c.evidence_records,
            athena.evidence_buckets
        ),
        (None, lines) => eprintln!(
            "  lines     {} read: {} evidence, {} duplicate, {} not evidence, {} rejected ({})",
            lines.unwrap_or(0),
            c.evidence_records,
            c.duplicate_records.unwrap_or(0),
            c.not_evidence.unwrap_or(0),
            rejected,
            list(&c.rejected)
        ),
    }
    eprintln!(
        "  learners  {} with evidence, {} skipped ({})",
        c.learners,
        skipped,
        list(&c.learners_skipped)
    );
    eprintln!("  outcomes  {}", list(&c.outcomes));
    eprintln!(
        "  actions   {actions} ({}) -> {}",
        list(&c.actions),
        out.join("manifest.jsonl").display()
    );
    eprintln!("  time      {:.2} s", info.wall_seconds);
}
