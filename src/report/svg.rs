//! The HTML report's charts, drawn by hand as inline SVG: a column chart (a series over
//! time or over ordered categories) and a bar chart (named counts, largest first).
//!
//! Every chart is an `<svg class="chart">` with a viewBox and a width and height, so it
//! renders at a non-zero size even with no data. An empty series says "no data"; a
//! series of zeros is drawn (zero-height columns on an axis up to 1), as the other
//! formats show it. Labels are escaped here; colours of text and grid come from the
//! page's stylesheet. Nothing here reads the clock or any external resource, so the
//! same series always draw the same bytes.

use super::format::{cut_chars, thousands};
use super::markup::escape;

/// What a chart needs besides its data.
pub struct Chart<'a> {
    /// The `id` of the svg element.
    pub id: &'a str,
    /// Read out by screen readers and shown when hovering the chart.
    pub title: &'a str,
    /// In CSS pixels; the viewBox has the same width, so text keeps its size.
    pub width: u32,
    /// Fill of the columns or bars.
    pub color: &'a str,
    /// Column ranges `[from, to)` a column chart shades behind its columns.
    pub bands: &'a [(usize, usize)],
}

/// Average advance of a 12px sans-serif character, for laying out labels.
const CHAR_W: f64 = 7.0;
const COLUMN_HEIGHT: f64 = 240.0;
const ROW_H: f64 = 24.0;
/// Bar labels longer than this are cut; the full label is in the bar's tooltip.
const MAX_LABEL_CHARS: usize = 30;
/// Tick steps (in columns) that fall on round times when a column is a quarter hour
/// (merged columns are round lengths too, so most steps stay round).
const TICK_STEPS: [usize; 10] = [1, 2, 3, 4, 6, 8, 12, 24, 48, 96];

/// Vertical columns left to right in series order, a y axis with round gridlines and
/// a few x labels spaced evenly.
pub fn column_chart(chart: &Chart<'_>, series: &[(String, u64)]) -> String {
    if series.is_empty() {
        return no_data(chart);
    }
    let max = series.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let (step, top) = scale(max.max(1));
    let plot = Plot::new(chart, &thousands(top), series.len());
    let mut svg = open(chart, COLUMN_HEIGHT);
    svg.push_str(&bands(&plot, chart.bands));
    svg.push_str(&gridlines(&plot, step, top));
    svg.push_str(&columns(&plot, chart.color, series, top));
    svg.push_str(&x_labels(&plot, series));
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars, one row per entry in series order, the label on the left and the
/// count at the end of the bar.
pub fn bar_chart(chart: &Chart<'_>, series: &[(String, u64)]) -> String {
    if series.is_empty() {
        return no_data(chart);
    }
    let max = series.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let longest = series.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
    let label_w = longest.min(MAX_LABEL_CHARS) as f64 * CHAR_W + 12.0;
    let value_w = thousands(max).len() as f64 * CHAR_W + 12.0;
    let span = (f64::from(chart.width) - label_w - value_w).max(1.0);
    let mut svg = open(chart, ROW_H * series.len() as f64 + 8.0);
    for (i, (label, n)) in series.iter().enumerate() {
        let y = 4.0 + ROW_H * i as f64;
        let len = if *n == 0 {
            0.0
        } else {
            (*n as f64 / max as f64 * span).max(1.0)
        };
        let tip = format!("{}: {}", escape(label), thousands(*n));
        svg.push_str(&text(
            label_w - 8.0,
            y + 16.0,
            "end",
            "",
            &escape(&cut_chars(label, MAX_LABEL_CHARS)),
        ));
        svg.push_str(&rect(label_w, y + 4.0, len, ROW_H - 8.0, chart.color, &tip));
        svg.push_str(&text(label_w + len + 6.0, y + 16.0, "start", "v", &thousands(*n)));
    }
    svg.push_str("</svg>");
    svg
}

/// The plot area of a column chart, in viewBox units.
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// Horizontal room per column.
    slot: f64,
}

impl Plot {
    fn new(chart: &Chart<'_>, widest_y_label: &str, columns: usize) -> Plot {
        let left = widest_y_label.len() as f64 * CHAR_W + 14.0;
        let right = f64::from(chart.width) - 12.0;
        let slot = (right - left) / columns.max(1) as f64;
        Plot {
            left,
            right,
            top: 22.0,
            bottom: COLUMN_HEIGHT - 42.0,
            slot,
        }
    }

    fn y(&self, value: u64, top: u64) -> f64 {
        self.bottom - (self.bottom - self.top) * value as f64 / top.max(1) as f64
    }

    fn center(&self, column: usize) -> f64 {
        self.left + self.slot * (column as f64 + 0.5)
    }
}

fn bands(plot: &Plot, ranges: &[(usize, usize)]) -> String {
    let mut out = String::new();
    for (from, to) in ranges.iter().filter(|(from, to)| from < to) {
        let (x, w, h) = (
            plot.left + plot.slot * *from as f64,
            plot.slot * (to - from) as f64,
            plot.bottom - plot.top,
        );
        out.push_str(&format!(
            "<rect class=\"band\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h:.1}\"/>",
            plot.top
        ));
    }
    out
}

fn gridlines(plot: &Plot, step: u64, top: u64) -> String {
    let mut out = String::new();
    for value in (0..=top).step_by(step.max(1) as usize) {
        let y = plot.y(value, top);
        let class = if value == 0 { "axis" } else { "grid" };
        out.push_str(&format!(
            "<line class=\"{class}\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>",
            plot.left, plot.right
        ));
        out.push_str(&text(plot.left - 6.0, y + 4.0, "end", "", &thousands(value)));
    }
    out
}

/// The columns, with their counts on top when every count fits above its column.
fn columns(plot: &Plot, color: &str, series: &[(String, u64)], top: u64) -> String {
    let gap = if plot.slot >= 5.0 { plot.slot * 0.2 } else { 0.0 };
    let widest = series.iter().map(|(_, n)| thousands(*n).len()).max().unwrap_or(0);
    let counts_fit = widest as f64 * CHAR_W <= plot.slot;
    let mut out = String::new();
    for (i, (label, n)) in series.iter().enumerate() {
        let y = plot.y(*n, top);
        let x = plot.left + plot.slot * i as f64 + gap / 2.0;
        let tip = format!("{}: {}", escape(label), thousands(*n));
        out.push_str(&rect(x, y, plot.slot - gap, plot.bottom - y, color, &tip));
        if counts_fit && *n > 0 {
            out.push_str(&text(plot.center(i), y - 5.0, "middle", "v", &thousands(*n)));
        }
    }
    out
}

/// Labels under every `step`-th column, as many as fit side by side; when every label
/// fits in two staggered rows but not in one, all of them in two rows.
fn x_labels(plot: &Plot, series: &[(String, u64)]) -> String {
    let longest = series.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(1) as f64;
    let fit = ((plot.right - plot.left) / (longest * CHAR_W + 16.0))
        .floor()
        .max(1.0) as usize;
    let stagger = fit < series.len() && series.len() <= 2 * fit;
    let step = if stagger {
        1
    } else {
        tick_step(series.len().div_ceil(fit))
    };
    let mut out = String::new();
    for (i, (label, _)) in series.iter().enumerate().step_by(step) {
        let row = if stagger && i % 2 == 1 { 14.0 } else { 0.0 };
        let half = label.chars().count() as f64 * CHAR_W / 2.0;
        let x = plot.center(i).clamp(half, plot.right + 12.0 - half);
        let y = plot.bottom;
        out.push_str(&format!(
            "<line class=\"axis\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
            plot.center(i),
            plot.center(i),
            y + 4.0
        ));
        out.push_str(&text(x, y + 18.0 + row, "middle", "", &escape(label)));
    }
    out
}

/// The smallest round step of at least `needed` columns.
fn tick_step(needed: usize) -> usize {
    let needed = needed.max(1);
    let mut step = TICK_STEPS.iter().copied().find(|s| *s >= needed).unwrap_or(96);
    while step < needed {
        step *= 2;
    }
    step
}

/// A gridline step of 1, 2 or 5 times a power of ten giving at most five lines above
/// zero, and the top of the axis (a multiple of the step at or above `max`).
fn scale(max: u64) -> (u64, u64) {
    let mut power = 1u64;
    loop {
        for step in [1, 2, 5].into_iter().filter_map(|m| power.checked_mul(m)) {
            if max.div_ceil(step) <= 5 {
                return (step, max.div_ceil(step).checked_mul(step).unwrap_or(max));
            }
        }
        match power.checked_mul(10) {
            Some(p) => power = p,
            None => return (max, max),
        }
    }
}

/// The opening tag and the accessible title of a chart `height` high.
fn open(chart: &Chart<'_>, height: f64) -> String {
    let (w, title) = (chart.width, escape(chart.title));
    format!(
        "<svg class=\"chart\" id=\"{}\" role=\"img\" aria-label=\"{title}\" viewBox=\"0 0 {w} {height:.0}\" \
         width=\"{w}\" height=\"{height:.0}\"><title>{title}</title>",
        escape(chart.id)
    )
}

/// An empty chart: still an svg of the usual width, saying so.
fn no_data(chart: &Chart<'_>) -> String {
    let mut svg = open(chart, 120.0);
    svg.push_str(&format!(
        "<rect class=\"empty\" x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"119\"/>",
        chart.width.saturating_sub(1)
    ));
    svg.push_str(&text(
        f64::from(chart.width) / 2.0,
        64.0,
        "middle",
        "nodata",
        "no data",
    ));
    svg.push_str("</svg>");
    svg
}

/// A `<text>`; `content` must already be escaped.
fn text(x: f64, y: f64, anchor: &str, class: &str, content: &str) -> String {
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    format!("<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\"{class}>{content}</text>")
}

/// A filled `<rect>` with a tooltip; `tip` must already be escaped.
fn rect(x: f64, y: f64, w: f64, h: f64, color: &str, tip: &str) -> String {
    format!(
        "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{tip}</title></rect>",
        escape(color)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHART: Chart<'static> = Chart {
        id: "chart-x",
        title: "X per Y",
        width: 540,
        color: "#2f6fb0",
        bands: &[],
    };

    fn series(n: usize) -> Vec<(String, u64)> {
        (0..n)
            .map(|i| (format!("label {i}"), (i as u64 * 37) % 101))
            .collect()
    }

    #[test]
    fn charts_have_id_viewbox_and_size() {
        for svg in [column_chart(&CHART, &series(30)), bar_chart(&CHART, &series(8))] {
            assert!(svg.starts_with("<svg class=\"chart\" id=\"chart-x\""), "{svg}");
            assert!(svg.contains("viewBox=\"0 0 540 "));
            assert!(svg.contains("width=\"540\""));
            assert!(svg.ends_with("</svg>"));
            assert!(!svg.contains("NaN") && !svg.contains("inf"));
        }
    }

    #[test]
    fn empty_series_say_no_data_at_a_nonzero_size() {
        for svg in [column_chart(&CHART, &[]), bar_chart(&CHART, &[])] {
            assert!(svg.contains(">no data</text>"));
            assert!(svg.contains("viewBox=\"0 0 540 120\" width=\"540\" height=\"120\""));
        }
    }

    #[test]
    fn all_zero_series_draw_their_zeros() {
        let zeros: Vec<(String, u64)> = (0..3).map(|i| (format!("z{i}"), 0)).collect();
        for svg in [column_chart(&CHART, &zeros), bar_chart(&CHART, &zeros)] {
            assert!(!svg.contains("no data"), "{svg}");
            assert_eq!(svg.matches("<rect x=").count(), 3, "{svg}");
            assert!(svg.contains(">z2</text>"), "{svg}");
            assert!(!svg.contains("NaN") && !svg.contains("inf"));
        }
        let columns = column_chart(&CHART, &zeros);
        assert_eq!(columns.matches("height=\"0.0\"").count(), 3, "{columns}");
        assert!(columns.contains(">1</text>"), "an axis up to 1: {columns}");
    }

    #[test]
    fn one_rect_per_entry() {
        let column = column_chart(&CHART, &series(30));
        assert_eq!(column.matches("<rect").count(), 30);
        let bars = bar_chart(&CHART, &series(8));
        assert_eq!(bars.matches("<rect x=").count(), 8);
    }

    #[test]
    fn bands_shade_column_ranges() {
        let banded = Chart {
            bands: &[(0, 10), (20, 25), (3, 3)],
            ..CHART
        };
        let svg = column_chart(&banded, &series(30));
        assert_eq!(svg.matches("<rect class=\"band\"").count(), 2);
        assert!(
            svg.find("class=\"band\"") < svg.find("<rect x="),
            "behind the columns"
        );
    }

    #[test]
    fn labels_are_escaped_and_cut() {
        let evil = vec![("<script>alert(1)</script>'\"&".to_string(), 5)];
        for svg in [column_chart(&CHART, &evil), bar_chart(&CHART, &evil)] {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;&#39;&quot;&amp;"));
        }
        let long = vec![("x".repeat(50), 1)];
        assert!(bar_chart(&CHART, &long).contains(&format!("{}…</text>", "x".repeat(29))));
    }

    #[test]
    fn few_x_labels_on_long_series() {
        let svg = column_chart(&CHART, &series(400));
        let labels = svg.matches("<text").count() - svg.matches("class=\"v\"").count();
        assert!(labels < 20, "{labels} labels");
    }

    #[test]
    fn labels_stagger_when_two_rows_fit_them_all() {
        let bins: Vec<(String, u64)> = (0..13).map(|i| (format!("{i}00–{i}99"), 1)).collect();
        let narrow = Chart { width: 600, ..CHART };
        let svg = column_chart(&narrow, &bins);
        assert!(svg.contains(">1200–1299</text>"), "{svg}");
        assert_eq!(svg.matches("y=\"230.0\"").count(), 6, "odd labels one row lower");
    }

    #[test]
    fn scale_is_round() {
        assert_eq!(scale(1), (1, 1));
        assert_eq!(scale(7), (2, 8));
        assert_eq!(scale(1_403), (500, 1_500));
        assert_eq!(scale(10_000), (2_000, 10_000));
        assert!(scale(u64::MAX).1 >= u64::MAX / 2);
    }
}
