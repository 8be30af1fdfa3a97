//! The job's outputs: the manifest, the decision log and run metadata (SPEC §4).
//!
//! The row structs are the schema. Each manifest format is a small file behind the
//! [`Format`] trait (rows in, bytes out to a `Write`); [`Staging`] writes every file
//! beside its target and puts them all in place as one commit, never half a file.

mod csv;
mod jsonl;
mod parquet;
mod rows;
pub mod run;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::hashing::Hashing;
use crate::model::NearMiss;
use crate::plan::LearnerPlan;

use rows::near_miss_rows;
pub use rows::{instant, manifest_rows, write_decisions, DecisionRow, ManifestRow, NearMissRow};

/// The plan's files besides run.json, and what run.json says of them.
pub struct Written {
    pub manifest_sha256: String,
    pub decisions_sha256: String,
    pub decisions: u64,
}

/// Stages near_misses.jsonl, sorted and with repeats removed. It needs nothing of the
/// plan, so `plan` writes it while the tables are read and frees the scan's near misses
/// before the rules run; [`write_plan`] makes it part of the commit.
pub fn stage_near_misses(
    staging: &Staging,
    misses: Vec<NearMiss>,
    files: &[String],
) -> anyhow::Result<StagedFile> {
    let rows = near_miss_rows(misses, files);
    staging.write("near_misses.jsonl", |w| rows.write_jsonl(w))
}

/// Stages the manifest (JSON Lines and each extra format asked for) and the decision log
/// beside the near misses already staged; retires extra formats an earlier run wrote and
/// this one does not.
pub fn write_plan(
    staging: &mut Staging,
    plans: &[LearnerPlan],
    near_misses: StagedFile,
    incident_id: &str,
    formats: &[ExtraFormat],
) -> anyhow::Result<Written> {
    let manifest = manifest_rows(plans, incident_id);
    let jsonl = jsonl();
    let mut decisions = 0;
    // Both files at once: each one's hashing, writing and sync are serial, and would
    // otherwise wait for the other.
    let (manifest_file, decisions_file) = std::thread::scope(|scope| {
        let staging = &*staging;
        let manifest_file = scope.spawn(|| staging.write(jsonl.file_name(), |w| jsonl.write(&manifest, w)));
        let decisions_file = staging.write("decisions.jsonl", |w| {
            decisions = write_decisions(plans, w)?;
            Ok(())
        });
        let manifest_file = manifest_file
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (manifest_file, decisions_file)
    });
    let manifest_sha256 = staging.keep(manifest_file?);
    let decisions_sha256 = staging.keep(decisions_file?);
    staging.keep(near_misses);
    for extra in ExtraFormat::ALL {
        let format = extra.format();
        if formats.contains(&extra) {
            staging.add(format.file_name(), |w| format.write(&manifest, w))?;
        } else {
            staging.retire(format.file_name());
        }
    }
    Ok(Written {
        manifest_sha256,
        decisions_sha256,
        decisions,
    })
}

/// A manifest format: writes rows to a byte sink.
pub trait Format: Sync {
    /// The file name this format is written to.
    fn file_name(&self) -> &'static str;
    fn write(&self, rows: &[ManifestRow], out: &mut (dyn Write + Send)) -> anyhow::Result<()>;
}

/// The formats `--format` offers beside the always-written JSON Lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraFormat {
    Csv,
    Parquet,
}

pub fn jsonl() -> &'static dyn Format {
    &jsonl::JsonLines
}

impl ExtraFormat {
    pub const ALL: [ExtraFormat; 2] = [ExtraFormat::Csv, ExtraFormat::Parquet];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            ExtraFormat::Csv => "csv",
            ExtraFormat::Parquet => "parquet",
        }
    }

    pub fn format(self) -> &'static dyn Format {
        match self {
            ExtraFormat::Csv => &csv::Csv,
            ExtraFormat::Parquet => &parquet::Parquet,
        }
    }
}

/// The run's output files, written to temporary files beside their targets and put in
/// place together at the end, so an earlier run's files stay intact until every new one
/// is complete, and a crash never leaves half a file or a mix of two runs.
///
/// Putting in place is a commit: a journal naming every rename is synced first, then
/// the renames run, then the journal goes. A crash before the journal leaves the old
/// files (and temporary files the next plan removes); a crash after it leaves a commit
/// that [`finish_interrupted_commit`] completes, which every reader of the directory
/// runs first. The directory is locked while a plan writes to it.
pub struct Staging {
    dir: PathBuf,
    /// Held open for its lock, which ends with it.
    _lock: std::fs::File,
    staged: Vec<(tempfile::NamedTempFile, String)>,
    retired: Vec<String>,
}

/// A file written by [`Staging::write`], with the SHA-256 of its bytes.
pub struct StagedFile {
    tmp: tempfile::NamedTempFile,
    name: String,
    sha256: String,
}

/// Lists a commit's renames (`temporary<TAB>target`) and removals (`-<TAB>name`).
const JOURNAL: &str = ".streak-repair-commit";
/// Every temporary file the job makes in an output directory starts with this, so one
/// killed before its commit is known for the job's own and removed.
const TEMPORARY: &str = ".streak-repair.";

impl Staging {
    /// Creates `dir` if needed, locks it, completes an interrupted commit, removes
    /// temporary files a killed run left, and checks that files can be created, so a
    /// bad `--out` fails before any work is done.
    pub fn new(dir: &Path) -> anyhow::Result<Staging> {
        let place = || format!("{}: cannot write the output directory", dir.display());
        std::fs::create_dir_all(dir).with_context(place)?;
        let lock = lock(dir)?;
        replay_journal(dir)?;
        remove_stale_temporaries(dir)?;
        tempfile::Builder::new()
            .prefix(&format!("{TEMPORARY}probe."))
            .tempfile_in(dir)
            .with_context(place)?;
        Ok(Staging {
            dir: dir.to_path_buf(),
            _lock: lock,
            staged: Vec::new(),
            retired: Vec::new(),
        })
    }

    /// Writes `name` to a synced temporary file, readable by all (0644); returns the
    /// SHA-256 of its bytes. The file is created new (never through a planted link).
    pub fn add(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut (dyn Write + Send)) -> anyhow::Result<()>,
    ) -> anyhow::Result<String> {
        let file = self.write(name, write)?;
        Ok(self.keep(file))
    }

    /// A file staged as [`Staging::add`] stages one, not yet part of the commit: files
    /// can be written at once, then kept in an order of the caller's.
    fn write(
        &self,
        name: &str,
        write: impl FnOnce(&mut (dyn Write + Send)) -> anyhow::Result<()>,
    ) -> anyhow::Result<StagedFile> {
        let target = self.dir.join(name);
        let place = || format!("{}: cannot write", target.display());
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!("{TEMPORARY}{name}."))
            .tempfile_in(&self.dir)
            .with_context(place)?;
        let sha256 = {
            let mut out = Hashing::new(io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut()), true);
            write(&mut out).with_context(place)?;
            out.get_mut().flush().with_context(place)?;
            out.finish().1
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .with_context(place)?;
        }
        tmp.as_file().sync_all().with_context(place)?;
        Ok(StagedFile {
            tmp,
            name: name.to_string(),
            sha256,
        })
    }

    /// Makes a written file part of the commit; returns its SHA-256.
    fn keep(&mut self, file: StagedFile) -> String {
        self.staged.push((file.tmp, file.name));
        file.sha256
    }

    /// A file of an earlier run that this run does not write (an extra format not asked
    /// for this time): removed at commit so it cannot be mistaken for this run's.
    pub fn retire(&mut self, name: &str) {
        self.retired.push(name.to_string());
    }

    /// Puts every staged file in place and removes the retired ones, as one commit.
    pub fn commit(mut self) -> anyhow::Result<()> {
        self.write_journal()?;
        replay_journal(&self.dir)
    }

    /// The commit point: once the journal is in place, the new run is complete.
    fn write_journal(&mut self) -> anyhow::Result<()> {
        let mut journal = String::new();
        for (tmp, target) in &self.staged {
            let name = tmp
                .path()
                .file_name()
                .and_then(|n| n.to_str())
                .context("a staged file without a UTF-8 name")?;
            journal.push_str(&format!("{name}\t{target}\n"));
        }
        for old in &self.retired {
            journal.push_str(&format!("-\t{old}\n"));
        }
        let place = || format!("{}: cannot write", self.dir.join(JOURNAL).display());
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!("{TEMPORARY}journal."))
            .tempfile_in(&self.dir)
            .with_context(place)?;
        tmp.write_all(journal.as_bytes()).with_context(place)?;
        tmp.as_file().sync_all().with_context(place)?;
        tmp.persist(self.dir.join(JOURNAL))
            .map_err(|e| e.error)
            .with_context(place)?;
        // From here the staged files belong to the journal: keep them whatever happens.
        for (tmp, _) in std::mem::take(&mut self.staged) {
            tmp.into_temp_path().keep().context("keeping a staged file")?;
        }
        sync_dir(&self.dir)
    }
}

/// Completes a commit that a killed plan left in `dir`, if any: readers of a run
/// directory call this first, so they never see two runs' files mixed.
pub fn finish_interrupted_commit(dir: &Path) -> anyhow::Result<()> {
    if !dir.join(JOURNAL).exists() {
        return Ok(());
    }
    let _lock = lock(dir)?;
    replay_journal(dir)
}

/// Runs the journal's renames and removals (each skipped when already done), then
/// removes the journal.
fn replay_journal(dir: &Path) -> anyhow::Result<()> {
    let journal = dir.join(JOURNAL);
    let text = match std::fs::read_to_string(&journal) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        read => read.with_context(|| format!("{}: cannot read", journal.display()))?,
    };
    for (n, line) in text.lines().enumerate() {
        let place = || format!("{}: line {}", journal.display(), n + 1);
        let (from, to) = line.split_once('\t').with_context(place)?;
        let done = |r: io::Result<()>| match r {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            r => r.with_context(place),
        };
        match from {
            "-" => done(std::fs::remove_file(dir.join(to)))?,
            _ => done(std::fs::rename(dir.join(from), dir.join(to)))?,
        }
    }
    sync_dir(dir)?;
    std::fs::remove_file(&journal).with_context(|| format!("{}: cannot remove", journal.display()))?;
    sync_dir(dir)
}

/// Temporary files of a run killed before its commit: never part of any run.
fn remove_stale_temporaries(dir: &Path) -> anyhow::Result<()> {
    let place = || format!("{}: cannot list the output directory", dir.display());
    for entry in std::fs::read_dir(dir).with_context(place)? {
        let name = entry.with_context(place)?.file_name();
        if name.to_str().is_some_and(is_temporary) {
            let path = dir.join(name);
            std::fs::remove_file(&path).with_context(|| format!("{}: cannot remove", path.display()))?;
        }
    }
    Ok(())
}

/// The job's prefix, a name, and the six random characters `tempfile` adds: nothing a
/// person would name a file.
fn is_temporary(name: &str) -> bool {
    let random = |rest: &str| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric());
    name.strip_prefix(TEMPORARY)
        .and_then(|rest| rest.rsplit_once('.'))
        .is_some_and(|(_, suffix)| random(suffix))
}

/// An exclusive lock on the directory itself (no lock file to plant a link at).
fn lock(dir: &Path) -> anyhow::Result<std::fs::File> {
    let handle = std::fs::File::open(dir).with_context(|| format!("{}: cannot open", dir.display()))?;
    match handle.try_lock() {
        Ok(()) => Ok(handle),
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!("{}: another plan is writing to this directory now", dir.display())
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("{}: cannot lock", dir.display()))
        }
    }
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("{}: cannot sync the output directory", dir.display()))?;
    Ok(())
}

/// JSON Lines of any serialisable rows: one compact object per line.
pub fn write_jsonl<T: serde::Serialize + Sync>(
    rows: &[T],
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    write_jsonl_with(rows, |row, bytes| json_line(bytes, row), out)
}

/// One compact JSON object and its newline.
pub fn json_line(bytes: &mut Vec<u8>, value: &impl serde::Serialize) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *bytes, value)?;
    bytes.push(b'\n');
    Ok(())
}

/// JSON Lines of each item, as `render` writes them (whole lines, newlines included).
/// Lines are rendered in parallel, a wave of parts at a time so memory stays bounded,
/// and written in order.
pub fn write_jsonl_with<T: Sync>(
    items: &[T],
    render: impl Fn(&T, &mut Vec<u8>) -> serde_json::Result<()> + Sync,
    out: &mut (impl Write + ?Sized),
) -> anyhow::Result<()> {
    use rayon::prelude::*;
    const PART: usize = 4096;
    for wave in items.chunks(PART * 8 * rayon::current_num_threads()) {
        let parts = wave
            .par_chunks(PART)
            .map(|part| {
                let mut bytes = Vec::with_capacity(part.len() * 128);
                for item in part {
                    render(item, &mut bytes)?;
                }
                Ok(bytes)
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        for part in parts {
            out.write_all(&part)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(dir: &Path, text: &str) -> Staging {
        let mut staging = Staging::new(dir).unwrap();
        for name in ["manifest.jsonl", "decisions.jsonl", "run.json"] {
            staging
                .add(name, |w| Ok(w.write_all(format!("{text} {name}\n").as_bytes())?))
                .unwrap();
        }
        staging
    }

    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut all: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        all.sort();
        all
    }

    fn run_of(text: &str) -> Vec<(String, String)> {
        let mut all: Vec<_> = ["decisions.jsonl", "manifest.jsonl", "run.json"]
            .map(|n| (n.to_string(), format!("{text} {n}\n")))
            .into();
        all.sort();
        all
    }

    #[test]
    fn a_commit_killed_after_its_journal_is_completed_by_the_next_reader() {
        let dir = tempfile::tempdir().unwrap();
        stage(dir.path(), "old").commit().unwrap();
        let mut staging = stage(dir.path(), "new");
        staging.write_journal().unwrap();
        // Killed after the first rename: old and new files side by side, journal present.
        let journal = std::fs::read_to_string(dir.path().join(JOURNAL)).unwrap();
        let (from, to) = journal.lines().next().unwrap().split_once('\t').unwrap();
        std::fs::rename(dir.path().join(from), dir.path().join(to)).unwrap();
        drop(staging);
        finish_interrupted_commit(dir.path()).unwrap();
        assert_eq!(files(dir.path()), run_of("new"));
    }

    #[test]
    fn a_run_killed_before_its_journal_leaves_the_old_files_and_the_next_plan_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        stage(dir.path(), "old").commit().unwrap();
        std::fs::write(dir.path().join(".run.json.bak"), "kept").unwrap();
        let mut staging = stage(dir.path(), "new");
        // Killed: the temporary files stay on disk, the lock goes with the process.
        for (tmp, _) in staging.staged.drain(..) {
            tmp.into_temp_path().keep().unwrap();
        }
        drop(staging);
        finish_interrupted_commit(dir.path()).unwrap();
        let mut want = run_of("old");
        want.insert(0, (".run.json.bak".into(), "kept".into()));
        let before = files(dir.path());
        assert!(before.len() > want.len(), "temporary files are left: {before:?}");
        Staging::new(dir.path()).unwrap();
        assert_eq!(files(dir.path()), want);
    }

    #[test]
    fn a_second_plan_into_the_same_directory_is_refused_while_one_runs() {
        let dir = tempfile::tempdir().unwrap();
        let first = Staging::new(dir.path()).unwrap();
        let err = Staging::new(dir.path()).err().unwrap().to_string();
        assert!(err.contains("another plan is writing"), "{err}");
        drop(first);
        Staging::new(dir.path()).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn planted_links_are_replaced_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        for name in ["manifest.jsonl", "decisions.jsonl", "run.json"] {
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        std::os::unix::fs::symlink(
            outside.path().join("absent"),
            dir.path().join(".streak-repair.probe.AAAAAA"),
        )
        .unwrap();
        stage(dir.path(), "new").commit().unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!outside.path().join("absent").exists());
        for name in ["manifest.jsonl", "decisions.jsonl", "run.json"] {
            let meta = std::fs::symlink_metadata(dir.path().join(name)).unwrap();
            assert!(meta.file_type().is_file(), "{name} is a regular file");
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(meta.permissions().mode() & 0o777, 0o644);
        }
    }
}
