//! The text report for a terminal: headline numbers, the run's facts and inputs, then
//! each chart series as a list of labelled bars; every line fits 100 columns.
//!
//! It owns the terminal layout, measured in display columns (a CJK character or an
//! emoji takes two, by `unicode-width`), and terminal safety: control characters (ESC
//! above all) and bidi marks from the inputs print as `?`, so a log line cannot move
//! the cursor, recolour the screen or disguise a name. ANSI colour only when asked for,
//! and only from this file's own fixed codes.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use super::charts::{ChartData, Gaps};
use super::format::{bar, cut_to_width, is_hidden, thousands};
use super::summary::Summary;
use super::Render;

pub struct Text {
    pub color: bool,
}

/// Columns every line fits in.
const WIDTH: usize = 100;
/// Bar labels wider than this many columns are cut (the longest IANA zone name has 32
/// characters).
const LABEL_MAX: usize = 32;
/// More quarter hours than this are merged into longer buckets.
const MAX_TIME_ROWS: usize = 48;

impl Render for Text {
    fn render(&self, s: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let paint = Paint(self.color);
        let sections = [
            title(s, paint),
            headline(s, paint),
            run(s, paint),
            inputs(s, paint),
            charts(s, paint),
        ];
        for line in sections.iter().flatten() {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
}

/// ANSI styling, a no-op when colour is off.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn bold(self, s: &str) -> String {
        self.sgr("1", s)
    }

    fn warn(self, s: &str) -> String {
        self.sgr("1;33", s)
    }

    fn bar(self, s: &str) -> String {
        self.sgr("36", s)
    }

    fn sgr(self, code: &str, s: &str) -> String {
        if self.0 && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// A string from the inputs made safe for a terminal.
fn clean(s: &str) -> String {
    s.chars().map(|c| if is_hidden(c) { '?' } else { c }).collect()
}

/// Columns `s` takes on screen: two for a wide character (CJK, most emoji), none for
/// a combining mark. `s` holds no control characters ([`clean`] saw to that).
fn columns(s: &str) -> usize {
    s.width()
}

/// Columns a line takes on screen: its text outside this file's ANSI codes.
fn visible_width(s: &str) -> usize {
    let mut in_code = false;
    let shown: String = s
        .chars()
        .filter(|c| {
            let shown = !in_code && *c != '\x1b';
            in_code = (in_code || *c == '\x1b') && *c != 'm';
            shown
        })
        .collect();
    columns(&shown)
}

/// `s` split into pieces of at most `room` columns (a character wider than `room` on
/// its own).
fn split_columns(s: &str, room: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (at, c) in s.char_indices() {
        let next = at + c.len_utf8();
        if at > start && columns(&s[start..next]) > room {
            pieces.push(&s[start..at]);
            start = at;
        }
    }
    if start < s.len() {
        pieces.push(&s[start..]);
    }
    pieces
}

/// `s` cut to at most `max` columns, ending in an ellipsis when cut.
fn cut_columns(s: &str, max: usize) -> String {
    cut_to_width(s, max, columns)
}

/// `s` padded with spaces on the right to `width` columns (`{:<width$}` counts
/// characters, not columns).
fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(columns(s))))
}

/// `prefix`, then `text` word-wrapped to [`WIDTH`] columns with later lines indented
/// under the text; a word longer than a line (a path) is split.
fn wrap(prefix: &str, text: &str) -> Vec<String> {
    let indent = visible_width(prefix).min(WIDTH / 2);
    let room = WIDTH - indent;
    let (mut lines, mut line, mut used, mut empty) =
        (Vec::new(), prefix.to_string(), visible_width(prefix), true);
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        for piece in split_columns(word, room) {
            let width = columns(piece);
            if used + width + usize::from(!empty) > WIDTH {
                lines.push(line.trim_end().to_string());
                (line, used, empty) = (" ".repeat(indent), indent, true);
            }
            if !empty {
                line.push(' ');
                used += 1;
            }
            line.push_str(piece);
            (used, empty) = (used + width, false);
        }
    }
    lines.push(line.trim_end().to_string());
    lines
}

fn title(s: &Summary, p: Paint) -> Vec<String> {
    let mut lines = wrap(
        &format!("{} ", p.bold("Streak repair dry run:")),
        &clean(&s.incident_id),
    );
    lines.extend(wrap(
        "As of ",
        &format!("{}. Nothing has been applied.", clean(&s.as_of)),
    ));
    lines
}

fn headline(s: &Summary, p: Paint) -> Vec<String> {
    let groups = s.headline();
    let rows = || groups.iter().flat_map(|g| &g.rows);
    let label_w = rows().map(|r| columns(r.label)).max().unwrap_or(0);
    let values = rows().flat_map(|r| std::iter::once(r.value).chain(r.detail.iter().map(|(_, n)| *n)));
    let value_w = values.map(|n| thousands(n).len()).max().unwrap_or(1);
    let mut lines = Vec::new();
    for group in &groups {
        lines.extend([String::new(), p.bold(group.title)]);
        for row in &group.rows {
            let value = format!("{:>value_w$}", thousands(row.value));
            let value = if row.concern && row.value > 0 {
                p.warn(&value)
            } else {
                p.bold(&value)
            };
            lines.push(format!("  {} {value}", pad(row.label, label_w)));
            for (name, n) in &row.detail {
                lines.extend(detail(&clean(name), *n, label_w - 2, value_w));
            }
        }
    }
    lines
}

/// One line of a breakdown under its headline row, the count under the row's value; a
/// name too long for its column gets lines of its own.
fn detail(name: &str, n: u64, name_w: usize, value_w: usize) -> Vec<String> {
    let value = format!("{:>value_w$}", thousands(n));
    if columns(name) <= name_w {
        return vec![format!("    {} {value}", pad(name, name_w))];
    }
    let mut lines = wrap("    ", name);
    lines.push(format!("    {:name_w$} {value}", ""));
    lines
}

fn run(s: &Summary, p: Paint) -> Vec<String> {
    let facts = s.run_facts();
    let label_w = facts.iter().map(|(l, _)| columns(l)).max().unwrap_or(0);
    let mut lines = vec![String::new(), p.bold("Run")];
    for (label, values) in &facts {
        for (i, value) in values.iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            lines.extend(wrap(&format!("  {}  ", pad(label, label_w)), &clean(value)));
        }
    }
    lines
}

/// Per input: role, size and path, then its digest under the path.
fn inputs(s: &Summary, p: Paint) -> Vec<String> {
    let bytes_w = s
        .inputs
        .iter()
        .map(|i| thousands(i.bytes).len())
        .max()
        .unwrap_or(0)
        .max(5);
    let mut lines = vec![
        String::new(),
        p.bold("Inputs"),
        format!("  {:<9}  {:>bytes_w$}  path", "", "bytes"),
    ];
    for input in &s.inputs {
        let prefix = format!("  {:<9}  {:>bytes_w$}  ", input.role, thousands(input.bytes));
        lines.extend(wrap(&prefix, &clean(&input.path)));
        lines.extend(wrap(
            &" ".repeat(prefix.len()),
            &format!("SHA-256 {}", clean(&input.sha256)),
        ));
    }
    lines
}

fn charts(s: &Summary, p: Paint) -> Vec<String> {
    s.charts(MAX_TIME_ROWS, Gaps::Elide)
        .iter()
        .flat_map(|chart| bars(chart, p))
        .collect()
}

/// A chart as one line per entry: label, count and a bar scaled to the largest count;
/// `None` (rows left out) as a vertical ellipsis.
fn bars(chart: &ChartData, p: Paint) -> Vec<String> {
    let mut lines = vec![String::new(), p.bold(&chart.title)];
    let rows = &chart.rows;
    if rows.is_empty() {
        lines.push("  (no data)".to_string());
        return lines;
    }
    let entries = || rows.iter().flatten();
    let label_w = entries()
        .map(|(l, _)| columns(&clean(l)))
        .max()
        .unwrap_or(0)
        .min(LABEL_MAX);
    let value_w = entries().map(|(_, n)| thousands(*n).len()).max().unwrap_or(1);
    let bar_w = WIDTH - label_w - value_w - 5;
    let max = entries().map(|(_, n)| *n).max().unwrap_or(0);
    for row in rows {
        let Some((label, n)) = row else {
            lines.push("  ⋮".to_string());
            continue;
        };
        let label = pad(&cut_columns(&clean(label), label_w), label_w);
        let line = format!(
            "  {label} {:>value_w$}  {}",
            thousands(*n),
            p.bar(&bar(*n, max, bar_w))
        );
        lines.push(line.trim_end().to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{hostile, sample};
    use super::*;

    fn render(s: &Summary, color: bool) -> String {
        let mut out = Vec::new();
        Text { color }.render(s, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("\x1b[") {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            rest = &rest[rest.find('m').expect("end of an SGR code") + 1..];
        }
        out + rest
    }

    #[test]
    fn content_is_present_headline_first() {
        let text = render(&sample(), false);
        let at = |want: &str| {
            text.find(want)
                .unwrap_or_else(|| panic!("{want} missing:\n{text}"))
        };
        assert!(at("Learners affected") < at("Run\n"));
        assert!(at("Inputs\n") < at("Evidence records per 15 minutes (UTC)"));
        for want in [
            "Streak repair dry run: 2026-11-20-api-outage",
            "Actions",
            "1,239",
            "refund_freeze",
            "1,234,567",
            "unknown_timezone",
            "17,080",
            "too_few_fields",
            "Evidence records with an invalid tz parameter",
            "bundled 2026e",
            "4,226,113,000  testdata/generated/calendars.csv",
            "a9ce64d4affe2dc104631e254dfd761ee6c4bde6e7bc73cdc6c0eb218d8646c6",
            "2026-11-20 13:15",
            "America/New_York",
            "Decided learners by streak days restored\n  0 ",
            "█",
        ] {
            at(want);
        }
    }

    /// A summary whose names and paths are in wide characters (two columns each).
    fn wide() -> Summary {
        let mut s = sample();
        s.incident_id = "障害-二〇二六年十一月二十日-".repeat(6);
        s.inputs[0].path = "日志/二〇二六/十一月/二十日/".repeat(8);
        s.learners_skipped.insert("时区不明".repeat(12), 5);
        s.top_zones.insert(0, ("亚洲/上海🕒".repeat(6), 900));
        s.outcomes.insert("已修复".repeat(20), 8);
        s
    }

    #[test]
    fn every_line_fits_100_columns() {
        use unicode_width::UnicodeWidthStr;
        for s in [sample(), hostile(), wide()] {
            for color in [false, true] {
                let text = strip_ansi(&render(&s, color));
                for line in text.lines() {
                    let columns = line.width();
                    assert!(columns <= WIDTH, "{columns} columns: {line}");
                }
            }
        }
    }

    #[test]
    fn no_ansi_without_color() {
        for s in [sample(), hostile()] {
            assert!(!render(&s, false).contains('\x1b'));
        }
        let colored = render(&sample(), true);
        assert!(colored.contains("\x1b[1m") && colored.contains("\x1b[0m"));
        assert_eq!(strip_ansi(&colored), render(&sample(), false));
    }

    #[test]
    fn inputs_cannot_inject_terminal_codes() {
        let text = render(&hostile(), true);
        let stripped = strip_ansi(&text);
        assert!(!stripped.contains('\x1b'), "an ESC not from this file");
        assert!(!text.contains('\x07') && !text.contains('\u{202e}') && !text.contains('\r'));
        assert!(stripped.contains("<script>alert(1)</script>a|b?[31mred?[0m"));
        assert!(
            !stripped.lines().any(|l| l.starts_with("| injected")),
            "a newline from a path"
        );
    }

    #[test]
    fn empty_series_say_no_data() {
        let empty = Summary {
            evidence_per_quarter_hour: vec![],
            top_zones: vec![],
            ..sample()
        };
        assert_eq!(render(&empty, false).matches("  (no data)").count(), 2);
    }

    #[test]
    fn long_windows_merge_buckets() {
        let quarters = (0..400).map(|i| (format!("q{i}"), 1)).collect();
        let text = render(
            &Summary {
                evidence_per_quarter_hour: quarters,
                ..sample()
            },
            false,
        );
        assert!(text.contains("Evidence records per 3 hours (UTC)"), "{text}");
        let gap = (0..400)
            .map(|i| (format!("q{i}"), u64::from(i % 200 == 0)))
            .collect();
        let text = render(
            &Summary {
                evidence_per_quarter_hour: gap,
                ..sample()
            },
            false,
        );
        assert!(
            text.contains("per 15 minutes (UTC)\n  q0   1  █")
                && text.contains("\n  q1   0\n  ⋮\n  q199 0\n  q200 1")
        );
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(columns("亚洲/上海"), 9);
        assert_eq!(visible_width("\x1b[1m上海\x1b[0m 🕒"), 7);
        assert_eq!(cut_columns("亚洲/上海", 6), "亚洲/…");
        assert_eq!(cut_columns("亚洲/上海", 5), "亚洲…");
        assert_eq!(cut_columns("上海", 4), "上海");
        assert_eq!(cut_columns("上海", 3), "上…");
        assert_eq!(cut_columns("上海", 2), "…");
        assert_eq!(pad("上海", 6), "上海  ");
        // A CJK path is split by columns, not characters, and nothing is lost.
        let path = "日志/二〇二六/十一月/".repeat(12);
        let lines = wrap("  logs  ", &path);
        assert_eq!(lines.len(), 3, "{lines:?}");
        for line in &lines[..2] {
            assert!((WIDTH - 1..=WIDTH).contains(&columns(line)), "{line}");
        }
        assert!(lines[1..].iter().all(|l| l.starts_with(&" ".repeat(8))));
        let joined: String = lines.iter().map(|l| &l[8..]).collect();
        assert_eq!(joined, path);
    }

    #[test]
    fn wide_labels_keep_the_counts_in_line() {
        let text = render(&wide(), false);
        let chart = text
            .split("\n\n")
            .find(|block| block.starts_with("Top time zones"))
            .expect("the zones chart");
        let ends: Vec<usize> = chart
            .lines()
            .skip(1)
            .map(|line| columns(line.trim_end_matches(['█', ' '])))
            .collect();
        assert_eq!(ends.len(), 4, "{chart}");
        assert!(ends.iter().all(|e| *e == ends[0]), "{ends:?}\n{chart}");
        assert!(chart.contains("上海… 900"), "the wide label cut to fit: {chart}");
    }

    #[test]
    fn wrap_indents_and_splits() {
        let lines = wrap("  Windows  ", &format!("{} {}", "a".repeat(95), "b c"));
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].chars().count(), WIDTH);
        assert_eq!(lines[1], format!("{}{}", " ".repeat(11), "a".repeat(6) + " b c"));
    }
}
