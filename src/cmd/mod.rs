//! One file per subcommand, each with its own argument struct and one `run`. Only
//! these files wire the stages together.

pub mod brb;
pub mod explain;
pub mod plan;
pub mod replay;
pub mod report;
pub mod reqtrace;
pub mod scan;
pub mod sql;
pub mod verify;

use crate::source::s3;

/// What a command found: `Problem` exits 1 (a replay mismatch, pending actions with
/// `verify --strict`); errors exit 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Clean,
    Problem,
}

/// Where S3 inputs are read from; shared by the commands that read logs.
#[derive(Debug, Clone, clap::Args)]
pub struct S3Args {
    /// S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Address buckets by path (host/bucket/key), as S3-compatible stores want.
    #[arg(long)]
    pub s3_path_style: bool,
    /// S3 objects fetched at once.
    #[arg(long, default_value_t = s3::Options::default().concurrency)]
    pub s3_concurrency: usize,
    /// Hours after a request that AWS may still deliver its log record: objects whose
    /// key time is later than a window's end plus this are not read.
    #[arg(long, default_value_t = s3::Options::default().delivery_lag_seconds / 3600)]
    pub delivery_lag_hours: i64,
}

impl S3Args {
    pub fn options(&self, windows: &[crate::incident::Window]) -> s3::Options {
        s3::Options {
            endpoint_url: self.endpoint_url.clone(),
            path_style: self.s3_path_style,
            concurrency: self.s3_concurrency,
            delivery_lag_seconds: self.delivery_lag_hours * 3600,
            windows: windows.to_vec(),
        }
    }
}

/// A reader that stops early (`| head`) is not an error.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        let io = c.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        // serde_json wraps the write error without exposing it as a source.
        let json = c
            .downcast_ref::<serde_json::Error>()
            .and_then(serde_json::Error::io_error_kind);
        io == Some(BrokenPipe) || json == Some(BrokenPipe)
    })
}

/// Sets the rayon pool size when asked; the default is one thread per core.
pub fn threads(n: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = n {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    Ok(())
}

/// Domain enums offered as `--format` values: clap stays on this floor.
macro_rules! value_enum {
    ($($ty:ty),+) => {
        $(impl clap::ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &<$ty>::ALL
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(clap::builder::PossibleValue::new(self.name()))
            }
        })+
    };
}

value_enum!(crate::output::ExtraFormat, crate::report::ReportFormat);
