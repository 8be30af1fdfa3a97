//! One file per subcommand, each with its own argument struct and one `run`. Only
//! these files wire the stages together.

pub mod explain;
pub mod plan;
pub mod replay;
pub mod report;
pub mod scan;
pub mod verify;

use std::path::Path;

use crate::gather::Rejection;
use crate::source::Input;

/// What a command found: `Problem` exits 1 (a replay mismatch, pending actions with
/// `verify --strict`); errors exit 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Clean,
    Problem,
}

/// Sets the rayon pool size when asked; the default is one thread per core.
pub fn threads(n: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = n {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    Ok(())
}

/// Prints the first rejected lines with file:line, and how many there were in all.
pub fn warn_rejections(inputs: &[Input], shown: &[Rejection], total: u64) {
    for r in shown {
        let path = inputs.get(r.input).map_or(Path::new("?"), |i| i.path.as_path());
        eprintln!(
            "warning: {}:{}: line rejected: {}",
            path.display(),
            r.line,
            r.reason
        );
    }
    if total > shown.len() as u64 {
        eprintln!(
            "warning: {} more lines rejected (counts by reason in run.json)",
            total - shown.len() as u64
        );
    }
}
