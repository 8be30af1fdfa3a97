//! The Markdown report, to paste into an incident doc or a ticket: GitHub-flavoured
//! tables for the headline, the run and its inputs, then one table per chart of
//! [`Summary::charts`] with a bar drawn in block characters.
//!
//! It owns Markdown escaping ([`escape`]): a string from the inputs cannot end a table
//! cell, start a new row, open an HTML tag, a code span, a link or emphasis.

use std::io::{self, Write};

use super::charts::{ChartData, Gaps};
use super::format::{bar, is_hidden, thousands};
use super::summary::Summary;
use super::Render;

pub struct Markdown;

/// Block characters in the longest bar of a chart table.
const BAR_WIDTH: usize = 20;
/// More quarter hours than this are merged into longer buckets.
const MAX_TIME_ROWS: usize = 96;

impl Render for Markdown {
    fn render(&self, s: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let doc = [title(s), headline(s), run(s), inputs(s), charts(s)].concat();
        out.write_all(doc.as_bytes())
    }
}

/// Text that stays inert in a GitHub-flavoured table cell or paragraph: `\ | ` * [ ] ~`
/// are backslash-escaped, `& < >` become entities, `_` is escaped unless inside a word,
/// a leading `= + - @ #` is escaped, and control characters become spaces.
pub fn escape(s: &str) -> String {
    let chars: Vec<char> = s.chars().map(|c| if is_hidden(c) { ' ' } else { c }).collect();
    let mut out = String::with_capacity(s.len());
    for (i, c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '|' | '`' | '*' | '[' | ']' | '~' => out.extend(['\\', *c]),
            '_' if !(word(i.checked_sub(1)) && word(Some(i + 1))) => out.push_str("\\_"),
            '=' | '+' | '-' | '@' | '#' if i == 0 => out.extend(['\\', *c]),
            c => out.push(*c),
        }
    }
    out
}

fn title(s: &Summary) -> String {
    format!(
        "# Streak repair dry run: {}\n\nAs of {}. Dry run: nothing has been applied.\n",
        escape(&s.incident_id),
        escape(&s.as_of)
    )
}

fn headline(s: &Summary) -> String {
    let mut out = String::new();
    for group in s.headline() {
        out.push_str(&format!(
            "\n| {} | count | breakdown |\n|---|---:|---|\n",
            escape(group.title)
        ));
        for row in &group.rows {
            let value = thousands(row.value);
            let value = if row.concern && row.value > 0 {
                format!("**{value}**")
            } else {
                value
            };
            out.push_str(&format!(
                "| {} | {value} | {} |\n",
                escape(row.label),
                breakdown(&row.detail)
            ));
        }
    }
    out
}

/// `name count · name count`.
fn breakdown(pairs: &[(String, u64)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .map(|(name, n)| format!("{} {}", escape(name), thousands(*n)))
        .collect();
    parts.join(" · ")
}

fn run(s: &Summary) -> String {
    let mut out = String::from("\n## Run\n\n| | |\n|---|---|\n");
    for (label, values) in s.run_facts() {
        let values: Vec<String> = values.iter().map(|v| escape(v)).collect();
        out.push_str(&format!("| {} | {} |\n", escape(label), values.join("; ")));
    }
    out
}

fn inputs(s: &Summary) -> String {
    let mut out = String::from("\n## Inputs\n\n| role | path | bytes | SHA-256 |\n|---|---|---:|---|\n");
    for i in &s.inputs {
        let (role, path, sha) = (escape(i.role), escape(&i.path), escape(&i.sha256));
        out.push_str(&format!("| {role} | {path} | {} | {sha} |\n", thousands(i.bytes)));
    }
    out
}

fn charts(s: &Summary) -> String {
    s.charts(MAX_TIME_ROWS, Gaps::Elide).iter().map(table).collect()
}

/// A chart as its caption and a table of label, count and bar; `None` (rows left out)
/// as a vertical ellipsis.
fn table(chart: &ChartData) -> String {
    let mut out = format!("\n## {}\n\n{}\n\n", escape(&chart.title), escape(chart.caption));
    let rows = &chart.rows;
    if rows.is_empty() {
        out.push_str("No data.\n");
        return out;
    }
    out.push_str(&format!(
        "| {} | {} | |\n|---|---:|---|\n",
        escape(chart.label),
        escape(chart.unit)
    ));
    let max = rows.iter().flatten().map(|(_, n)| *n).max().unwrap_or(0);
    for row in rows {
        out.push_str(&match row {
            Some((label, n)) => format!(
                "| {} | {} | {} |\n",
                escape(label),
                thousands(*n),
                bar(*n, max, BAR_WIDTH)
            ),
            None => "| ⋮ | | |\n".to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{hostile, sample};
    use super::*;

    fn render(s: &Summary) -> String {
        let mut out = Vec::new();
        Markdown.render(s, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    /// Cells of a table row, split on the pipes that are not escaped.
    fn cells(line: &str) -> usize {
        let mut escaped = false;
        line.chars()
            .filter(|c| {
                let pipe = *c == '|' && !escaped;
                escaped = *c == '\\' && !escaped;
                pipe
            })
            .count()
            - 1
    }

    #[test]
    fn content_is_present_headline_first() {
        let md = render(&sample());
        let at = |want: &str| md.find(want).unwrap_or_else(|| panic!("{want} missing:\n{md}"));
        assert!(md.starts_with("# Streak repair dry run: 2026-11-20-api-outage\n"));
        assert!(at("| Learners affected | 1,918 | with actions 1,180 |") < at("## Run"));
        for want in [
            "| Actions | 1,239 | freeze_day 1,071 · refund_freeze 168 |",
            "| Streak days restored | 1,234,567 |  |",
            "| Learners skipped | **22** | unknown_timezone 22 |",
            "| Lines read | 17,080 |",
            "| Lines rejected | **14** | too_few_fields 11 · unterminated_quote 3 |",
            "| Tz database | bundled 2026e |",
            "| calendars | testdata/generated/calendars.csv | 4,226,113,000 | 54223c28",
            "| 2026-11-20 13:15 | 612 | █████████ |",
            "| America/New_York | 400 | ████████████████████ |",
            "## Decided learners by streak days restored\n\nDecided learners by how many days",
            "| days restored | decided learners | |",
        ] {
            at(want);
        }
    }

    #[test]
    fn every_table_row_keeps_its_cells() {
        for s in [sample(), hostile()] {
            let md = render(&s);
            let mut width = None;
            for line in md.lines() {
                if !line.starts_with('|') {
                    width = None;
                    continue;
                }
                let n = cells(line);
                assert_eq!(*width.get_or_insert(n), n, "{line}");
            }
        }
    }

    #[test]
    fn inputs_are_inert() {
        let md = render(&hostile());
        assert!(!md.contains('<') && !md.contains('\x1b') && !md.contains('\r') && !md.contains('\u{202e}'));
        assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;a\\|b"));
        assert!(md.contains("\\`x\\`"));
        assert!(
            !md.lines().any(|l| l.starts_with("| injected")),
            "a newline from a path"
        );
    }

    #[test]
    fn escape_cases() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("America/New_York"), "America/New_York");
        assert_eq!(escape("_x_ *y*"), "\\_x\\_ \\*y\\*");
        assert_eq!(escape("=SUM(A1)"), "\\=SUM(A1)");
        assert_eq!(escape("-5"), "\\-5");
        assert_eq!(escape("[a](javascript:x)"), "\\[a\\](javascript:x)");
        assert_eq!(escape("a\nb"), "a b");
    }

    #[test]
    fn empty_series_say_no_data() {
        let empty = Summary {
            learners_by_local_date: vec![],
            restored_distribution: vec![],
            ..sample()
        };
        assert_eq!(render(&empty).matches("\n\nNo data.\n").count(), 2);
    }
}
