//! `reqtrace`, the tracing binary, run as a user runs it: `scan` over AWS's real ALB
//! lines (plain, gzip, many load balancers' objects, and S3 on a real S3-protocol server).

mod common;

use std::fs;
use std::io::Write;

use assert_cmd::Command;
use common::*;

fn reqtrace() -> Command {
    Command::cargo_bin("reqtrace").unwrap()
}

fn samples() -> std::path::PathBuf {
    root().join("../shared/reference/logs/alb_access_log_samples.txt")
}

fn scan(args: &[&str]) -> Vec<serde_json::Value> {
    let out = reqtrace().arg("scan").arg("--logs").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).unwrap();
    z.finish().unwrap()
}

/// The sample file's raw ALB lines (CLB lines and comments left out).
fn alb_lines() -> Vec<String> {
    let text = fs::read_to_string(samples()).unwrap();
    let lines = text.lines().filter(|l| !l.starts_with('#'));
    lines.filter(|l| !l.starts_with("20")).map(String::from).collect()
}

#[test]
fn scan_prints_every_alb_sample_and_counts_every_other_line_with_its_reason() {
    let path = samples();
    let rows = scan(&[path.to_str().unwrap()]);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(rows.len(), text.lines().count(), "one output line per input line");
    let records: Vec<_> = rows.iter().filter(|r| r.get("rejected").is_none()).collect();
    assert_eq!(records.len(), alb_lines().len(), "every ALB sample parses");
    for (n, line) in text.lines().enumerate() {
        let row = &rows[n];
        if line.starts_with("20") {
            assert_eq!(row["rejected"], "unknown_type", "line {}: {line}", n + 1);
        }
        if line.starts_with('#') || line.starts_with("20") {
            assert!(row["rejected"].is_string(), "line {}: {line}", n + 1);
            assert_eq!(row["line"], n as u64 + 1);
            assert!(row["file"]
                .as_str()
                .unwrap()
                .ends_with("alb_access_log_samples.txt"));
        }
    }
    let ipv6 = records
        .iter()
        .find(|r| r["client_ip"] == "fe80::202:b3ff:fe1e:8329")
        .unwrap();
    assert_eq!(
        (&ipv6["client_port"], &ipv6["target_ip"]),
        (&443.into(), &"2001:db8::1".into())
    );
    let space_in_uri = records
        .iter()
        .find(|r| r["classification_reason"] == "SpaceInUri")
        .unwrap();
    assert!(space_in_uri["request"]
        .as_str()
        .unwrap()
        .contains("wget+ a.tigoinari.tk"));
    assert!(space_in_uri["target_ip"].is_null() && space_in_uri["target_status_code"].is_null());
    assert_eq!(space_in_uri["request_processing_time"], -1.0);
}

#[test]
fn gzip_objects_of_many_load_balancers_read_like_the_plain_lines() {
    let w = Workdir::new();
    let lines = alb_lines();
    let (first, second) = lines.split_at(lines.len() / 2);
    let dir = w.path("AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/28");
    fs::create_dir_all(&dir).unwrap();
    let a = dir.join("123456789012_elasticloadbalancing_us-east-1_app.public-alb.50dc6c495c0c9188_20240528T0810Z_10.0.0.1_a.log.gz");
    let b = dir.join("123456789012_elasticloadbalancing_us-east-1_app.internal-alb.7f0dc2b05788640f_20240528T0815Z_10.0.0.2_b.log.gz");
    fs::write(&a, gzip((first.join("\n") + "\n").as_bytes())).unwrap();
    fs::write(&b, gzip(second.join("\n").as_bytes())).unwrap();
    let plain = w.write("plain.log", &(lines.join("\n") + "\n"));
    let from_objects = scan(&[w.path("AWSLogs").to_str().unwrap()]);
    let from_plain = scan(&[plain.to_str().unwrap()]);
    assert_eq!(from_objects.len(), lines.len());
    let sorted = |rows: Vec<serde_json::Value>| {
        let mut texts: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        texts.sort();
        texts
    };
    assert!(
        sorted(from_objects) == sorted(from_plain),
        "the objects' records are the plain file's"
    );
    let bad = w.write(
        "bad.log",
        "http 2024-05-28T08:12:36Z app/x 10.0.0.1 - 0 0 0 200 200 1 1 \"GET / HTTP/1.1\" \"-\" - - -\n",
    );
    let rows = scan(&[bad.to_str().unwrap()]);
    assert_eq!(rows[0]["rejected"], "bad_address");
}

#[test]
fn scan_reads_alb_objects_from_s3() {
    let moto = Moto::start();
    let (runtime, client) = moto.client();
    runtime
        .block_on(client.create_bucket().bucket("alb-logs").send())
        .unwrap();
    let lines = alb_lines();
    let key = "AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/05/28/123456789012_elasticloadbalancing_us-east-1_app.public-alb.50dc6c495c0c9188_20240528T0810Z_10.0.0.1_a.log.gz";
    put(
        &runtime,
        &client,
        "alb-logs",
        key,
        gzip((lines.join("\n") + "\n").as_bytes()),
    );
    let rows = json_lines(
        moto.bin_named("reqtrace")
            .args([
                "scan",
                "--s3-path-style",
                "--endpoint-url",
                &moto.endpoint,
                "--logs",
                "s3://alb-logs/AWSLogs/",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(rows.len(), lines.len());
    assert!(rows.iter().all(|r| r.get("rejected").is_none()));
    assert!(rows.iter().all(|r| r.get("trace_id").is_some()));
}

fn traces_small() -> std::path::PathBuf {
    root().join("testdata/traces/small")
}

/// `reqtrace` with `args`: stdout, stderr, and whether it succeeded.
fn run(args: &[&str]) -> (String, String, bool) {
    let out = reqtrace().args(args).output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (text(out.stdout), text(out.stderr), out.status.success())
}

/// The last 16 hex digits of a `1-…-…` id: its span id in exports.
fn span_id(id: &str) -> String {
    id.replace('-', "")[id.len() - 2 - 16..].to_string()
}

/// The truth file of the hand-checked case (README there walks through it).
fn truth() -> Vec<serde_json::Value> {
    let text = fs::read_to_string(traces_small().join("truth.jsonl")).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn exported_trees_are_the_generators_truth_with_the_cut_hop_under_its_entry() {
    let logs = traces_small().join("logs");
    let (out, err, ok) = run(&["export", "--format", "jaeger", "--logs", logs.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        err.contains("3 traces, 14 hops; 1 duplicate line dropped; parent unknown: 1 cut by the 7 KB rule"),
        "{err}"
    );
    let jaeger: serde_json::Value = serde_json::from_str(&out).unwrap();
    let traces = jaeger["data"].as_array().unwrap();
    let truth = truth();
    assert_eq!(traces.len(), truth.len());
    for want in &truth {
        let root = want["root"].as_str().unwrap();
        let id = root.replace("1-", "").replace('-', "");
        let got = traces
            .iter()
            .find(|t| t["traceID"] == id.as_str())
            .unwrap_or_else(|| panic!("{root} exported"));
        let spans = got["spans"].as_array().unwrap();
        let want_spans = want["spans"].as_array().unwrap();
        assert_eq!(spans.len(), want_spans.len(), "{root}: every hop once");
        let entry = span_id(root);
        for w in want_spans {
            let me = w["self"].as_str().map_or(entry.clone(), span_id);
            let span = spans
                .iter()
                .find(|s| s["spanID"] == me.as_str())
                .unwrap_or_else(|| panic!("{root}: span {me}"));
            let parent = span["references"]
                .as_array()
                .unwrap()
                .first()
                .map(|r| r["spanID"].as_str().unwrap().to_string());
            let unknown = span["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["key"] == "parent_unknown");
            let want_parent = match (w["cut"].as_bool().unwrap(), w["parent_self"].as_str()) {
                (_, None) => None,
                (true, _) | (_, Some("root")) => Some(entry.clone()),
                (false, Some(parent)) => Some(span_id(parent)),
            };
            assert_eq!(parent, want_parent, "{root}: parent of {me}");
            assert_eq!(
                unknown,
                w["cut"].as_bool().unwrap(),
                "{root}: {me} marked parent unknown exactly when cut"
            );
            assert_eq!(span["operationName"], w["operation"], "{root}: {me}");
        }
    }
}

#[test]
fn show_draws_one_tree_found_by_root_in_any_spelling() {
    let logs = traces_small().join("logs");
    let root = truth()[1]["root"].as_str().unwrap().to_string();
    let hex = root.replace("1-", "").replace('-', "");
    let (by_root, err, ok) = run(&["show", &root, "--logs", logs.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        err.contains("1 trace, 6 hops; parent unknown: 1 cut by the 7 KB rule"),
        "{err}"
    );
    let (by_hex, _, _) = run(&["show", &hex, "--logs", logs.to_str().unwrap()]);
    assert_eq!(by_root, by_hex);
    assert!(
        by_root.contains("✗ 503") && by_root.contains("? parent unknown (cut by the 7 KB rule)"),
        "{by_root}"
    );
    assert_eq!(
        by_root.lines().filter(|l| l.contains("leaderboards")).count(),
        2,
        "both calls, each its own row"
    );
    // A root in no line: one line of answer, exit 1.
    let nowhere = "1-00000000-000000000000000000000000";
    let out = reqtrace()
        .args(["show", nowhere, "--logs", logs.to_str().unwrap()])
        .assert()
        .code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(
        stdout,
        format!("trace {nowhere}: no hop of it in the logs read\n")
    );
    let (_, err, ok) = run(&["show", "not-a-root", "--logs", logs.to_str().unwrap()]);
    assert!(!ok && err.contains("is not a trace root"), "{err}");
}

#[test]
fn show_finds_a_users_traces_through_application_logs() {
    let w = Workdir::new();
    let logs = traces_small().join("logs");
    let truth = truth();
    let line = |root: &str, user: &str, start: &str| {
        format!(
            r#"{{"root":"{root}","self":"root","service":"gateway","operation":"SELECT users","start":"{start}","duration_us":900,"user_id":"{user}","request_id":"req-{user}"}}"#
        )
    };
    let (a, c) = (
        truth[0]["root"].as_str().unwrap(),
        truth[2]["root"].as_str().unwrap(),
    );
    let app = [
        line(a, "1001", "2025-06-02T09:59:00Z"),
        line(c, "2002", "2025-06-02T10:00:00Z"),
        "garbage".into(),
    ]
    .join("\n");
    let app = w.write("app.jsonl", &app);
    let base = [
        "show",
        "--logs",
        logs.to_str().unwrap(),
        "--app-logs",
        app.to_str().unwrap(),
        "--width",
        "0",
    ];
    let user = [
        &base[..],
        &[
            "--user",
            "1001",
            "--from",
            "2025-06-02T09:00:00Z",
            "--to",
            "2025-06-02T11:00:00Z",
        ],
    ]
    .concat();
    let (out, err, ok) = run(&user);
    assert!(ok, "{err}");
    assert_eq!(out.matches("trace ").count(), 1, "{out}");
    assert!(out.contains(&a.replace("1-", "").replace('-', "")), "{out}");
    let (out, _, ok) = run(&[&base[..], &["--request-id", "req-2002"]].concat());
    assert!(ok && out.contains(&c.replace("1-", "").replace('-', "")), "{out}");
    let early = [
        &base[..],
        &[
            "--user",
            "1001",
            "--from",
            "2025-06-02T10:00:00Z",
            "--to",
            "2025-06-02T11:00:00Z",
        ],
    ]
    .concat();
    let (_, err, ok) = run(&early);
    assert!(!ok && err.contains("no application-log call matches"), "{err}");
}

#[test]
fn application_log_calls_are_client_spans_under_the_hop_they_name() {
    let w = Workdir::new();
    let logs = traces_small().join("logs");
    let trace = &truth()[1];
    let root = trace["root"].as_str().unwrap();
    let boards = &trace["spans"][2];
    assert_eq!(boards["operation"], "GET /v1/leaderboards/{id}");
    let under = boards["self"].as_str().unwrap();
    let call = |root: &str, parent: &str, operation: &str| {
        format!(
            r#"{{"root":"{root}","self":"{parent}","service":"leaderboards","operation":"{operation}","start":"2025-06-02T10:00:36.495000Z","duration_us":1200,"error":true}}"#
        )
    };
    let app = [
        call(root, under, "SELECT boards"),
        call(root, under, "SELECT boards"),
        call(root, "1-683d7644-ffffffffffffffffffffffff", "redis GET"),
        call("1-nope", "root", "SELECT lost"),
        format!("garbage naming {root}"),
    ]
    .join("\n");
    let app = w.write("app.jsonl", &app);
    let args = |command: &[&str]| {
        let paths = [
            "--logs",
            logs.to_str().unwrap(),
            "--app-logs",
            app.to_str().unwrap(),
        ];
        [command, &paths[..]]
            .concat()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let show = args(&["show", root, "--width", "0"]);
    let (out, err, ok) = run(&show.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{err}");
    assert!(
        err.contains("application logs: 5 lines (4 naming the trace), 3 calls; rejected: 1 bad_json"),
        "{err}"
    );
    assert!(
        err.contains("1 trace, 8 hops; 1 duplicate line dropped; parent unknown: 1 cut by the 7 KB rule, 1 whose caller never logged"),
        "{err}"
    );
    let rows: Vec<&str> = out.lines().collect();
    let at = |op: &str| {
        rows.iter()
            .position(|r| r.contains(op))
            .unwrap_or_else(|| panic!("{op}: {out}"))
    };
    let indent = |i: usize| rows[i].find("leaderboards").unwrap();
    let (parent, child) = (at("GET /v1/leaderboards/{id} "), at("SELECT boards"));
    assert_eq!(child, parent + 1, "drawn right under its hop: {out}");
    assert!(indent(child) > indent(parent), "one level deeper: {out}");
    assert!(rows[child].contains("✗ -"), "an error, with no status: {out}");

    // Every trace: every line parsed, and counted by what it is.
    let export = args(&["export", "--format", "jaeger"]);
    let (out, err, ok) = run(&export.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{err}");
    assert!(
        err.contains("application logs: 5 lines, 3 calls; rejected: 1 bad_json; without a trace: 1 bad_root"),
        "{err}"
    );
    let jaeger: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = root.replace("1-", "").replace('-', "");
    let trace = jaeger["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["traceID"] == id.as_str());
    let spans = trace.unwrap()["spans"].as_array().unwrap();
    let named = |op: &str| spans.iter().find(|s| s["operationName"] == op).unwrap();
    let tag = |s: &serde_json::Value, key: &str| {
        s["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == key)
            .map(|t| t["value"].clone())
    };
    let select = named("SELECT boards");
    assert_eq!(select["references"][0]["spanID"], span_id(under).as_str());
    assert_eq!(tag(select, "span.kind"), Some("client".into()));
    assert_eq!(tag(select, "http.status_code"), None);
    let lost = named("redis GET");
    assert_eq!(
        lost["references"][0]["spanID"],
        span_id(root).as_str(),
        "under the entry hop"
    );
    assert_eq!(tag(lost, "parent_unknown"), Some("caller_not_logged".into()));
}

/// OTLP/JSON read by the official protobuf definitions (tests/otlp_check.py, with the
/// opentelemetry-proto package `make otlp-deps` installs in .venv).
#[test]
fn otlp_export_parses_as_traces_data_with_the_official_definitions() {
    let w = Workdir::new();
    let logs = traces_small().join("logs");
    let file = w.path("traces.otlp.json");
    let (_, err, ok) = run(&[
        "export",
        "--format",
        "otlp",
        "--out",
        file.to_str().unwrap(),
        "--logs",
        logs.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make otlp-deps`",
        python.display()
    );
    let check = std::process::Command::new(python)
        .arg(root().join("tests/otlp_check.py"))
        .arg(&file)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&check.stdout).to_string() + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{report}");
    let otlp: serde_json::Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    let spans: usize = otlp["resourceSpans"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["scopeSpans"].as_array().unwrap())
        .map(|s| s["spans"].as_array().unwrap().len())
        .sum();
    assert_eq!(spans, 14);
}

#[test]
fn sql_prints_the_athena_trace_query_with_the_root_only_as_a_parameter() {
    let root = "1-683d75e3-67791dc069ad3663a43bc983";
    let output = "s3://athena-results/reqtrace/";
    let (out, err, ok) = run(&[
        "sql",
        "--query",
        "trace",
        "--root",
        root,
        "--output-location",
        output,
    ]);
    assert!(ok, "{err}");
    let (query, parameters) = out.split_once("-- ExecutionParameters, in order:").unwrap();
    assert!(
        query.contains("UNLOAD") && query.contains("PARQUET") && !query.contains(root),
        "{query}"
    );
    assert!(
        parameters.contains(&format!("'{root}'")) && parameters.contains("'2025/06/02'"),
        "{parameters}"
    );
    let (_, err, ok) = run(&[
        "sql",
        "--query",
        "trace",
        "--root",
        "x'; DROP",
        "--output-location",
        output,
    ]);
    assert!(!ok && err.contains("is not a trace"), "{err}");
}

#[test]
fn deps_edges_are_the_generators_with_cut_calls_under_no_caller() {
    let logs = traces_small().join("logs");
    let window = ["--from", "2025-06-02T09:00:00Z", "--to", "2025-06-02T11:00:00Z"];
    let args = [
        &["deps", "--format", "json", "--logs", logs.to_str().unwrap()][..],
        &window[..],
    ]
    .concat();
    let (out, err, ok) = run(&args);
    assert!(ok, "{err}");
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    let truth: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(traces_small().join("edges.json")).unwrap()).unwrap();
    let mut want: std::collections::BTreeMap<(String, String), (u64, u64)> = Default::default();
    for e in truth["edges"].as_array().unwrap() {
        let (calls, cut, errors) = (
            e["calls"].as_u64().unwrap(),
            e["cut"].as_u64().unwrap(),
            e["errors"].as_u64().unwrap(),
        );
        let callee = e["callee"].as_str().unwrap().to_string();
        if calls > cut {
            want.insert(
                (e["caller"].as_str().unwrap().into(), callee.clone()),
                (calls - cut, errors),
            );
        }
        if cut > 0 {
            let slot = want.entry(("(none)".into(), callee)).or_default();
            slot.0 += cut;
        }
    }
    for e in truth["entries"].as_array().unwrap() {
        let slot = want
            .entry(("(none)".into(), e["service"].as_str().unwrap().into()))
            .or_default();
        slot.0 += e["calls"].as_u64().unwrap();
        slot.1 += e["errors"].as_u64().unwrap();
    }
    let got: std::collections::BTreeMap<(String, String), (u64, u64)> = got["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let key = (
                e["caller"].as_str().unwrap().into(),
                e["callee"].as_str().unwrap().into(),
            );
            (key, (e["calls"].as_u64().unwrap(), e["errors"].as_u64().unwrap()))
        })
        .collect();
    assert_eq!(got, want);
    let dot = run(&[
        &["deps", "--format", "dot", "--logs", logs.to_str().unwrap()][..],
        &window[..],
    ]
    .concat())
    .0;
    assert!(
        dot.contains(r#""auth" -> "leaderboards" [label="2 calls, 50.0% errors"#),
        "{dot}"
    );
    let links = run(&[
        &["deps", "--format", "jaeger", "--logs", logs.to_str().unwrap()][..],
        &window[..],
    ]
    .concat())
    .0;
    let links: serde_json::Value = serde_json::from_str(&links).unwrap();
    assert_eq!(links["data"].as_array().unwrap().len(), got.len());
    let errors_only = [
        &[
            "deps",
            "--min-error-rate",
            "0.4",
            "--logs",
            logs.to_str().unwrap(),
        ][..],
        &window[..],
    ]
    .concat();
    let text = run(&errors_only).0;
    assert_eq!(
        text.lines().count(),
        1 + 2,
        "header, gateway→auth and auth→leaderboards: {text}"
    );
}

/// One table as Athena's UNLOAD writes it: a Parquet file.
fn parquet(columns: Vec<(&str, arrow_array::ArrayRef)>) -> Vec<u8> {
    let batch = arrow_array::RecordBatch::try_from_iter(columns).unwrap();
    let mut bytes = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    bytes
}

/// Every line of the small case's log objects, duplicated object included.
fn small_case_lines() -> Vec<String> {
    use std::io::Read;
    let mut lines = Vec::new();
    for entry in walkdir::WalkDir::new(traces_small().join("logs")).sort_by_file_name() {
        let path = entry.unwrap().into_path();
        if path.is_file() {
            let mut text = String::new();
            flate2::read::MultiGzDecoder::new(fs::File::open(&path).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            lines.extend(text.lines().map(String::from));
        }
    }
    lines
}

/// `reqtrace args` against moto's Athena, whose queries succeed a second after they start:
/// when the run announces a query's result folder, `result(name)` is put there as UNLOAD
/// would write it. Returns stdout and stderr, after checking the run succeeded.
fn through_athena(args: &[&str], result: &dyn Fn(&str) -> Vec<u8>) -> (String, String) {
    use std::io::{BufRead, BufReader, Read};
    let moto = Moto::start();
    let (runtime, client) = moto.client();
    runtime
        .block_on(client.create_bucket().bucket("athena-results").send())
        .unwrap();
    moto.moto_api(
        "/moto-api/state-manager/set-transition",
        r#"{"model_name": "athena::execution", "transition": {"progression": "time", "seconds": 1}}"#,
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("reqtrace"))
        .args(args)
        .args(["--source", "athena", "--output-location", "s3://athena-results/"])
        .args(["--endpoint-url", &moto.endpoint, "--s3-path-style"])
        .envs(MOTO_ENV)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let announced = line
            .strip_prefix("athena: ")
            .and_then(|l| l.split_once(": results to s3://athena-results/"));
        if let Some((name, folder)) = announced {
            let key = format!("{folder}part-0.parquet");
            put(&runtime, &client, "athena-results", &key, result(name));
        }
        stderr += &line;
        stderr.push('\n');
    }
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert!(child.wait().unwrap().success(), "{stderr}");
    (stdout, stderr)
}

#[test]
fn show_and_deps_through_athena_draw_what_the_logs_give() {
    use arrow_array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use std::sync::Arc;
    let logs = traces_small().join("logs");
    let root = truth()[1]["root"].as_str().unwrap().to_string();
    // The trace query's result: the lines naming the root, in no order, repeats kept.
    let mut lines: Vec<String> = small_case_lines()
        .into_iter()
        .filter(|l| l.contains(&root))
        .collect();
    lines.reverse();
    lines.push(lines[0].clone()); // a log object delivered twice
    let trace_result = |name: &str| {
        assert_eq!(name, "trace");
        let column: ArrayRef = Arc::new(StringArray::from(lines.clone()));
        parquet(vec![("line", column)])
    };
    let (shown, err) = through_athena(&["show", &root], &trace_result);
    assert!(err.contains("reqtrace: athena: 1 query, "), "{err}");
    assert!(
        err.contains("1 trace, 6 hops; 1 duplicate line dropped; parent unknown: 1 cut by the 7 KB rule"),
        "{err}"
    );
    let (want, _, _) = run(&["show", &root, "--logs", logs.to_str().unwrap()]);
    assert_eq!(shown, want);

    // The edges query's result: the rows sql/alb_edges.sql gives (tests/alb_sql_check.py
    // holds it to the local edges), here the local run's own.
    let window = ["--from", "2025-06-02T09:00:00Z", "--to", "2025-06-02T11:00:00Z"];
    let local = |format: &str| {
        let args = [
            &["deps", "--format", format, "--logs", logs.to_str().unwrap()][..],
            &window[..],
        ]
        .concat();
        run(&args).0
    };
    let json: serde_json::Value = serde_json::from_str(&local("json")).unwrap();
    let edges = json["edges"].as_array().unwrap().clone();
    let edges_result = |name: &str| {
        assert_eq!(name, "edges");
        let text = |k: &str| -> ArrayRef {
            let values = edges.iter().map(|e| e[k].as_str().filter(|c| *c != "(none)"));
            Arc::new(StringArray::from_iter(values))
        };
        let int = |k: &str| -> ArrayRef {
            Arc::new(Int64Array::from_iter_values(
                edges.iter().map(|e| e[k].as_i64().unwrap()),
            ))
        };
        let float =
            |k: &str| -> ArrayRef { Arc::new(Float64Array::from_iter(edges.iter().map(|e| e[k].as_f64()))) };
        let mut columns = vec![("caller", text("caller")), ("callee", text("callee"))];
        for k in ["calls", "errors", "entries", "request_bytes", "response_bytes"] {
            columns.push((k, int(k)));
        }
        for k in ["p50_ms", "p99_ms", "gap_p50_ms"] {
            columns.push((k, float(k)));
        }
        columns.reverse(); // column order is the query's business, not the reader's
        parquet(columns)
    };
    for format in ["text", "json", "dot"] {
        let (got, err) = through_athena(
            &[&["deps", "--format", format][..], &window[..]].concat(),
            &edges_result,
        );
        assert!(err.contains("reqtrace: athena: 1 query, "), "{err}");
        if format == "json" {
            // The rows above went through serde_json's float parsing: compare as it reads.
            let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap();
            assert_eq!(parse(&got), parse(&local(format)), "--format json");
        } else {
            assert_eq!(got, local(format), "--format {format}");
        }
    }
}
