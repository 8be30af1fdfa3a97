//! The service dependency graph of a window: one edge per (caller, callee) with calls,
//! errors, latency percentiles, bytes and the time between services, and the flags the
//! seed system found this way. Pure: hops in, edges out, folded one hop at a time so that
//! memory follows edges, not lines.
//!
//! The rules are sql/alb_edges.sql's, so Athena and a local run give the same edges:
//! - A hop counts when its `time` (its end) is in the window, once: repeats (`stitch`'s
//!   [`Identity`]) are dropped within a delivery group, the log objects that can repeat
//!   each other's lines (the caller says which; for AWS, one node's five-minute object and
//!   its second delivery). A group's hops wait, reduced to their edge's figures, until it
//!   ends; then they are folded in. Of repeats that differ (corrupt input) one is chosen
//!   by start, end and content, never by the order the lines were read in.
//! - The caller is the hop's `Caller` field, whatever its `CallerSelf` resolved to; an
//!   entry hop or a hop the 7 KB rule cut has none (`(none)`), and entry hops are counted
//!   apart as `entries`.
//! - Latency is end − start; the gap is latency − `target_processing_time` (the load
//!   balancer and the network between the services), for hops a target answered.
//! - Percentiles interpolate linearly between the two nearest ranks, exactly, while an edge
//!   has at most [`EXACT_SAMPLES`] hops; beyond that they come from a DDSketch of relative
//!   accuracy [`SKETCH_ACCURACY`] (Athena's own are approximate too).
//!
//! Flags, with thresholds fixed here for every system: oversized responses (mean above
//! [`OVERSIZED_BYTES`]: the seed system found uncompressed payloads this way), repeated
//! errors (at least [`REPEATED_ERRORS`] and [`ERROR_SHARE`] of calls), latency between
//! services (gap p50 at least [`SLOW_GAP_MS`]).

pub mod formats;
pub mod html;

use std::fmt;
use std::ops::Range;

use compact_str::CompactString;
use foldhash::HashMap;
use hashbrown::hash_table::{Entry, HashTable};
use serde::Serialize;
use sketches_ddsketch::{Config, DDSketch};

use super::hop::{stable_hash, EdgeHop};
use super::stitch::Identity;

/// Mean response size above which an edge is flagged oversized: 100 KiB.
pub const OVERSIZED_BYTES: u64 = 100 * 1024;
/// Errors on an edge from which they count as repeated...
pub const REPEATED_ERRORS: u64 = 3;
/// ... when they are also at least this share of its calls.
pub const ERROR_SHARE: f64 = 0.05;
/// Median time between services from which an edge is flagged slow.
pub const SLOW_GAP_MS: f64 = 10.0;

/// An edge's percentiles are exact up to this many hops...
pub const EXACT_SAMPLES: usize = 10_000;
/// ... and within this relative error beyond.
pub const SKETCH_ACCURACY: f64 = 0.005;

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

/// One block's hops in a window, reduced where they were parsed (in parallel) to what
/// [`EdgeBuilder`] folds: each edge named once, not once per hop, so the serial fold
/// hashes no names and moves no strings.
pub struct EdgeBatch {
    /// (caller, callee) of the batch's edges; a hop's `edge` indexes this.
    edges: Vec<(CompactString, CompactString)>,
    hops: Vec<Met>,
}

/// A hop as the fold meets it: who it is (and that identity's hash, taken in the pool),
/// and its figures.
struct Met {
    identity: Identity,
    hash: u64,
    pending: Pending,
}

impl EdgeBatch {
    /// The hops that end in `window`.
    pub fn new(hops: impl IntoIterator<Item = EdgeHop>, window: Range<i64>) -> EdgeBatch {
        let mut ids: HashMap<(CompactString, CompactString), u32> = HashMap::default();
        let mut edges = Vec::new();
        let hops = hops.into_iter();
        // Sized before the window's filter, which hides the count (nearly all are in it).
        let mut met = Vec::with_capacity(hops.size_hint().0);
        met.extend(hops.filter(|h| window.contains(&h.end)).map(|hop| {
            let identity = Identity::new(hop.trace, hop.self_id, || hop.entry_hash);
            let hash = stable_hash(&identity);
            let mut pending = Pending::of(&hop);
            let key = (hop.caller.unwrap_or_else(|| NO_CALLER.into()), hop.service);
            let next = edges.len() as u32;
            pending.edge = *ids.entry(key).or_insert_with_key(|key| {
                edges.push(key.clone());
                next
            });
            Met {
                identity,
                hash,
                pending,
            }
        }));
        EdgeBatch { edges, hops: met }
    }
}

/// Edges built one batch of hops at a time ([module doc](self) for the rules).
#[derive(Default)]
pub struct EdgeBuilder {
    group: Option<String>,
    /// The current group's hops, as much of each as its edge needs, in the order first met...
    group_hops: Vec<Met>,
    /// ... and, by identity, where in `group_hops` each is: indices alone, 5 bytes a hop,
    /// so that the table stays in cache (a map holding identities missed it, 6% of `deps`).
    pending: HashTable<u32>,
    edge_ids: HashMap<(CompactString, CompactString), u32>,
    tallies: Vec<Tally>,
    summary: EdgeSummary,
}

/// What building the edges found, for stderr.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EdgeSummary {
    pub edges: u64,
    pub hops: u64,
    pub duplicates: u64,
}

/// "7 edges from 13 hops; 1 duplicate line dropped".
impl fmt::Display for EdgeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} edge{} from {} hop{}",
            self.edges,
            s(self.edges),
            self.hops,
            s(self.hops)
        )?;
        if self.duplicates > 0 {
            write!(
                f,
                "; {} duplicate line{} dropped",
                self.duplicates,
                s(self.duplicates)
            )?;
        }
        Ok(())
    }
}

/// A hop of the current group, reduced to its edge's figures.
struct Pending {
    /// Of repeats that differ (corrupt input), the least is kept: start, end, then the
    /// content's hash, so the choice never depends on the order lines are read in.
    rank: (i64, i64, u64),
    edge: u32,
    error: bool,
    entry: bool,
    latency_us: i64,
    gap_us: Option<i64>,
    request_bytes: u64,
    response_bytes: u64,
}

impl Pending {
    /// `hop`'s figures; its edge is the batch's to number.
    fn of(hop: &EdgeHop) -> Pending {
        let latency_us = hop.duration();
        Pending {
            rank: (hop.start, hop.end, stable_hash(hop)),
            edge: 0,
            error: hop.error,
            entry: hop.self_id.is_none(),
            latency_us,
            gap_us: hop.target_time.map(|own| latency_us - own),
            request_bytes: hop.request_bytes,
            response_bytes: hop.response_bytes,
        }
    }
}

impl EdgeBuilder {
    /// Adds a batch of delivery group `group`'s hops; a group's batches must come together.
    pub fn add(&mut self, group: &str, batch: EdgeBatch) {
        if self.group.as_deref() != Some(group) {
            self.fold_group();
            self.group = Some(group.to_string());
        }
        let ids: Vec<u32> = batch.edges.into_iter().map(|key| self.edge_id(key)).collect();
        for mut met in batch.hops {
            met.pending.edge = ids[met.pending.edge as usize];
            let hops = &self.group_hops;
            let same = |&i: &u32| hops[i as usize].identity == met.identity;
            match self.pending.entry(met.hash, same, |&i| hops[i as usize].hash) {
                Entry::Vacant(slot) => {
                    slot.insert(hops.len() as u32);
                    self.group_hops.push(met);
                }
                Entry::Occupied(slot) => {
                    self.summary.duplicates += 1;
                    let kept = &mut self.group_hops[*slot.get() as usize].pending;
                    if met.pending.rank < kept.rank {
                        *kept = met.pending;
                    }
                }
            }
        }
    }

    fn edge_id(&mut self, key: (CompactString, CompactString)) -> u32 {
        let next = self.tallies.len() as u32;
        let edge = *self.edge_ids.entry(key).or_insert(next);
        if edge == next {
            self.tallies.push(Tally::default());
        }
        edge
    }

    fn fold_group(&mut self) {
        self.pending.clear();
        for Met { pending: hop, .. } in self.group_hops.drain(..) {
            self.tallies[hop.edge as usize].add(&hop);
            self.summary.hops += 1;
        }
    }

    /// Every edge, sorted by caller then callee, and what building them found.
    pub fn finish(mut self) -> (Vec<Edge>, EdgeSummary) {
        self.fold_group();
        let mut named: Vec<_> = self.edge_ids.into_iter().collect();
        named.sort_unstable();
        let mut tallies: Vec<Option<Tally>> = self.tallies.into_iter().map(Some).collect();
        let edges: Vec<Edge> = named
            .into_iter()
            .filter_map(|((caller, callee), id)| Some((caller, callee, tallies[id as usize].take()?)))
            .filter(|(_, _, t)| t.calls > 0)
            .map(|(caller, callee, t)| edge(caller.into(), callee.into(), t))
            .collect();
        self.summary.edges = edges.len() as u64;
        (edges, self.summary)
    }
}

#[derive(Default)]
struct Tally {
    calls: u64,
    errors: u64,
    entries: u64,
    latency_ms: Samples,
    gap_ms: Samples,
    request_bytes: u64,
    response_bytes: u64,
}

impl Tally {
    fn add(&mut self, hop: &Pending) {
        self.calls += 1;
        self.errors += u64::from(hop.error);
        self.entries += u64::from(hop.entry);
        self.latency_ms.push(hop.latency_us as f64 / 1000.0);
        if let Some(gap) = hop.gap_us {
            self.gap_ms.push(gap as f64 / 1000.0);
        }
        self.request_bytes += hop.request_bytes;
        self.response_bytes += hop.response_bytes;
    }
}

/// The values percentiles are taken over: every one up to [`EXACT_SAMPLES`], then a sketch
/// of them all (its size is bounded by the values' range, not their number).
enum Samples {
    Exact(Vec<f64>),
    Sketch(Box<DDSketch>),
}

impl Default for Samples {
    fn default() -> Samples {
        Samples::Exact(Vec::new())
    }
}

impl Samples {
    fn push(&mut self, value: f64) {
        match self {
            Samples::Exact(values) if values.len() < EXACT_SAMPLES => values.push(value),
            Samples::Exact(values) => {
                let mut sketch = DDSketch::new(Config::new(SKETCH_ACCURACY, 4096, 1e-6));
                values.iter().chain([&value]).for_each(|&v| sketch.add(v));
                *self = Samples::Sketch(Box::new(sketch));
            }
            Samples::Sketch(sketch) => sketch.add(value),
        }
    }

    fn quantile(&mut self, q: f64) -> Option<f64> {
        match self {
            Samples::Exact(values) => percentile(values, q),
            Samples::Sketch(sketch) => sketch.quantile(q).ok().flatten(),
        }
    }
}

fn edge(caller: String, callee: String, mut t: Tally) -> Edge {
    flagged(Edge {
        caller,
        callee,
        calls: t.calls,
        errors: t.errors,
        entries: t.entries,
        p50_ms: t.latency_ms.quantile(0.5),
        p99_ms: t.latency_ms.quantile(0.99),
        request_bytes: t.request_bytes,
        response_bytes: t.response_bytes,
        gap_p50_ms: t.gap_ms.quantile(0.5),
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
    use crate::trace::hop::Hop;

    fn edges(hops: &[Hop], from: i64, to: i64) -> Vec<Edge> {
        let mut builder = EdgeBuilder::default();
        builder.add(
            "one group",
            EdgeBatch::new(hops.iter().map(EdgeHop::of), from..to),
        );
        builder.finish().0
    }

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
        let all = edges(&hops, i64::MIN, i64::MAX);
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
        let outside = edges(&hops, 0, 1);
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

    #[test]
    fn repeats_count_once_within_a_delivery_group_and_again_in_another() {
        let call = |n| {
            let mut h = hop("api", Some(n), Some(CallerSelf::Root), (10, 40));
            h.caller = Some("web".into());
            h
        };
        let mut builder = EdgeBuilder::default();
        let calls =
            |ns: &[u128]| EdgeBatch::new(ns.iter().map(|&n| EdgeHop::of(&call(n))), i64::MIN..i64::MAX);
        builder.add("node-a 10:05", calls(&[1, 2]));
        builder.add("node-a 10:05", calls(&[1])); // its second delivery
        builder.add("node-b 10:05", calls(&[2])); // not a delivery of the same object
        let (edges, summary) = builder.finish();
        assert_eq!(edges[0].calls, 3);
        assert_eq!(
            summary.to_string(),
            "1 edge from 3 hops; 1 duplicate line dropped"
        );
    }

    #[test]
    fn beyond_the_exact_samples_percentiles_stay_within_the_sketch_accuracy() {
        let n = 3 * EXACT_SAMPLES as i64;
        let hops: Vec<Hop> = (1..=n)
            .map(|i| {
                let mut h = hop("api", Some(i as u128), Some(CallerSelf::Root), (0, 0));
                h.end = h.start + i * 10; // latency i × 0.01 ms
                h
            })
            .collect();
        let edge = &edges(&hops, i64::MIN, i64::MAX)[0];
        let exact = |q: f64| (1.0 + q * (n - 1) as f64) * 0.01;
        for (got, q) in [(edge.p50_ms, 0.5), (edge.p99_ms, 0.99)] {
            let (got, want) = (got.unwrap(), exact(q));
            assert!(
                (got - want).abs() <= want * SKETCH_ACCURACY * 1.01,
                "p{q}: {got} vs {want}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn edges_do_not_depend_on_the_order_hops_arrive_in(
            picks in proptest::collection::vec((0u128..40, 0i64..30, 0i64..50, proptest::bool::ANY), 1..120),
            seed in proptest::prelude::any::<u64>(),
        ) {
            let hops: Vec<Hop> = picks.iter().map(|&(n, start, len, error)| {
                let mut h = hop(if n % 3 == 0 { "db" } else { "api" }, Some(n), Some(CallerSelf::Root), (start, start + len));
                h.caller = Some("web".into());
                h.error = error;
                h
            }).collect();
            let mut shuffled = hops.clone();
            let mut state = seed;
            for i in (1..shuffled.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (state >> 33) as usize % (i + 1));
            }
            let whole = edges(&hops, i64::MIN, i64::MAX);
            proptest::prop_assert_eq!(&whole, &edges(&shuffled, i64::MIN, i64::MAX));
            // Blocks of one group arrive as several batches, each numbering its edges in
            // the order it met them.
            let mut builder = EdgeBuilder::default();
            for part in shuffled.chunks(1 + (seed % 7) as usize) {
                builder.add("one group", EdgeBatch::new(part.iter().map(EdgeHop::of), i64::MIN..i64::MAX));
            }
            proptest::prop_assert_eq!(&whole, &builder.finish().0);
        }
    }
}
