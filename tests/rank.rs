//! `reqtrace rank` and `rank-eval` run as a user runs them, on real spans of injected
//! faults (../shared/traces/nezha-trainticket) and on bad span tables.

mod common;

use std::fs;

use assert_cmd::Command;
use common::*;

fn reqtrace() -> Command {
    Command::cargo_bin("reqtrace").unwrap()
}

/// `rank --format json --at AT` then `inputs` (`--spans FILE…`, `--logs DIR`): the
/// ranking, and what it said on stderr.
fn rank_json<S: AsRef<std::ffi::OsStr>>(
    at: &str,
    inputs: impl IntoIterator<Item = S>,
) -> (serde_json::Value, String) {
    let out = reqtrace()
        .args(["rank", "--format", "json", "--at", at])
        .args(inputs)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ranking = serde_json::from_slice(&out.stdout).unwrap();
    (ranking, String::from_utf8(out.stderr).unwrap())
}

fn nezha() -> std::path::PathBuf {
    root().join("../shared/traces/nezha-trainticket")
}

/// The three minute files of a case of cases.csv.
fn case_files(case: &str) -> (String, Vec<String>) {
    let text = fs::read_to_string(nezha().join("cases.csv")).unwrap();
    let row = text.lines().find(|l| l.starts_with(case)).unwrap();
    let fields: Vec<&str> = row.split(',').collect();
    let at = jiff::Timestamp::from_second(fields[5].parse().unwrap())
        .unwrap()
        .to_string();
    let files = fields[10]
        .split(';')
        .map(|f| nezha().join(f).display().to_string())
        .collect();
    (at, files)
}

#[test]
fn a_cpu_fault_in_real_spans_ranks_its_service_first_with_evidence() {
    let (at, files) = case_files("S17-TT");
    let out = reqtrace()
        .args(["rank", "--at", &at, "--spans"])
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().nth(2).unwrap();
    assert!(first.trim_start().starts_with("1  ts-contacts-service"), "{text}");
    assert!(text.lines().nth(3).unwrap().contains("own p50"), "{text}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("reqtrace: 3 span tables,") && stderr.contains("0 rejected"),
        "{stderr}"
    );

    let spans = std::iter::once("--spans".to_string()).chain(files);
    let (ranking, _) = rank_json(&at, spans);
    assert_eq!(ranking["suspects"][0]["service"], "ts-contacts-service");
    assert!(ranking["suspects"][0]["own_time"].as_f64().unwrap() > 0.0);
}

#[test]
fn rank_eval_reads_any_folder_of_the_layout_and_writes_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let source = fs::read_to_string(nezha().join("cases.csv")).unwrap();
    let mut lines = source.lines();
    let mut cases = format!("{}\n", lines.next().unwrap());
    for row in lines.filter(|l| l.starts_with("S17-TT") || l.starts_with("S05-TT")) {
        // trace_files made absolute: the folder holds only cases.csv.
        let (head, files) = row.rsplit_once(',').unwrap();
        let files: Vec<String> = files
            .split(';')
            .map(|f| nezha().join(f).display().to_string())
            .collect();
        cases.push_str(&format!("{head},{}\n", files.join(";")));
    }
    fs::write(dir.path().join("cases.csv"), cases).unwrap();
    let md = dir.path().join("results.md");
    let out = reqtrace()
        .arg("rank-eval")
        .arg(dir.path())
        .arg("--markdown")
        .arg(&md)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |case: &str| {
        text.lines()
            .find(|l| l.starts_with(case))
            .unwrap()
            .split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(row("S17-TT")[3], "1", "{text}");
    // A place, or `-` where the method gave the true service score 0.
    let exception = &row("S05-TT")[3];
    assert!(exception == "-" || exception.parse::<usize>().is_ok(), "{text}");
    let all = text.lines().find(|l| l.starts_with("all")).unwrap();
    assert!(all.split_whitespace().nth(1) == Some("2"), "{all}");
    let table = fs::read_to_string(&md).unwrap();
    assert!(table.contains("| cpu_contention | 1 | 1/1 (100%) |"), "{table}");
    assert!(
        table.contains("| S05-TT | exception | ts-basic-service |"),
        "{table}"
    );
}

#[test]
fn bad_tables_are_a_named_error_or_counted_rows_and_an_empty_window_is_worded() {
    let dir = tempfile::tempdir().unwrap();
    let no_column = dir.path().join("no-parent.csv");
    fs::write(&no_column, "TraceID,SpanID,PodName\nt,s,p\n").unwrap();
    let out = reqtrace()
        .args(["rank", "--at", "2023-01-29T13:31:54Z", "--spans"])
        .arg(&no_column)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no-parent.csv: no ParentID column"), "{stderr}");

    let (at, files) = case_files("S17-TT");
    let bad_row = dir.path().join("bad-row.csv");
    fs::write(&bad_row, "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano\nt,s,root,p,o,soon,1\n").unwrap();
    let out = reqtrace()
        .args(["rank", "--at", &at, "--spans"])
        .args(&files)
        .arg(&bad_row)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 rejected (bad_time 1)"));

    let out = reqtrace()
        .args(["rank", "--at", "2030-01-01T00:00:00Z", "--spans"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to rank: no spans in the abnormal window"));
}

#[test]
fn injected_faults_in_alb_logs_rank_the_faulty_service_first() {
    for (case, faulty) in [("slow", "profile"), ("failing", "stories")] {
        let logs = root().join("testdata/traces/fault").join(case);
        let (ranking, stderr) = rank_json(
            "2025-06-02T09:05:00Z",
            [std::ffi::OsStr::new("--logs"), logs.as_os_str()],
        );
        assert_eq!(ranking["suspects"][0]["service"], faulty, "{case}");
        // Hops whose header the 7 KB rule cut hang nowhere: counted, not dropped.
        assert!(ranking["missing_parent"].as_u64().unwrap() > 0);
        assert!(
            stderr.contains("parent unknown:") && stderr.contains("cut by the 7 KB rule"),
            "{stderr}"
        );
    }
}

#[test]
fn otlp_json_spans_rank_as_the_logs_they_were_exported_from() {
    let dir = tempfile::tempdir().unwrap();
    let otlp = dir.path().join("slow.otlp.json");
    let logs = root().join("testdata/traces/fault/slow");
    let export = reqtrace()
        .args([
            "export",
            "--format",
            "otlp",
            "--from",
            "2025-06-02T08:59:00Z",
            "--to",
            "2025-06-02T09:11:00Z",
            "--logs",
        ])
        .arg(&logs)
        .arg("--out")
        .arg(&otlp)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let (ranking, stderr) = rank_json(
        "2025-06-02T09:05:00Z",
        [std::ffi::OsStr::new("--spans"), otlp.as_os_str()],
    );
    assert_eq!(ranking["suspects"][0]["service"], "profile");
    assert!(stderr.contains("0 rejected"));
}
