//! streak-repair as a library: the stages the binary wires together, open to the
//! benchmarks in `benches/`. See `main.rs` for the command line.
//!
//! Data flows one way: source → logs → evidence → local days → rules → plan →
//! output. Only `cmd/` wires the stages together.

pub mod blocks;
pub mod calendar;
pub mod cells;
pub mod cli;
pub mod cmd;
pub mod collect;
pub mod evidence;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_targets;
pub mod gather;
pub mod hashing;
pub mod incident;
pub mod localday;
pub mod logs;
pub mod model;
pub mod output;
pub mod plan;
pub mod progress;
pub mod query;
pub mod rank;
pub mod report;
pub mod rules;
pub mod rundir;
pub mod source;
pub mod switch;
pub mod trace;
pub mod tzdb;
