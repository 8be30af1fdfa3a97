//! Local inputs: files and directories (recursive, in sorted order).

use std::fs::File;
use std::io;
use std::path::PathBuf;

use memmap2::Mmap;

use super::{Input, SourceError};

/// Expands a file or directory into the files to read. Directories are walked
/// recursively, entries in byte order of their names, so the list does not depend on
/// the file system's order. An empty directory is an error: a mistyped path must not
/// look like a quiet incident.
pub fn expand(path: &PathBuf, inputs: &mut Vec<Input>) -> Result<(), SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| SourceError::new(path.display(), "cannot open", e))?;
    if !meta.is_dir() {
        inputs.push(Input::Local(path.clone()));
        return Ok(());
    }
    let before = inputs.len();
    for entry in walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let at = e.path().unwrap_or(path).display().to_string();
            SourceError::new(at, "cannot read directory", e.into())
        })?;
        if entry.file_type().is_file() {
            inputs.push(Input::Local(entry.into_path()));
        }
    }
    if inputs.len() == before {
        let none = io::Error::new(io::ErrorKind::NotFound, "no files in it");
        return Err(SourceError::new(path.display(), "nothing to read", none));
    }
    Ok(())
}

pub fn open(path: &PathBuf) -> Result<File, SourceError> {
    File::open(path).map_err(|e| SourceError::new(path.display(), "cannot open", e))
}

/// The file mapped into memory, to be read in place rather than copied; `None` when it is
/// better read as a stream: gzip, empty, not a regular file (a pipe), or not mappable.
///
/// A file truncated by another process while mapped ends this one with SIGBUS: log
/// objects are written once and never shrunk, the trade ripgrep makes for the same gain.
pub fn map(path: &PathBuf) -> Result<Option<Mmap>, SourceError> {
    let file = open(path)?;
    let meta = file
        .metadata()
        .map_err(|e| SourceError::new(path.display(), "cannot open", e))?;
    if !meta.is_file() || meta.len() == 0 {
        return Ok(None);
    }
    // SAFETY: the mapping is only read, and lives no longer than the blocks cut from it
    // and the pieces sent to be hashed; the one hazard, truncation by another process, is
    // documented above.
    let Ok(map) = (unsafe { Mmap::map(&file) }) else {
        return Ok(None);
    };
    Ok((!map.starts_with(&super::GZIP_MAGIC)).then_some(map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{InputDigest, Opened};
    use std::io::Read;
    use std::io::Write;
    use std::path::Path;

    fn read_all(path: &Path) -> (Vec<u8>, InputDigest) {
        let mut o = Opened::open(&Input::Local(path.into()), true).unwrap();
        let mut out = Vec::new();
        o.read_to_end(&mut out).unwrap();
        (out, o.finish().unwrap())
    }

    #[test]
    fn gzip_is_detected_by_magic_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("object-without-extension");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"a\nb\n").unwrap();
        let bytes = enc.finish().unwrap();
        std::fs::write(&gz, &bytes).unwrap();
        let plain = dir.path().join("plain.gz");
        std::fs::write(&plain, b"not gzip\n").unwrap();
        let (out, d) = read_all(&gz);
        assert_eq!(out, b"a\nb\n");
        assert_eq!(d.bytes, bytes.len() as u64);
        assert_eq!(
            d,
            read_all(&gz).1,
            "the digest does not depend on how much was read"
        );
        assert_eq!(read_all(&plain).0, b"not gzip\n");
    }

    #[test]
    fn directories_expand_recursively_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        for p in ["b/2", "b/1", "a", "c/d/e"] {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let mut inputs = Vec::new();
        expand(&dir.path().into(), &mut inputs).unwrap();
        let got: Vec<_> = inputs
            .iter()
            .map(|i| {
                i.name()
                    .strip_prefix(&format!("{}/", dir.path().display()))
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(got, ["a", "b/1", "b/2", "c/d/e"]);
    }

    #[test]
    fn a_missing_path_names_itself() {
        let e = expand(&"/no/such/logs".into(), &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/no/such/logs: cannot open"), "{e}");
    }

    #[test]
    fn an_empty_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let e = expand(&dir.path().into(), &mut Vec::new()).unwrap_err();
        assert!(e.to_string().ends_with("nothing to read"), "{e}");
    }
}
