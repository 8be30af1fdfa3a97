//! The HTML report: one self-contained page (inline CSS, inline SVG charts from
//! [`super::svg`], one small inline script) that needs no network and may be mailed or
//! attached to a ticket as a single file.
//!
//! It owns the page layout; HTML escaping ([`escape`]) is in [`super::markup`], shared
//! with the charts. A Content-Security-Policy allows only this page's own style and
//! script (by hash), so even a string that slipped through escaping could not load or
//! run anything.
//! Headline values carry fixed ids (`headline-{key}`) and every chart reports its
//! rendered size on load; a browser test reads both.

use std::io::{self, Write};

use super::charts::{ChartData, Gaps};
use super::format::{short_time, thousands};
use super::markup::escape;
use super::summary::Summary;
use super::svg::{bar_chart, column_chart, Chart};
use super::Render;

pub struct Html;

impl Render for Html {
    fn render(&self, s: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let mut page = head(s);
        page.push_str(&header(s));
        page.push_str(&headline(s));
        page.push_str(&charts(s));
        page.push_str(&run(s));
        page.push_str(&inputs(s));
        page.push_str(&format!("</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"));
        out.write_all(page.as_bytes())
    }
}

const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d2330;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1160px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:13px;margin:28px 0 10px;color:#5a6272;text-transform:uppercase;letter-spacing:.06em}
h3{font-size:14px;margin:0}
.sub{color:#5a6272;margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
.card,figure,table{background:#fff;border:1px solid #dde1e7;border-radius:8px}
.card{padding:12px 14px}
.card.concern{border-left:4px solid #d9822b}
.label{color:#5a6272;font-size:13px}
.num{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums}
.detail{list-style:none;margin:4px 0 0;padding:0;font-size:12.5px;color:#3a4150}
.detail li{display:flex;justify-content:space-between;gap:8px;border-top:1px solid #f0f2f5}
.detail span{overflow-wrap:anywhere}
.chart-grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
figure{margin:0;padding:14px;min-width:0}
figure.wide{grid-column:1/-1}
figcaption p{margin:2px 0 10px;color:#5a6272;font-size:12.5px}
svg.chart{display:block;width:100%;height:auto}
svg.chart text{font-family:system-ui,sans-serif;font-size:12px;fill:#3a4150}
svg.chart text.v{fill:#1d2330;font-weight:600}
svg.chart .grid{stroke:#e6e9ee}
svg.chart .axis{stroke:#8a93a3}
svg.chart .band{fill:#eaf1fb}
svg.chart .empty{fill:#fafbfc;stroke:#dde1e7;stroke-dasharray:4 3}
svg.chart text.nodata{fill:#8a93a3;font-size:14px}
table{border-collapse:separate;border-spacing:0;width:100%;overflow:hidden}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eceff3;vertical-align:top}
tr:last-child td{border-bottom:0}
th{color:#5a6272;font-weight:600;font-size:12.5px}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
.sha{color:#5a6272}
@media (max-width:760px){.chart-grid{grid-template-columns:1fr}}
";

const SCRIPT: &str = "
window.addEventListener('load', function () {
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    svg.setAttribute('data-rendered-width', String(Math.round(box.width)));
    svg.setAttribute('data-rendered-height', String(Math.round(box.height)));
  });
  document.body.dataset.chartsMeasured = 'yes';
});
";

/// Base64 SHA-256 of [`STYLE`] and [`SCRIPT`], for the Content-Security-Policy. A test
/// recomputes them.
const STYLE_SHA256: &str = "2qY9qNgR3GwkYCF/Ml2N+Symx8ZUKbl2VUzOmp9iovY=";
const SCRIPT_SHA256: &str = "Ppz0xhKAawlrFOFJOjYKcp9AtJG/6WuyCB1mCU9UlTI=";

/// Chart widths in CSS pixels when the page is at its widest; narrower pages scale them.
const WIDE: u32 = 1080;
const HALF: u32 = 520;
/// More quarter hours than this are merged into longer buckets, so a long incident
/// draws columns a few pixels wide rather than thousands of hairlines.
const MAX_TIME_COLUMNS: usize = 120;

fn head(s: &Summary) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'sha256-{STYLE_SHA256}'; script-src 'sha256-{SCRIPT_SHA256}'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Streak repair dry run: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(&s.incident_id)
    )
}

fn header(s: &Summary) -> String {
    format!(
        "<header>\n<h1>Streak repair dry run: {}</h1>\n<p class=\"sub\">As of {} · dry run, nothing \
         has been applied</p>\n</header>\n",
        escape(&s.incident_id),
        escape(&s.as_of)
    )
}

fn headline(s: &Summary) -> String {
    let mut out = String::new();
    for group in s.headline() {
        out.push_str(&format!(
            "<h2>{}</h2>\n<section class=\"cards\">\n",
            escape(group.title)
        ));
        for row in &group.rows {
            let class = if row.concern && row.value > 0 {
                "card concern"
            } else {
                "card"
            };
            out.push_str(&format!(
                "<div class=\"{class}\"><div class=\"label\">{}</div><div class=\"num\" id=\"headline-{}\">{}</div>{}</div>\n",
                escape(row.label),
                escape(row.key),
                thousands(row.value),
                detail(&row.detail)
            ));
        }
        out.push_str("</section>\n");
    }
    out
}

/// A breakdown as a list of name and count; nothing when there is none.
fn detail(pairs: &[(String, u64)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let items: String = pairs
        .iter()
        .map(|(name, n)| format!("<li><span>{}</span><b>{}</b></li>", escape(name), thousands(*n)))
        .collect();
    format!("<ul class=\"detail\">{items}</ul>")
}

fn charts(s: &Summary) -> String {
    let mut out = String::from("<h2>Charts</h2>\n<section class=\"chart-grid\">\n");
    for chart in s.charts(MAX_TIME_COLUMNS, Gaps::Keep) {
        out.push_str(&figure(s, &chart));
    }
    out.push_str("</section>\n");
    out
}

/// One chart with its heading and a line saying what it counts; a chart over time
/// takes the page's width and shades the incident windows.
fn figure(s: &Summary, chart: &ChartData) -> String {
    // With `Gaps::Keep` every row is there, so row numbers (the windows) are columns.
    let series: Vec<(String, u64)> = chart.rows.iter().flatten().cloned().collect();
    let (width, series, caption) = if chart.time_axis {
        let caption = format!("{} {}", chart.caption, shaded(s));
        (WIDE, time_labels(&series), caption.trim_end().to_string())
    } else {
        (HALF, series, chart.caption.to_string())
    };
    let svg_chart = Chart {
        id: chart.id,
        title: &chart.title,
        width,
        color: "#2f6fb0",
        bands: &chart.windows,
    };
    let svg = if chart.columns {
        column_chart(&svg_chart, &series)
    } else {
        bar_chart(&svg_chart, &series)
    };
    format!(
        "<figure{}><figcaption><h3>{}</h3><p>{}</p></figcaption>\n{svg}\n</figure>\n",
        if chart.time_axis { " class=\"wide\"" } else { "" },
        escape(&chart.title),
        escape(&caption)
    )
}

/// `Shaded: the windows, 2026-11-20 13:00 to 2026-11-20 14:45, ...`; nothing without
/// windows.
fn shaded(s: &Summary) -> String {
    let windows: Vec<String> = s
        .windows
        .iter()
        .map(|[a, b]| format!("{} to {}", short_time(a), short_time(b)))
        .collect();
    if windows.is_empty() {
        return String::new();
    }
    format!("Shaded: the windows, {}.", windows.join(", "))
}

/// Bucket labels `YYYY-MM-DD HH:MM` shortened for an axis: `HH:MM` when every bucket
/// starts on one date, `MM-DD HH:MM` otherwise; any other label unchanged.
fn time_labels(series: &[(String, u64)]) -> Vec<(String, u64)> {
    let is_time = |t: &str| t.len() == 16 && t.as_bytes()[10] == b' ';
    let date = |t: &str| t.get(..10).map(str::to_string);
    let one_date = series
        .iter()
        .all(|(t, _)| date(t) == series.first().and_then(|(f, _)| date(f)));
    let from = if one_date { 11 } else { 5 };
    let label = |t: &str| match t.get(from..) {
        Some(short) if is_time(t) => short.to_string(),
        _ => t.to_string(),
    };
    series.iter().map(|(t, n)| (label(t), *n)).collect()
}

fn run(s: &Summary) -> String {
    let rows: String = s
        .run_facts()
        .iter()
        .map(|(label, values)| {
            let values: Vec<String> = values.iter().map(|v| escape(v)).collect();
            format!(
                "<tr><th>{}</th><td class=\"mono\">{}</td></tr>\n",
                escape(label),
                values.join("<br>")
            )
        })
        .collect();
    format!("<h2>Run</h2>\n<table class=\"facts\">\n{rows}</table>\n")
}

/// One row per input: role, path with its SHA-256 under it, size.
fn inputs(s: &Summary) -> String {
    let rows: String = s
        .inputs
        .iter()
        .map(|i| {
            format!(
                "<tr><td>{}</td><td class=\"mono\">{}<br><span class=\"sha\">SHA-256 {}</span></td><td class=\"n\">{}</td></tr>\n",
                escape(i.role),
                escape(&i.path),
                escape(&i.sha256),
                thousands(i.bytes)
            )
        })
        .collect();
    format!(
        "<h2>Inputs</h2>\n<table class=\"inputs\">\n<tr><th>role</th><th>path and SHA-256</th><th class=\"n\">bytes</th></tr>\n{rows}</table>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{hostile, sample};
    use super::*;

    const CHART_IDS: [&str; 5] = [
        "chart-evidence-per-quarter-hour",
        "chart-learners-by-local-date",
        "chart-outcomes",
        "chart-top-zones",
        "chart-streak-days-restored",
    ];

    fn render(s: &Summary) -> String {
        let mut out = Vec::new();
        Html.render(s, &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    /// The `<svg ...>` opening tag with this id.
    fn svg_tag<'a>(page: &'a str, id: &str) -> &'a str {
        let start = page.find(&format!("<svg class=\"chart\" id=\"{id}\"")).expect(id);
        &page[start..start + page[start..].find('>').expect("tag end")]
    }

    #[test]
    fn headline_values_have_their_ids() {
        let page = render(&sample());
        for (id, value) in [
            ("learners-affected", "1,918"),
            ("actions-total", "1,239"),
            ("streak-days-restored", "1,234,567"),
            ("learners-skipped", "22"),
            ("lines-read", "17,080"),
            ("lines-rejected", "14"),
        ] {
            assert!(
                page.contains(&format!("id=\"headline-{id}\">{value}</div>")),
                "{id}"
            );
        }
    }

    #[test]
    fn headline_comes_before_charts_and_run() {
        let page = render(&sample());
        let at = |s: &str| page.find(s).expect(s);
        assert!(at("headline-learners-affected") < at("chart-evidence-per-quarter-hour"));
        assert!(at("chart-streak-days-restored") < at("<h2>Run</h2>"));
    }

    #[test]
    fn every_chart_has_a_viewbox_and_size() {
        for s in [
            sample(),
            Summary {
                evidence_per_quarter_hour: vec![],
                top_zones: vec![],
                ..sample()
            },
        ] {
            let page = render(&s);
            for id in CHART_IDS {
                let tag = svg_tag(&page, id);
                assert!(tag.contains(" viewBox=\"0 0 "), "{tag}");
                assert!(tag.contains(" width=\"") && tag.contains(" height=\""), "{tag}");
                assert!(
                    !tag.contains("width=\"0\"") && !tag.contains("height=\"0\""),
                    "{tag}"
                );
            }
        }
    }

    #[test]
    fn empty_series_draw_no_data() {
        let empty = Summary {
            evidence_per_quarter_hour: vec![],
            learners_by_local_date: vec![],
            outcomes: Default::default(),
            top_zones: vec![],
            restored_distribution: vec![],
            ..sample()
        };
        assert_eq!(render(&empty).matches(">no data</text>").count(), 5);
    }

    #[test]
    fn content_is_present() {
        let page = render(&sample());
        for want in [
            "2026-11-20-api-outage",
            "freeze_day",
            "unknown_timezone",
            "too_few_fields",
            "other_status",
            "Evidence records with an invalid tz parameter",
            "testdata/generated/calendars.csv",
            "4,226,113,000",
            "a9ce64d4affe2dc104631e254dfd761ee6c4bde6e7bc73cdc6c0eb218d8646c6",
            "bundled 2026e",
            "2026-11-20T13:00:00Z to 2026-11-20T14:45:00Z",
            "America/New_York",
        ] {
            assert!(page.contains(want), "{want}");
        }
    }

    #[test]
    fn self_contained() {
        let page = render(&sample());
        for bad in ["http://", "https://", "src=", "url(", "@import", "xmlns", "//cdn"] {
            assert!(!page.to_lowercase().contains(bad), "{bad}");
        }
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains("document.body.dataset.chartsMeasured = 'yes'"));
        assert!(page.contains("'data-rendered-width'") && page.contains("'data-rendered-height'"));
    }

    #[test]
    fn inputs_are_escaped() {
        let page = render(&hostile());
        assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
        assert!(!page.contains("alert(1)</script>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;a|b"));
        assert!(page.contains("&quot;quoted&quot; &amp; &#39;single&#39;"));
        assert!(!page.contains('\u{1b}') && !page.contains('\u{202e}') && !page.contains('\u{7}'));
    }

    #[test]
    fn time_labels_show_the_date_only_across_dates() {
        let one = [
            ("2026-11-20 13:00".to_string(), 1),
            ("2026-11-20 13:15".to_string(), 2),
        ];
        assert_eq!(time_labels(&one)[1].0, "13:15");
        let two = [
            ("2026-11-20 23:45".to_string(), 1),
            ("2026-11-21 00:00".to_string(), 2),
        ];
        assert_eq!(time_labels(&two)[1].0, "11-21 00:00");
        let odd = [("2026-11-20T13:00:01Z".to_string(), 1), ("q1".to_string(), 2)];
        assert_eq!(time_labels(&odd), odd);
    }

    #[test]
    fn windows_shade_the_columns_they_overlap() {
        // Quarter hours from 13:00 to 16:15; windows 13:00–14:45 and 15:05–16:30.
        let charts = sample().charts(MAX_TIME_COLUMNS, Gaps::Keep);
        assert_eq!(charts[0].windows, vec![(0, 7), (8, 14)]);
        let page = render(&sample());
        assert_eq!(page.matches("<rect class=\"band\"").count(), 2);
    }

    /// The svg of the chart with this id.
    fn svg<'a>(page: &'a str, id: &str) -> &'a str {
        let start = page.find(&format!("<svg class=\"chart\" id=\"{id}\"")).expect(id);
        &page[start..start + page[start..].find("</svg>").expect("svg end")]
    }

    #[test]
    fn long_windows_draw_merged_columns() {
        // 92 days of quarter hours (8,832) in 92 columns of a day, every one drawn.
        let start = 1_795_132_800; // 2026-11-20T00:00:00Z
        let instant = crate::output::instant;
        let s = Summary {
            windows: vec![[instant(start + 3_600), instant(start + 92 * 86_400)]],
            evidence_per_quarter_hour: (0..92 * 96)
                .map(|q| (instant(start + 900 * q), u64::from(q >= 96 * 10) * (q as u64 % 3)))
                .collect(),
            ..sample()
        };
        let page = render(&s);
        assert!(page.contains("<h3>Evidence records per day (UTC)</h3>"));
        let evidence = svg(&page, CHART_IDS[0]);
        assert_eq!(evidence.matches("<rect x=").count(), 92, "zero days drawn too");
        assert_eq!(evidence.matches("<rect class=\"band\"").count(), 1);
        assert!(
            evidence.contains(">11-20 00:00: 0</title>") && evidence.contains(">02-19 00:00: 96</title>")
        );
    }

    #[test]
    fn csp_hashes_match_the_inline_style_and_script() {
        for (name, text, hash) in [("STYLE", STYLE, STYLE_SHA256), ("SCRIPT", SCRIPT, SCRIPT_SHA256)] {
            let actual = crate::report::markup::csp_hash(text);
            assert_eq!(actual, hash, "{name} changed: set {name}_SHA256 to \"{actual}\"");
        }
    }
}
