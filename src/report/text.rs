//! The text report for a terminal: headline numbers, the run's facts and inputs, then
//! each chart series as a list of labelled bars; every line fits 100 columns.
//!
//! It owns the terminal layout and terminal safety: control characters (ESC above all)
//! and bidi marks from the inputs print as `?`, so a log line cannot move the cursor,
//! recolour the screen or disguise a name. ANSI colour only when asked for, and only
//! from this file's own fixed codes.

use std::io::{self, Write};

use super::{bar, cut, is_hidden, short_time, thousands, Render, Summary};

pub struct Text {
    pub color: bool,
}

/// Columns every line fits in.
const WIDTH: usize = 100;
/// Bar labels longer than this are cut (the longest IANA zone name has 32 characters).
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

/// Columns a line takes on screen: characters outside this file's ANSI codes.
fn visible_width(s: &str) -> usize {
    let mut in_code = false;
    s.chars()
        .filter(|c| {
            let shown = !in_code && *c != '\x1b';
            in_code = (in_code || *c == '\x1b') && *c != 'm';
            shown
        })
        .count()
}

/// `prefix`, then `text` word-wrapped to [`WIDTH`] with later lines indented under the
/// text; a word longer than a line (a path) is split.
fn wrap(prefix: &str, text: &str) -> Vec<String> {
    let indent = visible_width(prefix).min(WIDTH / 2);
    let room = WIDTH - indent;
    let (mut lines, mut line, mut used, mut empty) =
        (Vec::new(), prefix.to_string(), visible_width(prefix), true);
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        for piece in chars.chunks(room) {
            if used + piece.len() + usize::from(!empty) > WIDTH {
                lines.push(line.trim_end().to_string());
                (line, used, empty) = (" ".repeat(indent), indent, true);
            }
            if !empty {
                line.push(' ');
                used += 1;
            }
            line.extend(piece);
            (used, empty) = (used + piece.len(), false);
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
    let label_w = rows().map(|r| r.label.len()).max().unwrap_or(0);
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
            lines.push(format!("  {:<label_w$} {value}", row.label));
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
    if name.chars().count() <= name_w {
        return vec![format!("    {name:<name_w$} {value}")];
    }
    let mut lines = wrap("    ", name);
    lines.push(format!("    {:name_w$} {value}", ""));
    lines
}

fn run(s: &Summary, p: Paint) -> Vec<String> {
    let facts = s.run_facts();
    let label_w = facts.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut lines = vec![String::new(), p.bold("Run")];
    for (label, values) in &facts {
        for (i, value) in values.iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            lines.extend(wrap(&format!("  {label:<label_w$}  "), &clean(value)));
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
    let (period, buckets) = s.evidence_rows(MAX_TIME_ROWS);
    let times: Vec<Option<(String, u64)>> = buckets
        .into_iter()
        .map(|row| row.map(|(t, n)| (short_time(&t), n)))
        .collect();
    let outcomes: Vec<(String, u64)> = s.outcomes.iter().map(|(k, n)| (k.clone(), *n)).collect();
    [
        bars(&format!("Evidence records per {period} (UTC)"), &times, p),
        bars(
            "Affected learners by local date",
            &all(&s.learners_by_local_date),
            p,
        ),
        bars("Outcomes by kind", &all(&outcomes), p),
        bars("Top time zones (decided learners)", &all(&s.top_zones), p),
        bars(
            "Decided learners by streak days restored",
            &all(&s.restored_bins()),
            p,
        ),
    ]
    .concat()
}

fn all(rows: &[(String, u64)]) -> Vec<Option<(String, u64)>> {
    rows.iter().cloned().map(Some).collect()
}

/// A chart as one line per entry: label, count and a bar scaled to the largest count;
/// `None` (rows left out) as a vertical ellipsis.
fn bars(title: &str, rows: &[Option<(String, u64)>], p: Paint) -> Vec<String> {
    let mut lines = vec![String::new(), p.bold(title)];
    if rows.is_empty() {
        lines.push("  (no data)".to_string());
        return lines;
    }
    let entries = || rows.iter().flatten();
    let label_w = entries()
        .map(|(l, _)| l.chars().count())
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
        let label = cut(&clean(label), label_w);
        let line = format!(
            "  {label:<label_w$} {:>value_w$}  {}",
            thousands(*n),
            p.bar(&bar(*n, max, bar_w))
        );
        lines.push(line.trim_end().to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::super::tests::{hostile, sample};
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

    #[test]
    fn every_line_fits_100_columns() {
        for s in [sample(), hostile()] {
            for color in [false, true] {
                let text = strip_ansi(&render(&s, color));
                for line in text.lines() {
                    assert!(
                        line.chars().count() <= WIDTH,
                        "{} columns: {line}",
                        line.chars().count()
                    );
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
    fn wrap_indents_and_splits() {
        let lines = wrap("  Windows  ", &format!("{} {}", "a".repeat(95), "b c"));
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].chars().count(), WIDTH);
        assert_eq!(lines[1], format!("{}{}", " ".repeat(11), "a".repeat(6) + " b c"));
    }

    #[test]
    fn same_summary_same_bytes() {
        assert_eq!(render(&sample(), true), render(&sample(), true));
    }
}
