//! Local inputs: files and directories (recursive, in sorted order), plain or gzip,
//! detected by magic bytes rather than by name.
//!
//! Every byte read as stored is hashed on the way through, so `run.json` can name
//! each input's SHA-256 without a second pass over the data.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;
use sha2::{Digest, Sha256};

/// One input file, as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
}

/// An input's identity as read: path, size and SHA-256 of the stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputDigest {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The cause stays out of the message: printing the error chain shows it once.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {what}")]
pub struct SourceError {
    pub path: String,
    pub what: &'static str,
    #[source]
    pub source: io::Error,
}

impl SourceError {
    pub fn new(path: &Path, what: &'static str, source: io::Error) -> SourceError {
        SourceError {
            path: path.display().to_string(),
            what,
            source,
        }
    }
}

/// Expands files and directories into the list of files to read. Directories are
/// walked recursively, entries in byte order of their names, so the list does not
/// depend on the file system's order.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Input>, SourceError> {
    let mut inputs = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| SourceError::new(path, "cannot open", e))?;
        if !meta.is_dir() {
            inputs.push(Input { path: path.clone() });
            continue;
        }
        let before = inputs.len();
        let walk = walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name();
        for entry in walk {
            let entry = entry.map_err(|e| {
                let at = e.path().unwrap_or(path).to_path_buf();
                SourceError::new(&at, "cannot read directory", e.into())
            })?;
            if entry.file_type().is_file() {
                inputs.push(Input {
                    path: entry.into_path(),
                });
            }
        }
        if inputs.len() == before {
            // A mistyped prefix must not look like a quiet incident.
            let none = io::Error::new(io::ErrorKind::NotFound, "no files in it");
            return Err(SourceError::new(path, "nothing to read", none));
        }
    }
    Ok(inputs)
}

/// Counts and hashes the stored bytes as they pass.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

type Stored = BufReader<Hashing<File>>;

enum Decoded {
    Plain(Stored),
    Gzip(Box<MultiGzDecoder<Stored>>),
}

/// An open input yielding decompressed bytes.
pub struct Opened {
    path: PathBuf,
    decoded: Decoded,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl Opened {
    pub fn open(input: &Input) -> Result<Opened, SourceError> {
        let path = &input.path;
        let file = File::open(path).map_err(|e| SourceError::new(path, "cannot open", e))?;
        let mut stored = BufReader::with_capacity(
            256 * 1024,
            Hashing {
                inner: file,
                hasher: Sha256::new(),
                bytes: 0,
            },
        );
        let head = stored
            .fill_buf()
            .map_err(|e| SourceError::new(path, "cannot read", e))?;
        let decoded = if head.starts_with(&GZIP_MAGIC) {
            Decoded::Gzip(Box::new(MultiGzDecoder::new(stored)))
        } else {
            Decoded::Plain(stored)
        };
        Ok(Opened {
            path: path.clone(),
            decoded,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads what is left of the stored bytes (so the hash covers the whole file)
    /// and returns the digest.
    pub fn finish(self) -> Result<InputDigest, SourceError> {
        let mut stored = match self.decoded {
            Decoded::Plain(s) => s,
            Decoded::Gzip(g) => g.into_inner(),
        };
        io::copy(&mut stored, &mut io::sink()).map_err(|e| SourceError::new(&self.path, "cannot read", e))?;
        let hashing = stored.into_inner();
        Ok(InputDigest {
            path: self.path.display().to_string(),
            bytes: hashing.bytes,
            sha256: hex::encode(hashing.hasher.finalize()),
        })
    }
}

impl Read for Opened {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.decoded {
            Decoded::Plain(r) => r.read(buf),
            Decoded::Gzip(r) => r.read(buf),
        }
    }
}

/// Size and SHA-256 of a whole file as stored (learners, calendars).
pub fn digest_file(path: &Path) -> Result<InputDigest, SourceError> {
    Opened::open(&Input {
        path: path.to_path_buf(),
    })?
    .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(path: &Path) -> (Vec<u8>, InputDigest) {
        let mut o = Opened::open(&Input { path: path.into() }).unwrap();
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
        assert_eq!(d, digest_file(&gz).unwrap());
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
        let got: Vec<_> = expand(&[dir.path().into()])
            .unwrap()
            .into_iter()
            .map(|i| i.path.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(got, ["a", "b/1", "b/2", "c/d/e"]);
    }

    #[test]
    fn a_missing_path_names_itself() {
        let e = expand(&["/no/such/logs".into()]).unwrap_err().to_string();
        assert!(e.starts_with("/no/such/logs: cannot open"), "{e}");
    }

    #[test]
    fn an_empty_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let e = expand(&[dir.path().into()]).unwrap_err();
        assert!(e.to_string().ends_with("nothing to read"), "{e}");
    }
}
