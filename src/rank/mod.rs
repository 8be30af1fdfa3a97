//! "What is causing the slowdown that started at T?": services ranked by how likely each
//! is the cause, from the spans of a window after T against a normal window (RANKING.md
//! has the method and its fixed parameters).
//!
//! Owns the method: per-operation own time and per-edge time between services against
//! the normal window's 95th percentile, error change, calls gone or new, and a
//! personalised PageRank over the service call graph ([`pagerank`]). Pure: spans in
//! ([`span::SpanSet`]), a [`Ranking`] out.

pub mod from_trace;
pub mod html;
pub mod pagerank;
pub mod span;
pub mod span_csv;
pub mod span_otlp;
pub mod text;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use span::{Kind, Span, SpanSet};

/// A call is unusual when it takes longer than this quantile of the normal window's.
pub const QUANTILE: f64 = 0.95;
/// How sure a shift must be before it counts: z of a two-sided 95% interval.
pub const CONFIDENCE_Z: f64 = 1.96;
/// Fewer calls than this in either window, and no comparison is made.
pub const MIN_CALLS: usize = 3;
/// How strongly the walk moves back from a callee to its caller (MonitorRank's ρ).
pub const BACKWARD: f64 = 0.3;
/// Keeps every weight positive, so that a graph with no anomaly still has a walk.
const EPSILON: f64 = 1e-6;
/// Operations shown under each service.
const OPERATIONS_SHOWN: usize = 3;

/// The two windows compared, Unix µs, half-open; a trace belongs to the window its
/// first span started in.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Windows {
    pub normal: (i64, i64),
    pub abnormal: (i64, i64),
}

impl Windows {
    fn of(&self, start: i64) -> Option<usize> {
        let within = |(from, to): (i64, i64)| (from..to).contains(&start);
        match (within(self.normal), within(self.abnormal)) {
            (_, true) => Some(ABNORMAL),
            (true, false) => Some(NORMAL),
            _ => None,
        }
    }
}

const NORMAL: usize = 0;
const ABNORMAL: usize = 1;

/// The services, most suspect first, and what the ranking read.
#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    pub windows: Windows,
    /// Traces and spans in the normal and the abnormal window.
    pub traces: [u64; 2],
    pub spans: [u64; 2],
    /// Abnormal-window traces whose root took longer than usual for its operation, or
    /// with a failed call.
    pub abnormal_traces: u64,
    pub suspects: Vec<Suspect>,
    /// Calls from one service to another, before and after, by caller and callee: the
    /// graph the walk runs on (those with calls after T) and the calls that stopped.
    pub calls_between: Vec<ServiceCall>,
    /// Services seen after T with no call before it to compare with.
    pub without_baseline: Vec<String>,
    pub missing_parent: u64,
    pub in_cycle: u64,
    pub duplicates: u64,
}

impl Ranking {
    /// Whether any service changed at all beyond the normal window's spread.
    pub fn anything_changed(&self) -> bool {
        self.suspects.iter().any(|s| s.anomaly > 0.0)
    }
}

/// Calls from one service to another.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceCall {
    pub caller: String,
    pub callee: String,
    /// Before and after.
    pub calls: [u64; 2],
}

/// One service and the evidence for it.
#[derive(Debug, Clone, Serialize)]
pub struct Suspect {
    pub service: String,
    /// The walk's visit share times the anomaly, scaled so the first is 1.
    pub score: f64,
    /// own time + time between services + more errors (each an excess share, below).
    pub anomaly: f64,
    /// The random walk's visit share.
    pub walk: f64,
    /// Of its operation shifted most: how far more after-T calls took longer than the
    /// usual 95th percentile of own time than chance explains ([`excess`]).
    pub own_time: Option<f64>,
    /// The same for the time between it and the services it calls or is called by
    /// (a caller's client span less the one callee span inside it), median over those
    /// edges.
    pub between_services: Option<f64>,
    /// Failed calls' share, before and after.
    pub error_rate: [f64; 2],
    /// How far more calls failed after T than before explains ([`error_excess`]).
    pub more_errors: Option<f64>,
    /// Kinds of call (caller operation → callee operation) it makes or takes that
    /// vanished after T, or appeared.
    pub calls_gone: Vec<String>,
    pub calls_new: Vec<String>,
    /// Share of the abnormal traces that pass through it.
    pub abnormal_trace_share: f64,
    /// Calls before and after.
    pub calls: [u64; 2],
    pub operations: Vec<OperationEvidence>,
}

/// An operation of a suspect, most shifted first.
#[derive(Debug, Clone, Serialize)]
pub struct OperationEvidence {
    pub operation: String,
    pub calls: [u64; 2],
    /// Median own time (µs), before and after.
    pub own_p50_us: [Option<i64>; 2],
    pub own_time: Option<f64>,
}

/// Why there is no ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoRanking {
    #[error("no spans in the abnormal window")]
    NoAbnormalSpans,
    #[error("no spans in the normal window to compare with")]
    NoNormalSpans,
}

#[derive(Default)]
struct Operation {
    own: [Vec<i64>; 2],
    total: [Vec<i64>; 2],
    errors: [u64; 2],
}

/// An operation: its service's index and its name.
type OperationKey<'a> = (usize, &'a str);

/// Everything counted per window, keyed by service index and operation name.
struct Tally<'a> {
    services: Vec<&'a str>,
    operations: BTreeMap<OperationKey<'a>, Operation>,
    /// (caller, callee) → the caller span's duration minus the callee's.
    gaps: BTreeMap<(usize, usize), [Vec<i64>; 2]>,
    calls: BTreeMap<(OperationKey<'a>, OperationKey<'a>), [u64; 2]>,
    /// Abnormal traces through each service, and all abnormal traces.
    through: Vec<u64>,
    abnormal_traces: u64,
    traces: [u64; 2],
    spans: [u64; 2],
}

/// Ranks the services of `set` for the change between `windows.normal` and `windows.abnormal`.
pub fn rank(set: &SpanSet, windows: Windows) -> Result<Ranking, NoRanking> {
    let tally = Tally::of(set, windows);
    if tally.spans[ABNORMAL] == 0 {
        return Err(NoRanking::NoAbnormalSpans);
    }
    if tally.spans[NORMAL] == 0 {
        return Err(NoRanking::NoNormalSpans);
    }
    let mut suspects: Vec<Suspect> = (0..tally.services.len()).map(|s| tally.suspect(s)).collect();
    let anomaly: Vec<f64> = suspects.iter().map(|s| s.anomaly).collect();
    let between = tally.service_calls();
    let walk = pagerank::personalised(
        &walk_edges(&between, &anomaly),
        &anomaly.iter().map(|a| a + EPSILON).collect::<Vec<_>>(),
    );
    let top = walk.iter().zip(&anomaly).map(|(w, a)| w * a).fold(0.0, f64::max);
    for (s, w) in suspects.iter_mut().zip(walk) {
        s.walk = w;
        s.score = if top > 0.0 { w * s.anomaly / top } else { 0.0 };
    }
    suspects.retain(|s| s.calls[ABNORMAL] > 0);
    suspects.sort_by(|a, b| {
        (b.score, b.walk)
            .partial_cmp(&(a.score, a.walk))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.service.cmp(&b.service))
    });
    let without_baseline = suspects
        .iter()
        .filter(|s| s.calls[NORMAL] == 0)
        .map(|s| s.service.clone())
        .collect();
    Ok(Ranking {
        windows,
        traces: tally.traces,
        spans: tally.spans,
        abnormal_traces: tally.abnormal_traces,
        suspects,
        calls_between: between
            .into_iter()
            .map(|((a, b), calls)| ServiceCall {
                caller: tally.services[a].into(),
                callee: tally.services[b].into(),
                calls,
            })
            .collect(),
        without_baseline,
        missing_parent: set.missing_parent,
        in_cycle: set.in_cycle,
        duplicates: set.duplicates,
    })
}

impl<'a> Tally<'a> {
    fn of(set: &'a SpanSet, windows: Windows) -> Tally<'a> {
        let names: BTreeSet<&str> = set.spans.iter().map(|s| s.service.as_str()).collect();
        let services: Vec<&str> = names.into_iter().collect();
        let index = |name: &str| services.binary_search(&name).unwrap_or_default();
        let service_of: Vec<usize> = set.spans.iter().map(|s| index(&s.service)).collect();
        let starts = set.trace_starts();
        let window: Vec<Option<usize>> = set.spans.iter().map(|s| windows.of(starts[&s.trace])).collect();
        let children = set.children();
        let mut tally = Tally {
            through: vec![0; services.len()],
            services,
            operations: BTreeMap::new(),
            gaps: BTreeMap::new(),
            calls: BTreeMap::new(),
            abnormal_traces: 0,
            traces: [0; 2],
            spans: [0; 2],
        };
        for (i, s) in set.spans.iter().enumerate() {
            let Some(w) = window[i] else { continue };
            tally.spans[w] += 1;
            let key = (service_of[i], s.operation.as_str());
            let op = tally.operations.entry(key).or_default();
            op.own[w].push(own_time(set, i, &children[i]));
            op.total[w].push(s.duration());
            op.errors[w] += u64::from(s.error);
            if let Some(p) = set.parents[i] {
                let parent = (service_of[p], set.spans[p].operation.as_str());
                tally.calls.entry((parent, key)).or_default()[w] += 1;
                // A caller's client span around the one call: the rest of it is the
                // time between the two services.
                if parent.0 != key.0 && is_client_around(&set.spans[p], children[p].len()) {
                    let gap = set.spans[p].duration() - s.duration();
                    tally.gaps.entry((parent.0, key.0)).or_default()[w].push(gap);
                }
            }
        }
        tally.count_traces(set, &service_of, &window);
        tally
    }

    /// Traces per window, and which services the abnormal ones pass through.
    fn count_traces(&mut self, set: &SpanSet, service_of: &[usize], window: &[Option<usize>]) {
        let usual: BTreeMap<OperationKey, i64> = self
            .operations
            .iter()
            .filter(|(_, op)| op.total[NORMAL].len() >= MIN_CALLS)
            .map(|(key, op)| (*key, quantile(&op.total[NORMAL], QUANTILE)))
            .collect();
        let mut first = 0;
        while first < set.spans.len() {
            let trace = set.spans[first].trace;
            let end = first + set.spans[first..].iter().take_while(|s| s.trace == trace).count();
            if let Some(w) = window[first] {
                self.traces[w] += 1;
                if w == ABNORMAL && is_abnormal(set, first..end, service_of, &usual) {
                    self.abnormal_traces += 1;
                    let through: BTreeSet<usize> = (first..end).map(|i| service_of[i]).collect();
                    through.into_iter().for_each(|s| self.through[s] += 1);
                }
            }
            first = end;
        }
    }

    fn suspect(&self, service: usize) -> Suspect {
        let mine = self.operations.range((service, "")..(service + 1, ""));
        let mut operations: Vec<OperationEvidence> = mine
            .clone()
            .map(|((_, name), op)| OperationEvidence {
                operation: (*name).into(),
                calls: op.own.each_ref().map(|v| v.len() as u64),
                own_p50_us: op
                    .own
                    .each_ref()
                    .map(|v| (!v.is_empty()).then(|| quantile(v, 0.5))),
                own_time: excess(&op.own),
            })
            .collect();
        let own_time = operations.iter().filter_map(|o| o.own_time).reduce(f64::max);
        operations.sort_by(|a, b| {
            b.own_time
                .unwrap_or(f64::MIN)
                .total_cmp(&a.own_time.unwrap_or(f64::MIN))
                .then_with(|| a.operation.cmp(&b.operation))
        });
        operations.truncate(OPERATIONS_SHOWN);
        let calls: [u64; 2] = mine
            .clone()
            .fold([0, 0], |c, (_, op)| [0, 1].map(|w| c[w] + op.own[w].len() as u64));
        let errors = mine.fold([0, 0], |e, (_, op)| [0, 1].map(|w| e[w] + op.errors[w]));
        let error_rate = [0, 1].map(|w| errors[w] as f64 / calls[w].max(1) as f64);
        let more_errors = error_excess(errors, calls);
        let between = self
            .gaps
            .iter()
            .filter(|((a, b), _)| *a == service || *b == service);
        let between_services = median(between.filter_map(|(_, g)| excess(g)).collect());
        let (calls_gone, calls_new) = self.changed_calls(service);
        let anomaly = own_time.unwrap_or(0.0) + between_services.unwrap_or(0.0) + more_errors.unwrap_or(0.0);
        Suspect {
            service: self.services[service].into(),
            score: 0.0,
            anomaly: anomaly.max(0.0),
            walk: 0.0,
            own_time,
            between_services,
            error_rate,
            more_errors,
            calls_gone,
            calls_new,
            abnormal_trace_share: self.through[service] as f64 / self.abnormal_traces.max(1) as f64,
            calls,
            operations,
        }
    }

    /// Kinds of call it makes or takes, seen at least [`MIN_CALLS`] times in one window
    /// and never in the other while the caller's operation ran in both.
    fn changed_calls(&self, service: usize) -> (Vec<String>, Vec<String>) {
        let (mut gone, mut new) = (Vec::new(), Vec::new());
        for ((caller, callee), n) in &self.calls {
            if caller.0 != service && callee.0 != service {
                continue;
            }
            let ran = &self.operations[caller].own;
            if ran[NORMAL].len() < MIN_CALLS || ran[ABNORMAL].len() < MIN_CALLS {
                continue;
            }
            let name = || {
                format!(
                    "{} {} → {} {}",
                    self.services[caller.0], caller.1, self.services[callee.0], callee.1
                )
            };
            match (n[NORMAL], n[ABNORMAL]) {
                (before, 0) if before >= MIN_CALLS as u64 => gone.push(name()),
                (0, after) if after >= MIN_CALLS as u64 => new.push(name()),
                _ => {}
            }
        }
        (gone, new)
    }

    /// Calls from one service to another, per window.
    fn service_calls(&self) -> BTreeMap<(usize, usize), [u64; 2]> {
        let mut between: BTreeMap<(usize, usize), [u64; 2]> = BTreeMap::new();
        for ((caller, callee), n) in self.calls.iter().filter(|((a, b), _)| a.0 != b.0) {
            let sum = between.entry((caller.0, callee.0)).or_default();
            *sum = [sum[0] + n[0], sum[1] + n[1]];
        }
        between
    }
}

/// The walk's edges over the abnormal window's calls between services: to a callee
/// as strongly as it is anomalous, back to a caller at [`BACKWARD`] of that, and a
/// service stays as far as it is more anomalous than everything it calls.
fn walk_edges(between: &BTreeMap<(usize, usize), [u64; 2]>, anomaly: &[f64]) -> Vec<Vec<(usize, f64)>> {
    let mut edges: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); anomaly.len()];
    let mut worst_callee = vec![0.0f64; anomaly.len()];
    for (&(caller, callee), _) in between.iter().filter(|(_, n)| n[ABNORMAL] > 0) {
        *edges[caller].entry(callee).or_default() += anomaly[callee] + EPSILON;
        *edges[callee].entry(caller).or_default() += BACKWARD * (anomaly[caller] + EPSILON);
        worst_callee[caller] = worst_callee[caller].max(anomaly[callee]);
    }
    for (u, out) in edges.iter_mut().enumerate() {
        *out.entry(u).or_default() += (anomaly[u] - worst_callee[u]).max(0.0) + EPSILON;
    }
    edges.into_iter().map(|e| e.into_iter().collect()).collect()
}

/// Whether `parent` is a client span around one call: marked so by its tracer, or, when
/// the tracer does not say, a span with that one child. Not "the child lies within it":
/// the two come from different hosts' clocks, and Nezha's tables often disagree by more
/// than the call.
fn is_client_around(parent: &Span, children: usize) -> bool {
    children == 1 && parent.kind != Kind::Other
}

/// A failed call, or a root slower than the normal window's usual for its operation.
fn is_abnormal(
    set: &SpanSet,
    spans: std::ops::Range<usize>,
    service_of: &[usize],
    usual: &BTreeMap<OperationKey, i64>,
) -> bool {
    spans.clone().any(|i| set.spans[i].error)
        || spans.filter(|&i| set.parents[i].is_none()).any(|i| {
            let key = (service_of[i], set.spans[i].operation.as_str());
            usual.get(&key).is_some_and(|u| set.spans[i].duration() > *u)
        })
}

/// A span's own time: its duration less the part its children cover.
fn own_time(set: &SpanSet, span: usize, children: &[usize]) -> i64 {
    let s = &set.spans[span];
    let mut covered: Vec<(i64, i64)> = children
        .iter()
        .map(|&c| (set.spans[c].start.max(s.start), set.spans[c].end.min(s.end)))
        .filter(|(a, b)| b > a)
        .collect();
    covered.sort_unstable();
    let (mut total, mut reach) = (0, i64::MIN);
    for (a, b) in covered {
        let from = a.max(reach);
        if b > from {
            total += b - from;
            reach = b;
        }
    }
    (s.duration() - total).max(0)
}

/// How far more after-T values lie above the normal window's [`QUANTILE`] than chance
/// puts there: the Wilson lower bound ([`CONFIDENCE_Z`]) of their share, less the share
/// a value from the normal distribution itself would exceed that order statistic with
/// ((m − i) / (m + 1) for the i-th of m, 0-based), floored at 0. `None` with fewer than
/// [`MIN_CALLS`] in either window.
fn excess(values: &[Vec<i64>; 2]) -> Option<f64> {
    let [normal, abnormal] = values;
    if normal.len() < MIN_CALLS || abnormal.len() < MIN_CALLS {
        return None;
    }
    let (usual, at) = quantile_at(normal, QUANTILE);
    let chance = (normal.len() - at) as f64 / (normal.len() + 1) as f64;
    let above = abnormal.iter().filter(|v| **v > usual).count();
    Some((wilson_lower(above, abnormal.len()) - chance).max(0.0))
}

/// How far more after-T calls failed than before: the Wilson lower bound of the after-T
/// failure share less the normal one (with one failure and one success added, so no
/// failure before is not taken as certainty), floored at 0; `None` with fewer than
/// [`MIN_CALLS`] calls in either window.
fn error_excess(errors: [u64; 2], calls: [u64; 2]) -> Option<f64> {
    if calls.iter().any(|&c| c < MIN_CALLS as u64) {
        return None;
    }
    let usual = (errors[NORMAL] + 1) as f64 / (calls[NORMAL] + 2) as f64;
    Some((wilson_lower(errors[ABNORMAL] as usize, calls[ABNORMAL] as usize) - usual).max(0.0))
}

/// The lower end of the Wilson score interval for `k` successes in `n` trials.
fn wilson_lower(k: usize, n: usize) -> f64 {
    let (k, n, z) = (k as f64, n as f64, CONFIDENCE_Z);
    let p = k / n;
    let centre = p + z * z / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (centre - spread) / (1.0 + z * z / n)
}

/// The nearest-rank quantile (lower) of non-empty `values`.
fn quantile(values: &[i64], q: f64) -> i64 {
    quantile_at(values, q).0
}

/// The quantile and its 0-based place in sorted order.
fn quantile_at(values: &[i64], q: f64) -> (i64, usize) {
    let mut sorted = values.to_vec();
    let at = ((sorted.len() - 1) as f64 * q) as usize;
    (*sorted.select_nth_unstable(at).1, at)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The trivial ranking `rank-eval` measures beside the method: each service's mean
/// span duration in the window after `at` over the one before (spans by their own
/// start; services with at least [`MIN_CALLS`] spans in each), largest first.
pub fn mean_duration_ratio(set: &SpanSet, at: i64, window: i64) -> Vec<(String, f64)> {
    let mut sums: BTreeMap<&str, [(i64, u64); 2]> = BTreeMap::new();
    for s in &set.spans {
        let w = match s.start - at {
            d if (-window..0).contains(&d) => NORMAL,
            d if (0..window).contains(&d) => ABNORMAL,
            _ => continue,
        };
        let sum = &mut sums.entry(&s.service).or_default()[w];
        *sum = (sum.0 + s.duration(), sum.1 + 1);
    }
    let mut ratios: Vec<(String, f64)> = sums
        .into_iter()
        .filter(|(_, w)| w.iter().all(|(_, n)| *n >= MIN_CALLS as u64))
        .map(|(name, [(b, nb), (a, na)])| {
            (
                name.into(),
                (a as f64 / na as f64) / (b as f64 / nb as f64).max(f64::MIN_POSITIVE),
            )
        })
        .collect();
    ratios.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ratios
}

#[cfg(test)]
mod tests;
