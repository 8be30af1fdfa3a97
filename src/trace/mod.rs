//! Request tracing from load-balancer logs (TRACING.md): hops (one per ALB log line or
//! application-log call) stitched into call trees, rendered in the terminal and
//! exported to Jaeger and OTLP.
//!
//! Knows the propagation contract, not the log formats: `logs::alb` and `logs::applog`
//! parse lines, and `from_alb` and `from_app` turn a record into a [`hop::Hop`]. Pure: no
//! I/O but the `Write` it is given.
//!
//! Data flows header/operation → [`hop::Hop`] → [`stitch::stitch`] → [`show::render`] or
//! an [`export::Export`].

pub mod deps;
pub mod export;
pub mod from_alb;
pub mod from_app;
pub mod header;
pub mod hop;
pub mod operation;
pub mod show;
pub mod stitch;
