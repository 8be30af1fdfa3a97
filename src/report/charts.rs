//! The charts' series, the same in every format: which charts in which order, the
//! evidence series merged into buckets of a round length and (for a list) its long
//! empty stretches elided, the incident windows as the rows they shade, and streak
//! days restored grouped into bins. Each format only lays a chart out and escapes it.

use super::format::{duration_words, short_time};
use super::summary::{pairs, Summary};

impl Summary {
    /// The charts every format draws, in this order. The evidence series is merged
    /// into buckets of a round length to fit `max_time_rows` rows; `gaps` says whether
    /// long runs of empty buckets may be left out to fit.
    pub fn charts(&self, max_time_rows: usize, gaps: Gaps) -> Vec<ChartData> {
        let all = |rows: &[(String, u64)]| rows.iter().cloned().map(Some).collect();
        let outcomes: Vec<(String, u64)> = pairs(&self.outcomes);
        vec![
            self.evidence_chart(max_time_rows, gaps),
            ChartData {
                id: "chart-learners-by-local-date",
                title: "Affected learners by local date".to_string(),
                caption: "Learners with a decision on each date in their own time zone.",
                label: "local date",
                unit: "learners",
                columns: true,
                time_axis: false,
                rows: all(&self.learners_by_local_date),
                windows: vec![],
            },
            ChartData {
                id: "chart-outcomes",
                title: "Outcomes by kind".to_string(),
                caption: "One outcome per learner and local date decided.",
                label: "outcome",
                unit: "learner-days",
                columns: false,
                time_axis: false,
                rows: all(&outcomes),
                windows: vec![],
            },
            ChartData {
                id: "chart-top-zones",
                title: "Top time zones by decided learners".to_string(),
                caption: "Decided learners per time zone; the rest summed as other.",
                label: "zone",
                unit: "decided learners",
                columns: false,
                time_axis: false,
                rows: all(&self.top_zones),
                windows: vec![],
            },
            ChartData {
                id: "chart-streak-days-restored",
                title: "Decided learners by streak days restored".to_string(),
                caption: "Decided learners by how many days their streak gains (0: unchanged).",
                label: "days restored",
                unit: "decided learners",
                columns: true,
                time_axis: false,
                rows: all(&self.restored_bins()),
                windows: vec![],
            },
        ]
    }

    /// The evidence series over time in at most `max_time_rows` rows (see
    /// [`Summary::evidence_rows`]), labelled by bucket start, with the rows each
    /// incident window overlaps.
    fn evidence_chart(&self, max_time_rows: usize, gaps: Gaps) -> ChartData {
        let (minutes, buckets) = self.evidence_rows(max_time_rows, gaps);
        let windows = window_rows(&buckets, minutes * 60, &self.windows);
        let evidence = buckets
            .into_iter()
            .map(|row| row.map(|(t, n)| (short_time(&t), n)))
            .collect();
        ChartData {
            id: "chart-evidence-per-quarter-hour",
            title: format!("Evidence records per {} (UTC)", duration_words(minutes)),
            caption: "Distinct evidence records by the time they were logged.",
            label: "start (UTC)",
            unit: "records",
            columns: true,
            time_axis: true,
            rows: evidence,
            windows,
        }
    }

    /// The evidence series in at most `max_rows` rows: buckets of the shortest length
    /// that fits (15 or 30 minutes, 1, 2, 3, 6 or 12 hours, 1 day, then doubling) and,
    /// with [`Gaps::Elide`], within each run of four or more empty buckets all but the
    /// first and last shown as one `None`. Returns the bucket length in minutes and the
    /// rows: bucket start (RFC 3339) and total.
    fn evidence_rows(&self, max_rows: usize, gaps: Gaps) -> (u64, Vec<Option<(String, u64)>>) {
        let series = &self.evidence_per_quarter_hour;
        let mut quarters = 1;
        loop {
            let merged = merge(series, quarters);
            let rows = match gaps {
                Gaps::Elide => elide_empty_runs(merged),
                Gaps::Keep => merged.into_iter().map(Some).collect(),
            };
            if rows.len() <= max_rows || quarters >= series.len() {
                return (15 * quarters as u64, rows);
            }
            quarters = [1, 2, 4, 8, 12, 24, 48, 96]
                .into_iter()
                .find(|q| *q > quarters)
                .unwrap_or(quarters * 2);
        }
    }

    /// The learners of [`Summary::restored_distribution`] in [`RESTORED_BINS`], labelled
    /// `0`, `8–14` or `366+`, up to the last bin with learners in it.
    pub fn restored_bins(&self) -> Vec<(String, u64)> {
        let mut bins: Vec<(String, u64)> = RESTORED_BINS
            .iter()
            .map(|&(lo, hi)| {
                let n = self
                    .restored_distribution
                    .iter()
                    .filter(|(d, _)| (lo..=hi).contains(d))
                    .map(|(_, n)| n);
                (bin_label(lo, hi), n.sum())
            })
            .collect();
        while bins.last().is_some_and(|(_, n)| *n == 0) {
            bins.pop();
        }
        bins
    }
}

/// Whether a chart of the evidence series may leave out long runs of empty buckets: a
/// list may, a drawn time axis needs every column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gaps {
    Elide,
    Keep,
}

/// One chart, the same in every format: each format only lays it out and escapes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartData {
    /// The HTML id of the chart's svg element.
    pub id: &'static str,
    pub title: String,
    /// What one count is, in a sentence.
    pub caption: &'static str,
    /// What a row's label names, as a column heading: `local date`, `zone`.
    pub label: &'static str,
    /// What a row's count counts: `records`, `learners`.
    pub unit: &'static str,
    /// Drawn as vertical columns (an ordered axis) rather than horizontal bars.
    pub columns: bool,
    /// The rows are consecutive UTC time buckets labelled `YYYY-MM-DD HH:MM`.
    pub time_axis: bool,
    /// Label and count, in the order shown; `None` stands for empty buckets left out.
    /// Empty when there is nothing to show, and every format then says "no data"; rows
    /// that count zero are shown like any other.
    pub rows: Vec<Option<(String, u64)>>,
    /// Rows `[from, to)` whose buckets overlap each incident window (time axis only).
    pub windows: Vec<(usize, usize)>,
}

/// For each window, the rows whose bucket (`seconds` long from its start) overlaps it,
/// as `[from, to)`; rows left out (`None`) between two such rows are inside the range.
fn window_rows(rows: &[Option<(String, u64)>], seconds: u64, windows: &[[String; 2]]) -> Vec<(usize, usize)> {
    let at = |t: &str| t.parse::<jiff::Timestamp>().ok().map(|t| t.as_second());
    let starts: Vec<Option<i64>> = rows.iter().map(|r| r.as_ref().and_then(|(t, _)| at(t))).collect();
    let len = i64::try_from(seconds).unwrap_or(i64::MAX);
    let mut ranges = Vec::new();
    for [a, b] in windows {
        let (Some(a), Some(b)) = (at(a), at(b)) else {
            continue;
        };
        let overlaps = |t: &Option<i64>| t.is_some_and(|t| t < b && t.saturating_add(len) > a);
        let first = starts.iter().position(overlaps);
        let last = starts.iter().rposition(overlaps);
        if let (Some(first), Some(last)) = (first, last) {
            ranges.push((first, last + 1));
        }
    }
    ranges
}

/// Streak days restored, grouped: each of the first week's days, then up to two weeks,
/// a month, a quarter, a year, and more.
pub const RESTORED_BINS: [(u32, u32); 13] = [
    (0, 0),
    (1, 1),
    (2, 2),
    (3, 3),
    (4, 4),
    (5, 5),
    (6, 6),
    (7, 7),
    (8, 14),
    (15, 30),
    (31, 90),
    (91, 365),
    (366, u32::MAX),
];

fn bin_label(lo: u32, hi: u32) -> String {
    match (lo, hi) {
        (lo, hi) if lo == hi => lo.to_string(),
        (lo, u32::MAX) => format!("{lo}+"),
        (lo, hi) => format!("{lo}–{hi}"),
    }
}

/// Consecutive `quarters` buckets summed, each labelled with the first one's start.
fn merge(series: &[(String, u64)], quarters: usize) -> Vec<(String, u64)> {
    series
        .chunks(quarters.max(1))
        .map(|chunk| (chunk[0].0.clone(), chunk.iter().map(|(_, n)| n).sum()))
        .collect()
}

/// Runs of four or more zero rows kept only by their first and last row, with `None`
/// between them.
fn elide_empty_runs(rows: Vec<(String, u64)>) -> Vec<Option<(String, u64)>> {
    let mut out: Vec<Option<(String, u64)>> = Vec::with_capacity(rows.len());
    let mut run: Vec<(String, u64)> = Vec::new();
    let flush = |run: &mut Vec<(String, u64)>, out: &mut Vec<Option<(String, u64)>>| {
        if run.len() >= 4 {
            let last = run.pop();
            out.extend([Some(run.swap_remove(0)), None, last]);
        } else {
            out.extend(run.drain(..).map(Some));
        }
        run.clear();
    };
    for row in rows {
        if row.1 == 0 {
            run.push(row);
        } else {
            flush(&mut run, &mut out);
            out.push(Some(row));
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::sample;
    use super::super::ReportFormat;
    use super::*;

    #[test]
    fn evidence_rows_merge_to_round_lengths() {
        let s = sample();
        let all: Vec<_> = s.evidence_per_quarter_hour.iter().cloned().map(Some).collect();
        assert_eq!(s.evidence_rows(100, Gaps::Elide), (15, all));
        let (minutes, rows) = s.evidence_rows(4, Gaps::Elide);
        assert_eq!((minutes, rows.len()), (60, 4));
        assert_eq!(
            rows[0],
            Some(("2026-11-20T13:00:00Z".to_string(), 612 + 1_403 + 7))
        );
        let long = Summary {
            evidence_per_quarter_hour: vec![("t".to_string(), 1); 1_000],
            ..sample()
        };
        let (minutes, rows) = long.evidence_rows(4, Gaps::Elide);
        assert_eq!((minutes, rows.len()), (4 * 1440, 3));
        assert_eq!(rows.iter().flatten().map(|(_, n)| n).sum::<u64>(), 1_000);
        assert_eq!(
            Summary {
                evidence_per_quarter_hour: vec![],
                ..sample()
            }
            .evidence_rows(4, Gaps::Elide)
            .1,
            vec![]
        );
    }

    #[test]
    fn long_empty_stretches_are_elided() {
        let at = |i: usize| format!("q{i:03}");
        let mut series: Vec<(String, u64)> = (0..200).map(|i| (at(i), 0)).collect();
        series[0].1 = 5;
        series[1].1 = 0;
        series[2].1 = 3;
        series[199].1 = 7;
        let s = Summary {
            evidence_per_quarter_hour: series,
            ..sample()
        };
        let (minutes, rows) = s.evidence_rows(10, Gaps::Elide);
        assert_eq!(minutes, 15);
        let want = [
            Some((at(0), 5)),
            Some((at(1), 0)),
            Some((at(2), 3)),
            Some((at(3), 0)),
            None,
        ];
        assert_eq!(rows[..5], want);
        assert_eq!(rows[5..], [Some((at(198), 0)), Some((at(199), 7))]);
        // A drawn time axis keeps every bucket, merging instead: 200 quarters in 100
        // columns of half an hour.
        let (minutes, rows) = s.evidence_rows(120, Gaps::Keep);
        assert_eq!((minutes, rows.len()), (30, 100));
        assert!(rows.iter().all(Option::is_some));
        assert_eq!(rows.iter().flatten().map(|(_, n)| n).sum::<u64>(), 15);
    }

    #[test]
    fn one_chart_list_for_every_format() {
        let s = sample();
        let charts = s.charts(48, Gaps::Elide);
        let ids: Vec<&str> = charts.iter().map(|c| c.id).collect();
        assert_eq!(
            ids,
            [
                "chart-evidence-per-quarter-hour",
                "chart-learners-by-local-date",
                "chart-outcomes",
                "chart-top-zones",
                "chart-streak-days-restored",
            ]
        );
        assert_eq!(charts[0].title, "Evidence records per 15 minutes (UTC)");
        assert_eq!(charts[0].rows[1], Some(("2026-11-20 13:15".to_string(), 612)));
        assert_eq!(charts[2].rows[0], Some(("already_repaired".to_string(), 27)));
        let render = |format: ReportFormat| {
            let mut out = Vec::new();
            format
                .renderer(false)
                .render(&s, &mut out)
                .expect("writing to a Vec");
            String::from_utf8(out).expect("UTF-8")
        };
        let (text, md, html) = (
            render(ReportFormat::Text),
            render(ReportFormat::Markdown),
            render(ReportFormat::Html),
        );
        for chart in &charts {
            assert!(text.contains(&format!("\n{}\n", chart.title)), "{}", chart.title);
            assert!(md.contains(&format!("\n## {}\n", chart.title)), "{}", chart.title);
            assert!(
                html.contains(&format!("<h3>{}</h3>", chart.title)),
                "{}",
                chart.title
            );
        }
    }

    #[test]
    fn merged_columns_keep_the_windows_shaded() {
        // Eight days of quarter hours in 96 columns of two hours.
        let start = 1_795_132_800; // 2026-11-20T00:00:00Z
        let s = Summary {
            windows: vec![
                [
                    crate::output::instant(start + 2 * 3600),
                    crate::output::instant(start + 5 * 3600),
                ],
                [
                    crate::output::instant(start + 86_400 + 7 * 3600 + 1800),
                    crate::output::instant(start + 86_400 + 8 * 3600),
                ],
            ],
            evidence_per_quarter_hour: (0..8 * 96)
                .map(|q| (crate::output::instant(start + 900 * q), 1))
                .collect(),
            ..sample()
        };
        let evidence = &s.charts(120, Gaps::Keep)[0];
        assert_eq!(evidence.title, "Evidence records per 2 hours (UTC)");
        assert_eq!(evidence.rows.len(), 96);
        assert_eq!(evidence.rows[1], Some(("2026-11-20 02:00".to_string(), 8)));
        // 02:00–05:00 overlaps the columns of 02:00 and 04:00; the next day's 07:30–08:00
        // the column of 06:00.
        assert_eq!(evidence.windows, vec![(1, 3), (15, 16)]);
    }

    #[test]
    fn restored_bins_group_the_long_tail() {
        let s = Summary {
            restored_distribution: vec![(0, 5), (2, 1), (9, 2), (14, 3), (1_121, 1)],
            ..sample()
        };
        let bins = s.restored_bins();
        assert_eq!(bins.len(), 13);
        assert_eq!(
            bins[..3],
            [("0".to_string(), 5), ("1".to_string(), 0), ("2".to_string(), 1)]
        );
        assert_eq!(bins[8], ("8–14".to_string(), 5));
        assert_eq!(bins[12], ("366+".to_string(), 1));
        let short = Summary {
            restored_distribution: vec![(1, 4), (3, 1)],
            ..sample()
        };
        assert_eq!(short.restored_bins().len(), 4);
        assert!(Summary {
            restored_distribution: vec![],
            ..sample()
        }
        .restored_bins()
        .is_empty());
    }
}
