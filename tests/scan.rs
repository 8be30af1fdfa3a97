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

/// Two shapes of real records, made from AWS's own sample line (S3-AWSNEW-01): a probe
/// whose target is `/"`, and a Host Id logged as two tokens. Each parses with every later
/// field in its place.
#[test]
fn scan_all_reads_a_raw_quote_in_the_target_and_a_two_token_host_id() {
    let samples =
        fs::read_to_string(root().join("../shared/reference/logs/s3_access_log_samples.txt")).unwrap();
    let aws = samples
        .lines()
        .find(|l| l.starts_with("79a59df9") && l.ends_with("us-east-1"))
        .unwrap();
    let probe = aws.replace(
        "\"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1\"",
        "\"GET /\" HTTP/1.1\"",
    );
    let host_id = "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=";
    let two = format!("{host_id} 9ZTWn0rCcuQ7p1tbSYWQ25eAlAX+KfJ0a2kzTgOJ2z8=");
    let older = aws.replace(host_id, &two);
    let w = Workdir::new();
    let logs = w.write("logs/shapes.log", &format!("{probe}\n{older}\n"));
    let out = bin()
        .args(["scan", "--all", "--logs"])
        .arg(&logs)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["request_uri"], "GET /\" HTTP/1.1");
    assert_eq!(rows[1]["host_id"], two.as_str());
    for row in &rows {
        assert_eq!(row["http_status"], 200);
        assert_eq!(row["signature_version"], "SigV4");
        assert_eq!(
            row["host_header"],
            "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com"
        );
        assert_eq!(row["tls_version"], "TLSV1.2");
        assert_eq!(row["source_region"], "us-east-1");
        assert_eq!(row["extra_fields"], serde_json::json!([]));
    }
}
