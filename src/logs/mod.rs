//! Access logs: parsing one access-log line into a record of its fields.
//!
//! This module owns the log formats and nothing about evidence: it does not know which
//! bucket, key, operation or status matters, nor what a learner id is. Callers get raw
//! field text (as logged) and decide for themselves.

pub mod s3;

pub use s3::{decimal, parse, Record, LONGEST_LINE};
