//! Traces out to other tools, one module per format behind one small trait (hyperfine's
//! `src/export/` shape): [`Jaeger`] for the Jaeger UI's offline "JSON File" upload, [`Otlp`]
//! for OTLP/JSON (any OpenTelemetry backend or collector).
//!
//! Owns the formats only: choosing traces and opening files is the command's business.
//! Both write one JSON document and a newline, deterministically: same traces, same bytes.

mod jaeger;
mod otlp;

use std::io::Write;

use super::stitch::Trace;

pub use jaeger::Jaeger;
pub use otlp::Otlp;

/// A trace file format: traces in, bytes out to a `Write`.
pub trait Export {
    /// The file name the format is written to by default.
    fn file_name(&self) -> &'static str;
    fn write(&self, traces: &[Trace], out: &mut dyn Write) -> anyhow::Result<()>;
}

/// 16 lowercase hex digits, as both formats spell span ids.
fn span_hex(id: u64) -> String {
    format!("{id:016x}")
}

/// The route part of an operation (`GET /users/{id}` → `/users/{id}`).
fn route(operation: &str) -> Option<&str> {
    operation.split_once(' ').map(|(_, path)| path)
}
