//! The job's outputs: the manifest, the decision log and run metadata (SPEC §4).
//!
//! The row structs are the schema. Each manifest format is a small file behind the
//! [`Format`] trait (rows in, bytes out to a `Write`); [`Staging`] writes every file
//! beside its target and renames them all at the end, never half a file.

mod csv;
mod jsonl;
mod parquet;
mod rows;
pub mod run;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

pub use rows::{
    decision_rows, instant, manifest_rows, near_miss_rows, DecisionRow, ManifestRow, NearMissRow,
    NearMissRows,
};

/// A manifest format: writes rows to a byte sink.
pub trait Format {
    /// The file name this format is written to.
    fn file_name(&self) -> &'static str;
    fn write(&self, rows: &[ManifestRow], out: &mut (dyn Write + Send)) -> anyhow::Result<()>;
}

/// The formats `--format` offers beside the always-written JSON Lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExtraFormat {
    Csv,
    Parquet,
}

pub fn jsonl() -> &'static dyn Format {
    &jsonl::JsonLines
}

impl ExtraFormat {
    pub const ALL: [ExtraFormat; 2] = [ExtraFormat::Csv, ExtraFormat::Parquet];

    pub fn format(self) -> &'static dyn Format {
        match self {
            ExtraFormat::Csv => &csv::Csv,
            ExtraFormat::Parquet => &parquet::Parquet,
        }
    }
}

/// The run's output files, written to temporary files beside their targets and
/// renamed into place together at the end, so an earlier run's files stay intact until
/// every new one is complete, and a crash never leaves half a file.
pub struct Staging {
    dir: PathBuf,
    staged: Vec<(tempfile::NamedTempFile, PathBuf)>,
    retired: Vec<PathBuf>,
}

impl Staging {
    /// Creates `dir` if needed and checks that files can be created in it, so a bad
    /// `--out` fails before any work is done.
    pub fn new(dir: &Path) -> anyhow::Result<Staging> {
        let place = || format!("{}: cannot write the output directory", dir.display());
        std::fs::create_dir_all(dir).with_context(place)?;
        tempfile::Builder::new()
            .prefix(".probe.")
            .tempfile_in(dir)
            .with_context(place)?;
        Ok(Staging {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            retired: Vec::new(),
        })
    }

    /// Writes `name` to a synced temporary file, readable by all (0644); returns the
    /// SHA-256 of its bytes.
    pub fn add(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut (dyn Write + Send)) -> anyhow::Result<()>,
    ) -> anyhow::Result<String> {
        let target = self.dir.join(name);
        let place = || format!("{}: cannot write", target.display());
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .tempfile_in(&self.dir)
            .with_context(place)?;
        let sha256 = {
            let mut out = Hashing {
                inner: io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut()),
                hasher: Sha256::new(),
            };
            write(&mut out).with_context(place)?;
            out.inner.flush().with_context(place)?;
            hex::encode(out.hasher.finalize())
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .with_context(place)?;
        }
        tmp.as_file().sync_all().with_context(place)?;
        self.staged.push((tmp, target));
        Ok(sha256)
    }

    /// A file of an earlier run that this run does not write (an extra format not asked
    /// for this time): removed at commit so it cannot be mistaken for this run's.
    pub fn retire(&mut self, name: &str) {
        self.retired.push(self.dir.join(name));
    }

    /// Renames every staged file into place, in the order added, then syncs the directory.
    pub fn commit(self) -> anyhow::Result<()> {
        for (tmp, target) in self.staged {
            tmp.persist(&target)
                .map_err(|e| e.error)
                .with_context(|| format!("{}: cannot write", target.display()))?;
        }
        for old in &self.retired {
            match std::fs::remove_file(old) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("{}: cannot remove a stale output", old.display()))
                }
                _ => {}
            }
        }
        #[cfg(unix)]
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("{}: cannot sync the output directory", self.dir.display()))?;
        Ok(())
    }
}

/// Hashes the bytes written on their way to `inner`.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// JSON Lines of any serialisable rows: one compact object per line.
pub fn write_jsonl<T: serde::Serialize + Sync>(
    rows: &[T],
    out: &mut (dyn Write + Send),
) -> anyhow::Result<()> {
    write_jsonl_with(rows, |row, bytes| serde_json::to_writer(bytes, row), out)
}

/// JSON Lines of each item, as `render` writes it (one object, no newline). Lines are rendered in parallel, a
/// wave of parts at a time so memory stays bounded, and written in order.
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
                    bytes.push(b'\n');
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
