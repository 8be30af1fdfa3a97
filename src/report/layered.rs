//! A call graph laid out for an SVG figure, shared by reqtrace's pages (the dependency
//! graph of `deps` and the suspects of `rank`): services in layers left to right, each
//! layer the longest path from the callers nobody calls, cycles broken
//! deterministically, services within a layer in name order; each call drawn as a path
//! that crosses no box, with its arrowhead and where its label goes.
//!
//! It owns geometry only: what a box or a line says, and its colours, are the page's.
//! Coordinates are printed with one decimal, so a page is byte-identical run to run.

use std::collections::{BTreeMap, BTreeSet};

use super::markup::escape;

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

/// An arrowhead is this much longer than its line is wide.
const HEAD: f64 = 6.0;

/// A line as wide as its share of the busiest call's `most` calls: the square root, so a
/// quiet one still shows.
pub fn width(calls: u64, most: u64) -> f64 {
    1.5 + 4.5 * (calls as f64 / most.max(1) as f64).sqrt()
}

/// The figure when there is nothing to draw: `message`, at a non-zero size.
pub fn empty_svg(label: &str, message: &str) -> String {
    format!(
        "<svg class=\"graph\" id=\"graph\" viewBox=\"0 0 360 80\" width=\"360\" height=\"80\" \
         role=\"img\" aria-label=\"{label}\"><text class=\"nodata\" x=\"180\" y=\"44\" \
         text-anchor=\"middle\">{message}</text></svg>\n"
    )
}

/// A point.
pub type P = (f64, f64);

/// A service's box.
#[derive(Debug, Clone, Copy)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    fn right(&self) -> f64 {
        self.x + self.w
    }
    pub fn center(&self) -> P {
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

/// Services and the calls between them, laid out.
pub struct Layout<'a> {
    /// In name order: node `i` is `names[i]`.
    pub names: Vec<&'a str>,
    pub layers: Vec<usize>,
    pub rects: Vec<Rect>,
    /// Per call, its caller's and callee's nodes and how it is drawn.
    links: Vec<(usize, usize)>,
    routes: Vec<Route>,
    /// Width and height of the figure.
    pub size: P,
}

/// One call drawn: its path, its arrowhead's three points, and where its label's
/// baseline is centred.
pub struct Line {
    pub d: String,
    pub width: f64,
    pub head: String,
    pub label: P,
}

impl<'a> Layout<'a> {
    /// Lays out `calls` (caller, callee) and every service named in them or in `services`.
    pub fn new(services: impl IntoIterator<Item = &'a str>, calls: &[(&'a str, &'a str)]) -> Layout<'a> {
        let names: BTreeSet<&str> = services
            .into_iter()
            .chain(calls.iter().flat_map(|&(a, b)| [a, b]))
            .collect();
        let names: Vec<&str> = names.into_iter().collect();
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let links: Vec<(usize, usize)> = calls.iter().map(|(a, b)| (index[a], index[b])).collect();
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
        Layout {
            names,
            layers,
            rects,
            links,
            routes,
            size,
        }
    }

    /// Every call drawn, in the order given, call `i` `widths[i]` wide.
    pub fn lines(&self, widths: &[f64]) -> Vec<Line> {
        let ports = ports(self);
        self.routes
            .iter()
            .zip(ports)
            .zip(widths)
            .map(|((route, ends), &width)| {
                let (d, head, label) = shape(route, ends, HEAD + width);
                let head = format!("{} {} {}", pt(head[0]), pt(head[1]), pt(head[2]));
                Line {
                    d,
                    width,
                    head,
                    label,
                }
            })
            .collect()
    }

    /// The `<svg>` start tag of the figure, `id="graph"`, read out as `label`.
    pub fn open_svg(&self, label: &str) -> String {
        let (w, h) = self.size;
        format!(
            "<svg class=\"graph\" id=\"graph\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" height=\"{h:.0}\" \
             role=\"img\" aria-label=\"{label}\">\n"
        )
    }

    /// Node `i` as an SVG group: `class`, ids a browser test reads (`node-{i}`,
    /// `data-service`, `data-layer`, and `data`'s attributes, already escaped), `title`
    /// as its tooltip and its name, cut, in its box.
    pub fn node(&self, i: usize, class: &str, data: &str, title: &str) -> String {
        let (name, r) = (self.names[i], self.rects[i]);
        let (cx, cy) = r.center();
        format!(
            "<g class=\"{class}\" id=\"node-{i}\" data-service=\"{}\" data-layer=\"{}\"{data}>\
             <title>{}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\"/>\
             <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>\n",
            escape(name),
            self.layers[i],
            escape(title),
            r.x,
            r.y,
            r.w,
            r.h,
            cy + 4.0,
            escape(&label(name)),
        )
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
fn ports(graph: &Layout) -> Vec<(P, P)> {
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
        // A loop returned at the top of this function.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each service's layer, by name.
    fn layers_of(calls: &[(&str, &str)]) -> BTreeMap<String, usize> {
        let layout = Layout::new([], calls);
        let names = layout.names.iter().map(|n| n.to_string());
        names.zip(layout.layers.iter().copied()).collect()
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
        let calls: Vec<(&str, &str)> = (0..500)
            .map(|i| (names[i].as_str(), names[(i + 1) % 500].as_str()))
            .collect();
        assert_eq!(layers_of(&calls)["s499"], 499);
    }

    #[test]
    fn nodes_within_a_layer_are_in_name_order_top_to_bottom() {
        let layout = Layout::new([], &[("(none)", "web"), ("(none)", "api")]);
        let y = |name: &str| layout.rects[layout.names.iter().position(|n| *n == name).unwrap()].y;
        assert!(y("api") < y("web"));
        assert!(layout
            .node(1, "node", "", "api")
            .contains("id=\"node-1\" data-service=\"api\" data-layer=\"1\""));
    }

    #[test]
    fn a_service_without_calls_gets_a_box_in_the_first_layer() {
        let layout = Layout::new(["lonely", "web"], &[("(none)", "web")]);
        assert_eq!(layout.names, ["(none)", "lonely", "web"]);
        assert_eq!(layout.layers, [0, 0, 1]);
        assert_eq!(layout.lines(&[1.5]).len(), 1);
    }

    #[test]
    fn every_route_draws_finite_coordinates() {
        let calls = [
            ("(none)", "a"),
            ("a", "a"),
            ("a", "b"),
            ("b", "a"),
            ("(none)", "c"),
            ("c", "a"),
            ("(none)", "b"),
        ];
        let lines = Layout::new([], &calls).lines(&[1.5; 7]);
        assert_eq!(lines.len(), 7);
        for line in lines {
            let text = format!("{} {} {:?}", line.d, line.head, line.label);
            assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
        }
    }
}
