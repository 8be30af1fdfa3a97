//! [`Span`]: one timed call of a trace, whatever recorded it (a span table of another
//! tracer, or a stitched ALB hop), and [`SpanSet`]: spans de-duplicated, with parent
//! links checked, the input the ranking reads. Owns what a usable parent link is.

use std::collections::{BTreeMap, HashMap};

use compact_str::CompactString;

use crate::trace::hop::stable_hash;

/// One call: ids are hashes of the ids as recorded (any text, any tracer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub trace: u64,
    pub id: u64,
    /// `None` for a root.
    pub parent: Option<u64>,
    pub service: CompactString,
    pub operation: CompactString,
    /// Unix microseconds.
    pub start: i64,
    pub end: i64,
    /// The call failed, when the recorder says so (the Nezha tables have no status).
    pub error: bool,
    pub kind: Kind,
}

/// What the recorder says a span is, where it says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    /// Not said (Nezha's tables).
    #[default]
    Unknown,
    /// The caller's side of a call to another service.
    Client,
    /// Anything else: a server span, internal work.
    Other,
}

impl Span {
    pub fn id_of(text: &str) -> u64 {
        stable_hash(&text)
    }

    pub fn duration(&self) -> i64 {
        (self.end - self.start).max(0)
    }
}

/// What reading span tables made of every row (or OTLP span).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Reading {
    pub rows: u64,
    pub spans: u64,
    /// Rows that are not spans, by reason.
    pub rejected: BTreeMap<&'static str, u64>,
}

impl Reading {
    /// Counts one row: a span, or why it is not one.
    pub fn count(&mut self, row: Result<Span, &'static str>, spans: &mut Vec<Span>) {
        self.rows += 1;
        match row {
            Ok(span) => {
                self.spans += 1;
                spans.push(span);
            }
            Err(reason) => *self.rejected.entry(reason).or_default() += 1,
        }
    }
}

/// Spans sorted by trace and id, each parent link resolved to an index or counted.
#[derive(Debug, Default)]
pub struct SpanSet {
    pub spans: Vec<Span>,
    /// `parents[i]`: the index of span i's parent, when it is in the set.
    pub parents: Vec<Option<usize>>,
    /// Spans whose parent is not in the set (treated as roots of their trace).
    pub missing_parent: u64,
    /// Spans on a cycle of parent links (their links ignored).
    pub in_cycle: u64,
    /// Spans recorded twice (same trace and id; the first kept).
    pub duplicates: u64,
}

impl SpanSet {
    pub fn new(mut spans: Vec<Span>) -> SpanSet {
        // Stable: of two records of one span, the first read is kept.
        spans.sort_by_key(|s| (s.trace, s.id));
        let before = spans.len();
        spans.dedup_by_key(|s| (s.trace, s.id));
        let duplicates = (before - spans.len()) as u64;
        let index: HashMap<(u64, u64), usize> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.trace, s.id), i))
            .collect();
        let mut missing_parent = 0;
        let mut parents: Vec<Option<usize>> = spans
            .iter()
            .map(|s| {
                let parent = s.parent.map(|p| index.get(&(s.trace, p)).copied());
                if parent == Some(None) {
                    missing_parent += 1;
                }
                parent.flatten()
            })
            .collect();
        let in_cycle = break_cycles(&mut parents);
        SpanSet {
            spans,
            parents,
            missing_parent,
            in_cycle,
            duplicates,
        }
    }

    /// Each span's children, by index.
    pub fn children(&self) -> Vec<Vec<usize>> {
        let mut children = vec![Vec::new(); self.spans.len()];
        for (i, parent) in self.parents.iter().enumerate() {
            if let Some(p) = parent {
                children[*p].push(i);
            }
        }
        children
    }

    /// When each trace started: its earliest span.
    pub fn trace_starts(&self) -> BTreeMap<u64, i64> {
        let mut starts = BTreeMap::new();
        for s in &self.spans {
            starts
                .entry(s.trace)
                .and_modify(|t: &mut i64| *t = (*t).min(s.start))
                .or_insert(s.start);
        }
        starts
    }
}

/// Cuts every link on a cycle (each span has one parent, so a walk up either reaches a
/// root or loops); returns how many spans were on one.
fn break_cycles(parents: &mut [Option<usize>]) -> u64 {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnWalk(usize),
        Done,
    }
    let mut marks = vec![Mark::New; parents.len()];
    let mut cut = 0;
    for first in 0..parents.len() {
        let mut at = first;
        while marks[at] == Mark::New {
            marks[at] = Mark::OnWalk(first);
            match parents[at] {
                Some(p) => at = p,
                None => break,
            }
        }
        if marks[at] == Mark::OnWalk(first) && parents[at].is_some() {
            // `at` is on a cycle met in this walk: cut each of its links.
            let mut on = at;
            loop {
                let next = parents[on].take();
                cut += 1;
                match next {
                    Some(n) if n != at => on = n,
                    _ => break,
                }
            }
        }
        let mut done = first;
        while marks[done] == Mark::OnWalk(first) {
            marks[done] = Mark::Done;
            match parents[done] {
                Some(p) => done = p,
                None => break,
            }
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn span(trace: u64, id: u64, parent: Option<u64>, service: &str, start: i64, end: i64) -> Span {
        Span {
            trace,
            id,
            parent,
            service: service.into(),
            operation: "op".into(),
            start,
            end,
            error: false,
            kind: Kind::Unknown,
        }
    }

    #[test]
    fn duplicates_and_missing_parents_are_counted() {
        let set = SpanSet::new(vec![
            span(1, 1, None, "a", 0, 10),
            span(1, 2, Some(1), "b", 1, 5),
            span(1, 2, Some(1), "b", 1, 5),
            span(1, 3, Some(9), "c", 2, 3),
        ]);
        assert_eq!((set.spans.len(), set.duplicates, set.missing_parent), (3, 1, 1));
        assert_eq!(set.parents, vec![None, Some(0), None]);
        assert_eq!(set.children()[0], vec![1]);
    }

    #[test]
    fn a_cycle_of_parents_is_cut_and_counted_and_a_self_parent_too() {
        let set = SpanSet::new(vec![
            span(1, 1, Some(3), "a", 0, 10),
            span(1, 2, Some(1), "b", 1, 5),
            span(1, 3, Some(2), "c", 2, 3),
            span(1, 4, Some(1), "d", 2, 3),
            span(2, 5, Some(5), "e", 0, 1),
        ]);
        assert_eq!(set.in_cycle, 4);
        assert_eq!(set.parents, vec![None, None, None, Some(0), None]);
    }
}
