//! reqtrace's pages in a real (headless Chromium) browser. `deps --format html`: every
//! edge of `--format json` is drawn with its calls, every service is a box, a flagged edge
//! is marked, a service name carrying markup stays text, and the page's script ran.
//! `rank --format html`: every suspect of `--format json` is a box in its place, coloured
//! by its score, every call between services is drawn, and the table lists them in order.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use assert_cmd::Command;
use common::*;

/// A callee whose name is markup: a hop with no target group takes the domain name.
const HOSTILE: &str = "<script id=evil>x</script>";

/// One ALB line: `service` (a target group, or with `None` the domain `HOSTILE`) answered
/// `status` to a request received `at` seconds after 10:00:00 and taking `ms`.
fn line(service: Option<&str>, at: f64, ms: f64, status: u16, trace_id: &str) -> String {
    let time = |s: f64| format!("2025-06-02T10:00:{s:09.6}Z");
    let group = service.map_or("-".into(), |s| {
        format!("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{s}/ffd1220c019cb5e8")
    });
    let domain = service.map_or(HOSTILE.into(), |s| format!("{s}.lingo.example"));
    format!(
        "http {} app/internal-alb-1/43047ba89ca79e9e 10.1.0.11:41000 10.2.0.12:8080 0.001 {:.3} 0.000 \
         {status} {status} 700 300 \"GET http://{domain}:80/v1/x HTTP/1.1\" \"lingo/1.0\" - - {group} \
         \"{trace_id}\" \"{domain}\" \"-\" 1 {} \"forward\" \"-\" \"-\" \"10.2.0.12:8080\" \"{status}\" \
         \"-\" \"-\" TID_ab3c512786514356a70709e67e791410 \"-\" \"-\" \"-\"\n",
        time(at + ms / 1000.0),
        ms / 1000.0 - 0.002,
        time(at),
    )
}

/// Four requests: gateway (the entry hop) calls auth, which fails each time (repeated
/// errors: flagged), and the hostile service; in the first, auth also calls gateway back
/// (a cycle).
fn case() -> String {
    let mut lines = String::new();
    for k in 0..4u32 {
        let id = |kind: u32| format!("1-683d7710-{:024x}", kind << 8 | k);
        let (root, auth, at) = (id(1), id(2), f64::from(k) * 5.0);
        let from_gateway = |me: String| format!("Self={me};Root={root};Caller=gateway;CallerSelf=root");
        lines += &line(Some("gateway"), at, 80.0, 500, &format!("Root={root}"));
        lines += &line(Some("auth"), at + 0.010, 30.0, 500, &from_gateway(auth.clone()));
        lines += &line(None, at + 0.045, 10.0, 200, &from_gateway(id(3)));
        if k == 0 {
            let back = format!("Self={};Root={root};Caller=auth;CallerSelf={auth}", id(4));
            lines += &line(Some("gateway"), at + 0.015, 5.0, 200, &back);
        }
    }
    lines
}

fn deps(logs: &std::path::Path, format: &str) -> String {
    let out = Command::cargo_bin("reqtrace")
        .unwrap()
        .args(["deps", "--format", format, "--from", "2025-06-02T10:00:00Z"])
        .args(["--to", "2025-06-02T10:01:00Z", "--logs"])
        .arg(logs)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// HTML text and attribute values back to what they say.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The attributes of every start tag beginning with `start` in a DOM dump, unescaped.
fn tags(dom: &str, start: &str) -> Vec<BTreeMap<String, String>> {
    dom.match_indices(start)
        .map(|(at, _)| {
            let tag = &dom[at..at + dom[at..].find('>').unwrap()];
            let mut attrs = BTreeMap::new();
            let mut rest = tag;
            while let Some(eq) = rest.find("=\"") {
                let name = rest[..eq].rsplit(' ').next().unwrap().to_string();
                let end = rest[eq + 2..].find('"').unwrap();
                attrs.insert(name, unescape(&rest[eq + 2..eq + 2 + end]));
                rest = &rest[eq + 2 + end + 1..];
            }
            attrs
        })
        .collect()
}

/// The page rendered by headless Chromium, its DOM after the page's script ran.
fn browse(page: &std::path::Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let (chromium, mut browser) = chromium(profile.path());
    let dump = browser
        .args(["--window-size=1200,2000", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {chromium} ({e}); `make browser` installs it"));
    String::from_utf8_lossy(&dump.stdout).into_owned()
}

#[test]
fn deps_html_draws_every_json_edge_and_service_in_a_real_browser() {
    let w = Workdir::new();
    let logs = w.write("logs/internal.log", &case());
    let json: serde_json::Value = serde_json::from_str(&deps(&logs, "json")).unwrap();
    let json = json["edges"].as_array().unwrap().clone();
    let html = deps(&logs, "html");
    assert_eq!(html, deps(&logs, "html"), "the same page every run");
    let page = w.write("deps.html", &html);
    let dom = browse(&page);
    assert!(
        dom.contains("data-graph-measured=\"yes\""),
        "the page's script ran: {dom}"
    );

    let drawn: BTreeMap<(String, String), BTreeMap<String, String>> = tags(&dom, "<g class=\"edge")
        .into_iter()
        .map(|a| ((a["data-caller"].clone(), a["data-callee"].clone()), a))
        .collect();
    assert_eq!(drawn.len(), json.len(), "one SVG edge per edge");
    let mut services = BTreeSet::new();
    for e in &json {
        let (caller, callee) = (e["caller"].as_str().unwrap(), e["callee"].as_str().unwrap());
        let attrs = &drawn[&(caller.to_string(), callee.to_string())];
        assert_eq!(attrs["data-calls"], e["calls"].to_string(), "{caller} → {callee}");
        services.extend([caller.to_string(), callee.to_string()]);
    }
    let nodes: BTreeSet<String> = tags(&dom, "<g class=\"node")
        .into_iter()
        .map(|a| a["data-service"].clone())
        .collect();
    assert_eq!(nodes, services, "one box per service");
    let want: BTreeSet<String> = ["(none)", "auth", "gateway", HOSTILE].map(String::from).into();
    assert_eq!(nodes, want);

    let auth = &drawn[&("gateway".to_string(), "auth".to_string())];
    assert!(auth["class"].contains("flagged") && auth["data-flags"].contains("repeated errors"));
    let hostile = &drawn[&("gateway".to_string(), HOSTILE.to_string())];
    assert!(!hostile["class"].contains("flagged"), "{hostile:?}");
    assert!(
        dom.contains("flagged: repeated errors</title>"),
        "the flag in words"
    );
    assert!(
        dom.contains("data-edges=\"4\" data-services=\"4\" data-flagged=\"2\""),
        "{dom}"
    );

    assert!(
        dom.contains("&lt;script id=evil&gt;x&lt;/script&gt;"),
        "the name shows as text"
    );
    assert!(
        !dom.contains("id=\"evil\""),
        "no markup from a log line became an element"
    );
    assert_eq!(dom.matches("<script").count(), 1, "only the page's own script");
}

fn rank(format: &str) -> String {
    let out = Command::cargo_bin("reqtrace")
        .unwrap()
        .args([
            "rank",
            "--format",
            format,
            "--at",
            "2025-06-02T09:05:00Z",
            "--logs",
        ])
        .arg(root().join("testdata/traces/fault/slow"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn rank_html_colours_every_json_suspect_by_score_in_a_real_browser() {
    let w = Workdir::new();
    let json: serde_json::Value = serde_json::from_str(&rank("json")).unwrap();
    let page = w.write("rank.html", &rank("html"));
    let dom = browse(&page);
    assert!(
        dom.contains("data-graph-measured=\"yes\""),
        "the page's script ran: {dom}"
    );

    let boxes: BTreeMap<String, BTreeMap<String, String>> = tags(&dom, "<g class=\"node")
        .into_iter()
        .map(|a| (a["data-service"].clone(), a))
        .collect();
    let suspects = json["suspects"].as_array().unwrap();
    assert!(suspects.len() >= 5);
    for (place, s) in suspects.iter().enumerate() {
        let name = s["service"].as_str().unwrap();
        let attrs = &boxes[name];
        assert_eq!(attrs["data-place"], (place + 1).to_string(), "{name}");
        assert_eq!(
            attrs["data-score"],
            format!("{:.3}", s["score"].as_f64().unwrap()),
            "{name}"
        );
    }
    assert_eq!(suspects[0]["service"], "profile", "the slow service first");
    assert!(
        boxes["profile"]["class"].contains("level-4"),
        "{:?}",
        boxes["profile"]
    );
    let white = suspects.iter().filter(|s| s["score"].as_f64().unwrap() == 0.0);
    for s in white {
        assert!(boxes[s["service"].as_str().unwrap()]["class"].contains("level-0"));
    }

    let drawn: BTreeSet<(String, String, String)> = tags(&dom, "<g class=\"edge")
        .into_iter()
        .map(|a| {
            (
                a["data-caller"].clone(),
                a["data-callee"].clone(),
                a["data-after"].clone(),
            )
        })
        .collect();
    let calls: BTreeSet<(String, String, String)> = json["calls_between"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap().to_string();
            (s("caller"), s("callee"), c["calls"][1].to_string())
        })
        .collect();
    assert!(!calls.is_empty());
    assert_eq!(drawn, calls, "one line per call between services");

    let rows: Vec<String> = tags(&dom, "<tr id=\"suspect-")
        .into_iter()
        .map(|a| a["data-service"].clone())
        .collect();
    let names: Vec<String> = suspects
        .iter()
        .map(|s| s["service"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rows, names, "the table in the ranking's order");
}
