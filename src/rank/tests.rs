use super::span::{Kind, Span, SpanSet};
use super::*;

const MS: i64 = 1000;
const AT: i64 = 1_000_000 * MS;
const WINDOW: i64 = 300_000 * MS;

/// One request: frontend → api → db, and frontend → cache through a client span. `slow_db` adds to the
/// database's own time; `delay_cache` to the time between frontend and cache.
fn trace(n: u64, start: i64, slow_db: i64, delay_cache: i64) -> Vec<Span> {
    let jitter = ((n * 7919) % 13) as i64 * 100;
    let mk = |id: u64, parent: Option<u64>, service: &str, op: &str, start: i64, end: i64| Span {
        trace: n,
        id,
        parent,
        service: service.into(),
        operation: op.into(),
        start,
        end,
        error: false,
        kind: Kind::Unknown,
    };
    let db_end = start + 3 * MS + 10 * MS + jitter + slow_db;
    let cache_start = db_end + MS;
    let cache_end = cache_start + 2 * MS + jitter;
    vec![
        mk(1, None, "frontend", "GET /", start, cache_end + delay_cache + MS),
        mk(2, Some(1), "api", "GET /items", start + MS, db_end + MS),
        mk(3, Some(2), "db", "SELECT items", start + 3 * MS, db_end),
        mk(
            5,
            Some(1),
            "frontend",
            "HTTP GET",
            cache_start,
            cache_end + delay_cache,
        ),
        mk(
            4,
            Some(5),
            "cache",
            "GET",
            cache_start + delay_cache / 2,
            cache_end + delay_cache / 2,
        ),
    ]
}

fn traffic(slow_db: i64, delay_cache: i64) -> SpanSet {
    let mut spans = Vec::new();
    for n in 0..200u64 {
        let start = AT - WINDOW + n as i64 * 3_000 * MS;
        let after = start >= AT;
        spans.extend(trace(
            n,
            start,
            if after { slow_db } else { 0 },
            if after { delay_cache } else { 0 },
        ));
    }
    SpanSet::new(spans)
}

fn windows() -> Windows {
    Windows {
        normal: (AT - WINDOW, AT),
        abnormal: (AT, AT + WINDOW),
    }
}

fn order(ranking: &Ranking) -> Vec<&str> {
    ranking.suspects.iter().map(|s| s.service.as_str()).collect()
}

#[test]
fn a_slow_callee_is_blamed_not_the_callers_whose_time_includes_it() {
    let ranking = rank(&traffic(40 * MS, 0), windows()).unwrap();
    assert_eq!(order(&ranking)[0], "db", "{:#?}", ranking.suspects);
    let db = &ranking.suspects[0];
    assert!(db.own_time.unwrap() > 0.8 && db.score == 1.0);
    assert_eq!(db.operations[0].operation, "SELECT items");
    assert!(ranking.abnormal_traces >= 90, "{}", ranking.abnormal_traces);
    let api = ranking.suspects.iter().find(|s| s.service == "api").unwrap();
    assert!(
        api.own_time.unwrap() < 0.05,
        "api's own time did not change: {api:?}"
    );
}

#[test]
fn time_between_services_points_at_the_service_on_both_ends_of_it() {
    let ranking = rank(&traffic(0, 30 * MS), windows()).unwrap();
    let first = &ranking.suspects[0];
    assert!(
        ["cache", "frontend"].contains(&first.service.as_str()),
        "{:#?}",
        ranking.suspects
    );
    assert!(first.between_services.unwrap() > 0.8);
}

#[test]
fn no_change_says_so_and_still_ranks_every_service() {
    let ranking = rank(&traffic(0, 0), windows()).unwrap();
    assert!(!ranking.anything_changed());
    assert_eq!(ranking.suspects.len(), 4);
    assert!(ranking.suspects.iter().all(|s| s.score == 0.0));
}

#[test]
fn empty_windows_are_worded_errors() {
    let set = traffic(0, 0);
    let later = Windows {
        normal: (AT, AT + WINDOW),
        abnormal: (AT * 10, AT * 10 + WINDOW),
    };
    assert_eq!(rank(&set, later).unwrap_err(), NoRanking::NoAbnormalSpans);
    let no_normal = Windows {
        normal: (0, 1),
        abnormal: (AT, AT + WINDOW),
    };
    assert_eq!(rank(&set, no_normal).unwrap_err(), NoRanking::NoNormalSpans);
}

#[test]
fn a_calls_kind_that_vanishes_after_the_change_is_evidence() {
    let mut set = traffic(0, 0);
    set = SpanSet::new(
        std::mem::take(&mut set.spans)
            .into_iter()
            .filter(|s| !(s.service == "cache" && s.start >= AT))
            .collect(),
    );
    let ranking = rank(&set, windows()).unwrap();
    let frontend = ranking.suspects.iter().find(|s| s.service == "frontend").unwrap();
    assert_eq!(
        frontend.calls_gone,
        vec!["frontend HTTP GET → cache GET".to_string()]
    );
}

#[test]
fn own_time_is_the_duration_less_what_children_cover_once() {
    let set = SpanSet::new(vec![
        Span {
            trace: 1,
            id: 1,
            parent: None,
            service: "a".into(),
            operation: "x".into(),
            start: 0,
            end: 100,
            error: false,
            kind: Kind::Unknown,
        },
        Span {
            trace: 1,
            id: 2,
            parent: Some(1),
            service: "b".into(),
            operation: "y".into(),
            start: 10,
            end: 50,
            error: false,
            kind: Kind::Unknown,
        },
        Span {
            trace: 1,
            id: 3,
            parent: Some(1),
            service: "b".into(),
            operation: "y".into(),
            start: 40,
            end: 60,
            error: false,
            kind: Kind::Unknown,
        },
        Span {
            trace: 1,
            id: 4,
            parent: Some(1),
            service: "b".into(),
            operation: "y".into(),
            start: 90,
            end: 130,
            error: false,
            kind: Kind::Unknown,
        },
    ]);
    let children = set.children();
    assert_eq!(own_time(&set, 0, &children[0]), 100 - 50 - 10);
}

#[test]
fn the_trivial_baseline_is_the_mean_duration_ratio() {
    let ratios = mean_duration_ratio(&traffic(40 * MS, 0), AT, WINDOW);
    assert_eq!(ratios[0].0, "db");
    assert!(ratios[0].1 > 3.0);
}

proptest::proptest! {
    #[test]
    fn the_ranking_does_not_depend_on_the_order_spans_were_read(seed: u64) {
        let mut spans = traffic(20 * MS, 5 * MS).spans;
        fastrand::Rng::with_seed(seed).shuffle(&mut spans);
        let a = serde_json::to_string(&rank(&SpanSet::new(spans), windows()).unwrap()).unwrap();
        let b = serde_json::to_string(&rank(&traffic(20 * MS, 5 * MS), windows()).unwrap()).unwrap();
        proptest::prop_assert_eq!(a, b);
    }
}
