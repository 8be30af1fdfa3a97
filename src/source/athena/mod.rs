//! The Athena source: the scan pushed down to Athena, its small result read back.
//!
//! Each query is an `UNLOAD ... WITH (format = 'PARQUET')` into a folder of its own
//! under `athena.output_location`; the files are found from the query's data manifest
//! (or by listing the folder) and fetched concurrently through the S3 fetcher. Queries
//! are polled with backoff; on failure Athena's reason is the error, and on timeout or
//! Ctrl-C the query is stopped so nothing keeps running and billing.
//!
//! The three Athena calls sit behind [`Api`], the seam where tests put a fake.

pub mod alb;
pub mod results;
pub mod sql;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_athena::error::DisplayErrorContext;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::s3::{self, Fetcher, ObjectRef};
use super::{SourceError, TableFiles};
use crate::incident::{AthenaSpec, Incident};
use crate::model::Sighting;
use crate::output::run::{AthenaRun, InputDigest, QueryRecord};
use sql::Statement;

/// Where a query stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Running,
    Succeeded,
    Failed(String),
    Cancelled(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    pub scanned_bytes: u64,
    /// `s3://…-manifest.csv` listing the files the query wrote, when Athena gives it.
    pub manifest: Option<String>,
}

/// A call that failed; `throttled` when Athena asked to slow down.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub throttled: bool,
    pub message: String,
}

/// The Athena calls the runner makes.
#[allow(async_fn_in_trait)] // used through generics only, never as `dyn` or across threads
pub trait Api {
    async fn start(&self, statement: &Statement) -> Result<String, ApiError>;
    async fn status(&self, id: &str) -> Result<Status, ApiError>;
    async fn stop(&self, id: &str) -> Result<(), ApiError>;
}

#[derive(Debug, thiserror::Error)]
pub enum AthenaError {
    #[error("athena: cannot start the {name} query: {message}")]
    Start { name: &'static str, message: String },
    #[error("athena: the {name} query {id} failed: {reason}")]
    Failed {
        name: &'static str,
        id: String,
        reason: String,
    },
    #[error("athena: the {name} query {id} was cancelled: {reason}")]
    Cancelled {
        name: &'static str,
        id: String,
        reason: String,
    },
    #[error("athena: the {name} query {id} ran past {minutes} min (athena.timeout_minutes); {stopped}")]
    Timeout {
        name: &'static str,
        id: String,
        minutes: u64,
        stopped: String,
    },
    #[error("athena: interrupted; the {name} query {id}: {stopped}")]
    Interrupted {
        name: &'static str,
        id: String,
        stopped: String,
    },
    #[error("athena: cannot read the state of the {name} query {id}: {message}; {stopped}")]
    Status {
        name: &'static str,
        id: String,
        message: String,
        stopped: String,
    },
    #[error("athena: the {name} query's results: {message}")]
    Results { name: &'static str, message: String },
}

/// How long to wait between polls, for one call, and in all.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub first_poll: Duration,
    pub max_poll: Duration,
    /// One API call (with the SDK's retries) that has not answered by then has failed.
    pub call: Duration,
    pub timeout: Duration,
}

/// Status calls that may fail in a row (after the SDK's own retries) before giving up.
const STATUS_FAILURES: u32 = 3;

/// Runs one statement to its end. Throttled polls wait longer; other poll failures
/// are retried a few times; on giving up, timeout or interrupt the query is stopped.
/// `interrupt` is `None` for a statement that must run even after Ctrl-C (the cleanup).
pub async fn run<A: Api>(
    api: &A,
    statement: &Statement,
    policy: &Policy,
    mut interrupt: Option<&mut watch::Receiver<bool>>,
) -> Result<(String, Status), AthenaError> {
    let name = statement.name;
    let id = within(policy, api.start(statement))
        .await
        .map_err(|e| AthenaError::Start {
            name,
            message: e.message,
        })?;
    eprintln!("athena: {name}: query {id} started");
    let deadline = Instant::now() + policy.timeout;
    let mut wait = policy.first_poll;
    let mut failures = 0;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            () = interrupted(&mut interrupt) => {
                let stopped = stop(api, &id, policy).await;
                return Err(AthenaError::Interrupted { name, id, stopped });
            }
        }
        if Instant::now() >= deadline {
            let stopped = stop(api, &id, policy).await;
            let minutes = policy.timeout.as_secs() / 60;
            return Err(AthenaError::Timeout {
                name,
                id,
                minutes,
                stopped,
            });
        }
        wait = (wait * 2).min(policy.max_poll);
        match within(policy, api.status(&id)).await {
            Ok(status) => {
                failures = 0;
                match &status.state {
                    State::Running => {}
                    State::Succeeded => return Ok((id, status)),
                    State::Failed(reason) => {
                        let reason = reason.clone();
                        return Err(AthenaError::Failed { name, id, reason });
                    }
                    State::Cancelled(reason) => {
                        let reason = reason.clone();
                        return Err(AthenaError::Cancelled { name, id, reason });
                    }
                }
            }
            Err(e) if e.throttled => wait = policy.max_poll,
            Err(e) => {
                failures += 1;
                if failures >= STATUS_FAILURES {
                    let stopped = stop(api, &id, policy).await;
                    let message = e.message;
                    return Err(AthenaError::Status {
                        name,
                        id,
                        message,
                        stopped,
                    });
                }
            }
        }
    }
}

/// Resolves when Ctrl-C is pressed (at once if it was pressed before); never without a
/// receiver.
async fn interrupted(interrupt: &mut Option<&mut watch::Receiver<bool>>) {
    if let Some(rx) = interrupt {
        loop {
            if *rx.borrow_and_update() {
                return;
            }
            if rx.changed().await.is_err() {
                break;
            }
        }
    }
    std::future::pending().await
}

/// An API call that has not answered within `policy.call` has failed.
async fn within<T>(
    policy: &Policy,
    call: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    tokio::time::timeout(policy.call, call).await.unwrap_or_else(|_| {
        Err(ApiError {
            throttled: false,
            message: format!("no answer within {} s", policy.call.as_secs()),
        })
    })
}

/// Stops a query; the words say whether it worked, for the error that follows.
async fn stop<A: Api>(api: &A, id: &str, policy: &Policy) -> String {
    match within(policy, api.stop(id)).await {
        Ok(()) => "it was stopped".into(),
        Err(e) => format!(
            "stopping it failed ({}): stop it in the Athena console",
            e.message
        ),
    }
}

/// The AWS SDK behind [`Api`].
pub struct Sdk {
    client: aws_sdk_athena::Client,
    database: String,
    workgroup: String,
    output_location: String,
}

fn api_error<E, R>(e: aws_sdk_athena::error::SdkError<E, R>) -> ApiError
where
    E: aws_sdk_athena::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let throttled = e
        .as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| matches!(c, "TooManyRequestsException" | "ThrottlingException"));
    ApiError {
        throttled,
        message: DisplayErrorContext(e).to_string(),
    }
}

impl Api for Sdk {
    async fn start(&self, statement: &Statement) -> Result<String, ApiError> {
        let parameters = Some(statement.parameters.clone()).filter(|p| !p.is_empty());
        let response = self
            .client
            .start_query_execution()
            .query_string(&statement.query)
            .set_execution_parameters(parameters)
            .query_execution_context(QueryExecutionContext::builder().database(&self.database).build())
            .work_group(&self.workgroup)
            .result_configuration(
                ResultConfiguration::builder()
                    .output_location(&self.output_location)
                    .build(),
            )
            .send()
            .await
            .map_err(api_error)?;
        response.query_execution_id.ok_or_else(|| ApiError {
            throttled: false,
            message: "Athena returned no query id".into(),
        })
    }

    async fn status(&self, id: &str) -> Result<Status, ApiError> {
        let response = self
            .client
            .get_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(api_error)?;
        let execution = response.query_execution.as_ref();
        let status = execution.and_then(|e| e.status.as_ref());
        let reason = || {
            let athena = status.and_then(|s| s.athena_error.as_ref()?.error_message.clone());
            athena
                .or_else(|| status.and_then(|s| s.state_change_reason.clone()))
                .unwrap_or_else(|| "no reason given".into())
        };
        let state = match status.and_then(|s| s.state.as_ref()) {
            Some(QueryExecutionState::Succeeded) => State::Succeeded,
            Some(QueryExecutionState::Failed) => State::Failed(reason()),
            Some(QueryExecutionState::Cancelled) => State::Cancelled(reason()),
            _ => State::Running,
        };
        let statistics = execution.and_then(|e| e.statistics.as_ref());
        Ok(Status {
            state,
            scanned_bytes: statistics
                .and_then(|s| s.data_scanned_in_bytes)
                .unwrap_or(0)
                .max(0) as u64,
            manifest: statistics.and_then(|s| s.data_manifest_location.clone()),
        })
    }

    async fn stop(&self, id: &str) -> Result<(), ApiError> {
        self.client
            .stop_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(api_error)?;
        Ok(())
    }
}

/// One run's Athena work: its queries, their folders and what they cost.
pub struct Session {
    fetcher: Fetcher,
    api: Sdk,
    spec: AthenaSpec,
    incident_id: String,
    policy: Policy,
    interrupt: watch::Receiver<bool>,
    /// Above zero while Ctrl-C must stop a query or clean up rather than end the process.
    busy: Arc<AtomicUsize>,
    /// Hours AWS may take to deliver a record, as seconds (the evidence query's pruning).
    delivery_lag_seconds: i64,
    run: AthenaRun,
}

impl Session {
    pub fn open(incident: &Incident, spec: &AthenaSpec, s3: &s3::Options) -> Result<Session, SourceError> {
        Session::open_for(&incident.id, spec, s3)
    }

    /// A session whose result folders are named by `id` (an incident's id, or the name of
    /// the tool that has no incident) rather than by an incident.
    pub fn open_for(id: &str, spec: &AthenaSpec, s3: &s3::Options) -> Result<Session, SourceError> {
        let fetcher = Fetcher::new(s3)?;
        let api = Sdk {
            client: aws_sdk_athena::Client::new(fetcher.sdk_config()),
            database: spec.database.clone(),
            workgroup: spec.workgroup.clone(),
            output_location: spec.output_location.clone(),
        };
        let (interrupt, busy) = watch_ctrl_c(fetcher.runtime());
        let policy = Policy {
            first_poll: Duration::from_millis(250),
            max_poll: Duration::from_secs(2),
            call: Duration::from_secs(60),
            timeout: Duration::from_secs(spec.timeout_minutes * 60),
        };
        Ok(Session {
            fetcher,
            api,
            spec: spec.clone(),
            incident_id: id.to_string(),
            policy,
            interrupt,
            busy,
            delivery_lag_seconds: s3.delivery_lag_seconds,
            run: AthenaRun {
                run_id: run_id(),
                workgroup: spec.workgroup.clone(),
                price_per_tb: spec.price_per_tb,
                ..AthenaRun::default()
            },
        })
    }

    /// What run.json records of this run's Athena work.
    pub fn into_run(self) -> AthenaRun {
        self.run
    }

    fn folder(&self, name: &str) -> String {
        folder(&self.spec, &self.incident_id, &self.run.run_id, name)
    }

    /// The evidence query: one sighting per learner and quarter hour, sorted by learner
    /// and time.
    pub fn evidence(&mut self, incident: &Incident) -> Result<Vec<Sighting>, AthenaError> {
        let lag_seconds = self.delivery_lag_seconds;
        let select = sql::evidence(incident, &self.spec, lag_seconds, s3::SKEW_SECONDS).map_err(|e| {
            AthenaError::Start {
                name: "evidence",
                message: e.to_string(),
            }
        })?;
        let files = self.unload(select)?;
        let mut sightings = Vec::new();
        for (place, bytes) in files {
            let part = results::sightings(&place, bytes).map_err(|message| AthenaError::Results {
                name: "evidence",
                message,
            })?;
            sightings.extend(part);
        }
        sightings.sort_unstable();
        self.run.evidence_buckets = sightings.len() as u64;
        Ok(sightings)
    }

    /// Calendars and learners of the affected learners, for the tables the incident
    /// names and the run wants from Athena, through a scratch table over the evidence
    /// results. Once its CREATE was sent the table is dropped, whatever happened, even
    /// after a first Ctrl-C.
    pub fn read_tables(
        &mut self,
        learners: bool,
        calendars: bool,
    ) -> Result<(Option<TableFiles>, Option<TableFiles>), AthenaError> {
        let dir = Arc::new(tempfile::tempdir().map_err(|e| AthenaError::Results {
            name: "calendars",
            message: format!("cannot make a temporary folder: {e}"),
        })?);
        let affected = affected_table_name(&self.run.run_id);
        let calendars = sql::calendars(&self.spec, &affected).filter(|_| calendars);
        let learners = sql::learners(&self.spec, &affected).filter(|_| learners);
        if calendars.is_none() && learners.is_none() {
            return Ok((None, None));
        }
        self.busy.fetch_add(1, Ordering::SeqCst);
        let location = self.folder("evidence");
        let read = (|| {
            self.execute(sql::affected_table(&self.spec, &affected, &location), true)?;
            let calendars = calendars
                .map(|s| self.unload_to_files(s, dir.path(), self.spec.calendars_table.clone()))
                .transpose()?;
            let learners = learners
                .map(|s| self.unload_to_files(s, dir.path(), self.spec.learners_table.clone()))
                .transpose()?;
            Ok((calendars, learners))
        })();
        let dropped = self.execute(sql::drop_affected_table(&self.spec, &affected), false);
        self.busy.fetch_sub(1, Ordering::SeqCst);
        let dropped = dropped.map_err(|e| AthenaError::Results {
            name: "drop_affected_table",
            message: format!("{e}; drop `{}`.`{affected}` by hand", self.spec.database),
        });
        let (calendars, learners) = match (read, dropped) {
            (Err(e), Err(d)) => {
                eprintln!("streak-repair: warning: {d}");
                return Err(e);
            }
            (read, dropped) => {
                dropped?;
                read?
            }
        };
        let held = |(paths, digest)| TableFiles::in_folder(paths, digest, dir.clone());
        Ok((learners.map(held), calendars.map(held)))
    }

    /// UNLOADs a query and saves its files under `dir`, with a digest of them all.
    /// `table` is the Athena table the query reads, to name the input in run.json.
    fn unload_to_files(
        &mut self,
        select: Statement,
        dir: &std::path::Path,
        table: Option<String>,
    ) -> Result<(Vec<PathBuf>, InputDigest), AthenaError> {
        let name = select.name;
        let files = self.unload(select)?;
        let mut paths = Vec::new();
        let mut hash = Sha256::new();
        let mut bytes = 0;
        for (i, (_, data)) in files.iter().enumerate() {
            let path = dir.join(format!("{name}-{i}.parquet"));
            std::fs::write(&path, data).map_err(|e| AthenaError::Results {
                name,
                message: format!("cannot write {}: {e}", path.display()),
            })?;
            hash.update(data);
            bytes += data.len() as u64;
            paths.push(path);
        }
        let digest = InputDigest {
            path: format!("athena:{}.{}", self.spec.database, table.unwrap_or_default()),
            bytes,
            sha256: hex::encode(hash.finalize()),
        };
        Ok((paths, digest))
    }

    /// Runs a statement with no result files (DDL) and records it.
    fn execute(&mut self, statement: Statement, interruptible: bool) -> Result<(), AthenaError> {
        let started = Instant::now();
        let (id, status) = self.wait(&statement, interruptible)?;
        self.record(statement.name, id, &status, None, &[], started);
        Ok(())
    }

    /// Runs a SELECT as an UNLOAD into its own folder; returns each result file's URL
    /// and bytes, in key order.
    pub fn unload(&mut self, select: Statement) -> Result<Vec<(String, Bytes)>, AthenaError> {
        let name = select.name;
        let started = Instant::now();
        let location = self.folder(name);
        eprintln!("athena: {name}: results to {location}");
        let (id, status) = self.wait(&sql::unload(select, &location), true)?;
        let results = |message: String| AthenaError::Results { name, message };
        let objects = self
            .result_objects(&status, &location)
            .map_err(|e| results(e.to_string()))?;
        let bytes = self
            .fetcher
            .fetch_whole(&objects)
            .map_err(|e| results(e.to_string()))?;
        let files: Vec<(String, Bytes)> = objects
            .iter()
            .map(|o| format!("s3://{}/{}", o.bucket, o.key))
            .zip(bytes)
            .collect();
        self.record(name, id, &status, Some(location), &files, started);
        Ok(files)
    }

    fn wait(&mut self, statement: &Statement, interruptible: bool) -> Result<(String, Status), AthenaError> {
        self.busy.fetch_add(1, Ordering::SeqCst);
        let interrupt = Some(&mut self.interrupt).filter(|_| interruptible);
        let result = self
            .fetcher
            .runtime()
            .block_on(run(&self.api, statement, &self.policy, interrupt));
        self.busy.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// The files a query wrote: from its data manifest when Athena gives one (it lists
    /// exactly this query's files), else every object in its own folder.
    fn result_objects(&self, status: &Status, location: &str) -> Result<Vec<ObjectRef>, SourceError> {
        let listed = |url: &str| -> Result<Vec<ObjectRef>, SourceError> {
            let url = s3::Url::parse(url).unwrap_or_else(|| Err(not_s3(url)))?;
            let all = s3::Options::default();
            Ok(self.fetcher.list(std::slice::from_ref(&url), &all)?.kept)
        };
        let mut objects = match &status.manifest {
            None => listed(location)?,
            Some(manifest) => manifest_objects(&self.fetcher.fetch_whole(&listed(manifest)?)?.concat())?,
        };
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    fn record(
        &mut self,
        name: &str,
        id: String,
        status: &Status,
        location: Option<String>,
        files: &[(String, Bytes)],
        started: Instant,
    ) {
        let dml = location.is_some();
        let cost_usd = if dml {
            cost(status.scanned_bytes, self.spec.price_per_tb)
        } else {
            0.0
        };
        self.run.data_scanned_bytes += status.scanned_bytes;
        self.run.cost_usd += cost_usd;
        self.run.queries.push(QueryRecord {
            name: name.to_string(),
            id,
            data_scanned_bytes: status.scanned_bytes,
            cost_usd,
            results_location: location,
            result_files: files.len() as u64,
            result_bytes: files.iter().map(|(_, b)| b.len() as u64).sum(),
            seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        });
    }
}

/// The folder a run's query writes its results to: one per run and query, so UNLOAD
/// finds it empty and nothing else is read back.
pub fn folder(spec: &AthenaSpec, incident_id: &str, run_id: &str, name: &str) -> String {
    format!("{}{incident_id}/{run_id}/{name}/", spec.output_location)
}

/// The run's scratch table (sql/affected_table.sql).
pub fn affected_table_name(run_id: &str) -> String {
    format!("streak_repair_affected_{}", run_id.replace('-', "_"))
}

/// The objects a data manifest lists, one `s3://` URL per line.
fn manifest_objects(text: &[u8]) -> Result<Vec<ObjectRef>, SourceError> {
    let text = String::from_utf8_lossy(text);
    let lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    lines
        .map(|line| {
            let url = s3::Url::parse(line).unwrap_or_else(|| Err(not_s3(line)))?;
            Ok(ObjectRef {
                bucket: url.bucket,
                key: url.prefix,
                size: 0,
            })
        })
        .collect()
}

fn not_s3(text: &str) -> SourceError {
    let e = std::io::Error::new(std::io::ErrorKind::InvalidData, "expected an s3:// URL");
    SourceError::new(text, "not an S3 location", e)
}

/// Athena's bill for a query: bytes rounded up to the megabyte, at least 10 MB; TB is
/// 10^12 bytes.
pub fn cost(scanned_bytes: u64, price_per_tb: f64) -> f64 {
    const MB: u64 = 1_000_000;
    let billed = scanned_bytes.div_ceil(MB).max(10) * MB;
    billed as f64 / 1e12 * price_per_tb
}

/// `20261122T031724Z-1a2b3c`: sorts by time, unique enough for a folder of its own.
fn run_id() -> String {
    let now = jiff::Timestamp::now();
    let noise = (now.subsec_nanosecond() as u64) ^ (u64::from(std::process::id()) << 20);
    format!("{}-{:06x}", now.strftime("%Y%m%dT%H%M%SZ"), noise & 0xff_ffff).to_lowercase()
}

/// Ctrl-C while a query runs (or the scratch table exists) asks the runner to stop it
/// and clean up; a second Ctrl-C, or one at any other time, ends the process as the
/// default handler would (outputs are committed by rename, so never half written).
fn watch_ctrl_c(runtime: &tokio::runtime::Runtime) -> (watch::Receiver<bool>, Arc<AtomicUsize>) {
    let (tx, rx) = watch::channel(false);
    let busy = Arc::new(AtomicUsize::new(0));
    let flag = busy.clone();
    runtime.spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if flag.load(Ordering::SeqCst) == 0 || *tx.borrow() {
                std::process::exit(130);
            }
            eprintln!("streak-repair: stopping the Athena query (Ctrl-C again to quit at once)");
            let _ = tx.send(true);
        }
    });
    (rx, busy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Plays back scripted answers and records the calls.
    #[derive(Default)]
    struct Fake {
        start: RefCell<Vec<Result<String, ApiError>>>,
        statuses: RefCell<Vec<Result<Status, ApiError>>>,
        calls: RefCell<Vec<String>>,
        /// Status calls never answer.
        hang: bool,
    }

    fn status(state: State) -> Result<Status, ApiError> {
        Ok(Status {
            state,
            scanned_bytes: 123,
            manifest: None,
        })
    }

    fn failure(throttled: bool) -> Result<Status, ApiError> {
        Err(ApiError {
            throttled,
            message: if throttled {
                "TooManyRequestsException"
            } else {
                "connection reset"
            }
            .into(),
        })
    }

    impl Api for Fake {
        async fn start(&self, s: &Statement) -> Result<String, ApiError> {
            self.calls
                .borrow_mut()
                .push(format!("start {} {:?}", s.name, s.parameters));
            self.start.borrow_mut().remove(0)
        }
        async fn status(&self, id: &str) -> Result<Status, ApiError> {
            self.calls.borrow_mut().push(format!("status {id}"));
            if self.hang {
                std::future::pending::<()>().await;
            }
            let mut left = self.statuses.borrow_mut();
            if left.is_empty() {
                return status(State::Running);
            }
            left.remove(0)
        }
        async fn stop(&self, id: &str) -> Result<(), ApiError> {
            self.calls.borrow_mut().push(format!("stop {id}"));
            Ok(())
        }
    }

    fn statement() -> Statement {
        Statement {
            name: "evidence",
            query: "SELECT ?".into(),
            parameters: vec!["'brb/'".into()],
        }
    }

    const FAST: Policy = Policy {
        first_poll: Duration::from_millis(1),
        max_poll: Duration::from_millis(4),
        call: Duration::from_secs(5),
        timeout: Duration::from_secs(60),
    };

    fn run_fake(fake: &Fake, policy: &Policy) -> (Result<(String, Status), AthenaError>, Vec<String>) {
        let (_tx, mut rx) = watch::channel(false);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let result = rt.block_on(run(fake, &statement(), policy, Some(&mut rx)));
        (result, fake.calls.borrow().clone())
    }

    fn fake(statuses: Vec<Result<Status, ApiError>>) -> Fake {
        Fake {
            start: RefCell::new(vec![Ok("q-1".into())]),
            statuses: RefCell::new(statuses),
            ..Fake::default()
        }
    }

    #[test]
    fn a_query_is_polled_until_it_succeeds_and_parameters_are_passed() {
        let f = fake(vec![
            status(State::Running),
            status(State::Running),
            status(State::Succeeded),
        ]);
        let (result, calls) = run_fake(&f, &FAST);
        let (id, s) = result.unwrap();
        assert_eq!((id.as_str(), s.scanned_bytes), ("q-1", 123));
        assert_eq!(calls[0], "start evidence [\"'brb/'\"]");
        assert_eq!(calls.iter().filter(|c| *c == "status q-1").count(), 3);
    }

    #[test]
    fn failed_and_cancelled_queries_give_athenas_reason() {
        let reason = "HIVE_BAD_DATA: Error parsing field value '2026-13-01' for field 2";
        let f = fake(vec![status(State::Failed(reason.into()))]);
        let e = run_fake(&f, &FAST).0.unwrap_err().to_string();
        assert_eq!(e, format!("athena: the evidence query q-1 failed: {reason}"));
        let f = fake(vec![status(State::Cancelled("Query cancelled by user".into()))]);
        let e = run_fake(&f, &FAST).0.unwrap_err().to_string();
        assert!(e.ends_with("was cancelled: Query cancelled by user"), "{e}");
    }

    #[test]
    fn throttled_polls_wait_and_go_on() {
        let mut answers = vec![failure(true); 6];
        answers.push(status(State::Succeeded));
        let (result, calls) = run_fake(&fake(answers), &FAST);
        assert!(result.is_ok());
        assert!(!calls.iter().any(|c| c.starts_with("stop")));
    }

    #[test]
    fn a_status_that_keeps_failing_stops_the_query() {
        let (result, calls) = run_fake(&fake(vec![failure(false); 3]), &FAST);
        let e = result.unwrap_err().to_string();
        assert!(e.contains("connection reset; it was stopped"), "{e}");
        assert_eq!(calls.last().unwrap(), "stop q-1");
        // Two failures then success: no stop.
        let answers = vec![failure(false), failure(false), status(State::Succeeded)];
        assert!(run_fake(&fake(answers), &FAST).0.is_ok());
    }

    #[test]
    fn a_status_call_that_never_answers_is_a_failure_and_the_query_is_stopped() {
        let f = Fake {
            hang: true,
            ..fake(vec![])
        };
        let policy = Policy {
            call: Duration::from_millis(10),
            ..FAST
        };
        let (result, calls) = run_fake(&f, &policy);
        let e = result.unwrap_err().to_string();
        assert!(e.contains("no answer within 0 s; it was stopped"), "{e}");
        assert_eq!(calls.iter().filter(|c| *c == "status q-1").count(), 3);
        assert_eq!(calls.last().unwrap(), "stop q-1");
    }

    #[test]
    fn a_cleanup_statement_runs_on_after_ctrl_c() {
        let f = fake(vec![status(State::Running), status(State::Succeeded)]);
        let (tx, _rx) = watch::channel(false);
        tx.send(true).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert!(rt.block_on(run(&f, &statement(), &FAST, None)).is_ok());
        let mut rx = tx.subscribe();
        let e = rt.block_on(run(&fake(vec![]), &statement(), &FAST, Some(&mut rx)));
        assert!(e.unwrap_err().to_string().starts_with("athena: interrupted"));
    }

    #[test]
    fn a_query_past_its_timeout_is_stopped() {
        let policy = Policy {
            timeout: Duration::from_millis(30),
            ..FAST
        };
        let (result, calls) = run_fake(&fake(vec![]), &policy);
        let e = result.unwrap_err().to_string();
        assert!(
            e.contains("ran past 0 min") && e.ends_with("it was stopped"),
            "{e}"
        );
        assert_eq!(calls.last().unwrap(), "stop q-1");
    }

    #[test]
    fn an_interrupt_stops_the_running_query() {
        let f = fake(vec![]);
        let (tx, mut rx) = watch::channel(false);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let statement = statement();
        let result = rt.block_on(async {
            let interrupt = async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                tx.send(true).unwrap();
                std::future::pending::<()>().await
            };
            tokio::select! {
                r = run(&f, &statement, &FAST, Some(&mut rx)) => r,
                _ = interrupt => unreachable!(),
            }
        });
        let e = result.unwrap_err().to_string();
        assert_eq!(e, "athena: interrupted; the evidence query q-1: it was stopped");
        assert_eq!(f.calls.borrow().last().unwrap(), "stop q-1");
    }

    #[test]
    fn a_start_refused_names_the_query() {
        let f = Fake {
            start: RefCell::new(vec![Err(ApiError {
                throttled: false,
                message: "InvalidRequestException: workgroup is disabled".into(),
            })]),
            ..Fake::default()
        };
        let e = run_fake(&f, &FAST).0.unwrap_err().to_string();
        assert_eq!(
            e,
            "athena: cannot start the evidence query: InvalidRequestException: workgroup is disabled"
        );
    }

    #[test]
    fn a_data_manifest_lists_the_result_files() {
        let text = b"s3://r/x/run/evidence/a.parquet\r\ns3://r/x/run/evidence/b.parquet\n\n";
        let keys: Vec<String> = manifest_objects(text)
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, ["x/run/evidence/a.parquet", "x/run/evidence/b.parquet"]);
        let e = manifest_objects(b"s3://r/a.parquet\n/tmp/b.parquet\n").unwrap_err();
        assert_eq!(e.to_string(), "/tmp/b.parquet: not an S3 location");
    }

    #[test]
    fn cost_follows_athenas_rounding() {
        assert_eq!(cost(0, 5.0), 10e6 / 1e12 * 5.0);
        assert_eq!(cost(10_000_001, 5.0), 11e6 / 1e12 * 5.0);
        assert_eq!(cost(2_000_000_000_000, 5.0), 10.0);
    }
}
