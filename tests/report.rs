//! `report`: the HTML report rendered in a real (headless Chromium) browser, its
//! headline numbers and charts, and markup from inputs kept as text in HTML and Markdown.

mod common;

use std::fs;

use common::*;

/// The attributes of every `<svg ...>` start tag in a DOM dump.
fn svg_tags(dom: &str) -> Vec<std::collections::HashMap<String, String>> {
    dom.match_indices("<svg")
        .map(|(at, _)| {
            let tag = &dom[at..at + dom[at..].find('>').unwrap()];
            let mut attrs = std::collections::HashMap::new();
            let mut rest = tag;
            while let Some(eq) = rest.find("=\"") {
                let name = rest[..eq].rsplit(' ').next().unwrap().to_string();
                let value_end = rest[eq + 2..].find('"').unwrap();
                attrs.insert(name, rest[eq + 2..eq + 2 + value_end].to_string());
                rest = &rest[eq + 2 + value_end + 1..];
            }
            attrs
        })
        .collect()
}

/// The text inside the element with this id.
fn text_of(dom: &str, id: &str) -> String {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = at + dom[at..].find('>').unwrap() + 1;
    let end = start + dom[start..].find('<').unwrap();
    dom[start..end].trim().to_string()
}

#[test]
fn html_report_renders_in_a_real_browser_with_headline_numbers_and_charts() {
    let w = Workdir::new();
    // An input path carrying markup must show as text, not become an element.
    let logs = w.path("logs");
    copy_dir(&small().join("logs"), &logs);
    let plain = logs.join("2026-11-20-13-00-00-A1B2C3D4E5F60718");
    fs::rename(&plain, logs.join("<i id=injected>x")).unwrap();
    // So must markup in a log line's key, zone and user agent, evidence or not.
    let evil = |bucket: &str, id: u32| {
        format!(
            "o {bucket} [20/Nov/2026:13:10:00 +0000] 192.0.2.9 - EVIL{id} REST.GET.OBJECT brb/<script>x</script>.json \
             \"GET /brb/%3Cscript%3E.json?learner_id=1001&tz=%3Cscript%20id%3Devil%3E HTTP/1.1\" 200 - 2 2 1 1 \
             \"-\" \"<script id=evil>alert(1)</script>\" -\n"
        )
    };
    fs::write(
        logs.join("zz-markup"),
        evil("duo-brb", 1) + &evil("other-bucket", 2),
    )
    .unwrap();
    let plan_out = w.path("out");
    plan(&small(), &[logs], &small().join("calendars.csv"), &plan_out, &[]).success();
    let html = bin()
        .arg("report")
        .arg(&plan_out)
        .args(["--format", "html"])
        .output()
        .unwrap();
    assert!(html.status.success());
    let page = w.path("report.html");
    fs::write(&page, &html.stdout).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let (chromium, mut browser) = chromium(profile.path());
    let dump = browser
        .args(["--window-size=1200,2000", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {chromium} ({e}); `make browser` installs it"));
    let dom = String::from_utf8_lossy(&dump.stdout);
    assert!(
        dom.contains("data-charts-measured=\"yes\""),
        "the page's script ran: {dom}"
    );
    assert!(dom.contains("&lt;i id=injected&gt;x"), "the path shows as text");
    assert!(!dom.contains("id=\"injected\""), "no element was injected");
    assert!(
        !dom.contains("id=\"evil\""),
        "no markup from a log line became an element"
    );
    let markdown = bin()
        .arg("report")
        .arg(&plan_out)
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&markdown.stdout).contains("<script"),
        "nor raw markup in Markdown"
    );
    let run: serde_json::Value = serde_json::from_str(&w.read("out/run.json")).unwrap();
    let counts = &run["counts"];
    let headline = |id: &str| text_of(&dom, id).replace(',', "");
    assert_eq!(
        headline("headline-learners-affected"),
        counts["learners"].to_string()
    );
    assert_eq!(headline("headline-actions-total"), "14");
    assert_eq!(headline("headline-lines-read"), counts["lines_read"].to_string());
    assert_eq!(headline("headline-lines-rejected"), "2");
    assert_eq!(headline("headline-learners-skipped"), "1");
    let charts: Vec<_> = svg_tags(&dom)
        .into_iter()
        .filter(|a| a.get("class").is_some_and(|c| c.contains("chart")))
        .collect();
    let ids: Vec<&str> = charts.iter().map(|a| a["id"].as_str()).collect();
    for id in [
        "chart-evidence-per-quarter-hour",
        "chart-learners-by-local-date",
        "chart-outcomes",
        "chart-top-zones",
        "chart-streak-days-restored",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for chart in &charts {
        for dim in ["data-rendered-width", "data-rendered-height"] {
            let px: f64 = chart[dim].parse().unwrap();
            assert!(px > 0.0, "{} has {dim} {px}", chart["id"]);
        }
    }
}
