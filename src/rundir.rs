//! A plan's output directory read back: `run.json`, the manifest, the decision log and
//! the near misses. Shared by `report`, `explain`, `verify` and `replay`; it reads, and
//! writes only to complete a commit a killed plan left half done.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::de::DeserializeOwned;

use crate::output::run::RunInfo;
use crate::output::{DecisionRow, ManifestRow, NearMissRow};

pub struct RunDir {
    pub dir: PathBuf,
    pub run: RunInfo,
    pub manifest: Vec<ManifestRow>,
    pub decisions: Vec<DecisionRow>,
}

impl RunDir {
    /// Reads `run.json`, `manifest.jsonl` and `decisions.jsonl` from `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<RunDir> {
        crate::output::finish_interrupted_commit(dir)?;
        let run_json = dir.join("run.json");
        let text = std::fs::read_to_string(&run_json).with_context(|| {
            format!(
                "{}: cannot read (is {} the --out of a plan run?)",
                run_json.display(),
                dir.display()
            )
        })?;
        let run = serde_json::from_str(&text)
            .with_context(|| format!("{}: not the run.json of this version", run_json.display()))?;
        Ok(RunDir {
            dir: dir.to_path_buf(),
            run,
            manifest: read_jsonl(&dir.join("manifest.jsonl"))?,
            decisions: read_jsonl(&dir.join("decisions.jsonl"))?,
        })
    }

    /// The near misses naming one learner; `None` when the run kept none.
    pub fn near_misses(&self, learner_id: u64) -> anyhow::Result<Option<Vec<NearMissRow>>> {
        let path = self.dir.join("near_misses.jsonl");
        if !path.exists() {
            return Ok(None);
        }
        let all: Vec<NearMissRow> = read_jsonl(&path)?;
        Ok(Some(
            all.into_iter().filter(|m| m.learner_id == learner_id).collect(),
        ))
    }
}

/// Every line of a JSON Lines file as `T`; an error names the file and line.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> anyhow::Result<Vec<T>> {
    let file = std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let place = || format!("{}: line {}", path.display(), n + 1);
        let line = line.with_context(place)?;
        if !line.trim().is_empty() {
            rows.push(serde_json::from_str(&line).with_context(place)?);
        }
    }
    Ok(rows)
}
