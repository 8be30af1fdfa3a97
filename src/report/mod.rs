//! The dry-run report for support and on-call: headline numbers first, then the
//! charts' series, rendered as text, Markdown or one self-contained HTML page.
//!
//! [`Summary`] is computed once from a run directory; each format is a small file
//! behind [`Render`]. Every string that came from the logs or inputs (zone names,
//! paths, reasons) is escaped by the format that prints it.
//!
//! This file owns the seam between the two halves: [`ReportFormat`] and the
//! [`Render`] trait. What a run says is in `summary`; what every format shows the same
//! way (headline rows and run facts in `headline`, chart series in `charts`, number and
//! label formats in `format`) is computed once; the formats `text`, `markdown` and
//! `html` (drawing its charts with `svg`, both escaping with `markup`) only lay it out.

mod charts;
mod format;
pub mod graph_page;
mod headline;
mod html;
pub mod layered;
mod markdown;
pub mod markup;
mod summary;
mod svg;
mod text;

#[cfg(test)]
mod fixtures;

use std::io::{self, Write};

pub use charts::{ChartData, Gaps, RESTORED_BINS};
pub use headline::{Headline, HeadlineGroup};
pub use summary::{InputLine, Summary};

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Markdown,
    Html,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Text, ReportFormat::Markdown, ReportFormat::Html];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Text => "text",
            ReportFormat::Markdown => "markdown",
            ReportFormat::Html => "html",
        }
    }

    /// `color` asks the text format for ANSI colour (only when stdout is a terminal).
    pub fn renderer(self, color: bool) -> Box<dyn Render> {
        match self {
            ReportFormat::Text => Box::new(text::Text { color }),
            ReportFormat::Markdown => Box::new(markdown::Markdown),
            ReportFormat::Html => Box::new(html::Html),
        }
    }
}

/// One report format: a summary in, bytes out.
pub trait Render {
    fn render(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()>;
}

#[cfg(test)]
mod tests {
    use super::fixtures::{render_all, sample};
    use super::*;

    #[test]
    fn zero_evidence_looks_the_same_in_every_format() {
        // Zeros are data: every format shows the zero rows, none says "no data".
        let zeros = Summary {
            evidence_per_quarter_hour: sample()
                .evidence_per_quarter_hour
                .into_iter()
                .map(|(t, _)| (t, 0))
                .collect(),
            ..sample()
        };
        let [text, md, html] = render_all(&zeros);
        for page in [&text, &md, &html] {
            assert!(!page.to_lowercase().contains("no data"), "{page}");
        }
        assert!(
            text.contains("(UTC)\n  2026-11-20 13:00 0\n  ⋮\n  2026-11-20 16:15 0\n"),
            "{text}"
        );
        assert!(
            md.contains("| 2026-11-20 13:00 | 0 |  |\n| ⋮ | | |\n| 2026-11-20 16:15 | 0 |  |\n"),
            "{md}"
        );
        let svg = &html[html
            .find("id=\"chart-evidence-per-quarter-hour\"")
            .expect("the chart")..];
        let svg = &svg[..svg.find("</svg>").expect("its end")];
        assert_eq!(svg.matches("<rect x=").count(), 14, "{svg}");
        // No buckets at all (no windows) is no data, in every format.
        let none = Summary {
            evidence_per_quarter_hour: vec![],
            ..sample()
        };
        let [text, md, html] = render_all(&none);
        assert_eq!(text.matches("(no data)").count(), 1);
        assert_eq!(md.matches("No data.").count(), 1);
        assert_eq!(html.matches(">no data</text>").count(), 1);
    }
}
