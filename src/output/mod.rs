//! The job's outputs: the manifest, the decision log and run metadata (SPEC §4).
//!
//! The row structs are the schema. Each manifest format is a small file behind the
//! [`Format`] trait (rows in, bytes out to a `Write`); [`commit`] writes every file
//! atomically, so a crash leaves the previous file or none, never half of one.

mod csv;
mod jsonl;
mod parquet;
mod rows;
pub mod run;

use std::io::{self, Write};
use std::path::Path;

pub use rows::{decision_rows, instant, manifest_rows, ManifestRow};

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
    pub fn format(self) -> &'static dyn Format {
        match self {
            ExtraFormat::Csv => &csv::Csv,
            ExtraFormat::Parquet => &parquet::Parquet,
        }
    }
}

/// Writes `dir/name` atomically: a temporary file in `dir`, synced, then renamed.
pub fn commit(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut (dyn Write + Send)) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let target = dir.join(name);
    let place = || format!("{}: cannot write", target.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempfile_in(dir)
        .with_context(place)?;
    {
        let mut out = io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        write(&mut out).with_context(place)?;
        out.flush().with_context(place)?;
    }
    tmp.as_file().sync_all().with_context(place)?;
    tmp.persist(&target).map_err(|e| e.error).with_context(place)?;
    Ok(())
}

/// JSON Lines of any serialisable rows: one compact object per line.
pub fn write_jsonl<T: serde::Serialize>(rows: &[T], out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
    for row in rows {
        serde_json::to_writer(&mut *out, row)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
