use proptest::prelude::*;

use super::*;
use crate::trace::export::{Export, Jaeger, Otlp};
use crate::trace::header::BadLink;
use crate::trace::hop::sample::{arb_hops, hop, id, ROOT};
use crate::trace::show;

const ROOT_ID: u64 = 0xe1be46a994272793;

fn at(n: u128) -> Option<CallerSelf> {
    Some(CallerSelf::Hop(id(n)))
}

/// Each span as `depth service self parent-self unknown`, for compact assertions.
fn outline(t: &Trace) -> Vec<String> {
    t.spans
        .iter()
        .map(|s| {
            let me = s.hop.as_ref().and_then(|h| h.self_id).map_or(0, |i| i.0 as u32);
            let unknown = s.unknown.map_or("", Unknown::name);
            format!("{} {} {me} {unknown}", s.depth, s.service())
                .trim_end()
                .to_string()
        })
        .collect()
}

#[test]
fn each_call_hangs_under_the_self_it_names() {
    let hops = vec![
        hop("db", Some(3), at(1), (12, 20)),
        hop("web", None, None, (0, 100)),
        hop("cart", Some(1), Some(CallerSelf::Root), (5, 40)),
        hop("db", Some(2), at(1), (10, 15)),
        hop("pay", Some(4), Some(CallerSelf::Root), (50, 90)),
    ];
    let out = stitch(hops);
    assert_eq!(out.traces.len(), 1);
    let t = &out.traces[0];
    assert_eq!(outline(t), ["0 web 0", "1 cart 1", "2 db 2", "2 db 3", "1 pay 4"]);
    let parents: Vec<_> = t.spans.iter().map(|s| s.parent).collect();
    assert_eq!(parents, [None, Some(0), Some(1), Some(1), Some(0)]);
    assert_eq!(t.spans[0].span_id, ROOT_ID);
    assert_eq!(t.spans[1].span_id, 1);
    assert_eq!(out.summary.to_string(), "1 trace, 5 hops");
}

#[test]
fn duplicate_lines_are_kept_once() {
    let mut again = hop("cart", Some(1), Some(CallerSelf::Root), (5, 40));
    again.line = 99;
    let mut entry_again = hop("web", None, None, (0, 100));
    entry_again.input = 1;
    let hops = vec![
        hop("web", None, None, (0, 100)),
        again,
        hop("cart", Some(1), Some(CallerSelf::Root), (5, 40)),
        entry_again,
    ];
    let out = stitch(hops);
    assert_eq!(outline(&out.traces[0]), ["0 web 0", "1 cart 1"]);
    assert_eq!(
        out.traces[0].spans[1].hop.as_ref().map(|h| h.line),
        Some(2),
        "the first in order"
    );
    assert_eq!(out.summary.duplicates, 2);
    assert_eq!(
        out.summary.to_string(),
        "1 trace, 2 hops; 2 duplicate lines dropped"
    );
}

#[test]
fn unknown_parents_hang_under_the_entry_hop_and_are_counted() {
    let hops = vec![
        hop("web", None, None, (0, 100)),
        hop("cut", Some(1), None, (10, 20)),
        hop("orphan", Some(2), at(77), (30, 40)),
        hop("child", Some(3), at(2), (31, 35)),
    ];
    let out = stitch(hops);
    let t = &out.traces[0];
    assert_eq!(
        outline(t),
        [
            "0 web 0",
            "1 cut 1 no_caller",
            "1 orphan 2 caller_not_logged",
            "2 child 3"
        ]
    );
    assert_eq!(
        out.summary.to_string(),
        "1 trace, 4 hops; parent unknown: 1 cut by the 7 KB rule, 1 whose caller never logged"
    );
}

#[test]
fn the_summary_line_reads_as_the_readme_says() {
    let summary = Summary {
        traces: 3,
        hops: 41,
        duplicates: 2,
        parent_unknown: [(Unknown::CallerNotLogged, 1), (Unknown::NoCaller, 1)].into(),
    };
    assert_eq!(
        summary.to_string(),
        "3 traces, 41 hops; 2 duplicate lines dropped; parent unknown: 1 cut by the 7 KB rule, 1 whose caller never logged"
    );
}

#[test]
fn without_an_entry_hop_a_synthetic_root_spans_the_trace() {
    let hops = vec![
        hop("cart", Some(1), Some(CallerSelf::Root), (5, 40)),
        hop("db", Some(2), at(1), (10, 50)),
        hop("pay", Some(3), at(9), (2, 8)),
    ];
    let out = stitch(hops);
    let t = &out.traces[0];
    assert_eq!(
        outline(t),
        [
            "0 (unknown) 0",
            "1 pay 3 caller_not_logged",
            "1 cart 1 no_entry",
            "2 db 2"
        ]
    );
    let root = &t.spans[0];
    assert_eq!(
        (root.hop.is_none(), root.span_id, root.operation()),
        (true, ROOT_ID, MISSING_ENTRY)
    );
    assert_eq!((root.start, root.end), (t.spans[1].start, t.spans[3].end));
    assert_eq!(out.summary.hops, 3);
}

#[test]
fn a_client_root_makes_the_first_hop_without_caller_the_entry() {
    let hops = vec![
        hop("web", Some(1), None, (0, 100)),
        hop("late", Some(2), None, (50, 60)),
        hop("cart", Some(3), at(1), (5, 40)),
        hop("cron", Some(4), Some(CallerSelf::Root), (6, 7)),
    ];
    let out = stitch(hops);
    assert_eq!(
        outline(&out.traces[0]),
        ["0 web 1", "1 cart 3", "1 cron 4", "1 late 2 no_caller"]
    );
    assert_eq!(out.traces[0].spans[0].span_id, 1);
}

#[test]
fn a_cycle_is_cut_once_at_its_first_hop() {
    let hops = vec![
        hop("web", None, None, (0, 100)),
        hop("a", Some(1), at(2), (10, 20)),
        hop("b", Some(2), at(1), (11, 19)),
        hop("loop", Some(3), at(3), (30, 31)),
        hop("c", Some(4), at(2), (12, 13)),
    ];
    let out = stitch(hops);
    assert_eq!(
        outline(&out.traces[0]),
        ["0 web 0", "1 a 1 cycle", "2 b 2", "3 c 4", "1 loop 3 cycle"]
    );
    assert_eq!(out.summary.parent_unknown, [(Unknown::Cycle, 2)].into());
}

#[test]
fn a_cycle_without_an_entry_hangs_under_the_synthetic_root() {
    let hops = vec![
        hop("a", Some(1), at(2), (10, 20)),
        hop("b", Some(2), at(1), (11, 19)),
    ];
    let out = stitch(hops);
    assert_eq!(outline(&out.traces[0]), ["0 (unknown) 0", "1 a 1 cycle", "2 b 2"]);
}

#[test]
fn a_bad_link_and_a_second_entry_are_kept() {
    let mut bad = hop("bad", Some(1), Some(CallerSelf::Root), (10, 20));
    bad.bad_link = Some(BadLink::BadCaller);
    let mut other_entry = hop("web", None, None, (1, 100));
    other_entry.status = Some(503);
    let hops = vec![hop("web", None, None, (0, 100)), bad, other_entry];
    let out = stitch(hops);
    let t = &out.traces[0];
    assert_eq!(outline(t), ["0 web 0", "1 web 0 extra_entry", "1 bad 1 bad_link"]);
    assert_ne!(t.spans[1].span_id, t.spans[0].span_id);
    assert_eq!(t.spans[1].span_id, splitmix64(ROOT_ID.wrapping_add(1)));
}

#[test]
fn traces_sort_by_their_roots_start() {
    let mut later = hop("web", None, None, (0, 10));
    later.trace = TraceId(1);
    let mut first = hop("web", None, None, (-5, 10));
    first.trace = TraceId(2);
    let out = stitch(vec![later, hop("web", None, None, (0, 10)), first]);
    let ids: Vec<u128> = out.traces.iter().map(|t| t.id.0).collect();
    assert_eq!(ids, [2, 1, ROOT.0]);
    assert!(stitch(Vec::new()).traces.is_empty());
}

#[test]
fn a_long_chain_does_not_overflow_the_stack() {
    let mut hops = vec![hop("web", None, None, (0, 100))];
    hops.extend((1..20_000).map(|n| {
        hop(
            "s",
            Some(n),
            if n == 1 { Some(CallerSelf::Root) } else { at(n - 1) },
            (1, 2),
        )
    }));
    let out = stitch(hops);
    assert_eq!(out.traces[0].spans.last().map(|s| s.depth), Some(19_999));
}

/// Everything the commands print from a stitch: byte for byte.
fn printed(out: &Stitched) -> Vec<u8> {
    let mut bytes = format!("{:?}\n{}\n", out, out.summary).into_bytes();
    for t in &out.traces {
        show::render(t, 20, &mut bytes).unwrap();
    }
    Jaeger.write(&out.traces, &mut bytes).unwrap();
    Otlp.write(&out.traces, &mut bytes).unwrap();
    bytes
}

proptest! {
    #[test]
    fn input_order_does_not_change_the_output(
        (hops, shuffled) in arb_hops().prop_flat_map(|h| (Just(h.clone()), Just(h).prop_shuffle()))
    ) {
        prop_assert_eq!(printed(&stitch(hops)), printed(&stitch(shuffled)));
    }

    #[test]
    fn every_hop_but_duplicates_appears_once(hops in arb_hops()) {
        let n = hops.len() as u64;
        let out = stitch(hops.clone());
        let seen: Vec<(u128, u64)> = out.traces.iter().flat_map(|t| &t.spans)
            .filter_map(|s| s.hop.as_ref()).map(|h| (h.trace.0, h.line)).collect();
        let unique: BTreeSet<_> = seen.iter().copied().collect();
        prop_assert_eq!(unique.len(), seen.len());
        prop_assert_eq!(seen.len() as u64, n - out.summary.duplicates);
        prop_assert_eq!(out.summary.hops, n - out.summary.duplicates);
        let kept = |h: &Hop| out.traces.iter().flat_map(|t| &t.spans).filter_map(|s| s.hop.as_ref())
            .any(|k| k.trace == h.trace && k.self_id == h.self_id && (h.self_id.is_some() || k.start == h.start));
        prop_assert!(hops.iter().all(kept));
        let unknown: u64 = out.summary.parent_unknown.values().sum();
        let marked = out.traces.iter().flat_map(|t| &t.spans).filter(|s| s.unknown.is_some()).count();
        prop_assert_eq!(unknown, marked as u64);
    }

    #[test]
    fn a_parent_is_the_hop_caller_self_names(hops in arb_hops()) {
        for t in stitch(hops).traces {
            prop_assert!(t.spans[0].parent.is_none());
            for (i, s) in t.spans.iter().enumerate().skip(1) {
                let p = s.parent.unwrap_or(usize::MAX);
                prop_assert!(p < i);
                prop_assert_eq!(t.spans[p].depth + 1, s.depth);
                if s.unknown.is_some() {
                    prop_assert_eq!(p, 0);
                }
                let Some(h) = &s.hop else { continue };
                // Without `Self` a hop is an entry hop, whatever else its header says.
                let named = match (h.self_id, h.bad_link, h.caller_self) {
                    (Some(_), None, Some(CallerSelf::Hop(named))) => named,
                    _ => continue,
                };
                let exists = t.spans.iter().any(|o| o.hop.as_ref().is_some_and(|o| o.self_id == Some(named)));
                if exists && s.unknown != Some(Unknown::Cycle) {
                    let parent = t.spans[p].hop.as_ref().and_then(|ph| ph.self_id);
                    prop_assert_eq!(parent, Some(named));
                    prop_assert_eq!(s.unknown, None);
                }
            }
        }
    }
}

#[test]
fn the_summary_serialises_with_the_reasons_names() {
    for reason in Unknown::ALL {
        let json = serde_json::to_value(reason).unwrap();
        assert_eq!(json, reason.name());
    }
    let summary = Summary {
        traces: 1,
        hops: 2,
        duplicates: 0,
        parent_unknown: [(Unknown::Cycle, 1)].into(),
    };
    assert_eq!(
        serde_json::to_string(&summary).unwrap(),
        r#"{"traces":1,"hops":2,"duplicates":0,"parent_unknown":{"cycle":1}}"#
    );
}
