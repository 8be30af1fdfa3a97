//! The manifest as JSON Lines: the canonical format, the one that is hashed.

use std::io::Write;

use super::{write_jsonl, Format, ManifestRow};

pub struct JsonLines;

impl Format for JsonLines {
    fn file_name(&self) -> &'static str {
        "manifest.jsonl"
    }

    fn write(&self, rows: &[ManifestRow], out: &mut (dyn Write + Send)) -> anyhow::Result<()> {
        write_jsonl(rows, out)
    }
}
