//! Hops into call trees: groups [`Hop`]s by trace, drops duplicate lines, resolves each
//! hop's parent by TRACING.md's table and lays every trace out in tree order. Owns the
//! tree and its [`Summary`]; it does not read logs or render anything.
//!
//! The rules, in order:
//! - Duplicates: a second hop with the same `Self` (AWS delivers some log objects twice),
//!   or a second entry hop identical but for where it was read, is dropped and counted.
//!   Of a duplicate group, the hop first in the fixed order below is kept.
//! - The entry hop is the hop with no `Self`; without one, the earliest hop with no
//!   `Caller` (a client sent its own `Root`); without that, there is none, and a synthetic
//!   root stands in for it.
//! - A hop's parent is the entry hop (`CallerSelf=root`) or the hop whose `Self` its
//!   `CallerSelf` names. Otherwise its parent is unknown ([`Unknown`] says why) and it
//!   hangs under the entry hop, or the synthetic root. Nothing is dropped.
//! - A cycle of parents is cut at its member first in the fixed order, which then hangs
//!   like a hop whose parent is unknown ([`Unknown::Cycle`]).
//!
//! Order, whatever the input order: hops sort by trace, start, end, `Self`, then every
//! other field; traces by their root's start, then id; siblings by start, span id, then
//! that order.
//!
//! Span ids (exports): a hop's is the last 16 hex digits of its `Self`, the entry hop's
//! those of `Root`. The synthetic root takes the entry hop's id (the last 16 hex digits of
//! `Root`): it stands where the entry hop would be, and if its line turns up later the
//! other ids stay put. A second, different entry hop (which only corrupt input makes) takes
//! `splitmix64(low 64 bits of Root + k)` for the k-th such hop, k from 1.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::header::{CallerSelf, HopId, TraceId};
use super::hop::Hop;

/// The synthetic root's service name.
pub const NO_SERVICE: &str = "(unknown)";
/// The synthetic root's operation name.
pub const MISSING_ENTRY: &str = "(entry hop not logged)";

/// Every trace, in order, and what stitching them found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stitched {
    pub traces: Vec<Trace>,
    pub summary: Summary,
}

/// One request's call tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub id: TraceId,
    /// Depth first, siblings in order; `spans[0]` is the root, and a parent comes
    /// before its children.
    pub spans: Vec<Span>,
}

/// One node of a trace's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The hop; `None` for the synthetic root of a trace whose entry hop never logged.
    pub hop: Option<Hop>,
    /// Its span id in exports (see the module doc).
    pub span_id: u64,
    /// The parent's index in [`Trace::spans`]; `None` for the root.
    pub parent: Option<usize>,
    /// 0 for the root.
    pub depth: usize,
    /// Set when the hop's own parent is unknown: then `parent` is the root.
    pub unknown: Option<Unknown>,
    /// Unix microseconds; the synthetic root spans its trace.
    pub start: i64,
    pub end: i64,
}

/// Why a hop's parent is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unknown {
    /// `Self` without `Caller`: the 7 KB rule cut the header, or a client sent its own `Root`.
    NoCaller,
    /// `CallerSelf` names a `Self` no line of the trace has.
    CallerNotLogged,
    /// `CallerSelf=root` in a trace with no entry hop.
    NoEntry,
    /// Its `CallerSelf` closes a cycle; the cut was made here.
    Cycle,
    /// `Caller`/`CallerSelf` malformed, repeated or half missing.
    BadLink,
    /// A second entry hop (no `Self`) for the same `Root`, not identical to the first.
    ExtraEntry,
}

impl Unknown {
    pub const ALL: [Unknown; 6] = [
        Unknown::NoCaller,
        Unknown::CallerNotLogged,
        Unknown::NoEntry,
        Unknown::Cycle,
        Unknown::BadLink,
        Unknown::ExtraEntry,
    ];

    /// The word the outputs use.
    pub fn name(self) -> &'static str {
        match self {
            Unknown::NoCaller => "no_caller",
            Unknown::CallerNotLogged => "caller_not_logged",
            Unknown::NoEntry => "no_entry",
            Unknown::Cycle => "cycle",
            Unknown::BadLink => "bad_link",
            Unknown::ExtraEntry => "extra_entry",
        }
    }

    /// Reads after a count: "1 cut by the 7 KB rule".
    pub fn phrase(self) -> &'static str {
        match self {
            Unknown::NoCaller => "cut by the 7 KB rule",
            Unknown::CallerNotLogged => "whose caller never logged",
            Unknown::NoEntry => "in a trace with no entry hop",
            Unknown::Cycle => "closing a cycle of callers",
            Unknown::BadLink => "with a malformed Caller or CallerSelf",
            Unknown::ExtraEntry => "a second entry hop",
        }
    }
}

/// The counts every command that stitches prints in its summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub traces: u64,
    /// Hops in the trees (duplicates excluded, synthetic roots not counted).
    pub hops: u64,
    /// Duplicate lines dropped.
    pub duplicates: u64,
    /// Hops whose parent is unknown, by reason; reasons with none are absent.
    pub parent_unknown: BTreeMap<Unknown, u64>,
}

/// "3 traces, 41 hops; 2 duplicate lines dropped; parent unknown: 1 cut by the 7 KB rule".
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} trace{}, {} hop{}",
            self.traces,
            s(self.traces),
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
        for (i, (reason, n)) in self.parent_unknown.iter().enumerate() {
            let lead = if i == 0 { "; parent unknown: " } else { ", " };
            write!(f, "{lead}{n} {}", reason.phrase())?;
        }
        Ok(())
    }
}

impl Span {
    pub fn service(&self) -> &str {
        self.hop.as_ref().map_or(NO_SERVICE, |h| &h.service)
    }

    pub fn operation(&self) -> &str {
        self.hop.as_ref().map_or(MISSING_ENTRY, |h| &h.operation)
    }

    /// Microseconds; 0 when the clock says the end came first.
    pub fn duration(&self) -> i64 {
        (self.end - self.start).max(0)
    }
}

impl Trace {
    /// The earliest start of any span.
    pub fn start(&self) -> i64 {
        self.spans.iter().map(|s| s.start).min().unwrap_or_default()
    }

    /// The latest end of any span.
    pub fn end(&self) -> i64 {
        self.spans.iter().map(|s| s.end).max().unwrap_or_default()
    }
}

/// Groups, de-duplicates and links every hop; see the module doc for the rules.
pub fn stitch(mut hops: Vec<Hop>) -> Stitched {
    hops.sort_by(order);
    let mut summary = Summary::default();
    let mut traces = Vec::new();
    let mut rest = hops.into_iter().peekable();
    while let Some(first) = rest.next() {
        let id = first.trace;
        let mut group = vec![first];
        group.extend(std::iter::from_fn(|| rest.next_if(|h| h.trace == id)));
        traces.push(one_trace(id, group, &mut summary));
    }
    traces.sort_by_key(|t| (t.spans.first().map(|s| s.start), t.id));
    summary.traces = traces.len() as u64;
    summary.hops = traces
        .iter()
        .flat_map(|t| &t.spans)
        .filter(|s| s.hop.is_some())
        .count() as u64;
    Stitched { traces, summary }
}

/// The fixed order of hops (module doc): of repeats, the first in it is kept.
pub fn order(a: &Hop, b: &Hop) -> std::cmp::Ordering {
    (a.trace, a.start, a.end, a.self_id)
        .cmp(&(b.trace, b.start, b.end, b.self_id))
        .then_with(|| a.cmp(b))
}

/// One trace's hops, sorted.
fn one_trace(id: TraceId, group: Vec<Hop>, summary: &mut Summary) -> Trace {
    let (hops, duplicates) = dedupe(group);
    summary.duplicates += duplicates;
    let (entry, links) = resolve(&hops);
    for reason in links.iter().filter_map(|l| l.unknown) {
        *summary.parent_unknown.entry(reason).or_default() += 1;
    }
    build(id, hops, &links, entry)
}

/// Keeps the first hop of each [`Identity`].
fn dedupe(group: Vec<Hop>) -> (Vec<Hop>, u64) {
    let mut seen = BTreeSet::new();
    let mut kept = Vec::with_capacity(group.len());
    let mut duplicates = 0;
    for hop in group {
        if seen.insert(identity(&hop)) {
            kept.push(hop);
        } else {
            duplicates += 1;
        }
    }
    (kept, duplicates)
}

/// What makes a second hop a repeat of a first: the same `Self` in the same trace, or for
/// an entry hop, the same hop but for where it was read (a log object delivered twice),
/// known by [`Hop::content_hash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Identity {
    Hop(TraceId, HopId),
    Entry(TraceId, u64),
}

pub fn identity(hop: &Hop) -> Identity {
    Identity::new(hop.trace, hop.self_id, || hop.content_hash())
}

impl Identity {
    /// A hop's identity from its trace and `Self`, or for an entry hop, its content.
    pub fn new(trace: TraceId, self_id: Option<HopId>, content: impl FnOnce() -> u64) -> Identity {
        match self_id {
            Some(id) => Identity::Hop(trace, id),
            None => Identity::Entry(trace, content()),
        }
    }
}

/// What a hop's header says of its parent.
enum Claim {
    Entry,
    NoCaller,
    Bad,
    Root,
    Hop(HopId),
}

fn claim(hop: &Hop) -> Claim {
    if hop.self_id.is_none() {
        return Claim::Entry;
    }
    if hop.bad_link.is_some() {
        return Claim::Bad;
    }
    // A well-formed header has both halves of the pair or neither.
    match hop.caller_self {
        None => Claim::NoCaller,
        Some(CallerSelf::Root) => Claim::Root,
        Some(CallerSelf::Hop(s)) => Claim::Hop(s),
    }
}

/// A hop's place: its parent's index (`None`: the tree's root, or the synthetic root's
/// child) and why its parent is unknown, if it is.
#[derive(Clone, Copy)]
struct Link {
    parent: Option<usize>,
    unknown: Option<Unknown>,
}

impl Link {
    const ROOT: Link = Link {
        parent: None,
        unknown: None,
    };
}

/// The entry hop's index and every hop's link, cycles cut.
fn resolve(hops: &[Hop]) -> (Option<usize>, Vec<Link>) {
    let claims: Vec<Claim> = hops.iter().map(claim).collect();
    let entry = claims
        .iter()
        .position(|c| matches!(c, Claim::Entry))
        .or_else(|| claims.iter().position(|c| matches!(c, Claim::NoCaller)));
    let by_self: BTreeMap<HopId, usize> = hops
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((h.self_id?, i)))
        .collect();
    let mut links: Vec<Link> = claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if Some(i) == entry {
                Link::ROOT
            } else {
                link(c, entry, &by_self)
            }
        })
        .collect();
    break_cycles(&mut links, entry);
    (entry, links)
}

/// A hop's link, other than the entry hop's: where its claim leads, else the entry hop.
fn link(claim: &Claim, entry: Option<usize>, by_self: &BTreeMap<HopId, usize>) -> Link {
    let found = match claim {
        Claim::Entry => Err(Unknown::ExtraEntry),
        Claim::NoCaller => Err(Unknown::NoCaller),
        Claim::Bad => Err(Unknown::BadLink),
        Claim::Root => entry.ok_or(Unknown::NoEntry),
        Claim::Hop(s) => by_self.get(s).copied().ok_or(Unknown::CallerNotLogged),
    };
    match found {
        Ok(p) => Link {
            parent: Some(p),
            unknown: None,
        },
        Err(u) => Link {
            parent: entry,
            unknown: Some(u),
        },
    }
}

/// Follows parents from every hop; a walk that comes back to itself has found a cycle,
/// cut at its lowest index (the order is fixed, so the cut is too).
fn break_cycles(links: &mut [Link], entry: Option<usize>) {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; links.len()];
    let mut path = Vec::new();
    for start in 0..links.len() {
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                DONE => break,
                ON_PATH => {
                    let from = path.iter().position(|&p| p == i).unwrap_or_default();
                    let cut = path[from..].iter().copied().min().unwrap_or(i);
                    links[cut] = Link {
                        parent: entry,
                        unknown: Some(Unknown::Cycle),
                    };
                    break;
                }
                _ => {
                    state[i] = ON_PATH;
                    path.push(i);
                    at = links[i].parent;
                }
            }
        }
        for p in path.drain(..) {
            state[p] = DONE;
        }
    }
}

/// Lays the hops out depth first from the entry hop, or a synthetic root.
fn build(id: TraceId, hops: Vec<Hop>, links: &[Link], entry: Option<usize>) -> Trace {
    let synthetic = hops.len();
    let ids = span_ids(id, &hops, links);
    let mut children = vec![Vec::new(); hops.len() + 1];
    for (i, link) in links.iter().enumerate() {
        if Some(i) != entry {
            children[link.parent.unwrap_or(synthetic)].push(i);
        }
    }
    for siblings in &mut children {
        siblings.sort_by_key(|&i| (hops[i].start, ids[i], i));
    }
    let extent = (
        hops.iter().map(|h| h.start).min().unwrap_or_default(),
        hops.iter().map(|h| h.end).max().unwrap_or_default(),
    );
    let mut hops: Vec<Option<Hop>> = hops.into_iter().map(Some).collect();
    let mut spans = Vec::with_capacity(hops.len() + 1);
    let mut stack = vec![(entry.unwrap_or(synthetic), None, 0)];
    while let Some((node, parent, depth)) = stack.pop() {
        let hop = hops.get_mut(node).and_then(Option::take);
        let (start, end) = hop.as_ref().map_or(extent, |h| (h.start, h.end));
        let span_id = ids.get(node).copied().unwrap_or(id.low64());
        let unknown = links.get(node).and_then(|l| l.unknown);
        let at = spans.len();
        stack.extend(children[node].iter().rev().map(|&c| (c, Some(at), depth + 1)));
        spans.push(Span {
            hop,
            span_id,
            parent,
            depth,
            unknown,
            start,
            end,
        });
    }
    Trace { id, spans }
}

/// Each hop's span id: its own, but derived for entry hops after the first.
fn span_ids(id: TraceId, hops: &[Hop], links: &[Link]) -> Vec<u64> {
    let mut extra = 0;
    hops.iter()
        .zip(links)
        .map(|(hop, link)| match link.unknown {
            Some(Unknown::ExtraEntry) => {
                extra += 1;
                splitmix64(id.low64().wrapping_add(extra))
            }
            _ => hop.span_id(),
        })
        .collect()
}

/// SplitMix64's output function: a fixed, well-mixed bijection on u64.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
