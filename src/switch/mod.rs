//! The switch (SPEC §7): its config, which cohorts and features a flip is about, the
//! flip itself against S3, the journal of flips, and the repair windows the journal
//! gives. `brb`'s commands (src/cmd/brb/) are a thin layer over this.

pub mod config;
pub mod flip;
pub mod journal;
pub mod selection;
pub mod store;
pub mod windows;
