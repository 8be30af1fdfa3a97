//! `reqtrace deps --format html`: the dependency graph as one self-contained page (inline
//! CSS, an inline SVG drawn here, one small inline script), needing no network, to mail
//! or attach to a ticket.
//!
//! It owns the page and the layout: services in layers left to right, each layer the
//! longest path from the callers nobody calls (`(none)` for entry hops), cycles broken
//! deterministically, services within a layer in name order; then a table of every edge
//! with the text format's columns. It computes nothing about edges: calls, percentiles
//! and flags come from [`Edge`] as they are.
//!
//! Service names come from the logs, so anyone who can send a request may choose one:
//! every one is escaped ([`escape`]), and a Content-Security-Policy allows only this
//! page's own style and script (by hash), as the dry-run report's page does. Nodes
//! (`node-{i}`, `data-service`) and edges (`edge-{i}`, `data-caller`, `data-callee`,
//! `data-calls`, `data-flags`) carry ids a browser test reads; the script records the
//! graph's rendered size.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use super::formats::Format;
use super::{Edge, NO_CALLER};
use crate::report::markup::escape;

/// The page.
pub struct Html;

impl Format for Html {
    fn write(&self, edges: &[Edge], out: &mut dyn Write) -> anyhow::Result<()> {
        let graph = Graph::new(edges);
        let mut page = head();
        page.push_str(&header(edges, &graph));
        page.push_str(&figure(edges, &graph));
        page.push_str(&table(edges));
        page.push_str(&format!("</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"));
        out.write_all(page.as_bytes())?;
        Ok(())
    }
}

/// The dry-run report's look (src/report/html.rs), copied: its style is private there.
const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d2330;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:13px;margin:28px 0 10px;color:#5a6272;text-transform:uppercase;letter-spacing:.06em}
.sub{color:#5a6272;margin:0}
figure,table{background:#fff;border:1px solid #dde1e7;border-radius:8px}
figure{margin:0;padding:14px;overflow-x:auto}
figcaption{margin:0 0 10px;color:#5a6272;font-size:12.5px}
svg.graph{display:block}
svg.graph text{font-family:system-ui,sans-serif;font-size:12px;fill:#3a4150}
svg.graph .node rect{fill:#eaf1fb;stroke:#2f6fb0;stroke-width:1.2}
svg.graph .node.outside rect{fill:#fafbfc;stroke:#8a93a3;stroke-dasharray:4 3}
svg.graph .node text{fill:#1d2330;font-weight:600}
svg.graph .edge path{fill:none;stroke:#8a93a3}
svg.graph .edge polygon{fill:#8a93a3}
svg.graph .edge.flagged path{stroke:#c0392b}
svg.graph .edge.flagged polygon{fill:#c0392b}
svg.graph .edge text{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.graph .edge.flagged text{fill:#c0392b}
svg.graph text.nodata{fill:#8a93a3;font-size:14px}
table{border-collapse:separate;border-spacing:0;width:100%;overflow:hidden}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eceff3;vertical-align:top}
tr:last-child td{border-bottom:0}
th{color:#5a6272;font-weight:600;font-size:12.5px}
tr.flagged td{color:#c0392b}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
";

/// Records the graph's rendered size, so a test knows the SVG was laid out and drawn.
const SCRIPT: &str = "
window.addEventListener('load', function () {
  var svg = document.getElementById('graph');
  var box = svg.getBoundingClientRect();
  svg.setAttribute('data-rendered-width', String(Math.round(box.width)));
  svg.setAttribute('data-rendered-height', String(Math.round(box.height)));
  if (box.width > 0 && box.height > 0) document.body.dataset.graphMeasured = 'yes';
});
";

/// Base64 SHA-256 of [`STYLE`] and [`SCRIPT`], for the Content-Security-Policy. A test
/// recomputes them.
const STYLE_SHA256: &str = "61bLXfYhXzY1mhKui3g/Fj9xX/QXoPk56Ege47e+UzI=";
const SCRIPT_SHA256: &str = "haGjHRUneP4IfZAk8yq1d727pVhXBRgwUdOhnbXrnbM=";

/// Layout in SVG user units, drawn 1:1 in CSS pixels (the figure scrolls when wider).
const MARGIN: f64 = 56.0;
const NODE_H: f64 = 32.0;
/// Room between layers for an edge's label.
const GAP_X: f64 = 150.0;
const GAP_Y: f64 = 30.0;
const RIGHT: f64 = 40.0;
/// Room under the last row; then each edge going back has a lane of its own.
const BELOW: f64 = 24.0;
const LANE: f64 = 20.0;
/// A name's width, roughly: 12px semibold system-ui, names mostly ASCII.
const CHAR_W: f64 = 7.4;
const PAD: f64 = 24.0;
const MIN_W: f64 = 80.0;
/// Longer names are cut in their box; the whole name is in its tooltip and the table.
const MAX_LABEL: usize = 40;

fn head() -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'sha256-{STYLE_SHA256}'; script-src 'sha256-{SCRIPT_SHA256}'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Service dependencies</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
    )
}

/// A point.
type P = (f64, f64);

#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn right(&self) -> f64 {
        self.x + self.w
    }
    fn center(&self) -> P {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
}

/// How an edge is drawn, from where its callee is.
enum Route {
    /// A service calling itself: a loop over its box.
    Loop,
    /// To a later layer: out of the caller's right side, through a waypoint of its own in
    /// each layer between (a row no box has, so the line crosses no box), into the callee's
    /// left side.
    Forward(Vec<Rect>),
    /// To its own layer or an earlier one (a call the cycle breaking set aside): down to a
    /// lane of its own (this y) under every row, back along it, up into the callee's left side.
    Back(f64),
}

/// Every service that calls or is called, laid out.
struct Graph<'a> {
    /// In name order: node `i` is `names[i]`.
    names: Vec<&'a str>,
    layers: Vec<usize>,
    rects: Vec<Rect>,
    /// Per edge, its caller's and callee's nodes and how it is drawn.
    links: Vec<(usize, usize)>,
    routes: Vec<Route>,
    size: P,
}

impl<'a> Graph<'a> {
    fn new(edges: &'a [Edge]) -> Graph<'a> {
        let names: BTreeSet<&str> = edges
            .iter()
            .flat_map(|e| [e.caller.as_str(), e.callee.as_str()])
            .collect();
        let names: Vec<&str> = names.into_iter().collect();
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let links: Vec<(usize, usize)> = edges
            .iter()
            .map(|e| (index[e.caller.as_str()], index[e.callee.as_str()]))
            .collect();
        let layers = layers(names.len(), &links);
        let columns = Columns::new(&names, &layers);
        let mut rows = vec![0; columns.widths.len()];
        // Boxes first, so within a layer they take the top rows in name order.
        let rects = layers.iter().map(|&l| columns.slot(l, &mut rows)).collect();
        let waypoints: Vec<Vec<Rect>> = links
            .iter()
            .map(|&(a, b)| {
                (layers[a] + 1..layers[b])
                    .map(|l| columns.slot(l, &mut rows))
                    .collect()
            })
            .collect();
        let most = rows.iter().max().copied().unwrap_or(0) as f64;
        let bottom = MARGIN + most * (NODE_H + GAP_Y) - GAP_Y + BELOW;
        let (routes, lanes) = routes(&links, &layers, waypoints, bottom);
        let size = (columns.right() + RIGHT, bottom + lanes as f64 * LANE);
        Graph {
            names,
            layers,
            rects,
            links,
            routes,
            size,
        }
    }
}

/// Each edge's route, and how many lanes those going back take.
fn routes(
    links: &[(usize, usize)],
    layers: &[usize],
    waypoints: Vec<Vec<Rect>>,
    bottom: f64,
) -> (Vec<Route>, usize) {
    let mut lanes = 0;
    let routes = links
        .iter()
        .zip(waypoints)
        .map(|(&(a, b), waypoints)| match (a == b, layers[b] > layers[a]) {
            (true, _) => Route::Loop,
            (false, true) => Route::Forward(waypoints),
            (false, false) => {
                lanes += 1;
                Route::Back(bottom + (lanes - 1) as f64 * LANE)
            }
        })
        .collect();
    (routes, lanes)
}

/// Each node's layer: the longest path to it from the nodes nobody calls. When every node
/// left has a caller left (a cycle), one goes next and its calls from those left are
/// ignored, so this ends on any graph: preferably one a placed node calls (where the layout
/// enters the cycle), then the one with the fewest callers left, then the first by name.
fn layers(n: usize, links: &[(usize, usize)]) -> Vec<usize> {
    let mut callees = vec![BTreeSet::new(); n];
    // Per node, its callers not placed yet.
    let mut waiting = vec![0usize; n];
    for &(from, to) in links {
        if from != to && callees[from].insert(to) {
            waiting[to] += 1;
        }
    }
    let mut layer = vec![0; n];
    let mut placed = vec![false; n];
    let mut reached = vec![false; n];
    let mut ready: BTreeSet<usize> = (0..n).filter(|&v| waiting[v] == 0).collect();
    while let Some(v) = ready
        .pop_first()
        .or_else(|| in_cycle(&waiting, &placed, &reached))
    {
        placed[v] = true;
        for &to in &callees[v] {
            if !placed[to] {
                layer[to] = layer[to].max(layer[v] + 1);
                reached[to] = true;
                waiting[to] -= 1;
                if waiting[to] == 0 {
                    ready.insert(to);
                }
            }
        }
    }
    layer
}

/// The node to place when none is free of callers: none once every node is placed.
fn in_cycle(waiting: &[usize], placed: &[bool], reached: &[bool]) -> Option<usize> {
    (0..waiting.len())
        .filter(|&v| !placed[v])
        .min_by_key(|&v| (!reached[v], waiting[v], v))
}

/// A column per layer, as wide as its longest name.
struct Columns {
    lefts: Vec<f64>,
    widths: Vec<f64>,
}

impl Columns {
    fn new(names: &[&str], layers: &[usize]) -> Columns {
        let mut widths = vec![MIN_W; layers.iter().max().map_or(0, |l| l + 1)];
        for (name, &l) in names.iter().zip(layers) {
            widths[l] = widths[l].max(label(name).chars().count() as f64 * CHAR_W + PAD);
        }
        let mut x = MARGIN;
        let lefts = widths
            .iter()
            .map(|w| {
                x += w + GAP_X;
                x - w - GAP_X
            })
            .collect();
        Columns { lefts, widths }
    }

    /// The box of the next free row of layer `l`.
    fn slot(&self, l: usize, rows: &mut [usize]) -> Rect {
        let y = MARGIN + rows[l] as f64 * (NODE_H + GAP_Y);
        rows[l] += 1;
        Rect {
            x: self.lefts[l],
            y,
            w: self.widths[l],
            h: NODE_H,
        }
    }

    fn right(&self) -> f64 {
        self.lefts
            .last()
            .zip(self.widths.last())
            .map_or(MARGIN, |(x, w)| x + w)
    }
}

/// A name as its box shows it: cut at [`MAX_LABEL`] characters.
fn label(name: &str) -> String {
    if name.chars().count() <= MAX_LABEL {
        return name.to_string();
    }
    let cut: String = name.chars().take(MAX_LABEL - 1).collect();
    format!("{cut}…")
}

/// Where each edge leaves its caller and reaches its callee. Lines leave down a box's right
/// side and arrive down its left side in the order of the height they go to or come from,
/// so lines into one box do not meet in one point and cross less. A loop sits on top.
fn ports(graph: &Graph) -> Vec<(P, P)> {
    let n = graph.names.len();
    let (mut outs, mut ins) = (vec![vec![]; n], vec![vec![]; n]);
    for (i, (&(a, b), route)) in graph.links.iter().zip(&graph.routes).enumerate() {
        let (next, prev) = match route {
            Route::Loop => continue,
            Route::Forward(w) => (
                w.first().unwrap_or(&graph.rects[b]),
                w.last().unwrap_or(&graph.rects[a]),
            ),
            Route::Back(lane) => {
                outs[a].push((*lane, i));
                ins[b].push((*lane, i));
                continue;
            }
        };
        outs[a].push((next.center().1, i));
        ins[b].push((prev.center().1, i));
    }
    let mut ends = vec![((0.0, 0.0), (0.0, 0.0)); graph.links.len()];
    for (node, r) in graph.rects.iter().enumerate() {
        for (k, i) in spread(&mut outs[node]) {
            ends[i].0 = (r.right(), r.y + r.h * k);
        }
        for (k, i) in spread(&mut ins[node]) {
            ends[i].1 = (r.x, r.y + r.h * k);
        }
    }
    for (&(a, _), (route, end)) in graph.links.iter().zip(graph.routes.iter().zip(&mut ends)) {
        if let Route::Loop = route {
            let r = graph.rects[a];
            *end = ((r.x + r.w * 0.62, r.y), (r.x + r.w * 0.38, r.y));
        }
    }
    ends
}

/// Edges sorted by the height they go to (then by edge), each with its share of the side.
fn spread(side: &mut [(f64, usize)]) -> Vec<(f64, usize)> {
    side.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let parts = side.len() as f64 + 1.0;
    side.iter()
        .enumerate()
        .map(|(k, &(_, i))| ((k as f64 + 1.0) / parts, i))
        .collect()
}

/// An edge drawn: its path, its arrowhead `len` long, and where its label's baseline is
/// centred.
fn shape(route: &Route, (start, tip): (P, P), len: f64) -> (String, [P; 3], P) {
    if let Route::Loop = route {
        let base = (tip.0, tip.1 - len);
        let head = [tip, (base.0 - len / 2.0, base.1), (base.0 + len / 2.0, base.1)];
        let controls = ((start.0 + 18.0, start.1 - 40.0), (base.0, base.1 - 26.0));
        let d = format!(
            "M{} C{} {} {}",
            pt(start),
            pt(controls.0),
            pt(controls.1),
            pt(base)
        );
        return (d, head, ((start.0 + tip.0) / 2.0, start.1 - 36.0));
    }
    let base = (tip.0 - len, tip.1);
    let head = [tip, (base.0, tip.1 - len / 2.0), (base.0, tip.1 + len / 2.0)];
    let (d, label) = match route {
        Route::Back(lane) => {
            let (out, back) = (start.0 + 16.0, base.0 - 16.0);
            let d = format!(
                "M{} H{out:.1} V{lane:.1} H{back:.1} V{:.1} H{:.1}",
                pt(start),
                tip.1,
                base.0
            );
            (d, ((out + back) / 2.0, lane - 5.0))
        }
        Route::Forward(waypoints) => through(start, waypoints, base),
        Route::Loop => unreachable!("drawn above"),
    };
    (d, head, label)
}

/// A forward edge's path: curves between layers, straight across each waypoint; its label
/// halfway along the first curve, beside the caller.
fn through(start: P, waypoints: &[Rect], end: P) -> (String, P) {
    let mut d = format!("M{}", pt(start));
    let mut at = start;
    for w in waypoints {
        let y = w.center().1;
        d.push_str(&curve(at, (w.x, y)));
        d.push_str(&format!(" L{}", pt((w.right(), y))));
        at = (w.right(), y);
    }
    d.push_str(&curve(at, end));
    let first = waypoints.first().map_or(end, |w| (w.x, w.center().1));
    (d, ((start.0 + first.0) / 2.0, (start.1 + first.1) / 2.0 - 5.0))
}

/// A curve leaving and arriving level, so lines meet boxes square.
fn curve(from: P, to: P) -> String {
    let dx = (to.0 - from.0) / 2.0;
    format!(
        " C{} {} {}",
        pt((from.0 + dx, from.1)),
        pt((to.0 - dx, to.1)),
        pt(to)
    )
}

/// Coordinates with one decimal: fixed, so the page is byte-identical run to run.
fn pt((x, y): P) -> String {
    format!("{x:.1},{y:.1}")
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}"))
}

fn flag_words(e: &Edge) -> String {
    let phrases: Vec<&str> = e.flags.iter().map(|f| f.phrase()).collect();
    phrases.join(", ")
}

/// `1 edge`, `2 edges`.
fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn header(edges: &[Edge], graph: &Graph) -> String {
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

fn figure(edges: &[Edge], graph: &Graph) -> String {
    format!(
        "<h2>Graph</h2>\n<figure><figcaption>{}</figcaption>\n{}</figure>\n",
        escape(CAPTION),
        svg(edges, graph)
    )
}

fn svg(edges: &[Edge], graph: &Graph) -> String {
    if edges.is_empty() {
        return "<svg class=\"graph\" id=\"graph\" viewBox=\"0 0 360 80\" width=\"360\" height=\"80\" \
                role=\"img\" aria-label=\"Service dependency graph\"><text class=\"nodata\" x=\"180\" \
                y=\"44\" text-anchor=\"middle\">no edges in this window</text></svg>\n"
            .into();
    }
    let (w, h) = graph.size;
    let mut out = format!(
        "<svg class=\"graph\" id=\"graph\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" \
         role=\"img\" aria-label=\"Service dependency graph\">\n"
    );
    let most = edges.iter().map(|e| e.calls).max().unwrap_or(0).max(1);
    let ports = ports(graph);
    for (i, e) in edges.iter().enumerate() {
        out.push_str(&edge(i, e, &graph.routes[i], ports[i], most));
    }
    // Boxes after lines, so a line ends at a box's border rather than across its name.
    for (i, name) in graph.names.iter().enumerate() {
        out.push_str(&node(i, name, graph.layers[i], graph.rects[i]));
    }
    out.push_str("</svg>\n");
    out
}

fn node(i: usize, name: &str, layer: usize, r: Rect) -> String {
    let class = if name == NO_CALLER { "node outside" } else { "node" };
    let (cx, cy) = r.center();
    format!(
        "<g class=\"{class}\" id=\"node-{i}\" data-service=\"{name}\" data-layer=\"{layer}\">\
         <title>{name}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\"/>\
         <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>\n",
        r.x,
        r.y,
        r.w,
        r.h,
        cy + 4.0,
        escape(&label(name)),
        name = escape(name),
    )
}

/// One edge: a line as wide as its share of the busiest edge's calls (square root, so a
/// quiet edge still shows), an arrowhead, calls and p99 as its label, everything in words
/// in its tooltip.
fn edge(i: usize, e: &Edge, route: &Route, ends: (P, P), most: u64) -> String {
    let width = 1.5 + 4.5 * (e.calls as f64 / most as f64).sqrt();
    let (d, head, (lx, ly)) = shape(route, ends, 6.0 + width);
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
    format!(
        "<g class=\"{class}\" id=\"edge-{i}\" data-caller=\"{}\" data-callee=\"{}\" data-calls=\"{}\" \
         data-errors=\"{}\" data-flags=\"{}\"><title>{}</title><path d=\"{d}\" stroke-width=\"{width:.1}\"/>\
         <polygon points=\"{} {} {}\"/><text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\">{} · \
         p99 {} ms</text></g>\n",
        escape(&e.caller),
        escape(&e.callee),
        e.calls,
        e.errors,
        escape(&flags),
        escape(&title),
        pt(head[0]),
        pt(head[1]),
        pt(head[2]),
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
    let heads: String = COLUMNS
        .iter()
        .map(|(name, n)| format!("<th{}>{name}</th>", if *n { " class=\"n\"" } else { "" }))
        .collect();
    let mut rows: String = edges.iter().enumerate().map(|(i, e)| row(i, e)).collect();
    if edges.is_empty() {
        rows = format!("<tr><td colspan=\"{}\">No edges.</td></tr>\n", COLUMNS.len());
    }
    format!("<h2>Edges</h2>\n<table class=\"edges\">\n<tr>{heads}</tr>\n{rows}</table>\n")
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

    /// Each service's layer, by name.
    fn layers_of(links: &[(&str, &str)]) -> BTreeMap<String, usize> {
        let edges: Vec<Edge> = links.iter().map(|(a, b)| edge(a, b, 1, vec![])).collect();
        let graph = Graph::new(&edges);
        let names = graph.names.iter().map(|n| n.to_string());
        names.zip(graph.layers.iter().copied()).collect()
    }

    fn expect(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(n, l)| (n.to_string(), *l)).collect()
    }

    #[test]
    fn a_layer_is_the_longest_path_from_the_callers_nobody_calls() {
        let got = layers_of(&[
            ("(none)", "gateway"),
            ("gateway", "auth"),
            ("auth", "leaderboards"),
            ("gateway", "leaderboards"),
            ("(none)", "stories"),
            ("cron", "stories"),
        ]);
        let want = [
            ("(none)", 0),
            ("auth", 2),
            ("cron", 0),
            ("gateway", 1),
            ("leaderboards", 3),
            ("stories", 1),
        ];
        assert_eq!(got, expect(&want));
    }

    #[test]
    fn a_cycle_is_broken_where_it_is_entered_and_layout_ends() {
        // (none) → a → b → c → a: the call back to a is ignored.
        let got = layers_of(&[("(none)", "a"), ("a", "b"), ("b", "c"), ("c", "a"), ("c", "c")]);
        assert_eq!(got, expect(&[("(none)", 0), ("a", 1), ("b", 2), ("c", 3)]));
        // Entered where the placed nodes call in, though "<x>" and "auth" sort first.
        let got = layers_of(&[("(none)", "gw"), ("gw", "auth"), ("auth", "gw"), ("gw", "<x>")]);
        assert_eq!(got, expect(&[("(none)", 0), ("<x>", 2), ("auth", 2), ("gw", 1)]));
        // No node free of callers: the first by name starts.
        let got = layers_of(&[("y", "x"), ("x", "y"), ("z", "z")]);
        assert_eq!(got, expect(&[("x", 0), ("y", 1), ("z", 0)]));
        // A long cycle, every node in it, ends too.
        let names: Vec<String> = (0..500).map(|i| format!("s{i:03}")).collect();
        let links: Vec<(&str, &str)> = (0..500)
            .map(|i| (names[i].as_str(), names[(i + 1) % 500].as_str()))
            .collect();
        assert_eq!(layers_of(&links)["s499"], 499);
    }

    #[test]
    fn nodes_within_a_layer_are_in_name_order_top_to_bottom() {
        let edges = [edge("(none)", "web", 1, vec![]), edge("(none)", "api", 1, vec![])];
        let graph = Graph::new(&edges);
        let y = |name: &str| graph.rects[graph.names.iter().position(|n| *n == name).unwrap()].y;
        assert!(y("api") < y("web"));
        let page = render(&edges);
        assert!(
            page.contains("id=\"node-1\" data-service=\"api\" data-layer=\"1\""),
            "{page}"
        );
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
    fn csp_hashes_match_the_inline_style_and_script() {
        for (name, text, hash) in [("STYLE", STYLE, STYLE_SHA256), ("SCRIPT", SCRIPT, SCRIPT_SHA256)] {
            let actual = crate::report::markup::csp_hash(text);
            assert_eq!(actual, hash, "{name} changed: set {name}_SHA256 to \"{actual}\"");
        }
    }
}
