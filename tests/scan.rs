//! `scan`: the parser and the evidence filter on their own, as JSON Lines on stdout:
//! every field of AWS's sample lines in order, rejections with file and line,
//! deduplicated evidence, and a reader that stops early.

mod common;

use std::fs;

use common::*;

#[test]
fn scan_all_names_every_field_and_reports_rejections() {
    let samples = root().join("../shared/reference/logs/s3_access_log_samples.txt");
    let out = bin()
        .args(["scan", "--all", "--logs"])
        .arg(&samples)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let total = fs::read_to_string(&samples).unwrap().lines().count();
    assert_eq!(rows.len(), total, "one output line per input line");
    let records: Vec<_> = rows.iter().filter(|r| r.get("rejected").is_none()).collect();
    let comments = fs::read_to_string(&samples)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('#'))
        .count();
    assert_eq!(records.len(), total - comments, "every sample record parses");
    assert_eq!(records[0]["time"], "2019-02-06T00:00:38Z");
    let raw = text.lines().find(|l| !l.contains("\"rejected\"")).unwrap();
    assert_keys_in_order(
        raw,
        &[
            "bucket_owner",
            "bucket",
            "time",
            "remote_ip",
            "source_region",
            "extra_fields",
        ],
    );
    let rejected = rows.iter().find(|r| r.get("rejected").is_some()).unwrap();
    assert_eq!(rejected["line"], 1);
    assert!(rejected["file"]
        .as_str()
        .unwrap()
        .ends_with("s3_access_log_samples.txt"));
}

#[test]
fn scan_prints_deduplicated_evidence() {
    let out = bin()
        .args(["scan", "--incident"])
        .arg(small().join("incident.toml"))
        .arg("--logs")
        .arg(small().join("logs"))
        .arg(small().join("logs"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().count(),
        28,
        "28 distinct records however often the logs are passed"
    );
    let keys = [
        "learner_id",
        "time",
        "request_id",
        "key",
        "http_status",
        "tz_param",
    ];
    assert_keys_in_order(text.lines().next().unwrap(), &keys);
}

/// serde_json's map sorts keys, so order is checked on the raw line.
fn assert_keys_in_order(line: &str, keys: &[&str]) {
    let at: Vec<usize> = keys
        .iter()
        .map(|k| line.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(at.windows(2).all(|p| p[0] < p[1]), "{line}");
    assert!(line.starts_with(&format!("{{\"{}\":", keys[0])), "{line}");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    let case = root().join("testdata/generated");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("streak-repair"))
        .args(["scan", "--incident"])
        .arg(case.join("incident.toml"))
        .arg("--logs")
        .arg(case.join("logs"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("{\"learner_id\":"), "{first}");
    // stdout is closed now; the scan has more than a pipe's worth left to write.
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
