//! Where input bytes come from. One seam for every kind of input, picked from the
//! path: local files and directories, or `s3://bucket/prefix` (listed, pruned by the
//! time in each object's key, fetched a few at a time and streamed).
//!
//! A source yields decompressed bytes (gzip is detected by its magic bytes, never by
//! name) and, when finished, the size and SHA-256 of the bytes as stored. It knows
//! nothing of what the bytes mean.

pub mod athena;
pub mod local;
pub mod s3;

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;

use flate2::bufread::MultiGzDecoder;

use crate::hashing::Hashing;
use crate::output::run::{InputDigest, S3Listing};

/// One input: a local file or an S3 object.
#[derive(Debug)]
pub enum Input {
    Local(PathBuf),
    S3(s3::Object),
}

impl Input {
    /// The path or `s3://bucket/key`, as errors and run.json name it.
    pub fn name(&self) -> String {
        match self {
            Input::Local(path) => path.display().to_string(),
            Input::S3(object) => object.url(),
        }
    }
}

/// The inputs of a run, and what listing S3 found.
pub struct Inputs {
    pub list: Vec<Input>,
    /// `Some` when any input came from S3.
    pub s3: Option<S3Listing>,
    /// Keeps the S3 transfers running while the inputs are read.
    _fetcher: Option<s3::Fetcher>,
}

/// Expands every `--logs` argument: local paths and `s3://` prefixes.
pub fn expand(args: &[String], s3: &s3::Options) -> Result<Inputs, SourceError> {
    let mut list = Vec::new();
    let mut urls = Vec::new();
    for arg in args {
        match s3::Url::parse(arg) {
            Some(url) => urls.push(url?),
            None => local::expand(&PathBuf::from(arg), &mut list)?,
        }
    }
    if urls.is_empty() {
        return Ok(Inputs {
            list,
            s3: None,
            _fetcher: None,
        });
    }
    let fetcher = s3::Fetcher::new(s3)?;
    let listing = fetcher.list(&urls, s3)?;
    list.extend(fetcher.fetch_all(&listing.kept)?.into_iter().map(Input::S3));
    Ok(Inputs {
        list,
        s3: Some(listing.summary),
        _fetcher: Some(fetcher),
    })
}

/// A learners or calendars table as files on disk, with its identity for run.json.
/// It holds whatever temporary download or folder its files live in until dropped.
pub struct TableFiles {
    pub paths: Vec<PathBuf>,
    pub digest: InputDigest,
    _held: Held,
}

/// Kept only for its `Drop`, which removes the temporary files.
#[expect(dead_code, reason = "held for its Drop")]
enum Held {
    Nothing,
    Download(tempfile::NamedTempFile),
    Folder(std::sync::Arc<tempfile::TempDir>),
}

impl TableFiles {
    /// Files inside a temporary folder that others may share.
    pub fn in_folder(
        paths: Vec<PathBuf>,
        digest: InputDigest,
        folder: std::sync::Arc<tempfile::TempDir>,
    ) -> TableFiles {
        TableFiles {
            paths,
            digest,
            _held: Held::Folder(folder),
        }
    }
}

/// A table given as a path or `s3://` URL: a local file, or an S3 object downloaded to
/// a temporary file with the same extension (the table readers choose by it, and
/// Parquet needs to seek).
pub struct Table {
    pub path: PathBuf,
    /// The path or URL as given, for messages and run.json.
    name: String,
    held: Held,
}

pub fn table(arg: &str, s3: &s3::Options) -> Result<Table, SourceError> {
    let (path, held) = match s3::Url::parse(arg) {
        None => (PathBuf::from(arg), Held::Nothing),
        Some(url) => {
            let file = s3::Fetcher::new(s3)?.download(&url?)?;
            (file.path().to_path_buf(), Held::Download(file))
        }
    };
    Ok(Table {
        path,
        name: arg.to_string(),
        held,
    })
}

impl Table {
    /// The table's files with its size and SHA-256 as stored, named as given.
    pub fn into_files(self) -> Result<TableFiles, SourceError> {
        let digest = Opened::open(&Input::Local(self.path.clone()), true)?.finish()?;
        Ok(TableFiles {
            paths: vec![self.path],
            digest: InputDigest {
                path: self.name,
                ..digest
            },
            _held: self.held,
        })
    }
}

/// The cause stays out of the message: printing the error chain shows it once.
#[derive(Debug, thiserror::Error)]
#[error("{place}: {what}")]
pub struct SourceError {
    pub place: String,
    pub what: &'static str,
    #[source]
    pub source: io::Error,
}

impl SourceError {
    pub fn new(place: impl fmt::Display, what: &'static str, source: io::Error) -> SourceError {
        SourceError {
            place: place.to_string(),
            what,
            source,
        }
    }
}

type Stored = BufReader<Hashing<Box<dyn Read + Send>>>;

enum Decoded {
    Plain(Stored),
    Gzip(Box<MultiGzDecoder<Stored>>),
}

/// An open input yielding decompressed bytes.
pub struct Opened {
    name: String,
    decoded: Decoded,
}

pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl Opened {
    /// `hash`: compute the SHA-256 of the stored bytes for [`Opened::finish`] (run.json
    /// needs it; `scan` does not, and it costs a core-second per 2 GB).
    pub fn open(input: &Input, hash: bool) -> Result<Opened, SourceError> {
        let name = input.name();
        let inner: Box<dyn Read + Send> = match input {
            Input::Local(path) => Box::new(local::open(path)?),
            Input::S3(object) => Box::new(object.stream()?),
        };
        let mut stored = BufReader::with_capacity(256 * 1024, Hashing::new(inner, hash));
        let head = stored
            .fill_buf()
            .map_err(|e| SourceError::new(&name, "cannot read", e))?;
        let decoded = if head.starts_with(&GZIP_MAGIC) {
            Decoded::Gzip(Box::new(MultiGzDecoder::new(stored)))
        } else {
            Decoded::Plain(stored)
        };
        Ok(Opened { name, decoded })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads what is left of the stored bytes (so the hash covers all of them) and
    /// returns the digest; its `sha256` is empty unless the input was opened to hash.
    pub fn finish(self) -> Result<InputDigest, SourceError> {
        let mut stored = match self.decoded {
            Decoded::Plain(s) => s,
            Decoded::Gzip(g) => g.into_inner(),
        };
        io::copy(&mut stored, &mut io::sink()).map_err(|e| SourceError::new(&self.name, "cannot read", e))?;
        let (bytes, sha256) = stored.into_inner().finish();
        Ok(InputDigest {
            path: self.name,
            bytes,
            sha256,
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
