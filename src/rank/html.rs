//! The ranking as one self-contained page: the call graph between services with each box
//! coloured by its suspicion, then the suspects' table with their evidence and the
//! operations most implicated, then what was read and left out. It computes nothing:
//! every figure is the [`Ranking`]'s, as the text and JSON formats print it.
//!
//! Service and operation names come from the spans, so each is escaped and the page's
//! policy ([`graph_page`]) allows only its own styles and script. Boxes carry
//! `data-service`, `data-place` and `data-score`, and calls `data-caller`,
//! `data-callee`, `data-before` and `data-after`, for a browser test to read.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::text::{left_out, ms, share, span_text};
use super::{Ranking, ServiceCall, Suspect, ABNORMAL, NORMAL};
use crate::report::graph_page::{self, Style};
use crate::report::layered::{self, Layout, Line};
use crate::report::markup::{count, escape};

/// Writes the page.
pub fn render(ranking: &Ranking, out: &mut impl Write) -> io::Result<()> {
    let names = ranking.suspects.iter().map(|s| s.service.as_str());
    let calls: Vec<(&str, &str)> = ranking
        .calls_between
        .iter()
        .map(|c| (c.caller.as_str(), c.callee.as_str()))
        .collect();
    let graph = Layout::new(names, &calls);
    let mut page = graph_page::head("Suspect services", &STYLE);
    page.push_str(&header(ranking));
    page.push_str(&figure(ranking, &graph));
    page.push_str(&table(&ranking.suspects));
    page.push_str(&notes(ranking));
    page.push_str(&graph_page::foot());
    out.write_all(page.as_bytes())
}

/// Suspicion from white to red in [`LEVELS`] steps; calls that stopped dashed.
const STYLE: Style = Style {
    css: "
svg.graph .node.quiet rect{fill:#fafbfc;stroke:#8a93a3;stroke-dasharray:4 3}
svg.graph .node.level-0 rect{fill:#ffffff;stroke:#8a93a3}
svg.graph .node.level-1 rect{fill:#fdebd8;stroke:#e3a66b}
svg.graph .node.level-2 rect{fill:#f8c49a;stroke:#d9823e}
svg.graph .node.level-3 rect{fill:#ef8a5a;stroke:#c0552b}
svg.graph .node.level-4 rect{fill:#c0392b;stroke:#8e2419}
svg.graph .node.level-4 text{fill:#ffffff}
svg.graph .edge.gone path{stroke-dasharray:5 4}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;vertical-align:-2px;border:1px solid #8a93a3}
.swatch.level-1{background:#fdebd8}.swatch.level-2{background:#f8c49a}.swatch.level-3{background:#ef8a5a}.swatch.level-4{background:#c0392b}
ul.ops{margin:0;padding-left:16px;font-size:12.5px}
p.note{color:#5a6272;margin:6px 0}
",
    sha256: "TTIuTfz2C32UqQIckgF9TdR9HGUNdB3/zbQxU7XId24=",
};

/// Suspicion steps above "no change": a score in (0, ¼) is level 1, ..., [¾, 1] level 4.
const LEVELS: f64 = 4.0;

fn level(s: &Suspect) -> u32 {
    match s.score {
        x if x > 0.0 => 1 + ((x * LEVELS) as u32).min(LEVELS as u32 - 1),
        _ => 0,
    }
}

fn header(r: &Ranking) -> String {
    let w = &r.windows;
    let changed = match r.anything_changed() {
        true => String::new(),
        false => "<p class=\"sub\" id=\"unchanged\">No service changed beyond the normal window's spread; \
                  listed by the walk alone.</p>\n"
            .into(),
    };
    format!(
        "<header>\n<h1>Suspect services</h1>\n<p class=\"sub\" id=\"windows\" data-abnormal-traces=\"{}\">\
         After {} ({}, {}) against {} ({}, {}): {} (a failed call, or a root slower than its usual p95).</p>\n\
         {changed}</header>\n",
        r.abnormal_traces,
        span_text(w.abnormal),
        count(r.traces[ABNORMAL], "trace"),
        count(r.spans[ABNORMAL], "span"),
        span_text(w.normal),
        count(r.traces[NORMAL], "trace"),
        count(r.spans[NORMAL], "span"),
        count(r.abnormal_traces, "abnormal trace"),
    )
}

const CAPTION: &str = "Callers left of callees. The redder a box, the higher its score (walk share \
× anomaly, the first scaled to 1): white is no change beyond the normal window's spread, a dashed \
grey box was seen only before the change. Line width grows with calls after the change; a dashed \
line is calls that stopped. Hover for the evidence.";

fn figure(r: &Ranking, graph: &Layout) -> String {
    let legend: String = (1..=LEVELS as u32)
        .map(|l| format!(" <span class=\"swatch level-{l}\"></span> {}", legend_range(l)))
        .collect();
    format!(
        "<h2>Call graph</h2>\n<figure><figcaption>{}<br>Score:{legend}</figcaption>\n{}</figure>\n",
        escape(CAPTION),
        svg(r, graph)
    )
}

fn legend_range(l: u32) -> String {
    let step = 1.0 / LEVELS;
    let (from, to) = (f64::from(l - 1) * step, f64::from(l) * step);
    format!("{from:.2}–{to:.2}")
}

const LABEL: &str = "Call graph coloured by suspicion";

fn svg(r: &Ranking, graph: &Layout) -> String {
    if graph.names.is_empty() {
        return layered::empty_svg(LABEL, "no services in this window");
    }
    let mut out = graph.open_svg(LABEL);
    let most = r
        .calls_between
        .iter()
        .map(|c| c.calls[ABNORMAL])
        .max()
        .unwrap_or(0);
    let widths: Vec<f64> = r
        .calls_between
        .iter()
        .map(|c| layered::width(c.calls[ABNORMAL], most))
        .collect();
    for ((i, c), line) in r.calls_between.iter().enumerate().zip(graph.lines(&widths)) {
        out.push_str(&call(i, c, &line));
    }
    let places: BTreeMap<&str, (usize, &Suspect)> = r
        .suspects
        .iter()
        .enumerate()
        .map(|(i, s)| (s.service.as_str(), (i + 1, s)))
        .collect();
    for (i, name) in graph.names.iter().enumerate() {
        out.push_str(&match places.get(name) {
            Some(&(place, s)) => graph.node(
                i,
                &format!("node level-{}", level(s)),
                &data(place, s),
                &tooltip(place, s),
            ),
            None => graph.node(i, "node quiet", "", &format!("{name}: no calls after the change")),
        });
    }
    out.push_str("</svg>\n");
    out
}

fn data(place: usize, s: &Suspect) -> String {
    format!(" data-place=\"{place}\" data-score=\"{:.3}\"", s.score)
}

fn tooltip(place: usize, s: &Suspect) -> String {
    format!(
        "{}: #{place}, score {:.3}, anomaly {:.3}; own time {}, between services {}, errors {:.1}% → {:.1}%, \
         in {:.0}% of abnormal traces",
        s.service,
        s.score,
        s.anomaly,
        share(s.own_time),
        share(s.between_services),
        s.error_rate[NORMAL] * 100.0,
        s.error_rate[ABNORMAL] * 100.0,
        s.abnormal_trace_share * 100.0,
    )
}

fn call(i: usize, c: &ServiceCall, line: &Line) -> String {
    let [before, after] = c.calls;
    let (class, label) = match after {
        0 => ("edge gone", format!("stopped ({before} before)")),
        _ => ("edge", count(after, "call")),
    };
    let title = format!(
        "{} → {}: {before} calls before, {after} after",
        c.caller, c.callee
    );
    let (lx, ly) = line.label;
    format!(
        "<g class=\"{class}\" id=\"edge-{i}\" data-caller=\"{}\" data-callee=\"{}\" data-before=\"{before}\" \
         data-after=\"{after}\"><title>{}</title><path d=\"{}\" stroke-width=\"{:.1}\"/><polygon points=\"{}\"/>\
         <text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\">{label}</text></g>\n",
        escape(&c.caller),
        escape(&c.callee),
        escape(&title),
        line.d,
        line.width,
        line.head,
    )
}

/// The text format's columns, and the operations most implicated.
const COLUMNS: [(&str, bool); 10] = [
    ("#", true),
    ("service", false),
    ("score", true),
    ("anomaly", true),
    ("own time", true),
    ("between", true),
    ("errors", true),
    ("gone / new", true),
    ("abnormal traces", true),
    ("operations most shifted (own p50 before → after)", false),
];

fn table(suspects: &[Suspect]) -> String {
    let rows: String = suspects.iter().enumerate().map(|(i, s)| row(i + 1, s)).collect();
    format!(
        "<h2>Suspects</h2>\n<table class=\"suspects\">\n{}{rows}</table>\n",
        graph_page::header_row(&COLUMNS)
    )
}

fn row(place: usize, s: &Suspect) -> String {
    let numbers = [
        format!("{:.3}", s.score),
        format!("{:.3}", s.anomaly),
        share(s.own_time),
        share(s.between_services),
        format!(
            "{:.1}% → {:.1}%",
            s.error_rate[NORMAL] * 100.0,
            s.error_rate[ABNORMAL] * 100.0
        ),
        format!("{} / {}", s.calls_gone.len(), s.calls_new.len()),
        format!("{:.0}%", s.abnormal_trace_share * 100.0),
    ];
    let numbers: String = numbers
        .iter()
        .map(|n| format!("<td class=\"n\">{}</td>", escape(n)))
        .collect();
    format!(
        "<tr id=\"suspect-{place}\" data-service=\"{name}\"><td class=\"n\">{place}</td><td class=\"mono\">{name}</td>\
         {numbers}<td>{}</td></tr>\n",
        operations(s),
        name = escape(&s.service),
    )
}

fn operations(s: &Suspect) -> String {
    let mut items: Vec<String> = s
        .operations
        .iter()
        .map(|op| {
            format!(
                "<span class=\"mono\">{}</span> {} → {} ({} beyond chance)",
                escape(&op.operation),
                ms(op.own_p50_us[NORMAL]),
                ms(op.own_p50_us[ABNORMAL]),
                share(op.own_time),
            )
        })
        .collect();
    let changed = [("gone", &s.calls_gone), ("new", &s.calls_new)];
    for (what, calls) in changed {
        items.extend(
            calls
                .iter()
                .take(2)
                .map(|c| format!("{what}: <span class=\"mono\">{}</span>", escape(c))),
        );
    }
    let items: String = items.iter().map(|i| format!("<li>{i}</li>")).collect();
    format!("<ul class=\"ops\">{items}</ul>")
}

fn notes(r: &Ranking) -> String {
    let mut out = String::new();
    if !r.without_baseline.is_empty() {
        out.push_str(&format!(
            "<p class=\"note\" id=\"without-baseline\">No calls before the window to compare with (placed by \
             the walk alone): <span class=\"mono\">{}</span></p>\n",
            escape(&r.without_baseline.join(", "))
        ));
    }
    for (n, id, what) in left_out(r).into_iter().filter(|(n, _, _)| *n > 0) {
        out.push_str(&format!(
            "<p class=\"note\" id=\"{id}\" data-count=\"{n}\">{n} {what}</p>\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{OperationEvidence, Windows};
    use super::*;

    fn suspect(service: &str, score: f64) -> Suspect {
        Suspect {
            service: service.into(),
            score,
            anomaly: score / 2.0,
            walk: 0.5,
            own_time: Some(score / 2.0),
            between_services: None,
            error_rate: [0.01, 0.25],
            more_errors: Some(0.0),
            calls_gone: vec!["web GET / → <img> GET".into()],
            calls_new: vec![],
            abnormal_trace_share: 0.5,
            calls: [10, 10],
            operations: vec![OperationEvidence {
                operation: "GET /<b>".into(),
                calls: [10, 10],
                own_p50_us: [Some(1500), Some(9000)],
                own_time: Some(0.4),
            }],
        }
    }

    fn call(caller: &str, callee: &str, calls: [u64; 2]) -> ServiceCall {
        ServiceCall {
            caller: caller.into(),
            callee: callee.into(),
            calls,
        }
    }

    /// web calls api and `<img>`; the calls to `<img>` stopped, so it is no suspect.
    fn ranking() -> Ranking {
        Ranking {
            windows: Windows {
                normal: (0, 300_000_000),
                abnormal: (300_000_000, 600_000_000),
            },
            traces: [40, 38],
            spans: [400, 380],
            abnormal_traces: 12,
            suspects: vec![suspect("api", 1.0), suspect("web", 0.3), suspect("idle", 0.0)],
            calls_between: vec![call("web", "<img>", [5, 0]), call("web", "api", [40, 38])],
            without_baseline: vec!["idle".into()],
            missing_parent: 2,
            in_cycle: 0,
            duplicates: 1,
        }
    }

    fn page(r: &Ranking) -> String {
        let mut out = Vec::new();
        render(r, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn boxes_are_coloured_by_score_and_carry_their_place() {
        let page = page(&ranking());
        for want in [
            "class=\"node level-4\" id=\"node-1\" data-service=\"api\" data-layer=\"1\" data-place=\"1\" data-score=\"1.000\"",
            "class=\"node level-2\" id=\"node-3\" data-service=\"web\" data-layer=\"0\" data-place=\"2\" data-score=\"0.300\"",
            "class=\"node level-0\" id=\"node-2\" data-service=\"idle\" data-layer=\"0\" data-place=\"3\"",
            "class=\"node quiet\" id=\"node-0\" data-service=\"&lt;img&gt;\" data-layer=\"1\">",
        ] {
            assert!(page.contains(want), "{want}\n{page}");
        }
        assert!(page.contains("<title>api: #1, score 1.000, anomaly 0.500; own time +50.0%, between services -, errors 1.0% → 25.0%, in 50% of abnormal traces</title>"));
    }

    #[test]
    fn levels_split_the_score_into_quarters() {
        let levels: Vec<u32> = [0.0, 1e-9, 0.2499, 0.25, 0.74, 0.75, 1.0]
            .iter()
            .map(|&x| level(&suspect("a", x)))
            .collect();
        assert_eq!(levels, [0, 1, 1, 2, 3, 4, 4]);
    }

    #[test]
    fn calls_that_stopped_are_dashed_and_say_so() {
        let page = page(&ranking());
        assert!(page.contains(
            "<g class=\"edge gone\" id=\"edge-0\" data-caller=\"web\" data-callee=\"&lt;img&gt;\" data-before=\"5\" \
             data-after=\"0\"><title>web → &lt;img&gt;: 5 calls before, 0 after</title>"
        ));
        assert!(page.contains(">stopped (5 before)</text>"));
        assert!(page.contains("<g class=\"edge\" id=\"edge-1\" data-caller=\"web\" data-callee=\"api\" data-before=\"40\" data-after=\"38\">"));
        assert!(page.contains(">38 calls</text>"));
    }

    #[test]
    fn the_table_has_every_suspect_in_order_with_its_evidence() {
        let page = page(&ranking());
        let rows: Vec<&str> = page
            .match_indices("<tr id=\"suspect-")
            .map(|(i, _)| &page[i..i + 40])
            .collect();
        assert_eq!(rows.len(), 3);
        assert!(page.contains(
            "<tr id=\"suspect-1\" data-service=\"api\"><td class=\"n\">1</td><td class=\"mono\">api</td>\
             <td class=\"n\">1.000</td><td class=\"n\">0.500</td><td class=\"n\">+50.0%</td><td class=\"n\">-</td>\
             <td class=\"n\">1.0% → 25.0%</td><td class=\"n\">1 / 0</td><td class=\"n\">50%</td>"
        ));
        assert!(page.contains(
            "<li><span class=\"mono\">GET /&lt;b&gt;</span> 1.5 ms → 9.0 ms (+40.0% beyond chance)</li>"
        ));
        assert!(page.contains("<li>gone: <span class=\"mono\">web GET / → &lt;img&gt; GET</span></li>"));
        assert!(page.find("suspect-1").unwrap() < page.find("suspect-2").unwrap());
    }

    #[test]
    fn what_was_left_out_is_counted() {
        let page = page(&ranking());
        assert!(page.contains("id=\"missing_parent\" data-count=\"2\">2 spans whose parent is missing"));
        assert!(page.contains("id=\"duplicates\" data-count=\"1\">1 spans recorded twice"));
        assert!(!page.contains("id=\"in_cycle\""));
        assert!(page.contains("(placed by the walk alone): <span class=\"mono\">idle</span>"));
        assert!(page.contains("data-abnormal-traces=\"12\""));
        assert!(page.contains("After [1970-01-01T00:05:00Z, 1970-01-01T00:10:00Z) (38 traces, 380 spans)"));
    }

    #[test]
    fn names_from_spans_stay_text_and_the_page_is_the_same_every_time() {
        let r = ranking();
        let page = page(&r);
        assert_eq!(page, super::tests::page(&r));
        assert!(!page.contains("<img") && !page.contains("<b>"));
        assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
        for bad in ["http://", "https://", "src=", "url(", "style=\""] {
            assert!(!page.contains(bad), "{bad}");
        }
    }

    #[test]
    fn no_change_is_said_and_every_box_is_white() {
        let mut r = ranking();
        r.suspects
            .iter_mut()
            .for_each(|s| (s.score, s.anomaly) = (0.0, 0.0));
        let page = page(&r);
        assert!(page.contains("id=\"unchanged\""));
        assert!(!page.contains("level-4\" id=\"node") && page.matches("node level-0").count() == 3);
    }

    #[test]
    fn csp_hash_matches_the_page_style() {
        STYLE.assert_hash();
    }
}
