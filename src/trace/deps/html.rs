//! `reqtrace deps --format html`: the dependency graph as one self-contained page (inline
//! CSS, an inline SVG drawn here, one small inline script), needing no network, to mail
//! or attach to a ticket.
//!
//! It owns the page: the graph laid out by [`layered`] (`(none)` for entry hops, in the
//! first layer), then a table of every edge with the text format's columns. It computes
//! nothing about edges: calls, percentiles and flags come from [`Edge`] as they are.
//!
//! Service names come from the logs, so anyone who can send a request may choose one:
//! every one is escaped ([`escape`]), and the page's policy ([`graph_page`]) allows only
//! its own styles and script. Nodes (`node-{i}`, `data-service`) and edges (`edge-{i}`,
//! `data-caller`, `data-callee`, `data-calls`, `data-flags`) carry ids a browser test
//! reads.

use std::io::Write;

use super::formats::Format;
use super::{Edge, NO_CALLER};
use crate::report::graph_page::{self, Style};
use crate::report::layered::{self, Layout, Line};
use crate::report::markup::{count, escape};

/// The page.
pub struct Html;

impl Format for Html {
    fn write(&self, edges: &[Edge], out: &mut dyn Write) -> anyhow::Result<()> {
        let calls: Vec<(&str, &str)> = edges
            .iter()
            .map(|e| (e.caller.as_str(), e.callee.as_str()))
            .collect();
        let graph = Layout::new([], &calls);
        let mut page = graph_page::head("Service dependencies", &STYLE);
        page.push_str(&header(edges, &graph));
        page.push_str(&figure(edges, &graph));
        page.push_str(&table(edges));
        page.push_str(&graph_page::foot());
        out.write_all(page.as_bytes())?;
        Ok(())
    }
}

/// What only this page draws: the entry hops' caller, flagged edges and rows.
const STYLE: Style = Style {
    css: "
svg.graph .node.outside rect{fill:#fafbfc;stroke:#8a93a3;stroke-dasharray:4 3}
svg.graph .edge.flagged path{stroke:#c0392b}
svg.graph .edge.flagged polygon{fill:#c0392b}
svg.graph .edge.flagged text{fill:#c0392b}
tr.flagged td{color:#c0392b}
",
    sha256: "S9i+hUlcB9zCcvS8dPCzzr8FQTGxBu6u+jVTgcnGjHg=",
};

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn flag_words(e: &Edge) -> String {
    let phrases: Vec<&str> = e.flags.iter().map(|f| f.phrase()).collect();
    phrases.join(", ")
}

fn header(edges: &[Edge], graph: &Layout) -> String {
    let flagged = edges.iter().filter(|e| !e.flags.is_empty()).count();
    format!(
        "<header>\n<h1>Service dependencies</h1>\n<p class=\"sub\" id=\"counts\" data-edges=\"{}\" \
         data-services=\"{}\" data-flagged=\"{flagged}\">{} · {} · {flagged} flagged</p>\n</header>\n",
        edges.len(),
        graph.names.len(),
        count(edges.len() as u64, "edge"),
        count(graph.names.len() as u64, "service"),
    )
}

const CAPTION: &str = "Callers left of callees, each service as far right as its longest chain of \
callers from those nobody calls; within a column, services by name. Line width grows with calls; \
red edges are flagged (hover for why). A line along the bottom goes back against the columns: \
a call in a cycle.";

fn figure(edges: &[Edge], graph: &Layout) -> String {
    format!(
        "<h2>Graph</h2>\n<figure><figcaption>{}</figcaption>\n{}</figure>\n",
        escape(CAPTION),
        svg(edges, graph)
    )
}

fn svg(edges: &[Edge], graph: &Layout) -> String {
    if edges.is_empty() {
        return layered::empty_svg(LABEL, "no edges in this window");
    }
    let mut out = graph.open_svg(LABEL);
    let most = edges.iter().map(|e| e.calls).max().unwrap_or(0);
    let widths: Vec<f64> = edges.iter().map(|e| layered::width(e.calls, most)).collect();
    for ((i, e), line) in edges.iter().enumerate().zip(graph.lines(&widths)) {
        out.push_str(&edge(i, e, &line));
    }
    // Boxes after lines, so a line ends at a box's border rather than across its name.
    for (i, name) in graph.names.iter().enumerate() {
        let class = if *name == NO_CALLER {
            "node outside"
        } else {
            "node"
        };
        out.push_str(&graph.node(i, class, "", name));
    }
    out.push_str("</svg>\n");
    out
}

const LABEL: &str = "Service dependency graph";

/// One edge: a line as wide as its share of the busiest edge's calls, an arrowhead,
/// calls and p99 as its label, everything in words in its tooltip.
fn edge(i: usize, e: &Edge, line: &Line) -> String {
    let flags = flag_words(e);
    let class = if flags.is_empty() { "edge" } else { "edge flagged" };
    let mut title = format!(
        "{} → {}: {}, {} ({:.1}%), p99 {} ms",
        e.caller,
        e.callee,
        count(e.calls, "call"),
        count(e.errors, "error"),
        e.error_rate() * 100.0,
        ms(e.p99_ms)
    );
    if !flags.is_empty() {
        title.push_str(&format!("; flagged: {flags}"));
    }
    let (lx, ly) = line.label;
    format!(
        "<g class=\"{class}\" id=\"edge-{i}\" data-caller=\"{}\" data-callee=\"{}\" data-calls=\"{}\" \
         data-errors=\"{}\" data-flags=\"{}\"><title>{}</title><path d=\"{}\" stroke-width=\"{:.1}\"/>\
         <polygon points=\"{}\"/><text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\">{} · \
         p99 {} ms</text></g>\n",
        escape(&e.caller),
        escape(&e.callee),
        e.calls,
        e.errors,
        escape(&flags),
        escape(&title),
        line.d,
        line.width,
        line.head,
        count(e.calls, "call"),
        ms(e.p99_ms),
    )
}

/// The text format's columns, with request bytes and the error rate too.
const COLUMNS: [(&str, bool); 11] = [
    ("caller", false),
    ("callee", false),
    ("calls", true),
    ("errors", true),
    ("error rate", true),
    ("p50 ms", true),
    ("p99 ms", true),
    ("request bytes", true),
    ("response bytes", true),
    ("gap p50 ms", true),
    ("flags", false),
];

fn table(edges: &[Edge]) -> String {
    let mut rows: String = edges.iter().enumerate().map(|(i, e)| row(i, e)).collect();
    if edges.is_empty() {
        rows = format!("<tr><td colspan=\"{}\">No edges.</td></tr>\n", COLUMNS.len());
    }
    format!(
        "<h2>Edges</h2>\n<table class=\"edges\">\n{}{rows}</table>\n",
        graph_page::header_row(&COLUMNS)
    )
}

fn row(i: usize, e: &Edge) -> String {
    let class = if e.flags.is_empty() {
        ""
    } else {
        " class=\"flagged\""
    };
    let numbers = [
        e.calls.to_string(),
        e.errors.to_string(),
        format!("{:.1}%", e.error_rate() * 100.0),
        ms(e.p50_ms),
        ms(e.p99_ms),
        e.request_bytes.to_string(),
        e.response_bytes.to_string(),
        ms(e.gap_p50_ms),
    ];
    let numbers: String = numbers
        .iter()
        .map(|n| format!("<td class=\"n\">{n}</td>"))
        .collect();
    format!(
        "<tr id=\"row-{i}\"{class}><td class=\"mono\">{}</td><td class=\"mono\">{}</td>{numbers}<td>{}</td></tr>\n",
        escape(&e.caller),
        escape(&e.callee),
        escape(&flag_words(e))
    )
}

#[cfg(test)]
mod tests {
    use super::super::Flag;
    use super::*;

    fn edge(caller: &str, callee: &str, calls: u64, flags: Vec<Flag>) -> Edge {
        Edge {
            caller: caller.into(),
            callee: callee.into(),
            calls,
            errors: 1,
            entries: 0,
            p50_ms: Some(3.0),
            p99_ms: Some(9.5),
            request_bytes: 10,
            response_bytes: 20,
            gap_p50_ms: None,
            flags,
        }
    }

    fn render(edges: &[Edge]) -> String {
        let mut out = Vec::new();
        Html.write(edges, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn a_box_per_service_with_its_layer() {
        let page = render(&[edge("(none)", "web", 1, vec![]), edge("(none)", "api", 1, vec![])]);
        assert!(
            page.contains("<g class=\"node\" id=\"node-1\" data-service=\"api\" data-layer=\"1\">"),
            "{page}"
        );
        assert!(page.contains("<g class=\"node outside\" id=\"node-0\" data-service=\"(none)\""));
    }

    #[test]
    fn hostile_service_names_stay_text() {
        let page = render(&[
            edge("gateway", "<script>x</script>", 2, vec![]),
            edge("gateway", "a\"b'&\u{202e}\u{1b}", 1, vec![]),
        ]);
        assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
        assert!(!page.contains("x</script>"));
        assert!(page.contains("data-callee=\"&lt;script&gt;x&lt;/script&gt;\""));
        assert!(page.contains("<td class=\"mono\">&lt;script&gt;x&lt;/script&gt;</td>"));
        assert!(page.contains("a&quot;b&#39;&amp;\u{fffd}\u{fffd}"));
        assert!(!page.contains('\u{1b}') && !page.contains('\u{202e}'));
    }

    #[test]
    fn edges_carry_calls_and_flags_and_flagged_ones_are_red() {
        let page = render(&[
            edge(
                "auth",
                "leaderboards",
                5,
                vec![Flag::RepeatedErrors, Flag::SlowBetweenServices],
            ),
            edge("gateway", "auth", 1, vec![]),
        ]);
        assert!(page.contains(
            "<g class=\"edge flagged\" id=\"edge-0\" data-caller=\"auth\" data-callee=\"leaderboards\" \
             data-calls=\"5\" data-errors=\"1\" data-flags=\"repeated errors, latency between services\">\
             <title>auth → leaderboards: 5 calls, 1 error (20.0%), p99 9.5 ms; flagged: repeated errors, \
             latency between services</title>"
        ));
        assert!(page.contains("<g class=\"edge\" id=\"edge-1\" data-caller=\"gateway\""));
        assert!(page.contains(">5 calls · p99 9.5 ms</text>"));
        assert!(page.contains("stroke-width=\"6.0\"") && page.contains("stroke-width=\"3.5\""));
        assert!(page.contains(
            "data-edges=\"2\" data-services=\"3\" data-flagged=\"1\">2 edges · 3 services · 1 flagged"
        ));
        assert!(page.contains(
            "<tr id=\"row-0\" class=\"flagged\"><td class=\"mono\">auth</td><td class=\"mono\">leaderboards</td>\
             <td class=\"n\">5</td><td class=\"n\">1</td><td class=\"n\">20.0%</td><td class=\"n\">3.0</td>\
             <td class=\"n\">9.5</td><td class=\"n\">10</td><td class=\"n\">20</td><td class=\"n\">-</td>\
             <td>repeated errors, latency between services</td></tr>"
        ));
    }

    #[test]
    fn every_route_draws_and_the_page_is_the_same_every_time() {
        let edges = [
            edge("(none)", "a", 3, vec![]),
            edge("a", "a", 1, vec![]),
            edge("a", "b", 2, vec![]),
            edge("b", "a", 1, vec![]),
            edge("(none)", "c", 1, vec![]),
            edge("c", "a", 1, vec![]),
        ];
        let page = render(&edges);
        assert_eq!(page, render(&edges));
        assert_eq!(page.matches("<g class=\"edge").count(), 6);
        assert_eq!(page.matches("<g class=\"node").count(), 4);
        assert!(!page.contains("NaN") && !page.contains("inf"));
    }

    #[test]
    fn no_edges_is_a_page_saying_so() {
        let page = render(&[]);
        assert!(page.contains(">no edges in this window</text>") && page.contains("No edges."));
        assert!(page.contains("0 edges · 0 services · 0 flagged") && page.ends_with("</html>\n"));
    }

    #[test]
    fn long_names_are_cut_in_their_box_only() {
        let long = "s".repeat(60);
        let page = render(&[edge("gateway", &long, 1, vec![])]);
        assert!(page.contains(&format!(">{}…</text>", "s".repeat(39))));
        assert!(page.contains(&format!("<title>{long}</title>")));
    }

    #[test]
    fn self_contained() {
        let page = render(&[edge("gateway", "auth", 1, vec![])]);
        for bad in [
            "http://", "https://", "src=", "url(", "@import", "//cdn", "style=\"",
        ] {
            assert!(!page.to_lowercase().contains(bad), "{bad}");
        }
        assert_eq!(page.matches("<script").count(), 1);
    }

    #[test]
    fn csp_hash_matches_the_page_style() {
        STYLE.assert_hash();
    }
}
