//! One [`Trace`] for the terminal, as plain text: a title line, a column header, then one
//! row per span in tree order: the tree drawn with `├─ └─ │`, service, operation, status
//! (`✗` before an error's), start offset and duration in milliseconds, a waterfall bar over
//! the trace's extent, and `? parent unknown (why)` where it applies.
//!
//! Owns the layout only. No colour (a caller can add it), no terminal queries: the bar's
//! width is given. Columns are padded by display width, lines carry no trailing spaces.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use super::stitch::{Span, Trace};

const HEADER: [&str; 5] = ["service", "operation", "status", "start ms", "ms"];

/// Writes `trace` with a waterfall `width` cells wide (0: no waterfall).
pub fn render(trace: &Trace, width: usize, out: &mut dyn Write) -> io::Result<()> {
    let spans = trace.spans.len();
    let plural = if spans == 1 { "" } else { "s" };
    let extent = (trace.start(), trace.end());
    writeln!(
        out,
        "trace {}: {spans} span{plural}, {} ms",
        trace.id,
        ms(extent.1 - extent.0)
    )?;
    let prefixes = tree_prefixes(trace);
    let rows: Vec<[String; 5]> = trace
        .spans
        .iter()
        .zip(&prefixes)
        .map(|(s, prefix)| cells(s, prefix, extent.0))
        .collect();
    let widths: Vec<usize> = (0..5)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].width())
                .chain([HEADER[c].width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let header = HEADER.map(String::from);
    let waterfall = if width > 0 { "waterfall" } else { "" };
    line(out, &header, &widths, waterfall)?;
    for (row, span) in rows.iter().zip(&trace.spans) {
        let mark = span
            .unknown
            .map(|why| format!("? parent unknown ({})", why.phrase()));
        let tail: Vec<String> = [Some(bar(span, extent, width)), mark]
            .into_iter()
            .flatten()
            .collect();
        line(out, row, &widths, tail.join("  ").trim_start())?;
    }
    Ok(())
}

/// Text columns left-aligned, numbers right-aligned, two spaces between.
fn line(out: &mut dyn Write, row: &[String; 5], widths: &[usize], tail: &str) -> io::Result<()> {
    let mut text = String::new();
    for (c, (cell, &w)) in row.iter().zip(widths).enumerate() {
        let pad = " ".repeat(w.saturating_sub(cell.width()));
        let (left, right) = if c < 2 {
            (cell.as_str(), pad.as_str())
        } else {
            (pad.as_str(), cell.as_str())
        };
        text.push_str(left);
        text.push_str(right);
        text.push_str("  ");
    }
    text.push_str(tail);
    writeln!(out, "{}", text.trim_end())
}

fn cells(span: &Span, prefix: &str, t0: i64) -> [String; 5] {
    let status = span
        .hop
        .as_ref()
        .and_then(|h| h.status)
        .map_or("-".to_string(), |s| s.to_string());
    let error = span.hop.as_ref().is_some_and(|h| h.error);
    [
        format!("{prefix}{}", span.service()),
        span.operation().to_string(),
        if error { format!("✗ {status}") } else { status },
        ms(span.start - t0),
        ms(span.duration()),
    ]
}

/// Each span's tree drawing: `│  ` or three spaces per ancestor below the root, then
/// `├─ ` or `└─ ` (for the last of its siblings).
fn tree_prefixes(trace: &Trace) -> Vec<String> {
    let mut last_child = vec![None; trace.spans.len()];
    for (i, s) in trace.spans.iter().enumerate() {
        if let Some(p) = s.parent {
            last_child[p] = Some(i);
        }
    }
    let is_last = |i: usize| trace.spans[i].parent.is_none_or(|p| last_child[p] == Some(i));
    // What a span's descendants draw for its column; parents come before children.
    let mut below: Vec<String> = Vec::with_capacity(trace.spans.len());
    let mut prefixes = Vec::with_capacity(trace.spans.len());
    for (i, s) in trace.spans.iter().enumerate() {
        let Some(p) = s.parent else {
            below.push(String::new());
            prefixes.push(String::new());
            continue;
        };
        let (mark, carry) = if is_last(i) {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        prefixes.push(format!("{}{mark}", below[p]));
        below.push(format!("{}{carry}", below[p]));
    }
    prefixes
}

/// `▕  ████   ▏`: the cells the span covers of the trace's extent, at least one.
fn bar(span: &Span, (t0, t1): (i64, i64), width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let (w, total) = (width as i128, i128::from((t1 - t0).max(1)));
    let cell = |t: i64| i128::from(t - t0) * w;
    let first = (cell(span.start) / total).clamp(0, w - 1);
    let last = ((cell(span.end) + total - 1) / total - 1).clamp(first, w - 1);
    let cells: String = (0..w)
        .map(|c| if (first..=last).contains(&c) { '█' } else { ' ' })
        .collect();
    format!("▕{cells}▏")
}

/// Microseconds as milliseconds with one decimal, truncated: `12.3`.
fn ms(micros: i64) -> String {
    let m = micros.max(0);
    format!("{}.{}", m / 1000, m % 1000 / 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::header::CallerSelf;
    use crate::trace::hop::sample::{hop, id};
    use crate::trace::stitch::stitch;

    fn shown(trace: &Trace, width: usize) -> String {
        let mut out = Vec::new();
        render(trace, width, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_small_trace() {
        let mut pay = hop("payments", Some(4), Some(CallerSelf::Root), (50, 90));
        pay.operation = "POST /charge".into();
        (pay.status, pay.error) = (Some(502), true);
        let hops = vec![
            hop("web", None, None, (0, 100)),
            hop("cart", Some(1), Some(CallerSelf::Root), (5, 40)),
            hop("db", Some(2), Some(CallerSelf::Hop(id(1))), (10, 15)),
            hop("db", Some(3), Some(CallerSelf::Hop(id(1))), (20, 38)),
            pay,
            hop("search", Some(5), None, (92, 99)),
        ];
        let out = stitch(hops);
        let want = "\
trace 5759e988bd862e3fe1be46a994272793: 6 spans, 100.0 ms
service      operation        status  start ms     ms  waterfall
web          GET /items/{id}     200       0.0  100.0  ▕████████████████████▏
├─ cart      GET /items/{id}     200       5.0   35.0  ▕ ███████            ▏
│  ├─ db     GET /items/{id}     200      10.0    5.0  ▕  █                 ▏
│  └─ db     GET /items/{id}     200      20.0   18.0  ▕    ████            ▏
├─ payments  POST /charge      ✗ 502      50.0   40.0  ▕          ████████  ▏
└─ search    GET /items/{id}     200      92.0    7.0  ▕                  ██▏  ? parent unknown (cut by the 7 KB rule)
";
        assert_eq!(shown(&out.traces[0], 20), want);
    }

    #[test]
    fn a_synthetic_root_and_no_waterfall() {
        let hops = vec![
            hop("cart", Some(1), Some(CallerSelf::Root), (0, 1)),
            hop("db", Some(2), Some(CallerSelf::Hop(id(1))), (0, 0)),
        ];
        let out = stitch(hops);
        let want = "\
trace 5759e988bd862e3fe1be46a994272793: 3 spans, 1.0 ms
service    operation               status  start ms   ms
(unknown)  (entry hop not logged)       -       0.0  1.0
└─ cart    GET /items/{id}            200       0.0  1.0  ? parent unknown (in a trace with no entry hop)
   └─ db   GET /items/{id}            200       0.0  0.0
";
        assert_eq!(shown(&out.traces[0], 0), want);
    }

    #[test]
    fn bars_cover_at_least_one_cell() {
        let span = |s: i64, e: i64| {
            let mut sp = stitch(vec![hop("a", None, None, (0, 0))])
                .traces
                .remove(0)
                .spans
                .remove(0);
            (sp.start, sp.end) = (s, e);
            sp
        };
        assert_eq!(bar(&span(0, 0), (0, 10), 5), "▕█    ▏");
        assert_eq!(bar(&span(10, 10), (0, 10), 5), "▕    █▏");
        assert_eq!(bar(&span(0, 10), (0, 10), 5), "▕█████▏");
        assert_eq!(bar(&span(3, 5), (0, 10), 5), "▕ ██  ▏");
        assert_eq!(bar(&span(0, 0), (0, 0), 3), "▕█  ▏");
    }
}
