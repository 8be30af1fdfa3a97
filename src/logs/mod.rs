//! Access logs: parsing one access-log line into a record of its fields (S3 server
//! access logs, which hold the evidence, and ALB access logs, which hold the traces).
//!
//! This module owns the log formats and nothing about evidence: it does not know which
//! bucket, key, operation or status matters, nor what a learner id is. Callers get raw
//! field text (as logged) through [`Request`] and decide for themselves.
//!
//! Adding a format is one parser module with a [`Format`] and one arm in
//! [`LogFormat::with`].

pub mod alb;
pub mod applog;
pub mod s3;
pub mod split;

use crate::model::Reject;

pub use s3::LONGEST_LINE;
pub use split::decimal;

/// What the evidence rule reads of one access-log record, whatever format wrote it.
pub trait Request {
    /// The request time in Unix seconds, UTC.
    fn time(&self) -> i64;
    /// The bucket served, for formats that log one.
    fn bucket(&self) -> Option<&[u8]>;
    fn operation(&self) -> Option<&[u8]>;
    /// The object key or path, still URL-encoded.
    fn key(&self) -> Option<&[u8]>;
    fn http_status(&self) -> Option<u16>;
    /// The query string, still percent-encoded.
    fn query(&self) -> Option<&[u8]>;
    fn request_id(&self) -> Option<&[u8]>;
}

/// A line grammar: one line in, its record with every field (what `scan --all` prints) or
/// why not. Every format has one, evidence formats or not.
pub trait Grammar {
    type Record<'a>: serde::Serialize;
    fn parse(line: &[u8]) -> Result<Self::Record<'_>, Reject>;
}

/// A log format that can hold evidence: one line in, its record or why not.
pub trait Format {
    type Record<'a>: Request + serde::Serialize;
    fn parse(line: &[u8]) -> Result<Self::Record<'_>, Reject>;
}

/// Work that needs a format's parser, run with the one chosen at run time.
pub trait WithFormat {
    type Output;
    fn run<F: Format>(self) -> Self::Output;
}

/// The log formats the job reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// S3 server access logs.
    #[default]
    S3,
}

impl LogFormat {
    /// Runs `work` with this format's parser: the one place formats are chosen.
    pub fn with<W: WithFormat>(self, work: W) -> W::Output {
        match self {
            LogFormat::S3 => work.run::<s3::S3Log>(),
        }
    }
}
