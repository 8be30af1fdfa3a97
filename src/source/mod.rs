//! Where input bytes come from. One seam for every kind of input: today local files
//! and directories (plain or gzip); S3 and Athena plug in here later.
//!
//! A source yields decompressed bytes and, when finished, the size and SHA-256 of
//! the bytes as stored. It knows nothing of what the bytes mean.

pub mod local;

pub use local::{expand, Input, InputDigest, Opened, SourceError};
