//! `streak-repair plan`: the job. Evidence in, repair manifest, decision log and
//! run metadata out, each written atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use jiff::Timestamp;

use crate::calendar;
use crate::evidence::{self, Bucket, Evidence, Matcher};
use crate::gather::{self, Gathered};
use crate::incident::{self, Incident};
use crate::localday::{Tzdb, TzdbChoice};
use crate::output::run::{Counts, IncidentInfo, Inputs, RunInfo, Tool, TzdbInfo};
use crate::output::{self, ExtraFormat, Staging};
use crate::plan::{self, Context, LearnerPlan, Verdict};
use crate::progress::Bar;
use crate::source::athena::Session;
use crate::source::{self, InputDigest};

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
    /// No rejected-line warnings or progress (for `replay`).
    #[arg(skip)]
    pub quiet: bool,
}

fn parse_as_of(s: &str) -> Result<Timestamp, String> {
    incident::parse_instant(s)
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    super::threads(args.threads)?;
    let info = execute(&args)?;
    summary(&info, &args.out);
    Ok(super::Finding::Clean)
}

/// Where `plan` scans for evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    Logs,
    Athena,
}

/// The evidence as one source delivered it.
#[allow(clippy::large_enum_variant)] // one per run
enum Collected {
    Logs {
        inputs: source::Inputs,
        gathered: Gathered,
        duplicates: u64,
    },
    Athena {
        session: Box<Session>,
        buckets: Vec<Bucket>,
    },
}

impl Collected {
    fn learner_ids(&self) -> foldhash::HashSet<u64> {
        match self {
            Collected::Logs { gathered, .. } => gathered.evidence.iter().map(|e| e.learner_id).collect(),
            Collected::Athena { buckets, .. } => buckets.iter().map(|b| b.learner_id).collect(),
        }
    }

    /// (bucket start, records) of every sighting, for the quarter-hour chart.
    fn per_quarter_hour(&self) -> BTreeMap<String, u64> {
        let spans: Vec<(i64, u64)> = match self {
            Collected::Logs { gathered, .. } => gathered.evidence.iter().map(|e| (e.time, 1)).collect(),
            Collected::Athena { buckets, .. } => buckets.iter().map(|b| (b.start, b.hits)).collect(),
        };
        quarter_hours(&spans)
    }
}

/// A learners or calendars table: its files and its identity for run.json. `_keep`
/// holds a download or result folder until the run ends.
struct TableInput {
    paths: Vec<PathBuf>,
    digest: InputDigest,
    _keep: Box<dyn std::any::Any>,
}

/// Runs the job and commits its outputs; returns what run.json says.
pub fn execute(args: &Args) -> anyhow::Result<RunInfo> {
    let started = Instant::now();
    let incident = Incident::load(&args.incident)?;
    let tzdb = Tzdb::open(&args.tzdb)?;
    let default_tz = checked_default_tz(&incident, &tzdb, &args.incident)?;
    let (as_of, as_of_source) = match (args.as_of, incident.as_of) {
        (Some(t), _) => (t, "cli"),
        (None, Some(t)) => (t, "incident"),
        (None, None) => (Timestamp::now(), "now"),
    };
    let s3 = args.s3.options(&incident.windows);
    let athena = athena_spec(args, &incident)?;
    let from_athena = |table: fn(&incident::AthenaSpec) -> bool| athena.is_some_and(table);
    let learners_arg = table_arg(
        &args.learners,
        from_athena(|a| a.learners_table.is_some()),
        "learners",
    )?;
    let calendars_arg = table_arg(
        &args.calendars,
        from_athena(|a| a.calendars_table.is_some()),
        "calendars",
    )?;
    let mut learners_file = learners_arg.map(|a| file_table(&a, &s3)).transpose()?;
    let mut calendars_file = calendars_arg.map(|a| file_table(&a, &s3)).transpose()?;
    let mut staging = Staging::new(&args.out)?;
    let mut clock = Stages::new();
    let mut collected = collect(args, &incident, &s3, athena)?;
    clock.lap("scan");

    let wanted = collected.learner_ids();
    let keep = |id: u64| wanted.contains(&id);
    let reading = Bar::stage("reading learners and calendars", args.quiet);
    if let Collected::Athena { session, .. } = &mut collected {
        let tables = session.tables(learners_file.is_none(), calendars_file.is_none())?;
        let keep_tables: std::rc::Rc<dyn std::any::Any> = std::rc::Rc::new(tables.dir);
        let wrap = |(paths, digest)| TableInput {
            paths,
            digest,
            _keep: Box::new(keep_tables.clone()),
        };
        learners_file = learners_file.or(tables.learners.map(wrap));
        calendars_file = calendars_file.or(tables.calendars.map(wrap));
    }
    let (Some(learners_file), Some(calendars_file)) = (learners_file, calendars_file) else {
        unreachable!("table_arg asked for every table Athena does not read");
    };
    let learners = calendar::read_learners(&learners_file.paths, &keep)?;
    let calendars = calendar::read_calendars(&calendars_file.paths, &keep)?;
    reading.finish();
    clock.lap("learners_and_calendars");
    let ctx = Context {
        tzdb: &tzdb,
        learners: &learners,
        calendars: &calendars,
        default_tz: default_tz.as_deref(),
        as_of: as_of.as_second(),
    };
    let (plans, set_aside) = match &collected {
        Collected::Logs { gathered, .. } => plan::plan::<Evidence>(&gathered.evidence, &ctx),
        Collected::Athena { buckets, .. } => plan::plan::<Bucket>(buckets, &ctx),
    };
    clock.lap("rules");

    let manifest = output::manifest_rows(&plans, &incident.id);
    let jsonl = output::jsonl();
    let manifest_sha256 = staging.add(jsonl.file_name(), |w| jsonl.write(&manifest, w))?;
    let mut decision_count = 0;
    let decisions_sha256 = staging.add("decisions.jsonl", |w| {
        decision_count = output::write_decisions(&plans, w)?;
        Ok(())
    })?;
    let near_misses = match &collected {
        Collected::Logs { gathered, inputs, .. } => {
            output::near_miss_rows(&gathered.near_misses, &inputs.list)
        }
        Collected::Athena { .. } => output::near_miss_rows(&[], &[]),
    };
    staging.add("near_misses.jsonl", |w| near_misses.write_jsonl(w))?;
    for extra in ExtraFormat::ALL {
        let format = extra.format();
        if args.format.contains(&extra) {
            staging.add(format.file_name(), |w| format.write(&manifest, w))?;
        } else {
            staging.retire(format.file_name());
        }
    }

    let mut counts = counts(&collected, &plans);
    counts.set_aside = set_aside;
    counts.learners_file_rows = learners.rows;
    counts.learners_file_repeated_rows = learners.repeated_rows;
    counts.calendar_rows = calendars.rows;
    counts.decisions = decision_count;
    let evidence_per_quarter_hour = collected.per_quarter_hour();
    let (logs, s3_listing, athena_run) = match collected {
        Collected::Logs { gathered, inputs, .. } => (gathered.digests, inputs.s3, None),
        Collected::Athena { session, .. } => (Vec::new(), None, Some(session.run)),
    };
    let info = RunInfo {
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        incident: IncidentInfo {
            id: incident.id.clone(),
            path: args.incident.display().to_string(),
            windows: incident
                .windows
                .iter()
                .map(|w| [output::instant(w.start), output::instant(w.end)])
                .collect(),
        },
        as_of: output::instant(as_of.as_second()),
        as_of_source: as_of_source.into(),
        tzdb: TzdbInfo {
            source: tzdb.source().to_string(),
            // Absolute, so `explain` can reopen it from any working directory.
            path: tzdb.path().map(|p| {
                std::fs::canonicalize(p)
                    .unwrap_or_else(|_| p.to_path_buf())
                    .display()
                    .to_string()
            }),
            version: tzdb.version().map(str::to_string),
        },
        inputs: Inputs {
            logs,
            learners: learners_file.digest,
            calendars: calendars_file.digest,
            s3: s3_listing,
            athena: athena_run,
        },
        counts,
        evidence_per_quarter_hour,
        manifest_sha256,
        decisions_sha256,
        threads: rayon::current_num_threads(),
        stage_seconds: clock.finish("outputs"),
        wall_seconds: seconds(started.elapsed()),
    };
    staging.add("run.json", |w| {
        serde_json::to_writer_pretty(&mut *w, &info)?;
        Ok(w.write_all(b"\n")?)
    })?;
    staging.commit()?;
    Ok(info)
}

/// The `[athena]` table when the source is Athena; `--logs` is then a usage error.
fn athena_spec<'a>(args: &Args, incident: &'a Incident) -> anyhow::Result<Option<&'a incident::AthenaSpec>> {
    match args.source {
        Source::Logs => Ok(None),
        Source::Athena if !args.logs.is_empty() => {
            anyhow::bail!("--logs and --source athena do not go together: Athena reads the logs")
        }
        Source::Athena => incident.athena.as_ref().map(Some).ok_or_else(|| {
            anyhow::anyhow!(
                "{}: --source athena needs an [athena] table (see README, Running against AWS)",
                args.incident.display()
            )
        }),
    }
}

/// The path given for a table, unless Athena reads it; one of the two is needed.
fn table_arg(given: &Option<String>, from_athena: bool, name: &str) -> anyhow::Result<Option<String>> {
    match (given, from_athena) {
        (Some(path), _) => Ok(Some(path.clone())),
        (None, true) => Ok(None),
        (None, false) => {
            anyhow::bail!("--{name} is needed (or, with --source athena, athena.{name}_table)")
        }
    }
}

/// A table file (local or S3), checked readable before any scanning starts.
fn file_table(arg: &str, s3: &source::s3::Options) -> anyhow::Result<TableInput> {
    let table = source::table(arg, s3)?;
    calendar::check_readable(&table.path)?;
    Ok(TableInput {
        paths: vec![table.path.clone()],
        digest: table.digest()?,
        _keep: Box::new(table),
    })
}

/// Scans the logs here, or has Athena scan them.
fn collect(
    args: &Args,
    incident: &Incident,
    s3: &source::s3::Options,
    athena: Option<&incident::AthenaSpec>,
) -> anyhow::Result<Collected> {
    if let Some(spec) = athena {
        let mut session = Box::new(Session::open(incident, spec, s3)?);
        let buckets = session.evidence(incident, s3.delivery_lag_seconds)?;
        return Ok(Collected::Athena { session, buckets });
    }
    let inputs = source::expand(&args.logs, s3)?;
    let bar = Bar::new(args.quiet);
    let mut gathered = gather::gather(&inputs.list, &Matcher::new(incident), &bar, true)?;
    bar.finish();
    let duplicates = evidence::dedupe(&mut gathered.evidence);
    if !args.quiet {
        super::warn_rejections(
            &inputs.list,
            &gathered.rejections,
            gathered.counts.rejected.values().sum(),
        );
    }
    Ok(Collected::Logs {
        inputs,
        gathered,
        duplicates,
    })
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

/// Distinct evidence records per 15-minute UTC bucket, for the report's chart.
fn quarter_hours(spans: &[(i64, u64)]) -> BTreeMap<String, u64> {
    let mut buckets = BTreeMap::new();
    for &(t, n) in spans {
        *buckets.entry(t.div_euclid(900) * 900).or_insert(0) += n;
    }
    buckets
        .into_iter()
        .map(|(t, n)| (output::instant(t), n))
        .collect()
}

fn seconds(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

/// Wall time per stage, for run.json (the outputs stage ends before run.json is written).
struct Stages {
    since: Instant,
    laps: BTreeMap<String, f64>,
}

impl Stages {
    fn new() -> Stages {
        Stages {
            since: Instant::now(),
            laps: BTreeMap::new(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
        self.laps.insert(stage.to_string(), seconds(self.since.elapsed()));
        self.since = Instant::now();
    }

    fn finish(mut self, stage: &'static str) -> BTreeMap<String, f64> {
        self.lap(stage);
        self.laps
    }
}

fn counts(collected: &Collected, plans: &[LearnerPlan]) -> Counts {
    let mut c = Counts {
        learners: plans.len() as u64,
        ..Counts::default()
    };
    match collected {
        Collected::Logs {
            gathered: g,
            duplicates,
            ..
        } => {
            c.lines_read = Some(g.counts.lines);
            c.evidence_records = g.counts.evidence - duplicates;
            c.duplicate_records = Some(*duplicates);
            c.not_evidence = Some(g.counts.not_evidence.values().sum());
            for (why, n) in &g.counts.not_evidence {
                c.not_evidence_by_reason.insert(why.reason().into(), *n);
            }
            for (why, n) in &g.counts.rejected {
                c.rejected.insert(why.reason().into(), *n);
            }
        }
        // Athena reads the lines; only the distinct evidence records come back.
        Collected::Athena { buckets, .. } => c.evidence_records = buckets.iter().map(|b| b.hits).sum(),
    }
    for plan in plans {
        match &plan.verdict {
            Verdict::Skipped { reason, .. } => {
                *c.learners_skipped.entry(reason.name().into()).or_default() += 1
            }
            Verdict::Planned { days, .. } => {
                for day in days {
                    *c.outcomes.entry(day.outcome.name().into()).or_default() += 1;
                    if let Some(action) = day.outcome.action() {
                        *c.actions.entry(action.into()).or_default() += 1;
                    }
                }
            }
        }
    }
    c
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
