//! The service dependency graph of a window: one edge per (caller, callee) with calls,
//! errors, latency percentiles, bytes and the time between services, and the flags the
//! seed system found this way. Pure: stitched traces in, edges out.
//!
//! The rules are sql/alb_edges.sql's, so Athena and a local run give the same edges:
//! - A hop counts when its `time` (its end) is in the window; duplicates were dropped by
//!   `stitch`.
//! - The caller is the hop's `Caller` field, whatever its `CallerSelf` resolved to; an
//!   entry hop or a hop the 7 KB rule cut has none (`(none)`), and entry hops are counted
//!   apart as `entries`.
//! - Latency is end − start; the gap is latency − `target_processing_time` (the load
//!   balancer and the network between the services), for hops a target answered.
//! - Percentiles interpolate linearly between the two nearest ranks.
//!
//! Flags, with thresholds fixed here for every system: oversized responses (mean above
//! [`OVERSIZED_BYTES`]: the seed system found uncompressed payloads this way), repeated
//! errors (at least [`REPEATED_ERRORS`] and [`ERROR_SHARE`] of calls), latency between
//! services (gap p50 at least [`SLOW_GAP_MS`]).

pub mod formats;
pub mod html;

use std::collections::BTreeMap;

use serde::Serialize;

use super::stitch::Trace;

/// Mean response size above which an edge is flagged oversized: 100 KiB.
pub const OVERSIZED_BYTES: u64 = 100 * 1024;
/// Errors on an edge from which they count as repeated...
pub const REPEATED_ERRORS: u64 = 3;
/// ... when they are also at least this share of its calls.
pub const ERROR_SHARE: f64 = 0.05;
/// Median time between services from which an edge is flagged slow.
pub const SLOW_GAP_MS: f64 = 10.0;

/// The caller of entry hops and of hops with no `Caller`.
pub const NO_CALLER: &str = "(none)";

/// One dependency edge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub caller: String,
    pub callee: String,
    pub calls: u64,
    pub errors: u64,
    /// Entry hops among the calls (no `Self`: the request came from outside).
    pub entries: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub request_bytes: u64,
    pub response_bytes: u64,
    pub gap_p50_ms: Option<f64>,
    pub flags: Vec<Flag>,
}

/// What an edge is flagged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    OversizedResponses,
    RepeatedErrors,
    SlowBetweenServices,
}

impl Flag {
    pub fn phrase(self) -> &'static str {
        match self {
            Flag::OversizedResponses => "oversized responses",
            Flag::RepeatedErrors => "repeated errors",
            Flag::SlowBetweenServices => "latency between services",
        }
    }
}

impl Edge {
    pub fn error_rate(&self) -> f64 {
        self.errors as f64 / self.calls.max(1) as f64
    }

    pub fn mean_response_bytes(&self) -> u64 {
        self.response_bytes / self.calls.max(1)
    }
}

#[derive(Default)]
struct Tally {
    calls: u64,
    errors: u64,
    entries: u64,
    latency_ms: Vec<f64>,
    gap_ms: Vec<f64>,
    request_bytes: u64,
    response_bytes: u64,
}

/// The edges of every hop that ended in `[from, to)`, sorted by caller then callee.
pub fn edges(traces: &[Trace], from: i64, to: i64) -> Vec<Edge> {
    let mut tallies: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let hops = traces
        .iter()
        .flat_map(|t| &t.spans)
        .filter_map(|s| s.hop.as_ref());
    for hop in hops.filter(|h| (from..to).contains(&h.end)) {
        let caller = hop.caller.as_deref().unwrap_or(NO_CALLER).to_string();
        let t = tallies.entry((caller, hop.service.to_string())).or_default();
        t.calls += 1;
        t.errors += u64::from(hop.error);
        t.entries += u64::from(hop.self_id.is_none());
        let latency = hop.duration();
        t.latency_ms.push(latency as f64 / 1000.0);
        if let Some(own) = hop.target_time {
            t.gap_ms.push((latency - own) as f64 / 1000.0);
        }
        t.request_bytes += hop.request_bytes;
        t.response_bytes += hop.response_bytes;
    }
    tallies
        .into_iter()
        .map(|((caller, callee), t)| edge(caller, callee, t))
        .collect()
}

fn edge(caller: String, callee: String, mut t: Tally) -> Edge {
    flagged(Edge {
        caller,
        callee,
        calls: t.calls,
        errors: t.errors,
        entries: t.entries,
        p50_ms: percentile(&mut t.latency_ms, 0.5),
        p99_ms: percentile(&mut t.latency_ms, 0.99),
        request_bytes: t.request_bytes,
        response_bytes: t.response_bytes,
        gap_p50_ms: percentile(&mut t.gap_ms, 0.5),
        flags: Vec::new(),
    })
}

/// `edge` with the flags its figures earn (whoever aggregated them: this module or Athena).
pub fn flagged(mut edge: Edge) -> Edge {
    edge.flags.clear();
    if edge.mean_response_bytes() > OVERSIZED_BYTES {
        edge.flags.push(Flag::OversizedResponses);
    }
    if edge.errors >= REPEATED_ERRORS && edge.error_rate() >= ERROR_SHARE {
        edge.flags.push(Flag::RepeatedErrors);
    }
    if edge.gap_p50_ms.is_some_and(|g| g >= SLOW_GAP_MS) {
        edge.flags.push(Flag::SlowBetweenServices);
    }
    edge
}

/// Linear interpolation between the nearest ranks (DuckDB's `quantile_cont`).
fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let last = values.len().checked_sub(1)?;
    let rank = q * last as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    let (a, b) = (values[low], values[high.min(last)]);
    Some(a + (b - a) * (rank - low as f64))
}

/// Which edges to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub min_calls: u64,
    pub min_error_rate: f64,
    pub min_p99_ms: f64,
    pub min_mean_response_bytes: u64,
    pub flagged_only: bool,
}

impl Filter {
    pub fn keeps(&self, e: &Edge) -> bool {
        e.calls >= self.min_calls
            && e.error_rate() >= self.min_error_rate
            && e.p99_ms.unwrap_or(0.0) >= self.min_p99_ms
            && e.mean_response_bytes() >= self.min_mean_response_bytes
            && (!self.flagged_only || !e.flags.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::header::CallerSelf;
    use crate::trace::hop::sample::hop;
    use crate::trace::stitch::stitch;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        assert_eq!(percentile(&mut [], 0.5), None);
        assert_eq!(percentile(&mut [3.0], 0.99), Some(3.0));
        assert_eq!(percentile(&mut [4.0, 1.0, 2.0, 3.0], 0.5), Some(2.5));
        let p99 = percentile(&mut (1..=100).map(f64::from).collect::<Vec<_>>(), 0.99).unwrap();
        assert!((p99 - 99.01).abs() < 1e-9, "{p99}");
    }

    #[test]
    fn edges_count_calls_errors_entries_and_flag_what_the_seed_system_found() {
        let mut entry = hop("web", None, None, (0, 100));
        entry.target_time = Some(99_000);
        let mut calls: Vec<_> = (1..=4)
            .map(|n| hop("api", Some(n), Some(CallerSelf::Root), (10, 40)))
            .collect();
        for (n, call) in calls.iter_mut().enumerate() {
            call.caller = Some("web".into());
            call.error = n < 3;
            call.response_bytes = 200 * 1024;
            call.target_time = Some(15_000);
        }
        let mut hops = vec![entry];
        hops.extend(calls);
        let stitched = stitch(hops);
        let all = edges(&stitched.traces, i64::MIN, i64::MAX);
        assert_eq!(all.len(), 2);
        let (client, api) = (&all[0], &all[1]);
        assert_eq!(
            (client.caller.as_str(), client.callee.as_str(), client.entries),
            (NO_CALLER, "web", 1)
        );
        assert_eq!(
            (api.caller.as_str(), api.calls, api.errors, api.entries),
            ("web", 4, 3, 0)
        );
        assert_eq!((api.p50_ms, api.gap_p50_ms), (Some(30.0), Some(15.0)));
        assert_eq!(
            api.flags,
            [
                Flag::OversizedResponses,
                Flag::RepeatedErrors,
                Flag::SlowBetweenServices
            ]
        );
        assert!(client.flags.is_empty());
        let outside = edges(&stitched.traces, 0, 1);
        assert!(
            outside.is_empty(),
            "hops ending outside the window are not counted"
        );
        let filter = Filter {
            min_error_rate: 0.5,
            ..Filter::default()
        };
        assert_eq!(all.iter().filter(|e| filter.keeps(e)).count(), 1);
    }
}
