//! Request tracing from load-balancer logs (TRACING.md): hops (one per ALB log line)
//! stitched into call trees, rendered in the terminal and exported to Jaeger and OTLP.
//!
//! Knows the propagation contract, not the log format: `logs::alb` parses lines and
//! `from_alb` turns a record into a [`hop::Hop`]. Pure: no I/O but the `Write` it is given.
//!
//! Data flows header/operation → [`hop::Hop`] → [`stitch::stitch`] → [`show::render`] or
//! an [`export::Export`].

pub mod deps;
pub mod export;
pub mod from_alb;
pub mod header;
pub mod hop;
pub mod operation;
pub mod show;
pub mod stitch;
