//! Integration tests: the real binary against the recorded incidents in testdata/,
//! pinning SPEC §5's invariants end to end.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

#[test]
fn small_incident_matches_its_hand_checked_expected_outputs() {
    let w = Workdir::new();
    plan_small(&w.path("out"), &[]).success();
    let expected = |f: &str| fs::read_to_string(small().join("expected").join(f)).unwrap();
    assert_eq!(w.read("out/manifest.jsonl"), expected("manifest.jsonl"));
    assert_eq!(w.read("out/decisions.jsonl"), expected("decisions.jsonl"));
    let want: serde_json::Value = serde_json::from_str(&expected("counts.json")).unwrap();
    let counts = &run_json(&w, "out")["counts"];
    for key in [
        "lines_read",
        "evidence_records",
        "duplicate_records",
        "not_evidence",
        "rejected",
        "learners",
    ] {
        assert_eq!(counts[key], want[key], "{key}");
    }
}

#[test]
fn output_is_byte_identical_across_threads_file_order_and_duplicated_inputs() {
    let w = Workdir::new();
    plan_small(&w.path("one"), &["--threads", "1"]).success();
    let mut files: Vec<PathBuf> = fs::read_dir(small().join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.reverse();
    files.push(small().join("logs"));
    plan(
        &small(),
        &files,
        &small().join("calendars.csv"),
        &w.path("many"),
        &["--threads", "4"],
    )
    .success();
    for f in ["manifest.jsonl", "decisions.jsonl"] {
        assert_eq!(w.read(&format!("one/{f}")), w.read(&format!("many/{f}")), "{f}");
    }
    let (one, many) = (run_json(&w, "one"), run_json(&w, "many"));
    assert_eq!(one["manifest_sha256"], many["manifest_sha256"]);
    // The duplicated inputs show up as duplicates, nothing else changes.
    let lines = |v: &serde_json::Value| v["counts"]["lines_read"].as_u64().unwrap();
    assert_eq!(lines(&many), 2 * lines(&one));
    assert_eq!(
        one["counts"]["evidence_records"],
        many["counts"]["evidence_records"]
    );
}

#[test]
fn applying_the_manifest_then_rerunning_plans_nothing() {
    let w = Workdir::new();
    plan_small(&w.path("first"), &[]).success();
    let mut calendars = fs::read_to_string(small().join("calendars.csv")).unwrap();
    let manifest = w.read("first/manifest.jsonl");
    assert!(!manifest.is_empty());
    for line in manifest.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        calendars.push_str(&format!(
            "{},{},repair\n",
            row["learner_id"],
            row["local_date"].as_str().unwrap()
        ));
    }
    let applied = w.write("applied.csv", &calendars);
    plan(
        &small(),
        &[small().join("logs")],
        &applied,
        &w.path("second"),
        &[],
    )
    .success();
    assert_eq!(w.read("second/manifest.jsonl"), "");
    assert_eq!(run_json(&w, "second")["counts"]["actions"], serde_json::json!({}));
}

#[test]
fn every_line_and_every_evidence_learner_is_accounted_for() {
    let w = Workdir::new();
    plan_small(&w.path("out"), &[]).success();
    let c = run_json(&w, "out")["counts"].clone();
    let n = |k: &str| c[k].as_u64().unwrap();
    let rejected: u64 = c["rejected"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        n("lines_read"),
        n("evidence_records") + n("duplicate_records") + n("not_evidence") + rejected
    );
    let by_reason: u64 = c["not_evidence_by_reason"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_reason, n("not_evidence"));
    // Every learner with evidence (from scan) has at least one decision line.
    let scanned = bin()
        .args(["scan", "--incident"])
        .arg(small().join("incident.toml"))
        .arg("--logs")
        .arg(small().join("logs"))
        .output()
        .unwrap();
    assert!(scanned.status.success());
    let learners = |text: &str| -> std::collections::BTreeSet<u64> {
        text.lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["learner_id"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    let evidence_learners = learners(&String::from_utf8(scanned.stdout).unwrap());
    assert_eq!(evidence_learners.len() as u64, n("learners"));
    assert_eq!(evidence_learners, learners(&w.read("out/decisions.jsonl")));
}

#[test]
fn a_file_of_only_newlines_is_counted_line_by_line_and_changes_nothing_else() {
    let w = Workdir::new();
    let blank = w.write("blank.log", &"\n".repeat(1_000_000));
    let logs = [small().join("logs"), blank];
    plan(
        &small(),
        &logs,
        &small().join("calendars.csv"),
        &w.path("out"),
        &[],
    )
    .success();
    plan_small(&w.path("ref"), &[]).success();
    let (with, without) = (
        run_json(&w, "out")["counts"].clone(),
        run_json(&w, "ref")["counts"].clone(),
    );
    let n = |c: &serde_json::Value, k: &str| c.pointer(k).and_then(|v| v.as_u64()).unwrap_or(0);
    assert_eq!(n(&with, "/lines_read"), n(&without, "/lines_read") + 1_000_000);
    assert_eq!(
        n(&with, "/rejected/blank_line"),
        n(&without, "/rejected/blank_line") + 1_000_000
    );
    assert_eq!(w.read("out/manifest.jsonl"), w.read("ref/manifest.jsonl"));
    assert_eq!(w.read("out/decisions.jsonl"), w.read("ref/decisions.jsonl"));
}

#[test]
fn no_action_touches_a_practiced_day_and_streaks_never_shrink() {
    let w = Workdir::new();
    plan_small(&w.path("out"), &[]).success();
    let calendars = fs::read_to_string(small().join("calendars.csv")).unwrap();
    let mut practiced = std::collections::HashSet::new();
    for line in calendars.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        assert_eq!(cells.len(), 3, "{line}");
        if cells[2] == "practice" {
            practiced.insert((cells[0].parse::<u64>().unwrap(), cells[1].to_string()));
        }
    }
    assert!(practiced.len() > 20, "the calendar has practice days to protect");
    let decisions = w.read("out/decisions.jsonl");
    let mut actions = 0;
    for line in decisions.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        if row["outcome"] == "unknown_timezone" {
            continue;
        }
        let key = (
            row["learner_id"].as_u64().unwrap(),
            row["local_date"].as_str().unwrap().to_string(),
        );
        if !row["action"].is_null() {
            actions += 1;
            assert!(!practiced.contains(&key), "repair on a practiced day: {key:?}");
        }
        assert!(
            row["streak_after"].as_u64().unwrap() >= row["streak_before"].as_u64().unwrap(),
            "{line}"
        );
    }
    assert_eq!(actions, w.read("out/manifest.jsonl").lines().count());
}

#[test]
fn extra_manifest_formats_hold_the_same_rows() {
    let w = Workdir::new();
    plan_small(&w.path("out"), &["--format", "csv", "--format", "parquet"]).success();
    let csv = w.read("out/manifest.csv");
    let jsonl = w.read("out/manifest.jsonl");
    assert!(
        csv.starts_with("repair_id,incident_id,learner_id,local_date,action,tz,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), jsonl.lines().count() + 1);
    assert!(csv.contains("18446744073709551557"));
    let parquet = fs::read(w.path("out/manifest.parquet")).unwrap();
    assert!(parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(w.path("out/manifest.jsonl"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "readable by whoever applies it");
    }
    // A later run without --format csv retires the old CSV: it would describe another run.
    plan_small(&w.path("out"), &["--format", "parquet"]).success();
    assert!(!w.path("out/manifest.csv").exists());
    assert!(w.path("out/manifest.parquet").exists());
    // No temporary files are left behind.
    let names: Vec<String> = fs::read_dir(w.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn as_of_on_the_command_line_wins_and_defers_more() {
    let w = Workdir::new();
    // At the window's start no evidence day can be over: each holds a later instant.
    plan_small(&w.path("out"), &["--as-of", "2026-11-20T13:00:00Z"]).success();
    let run = run_json(&w, "out");
    assert_eq!(run["as_of"], "2026-11-20T13:00:00Z");
    assert_eq!(run["as_of_source"], "cli");
    assert_eq!(w.read("out/manifest.jsonl"), "");
    let outcomes = run["counts"]["outcomes"].as_object().unwrap();
    assert_eq!(outcomes.keys().collect::<Vec<_>>(), ["deferred"]);
}

const VANCOUVER_INCIDENT: &str = r#"
id = "tz-fresh"
as_of = "2026-11-25T00:00:00Z"
[window]
start = "2026-11-20T07:00:00Z"
end = "2026-11-20T08:00:00Z"
[evidence]
key_prefix = "brb/"
"#;

/// One learner in America/Vancouver fetching at 07:30Z on 2026-11-20; returns the case
/// directory and its (empty) calendars file.
fn vancouver_case(w: &Workdir) -> (PathBuf, PathBuf) {
    w.write("case/incident.toml", VANCOUVER_INCIDENT);
    w.write(
        "case/logs/a.log",
        "o duo-brb [20/Nov/2026:07:30:00 +0000] 192.0.2.3 - R1 REST.GET.OBJECT brb/c.json \
         \"GET /brb/c.json?learner_id=77&tz=America%2FVancouver HTTP/1.1\" 200 - 2 2 1 1 \"-\" \"ua\" -\n",
    );
    w.write("case/learners.csv", "learner_id,tz\n");
    let cal = w.write("case/calendars.csv", "learner_id,date,kind\n");
    let case = w.path("case");
    (case, cal)
}

#[test]
fn tz_database_choice_changes_vancouver_days_and_is_recorded() {
    // British Columbia stopped falling back on 2026-11-01 (tzdata 2026): 07:30Z on the
    // 20th is 00:30 on the 20th with the bundled data, 23:30 on the 19th with 2025b.
    let w = Workdir::new();
    let (case, cal) = vancouver_case(&w);
    let date = |dir: &str| -> String {
        let line = w.read(&format!("{dir}/decisions.jsonl"));
        serde_json::from_str::<serde_json::Value>(&line).unwrap()["local_date"]
            .as_str()
            .unwrap()
            .to_string()
    };
    plan(&case, &[case.join("logs")], &cal, &w.path("bundled"), &[]).success();
    let fixture = root().join("testdata/tzdb-2025b");
    plan(
        &case,
        &[case.join("logs")],
        &cal,
        &w.path("old"),
        &["--tzdb", fixture.to_str().unwrap()],
    )
    .success();
    assert_eq!(date("bundled"), "2026-11-20");
    assert_eq!(date("old"), "2026-11-19");
    assert_eq!(run_json(&w, "bundled")["tzdb"]["version"], "2026e");
    assert_eq!(run_json(&w, "old")["tzdb"]["version"], "2025b");
    assert_eq!(run_json(&w, "old")["tzdb"]["source"], "dir");
}

#[test]
fn bad_inputs_end_in_one_line_errors_naming_the_place() {
    let w = Workdir::new();
    let bad_cal = w.write(
        "cal.csv",
        "learner_id,date,kind\n1001,2026-11-19,practice\n1001,tomorrow,practice\n",
    );
    let out = plan(&small(), &[small().join("logs")], &bad_cal, &w.path("out"), &[]).code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let err = stderr.lines().last().unwrap();
    assert!(
        err.contains(&format!("{}: line 3: date \"tomorrow\"", bad_cal.display())),
        "{stderr}"
    );
    assert!(!w.path("out/manifest.jsonl").exists(), "no output on error");

    // A failed run leaves an earlier run's files as they were, and no temporary files.
    plan_small(&w.path("kept"), &[]).success();
    let before: Vec<(std::ffi::OsString, Vec<u8>)> = listing(&w.path("kept"));
    plan(&small(), &[small().join("logs")], &bad_cal, &w.path("kept"), &[]).code(2);
    assert_eq!(listing(&w.path("kept")), before);

    let out = plan(
        &small(),
        &[w.path("missing")],
        &small().join("calendars.csv"),
        &w.path("o2"),
        &[],
    )
    .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("missing: cannot open"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let inc = w.write("bad/incident.toml", "id = \"x\"\n[window]\nstart = \"2026-11-20T13:00:00Z\"\nend = \"2026-11-20T12:00:00Z\"\n[evidence]\nkey_prefix = \"brb/\"\n");
    let out = bin()
        .args(["scan", "--incident"])
        .arg(&inc)
        .arg("--logs")
        .arg(small().join("logs"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("`window[0].end`"), "{stderr}");
}

fn listing(dir: &Path) -> Vec<(std::ffi::OsString, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name(), fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
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

#[test]
fn rejected_lines_are_shown_with_file_and_line() {
    let w = Workdir::new();
    let out = plan_small(&w.path("out"), &[]).success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("2026-11-20-13-00-00-A1B2C3D4E5F60718:9: line rejected"),
        "{stderr}"
    );
    assert!(stderr.contains("learners  19 with evidence"), "summary: {stderr}");
}

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
fn generated_incident_matches_expected_at_one_and_many_threads() {
    // testdata/generated is made by `make testdata` (examples/gen_incident.rs); its
    // expected outputs were reviewed against an independent reading of SPEC.
    let case = root().join("testdata/generated");
    let w = Workdir::new();
    for (dir, threads) in [("one", "1"), ("many", "3")] {
        plan(
            &case,
            &[case.join("logs")],
            &case.join("calendars.csv"),
            &w.path(dir),
            &["--threads", threads],
        )
        .success();
        for f in ["manifest.jsonl", "decisions.jsonl"] {
            let want = fs::read_to_string(case.join("expected").join(f)).unwrap();
            assert!(
                w.read(&format!("{dir}/{f}")) == want,
                "{dir}/{f} differs from expected"
            );
        }
    }
}

#[test]
fn replay_passes_on_a_recorded_incident_and_explains_an_altered_expectation() {
    bin().arg("replay").arg(small()).assert().success();
    // A copy of the case whose expected decisions say 1001 lost its streak.
    let w = Workdir::new();
    let case = w.path("case");
    copy_dir(&small(), &case);
    let decisions = case.join("expected/decisions.jsonl");
    let text = fs::read_to_string(&decisions).unwrap();
    let altered = text.replacen(
        "\"learner_id\":1001,\"local_date\":\"2026-11-20\",\"outcome\":\"freeze_day\"",
        "\"learner_id\":1001,\"local_date\":\"2026-11-20\",\"outcome\":\"no_active_streak\"",
        1,
    );
    assert_ne!(text, altered);
    fs::write(&decisions, altered).unwrap();
    let out = bin().arg("replay").arg(&case).assert().code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr
            .contains("learner 1001, 2026-11-20: outcome expected \"no_active_streak\", got \"freeze_day\""),
        "{stderr}"
    );
    assert!(stderr.contains("MISMATCH"), "{stderr}");
    // --update restores agreement.
    bin().arg("replay").arg(&case).arg("--update").assert().success();
    assert_eq!(fs::read_to_string(&decisions).unwrap(), text);
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn verify_tells_applied_pending_and_superseded_actions() {
    let w = Workdir::new();
    plan_small(&w.path("out"), &[]).success();
    let manifest = w.read("out/manifest.jsonl");
    let rows: Vec<serde_json::Value> = manifest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() >= 3);
    // Apply the first action, let the learner practise on the second's day, leave the rest.
    let mut calendars = fs::read_to_string(small().join("calendars.csv")).unwrap();
    for (row, kind) in rows.iter().zip(["repair", "practice"]) {
        calendars.push_str(&format!(
            "{},{},{kind}\n",
            row["learner_id"],
            row["local_date"].as_str().unwrap()
        ));
    }
    let after = w.write("after.csv", &calendars);
    let run = |strict: bool| {
        let mut cmd = bin();
        cmd.arg("verify")
            .arg(w.path("out"))
            .arg("--calendars")
            .arg(&after);
        if strict {
            cmd.arg("--strict");
        }
        cmd.assert()
    };
    let out = run(false).success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let pending = rows.len() - 2;
    assert!(
        stdout.contains(&format!(
            "{} actions: 1 applied, {pending} pending, 1 superseded",
            rows.len()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("pending: learner {}", rows[2]["learner_id"])),
        "{stdout}"
    );
    run(true).code(1);
    // Everything applied: --strict passes.
    let mut all = fs::read_to_string(small().join("calendars.csv")).unwrap();
    for row in &rows {
        all.push_str(&format!(
            "{},{},repair\n",
            row["learner_id"],
            row["local_date"].as_str().unwrap()
        ));
    }
    let applied = w.write("applied.csv", &all);
    bin()
        .arg("verify")
        .arg(w.path("out"))
        .arg("--calendars")
        .arg(&applied)
        .arg("--strict")
        .assert()
        .success();
}

#[test]
fn explain_puts_one_learners_decisions_into_words() {
    let w = Workdir::new();
    plan_small(&w.path("out"), &[]).success();
    let out = bin()
        .arg("explain")
        .arg(w.path("out"))
        .args(["--learner", "1007"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "Time zone: Australia/Brisbane (from the learners file)",
        "0 before this run's repairs, 4 after",
        "2026-11-20T13:40:00Z (2026-11-20 23:40:00 +10:00 local)",
        "calendar: 2026-11-19 practice, 2026-11-20 nothing",
        "2026-11-20 is repaired by this run",
        "repair id 942e6c70b42dec865688e0e6458a78f0",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    let json = bin()
        .arg("explain")
        .arg(w.path("out"))
        .args(["--learner", "1007", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["in_run"], true);
    assert_eq!(v["days"].as_array().unwrap().len(), 2);
    assert_eq!(v["days"][1]["outcome"], "freeze_day");
}

#[test]
fn explain_tells_a_learner_missing_from_the_run_which_lines_named_them() {
    let w = Workdir::new();
    w.write("case/incident.toml", VANCOUVER_INCIDENT);
    let line = |time: &str, status: &str| {
        format!(
            "o duo-brb [20/Nov/2026:{time} +0000] 192.0.2.3 - R{time} REST.GET.OBJECT brb/c.json \
             \"GET /brb/c.json?learner_id=88&tz=UTC HTTP/1.1\" {status} - 2 2 1 1 \"-\" \"ua\" -\n"
        )
    };
    let logs = [
        line("07:10:00", "404"),
        line("09:00:00", "200"),
        "o duo-brb [20/Nov/2026:07:20:00 +0000] \"GET /brb/c.json?learner_id=88\n".to_string(),
    ];
    w.write("case/logs/a.log", &logs.concat());
    w.write("case/learners.csv", "learner_id,tz\n");
    let cal = w.write("case/calendars.csv", "learner_id,date,kind\n");
    let case = w.path("case");
    plan(&case, &[case.join("logs")], &cal, &w.path("out"), &[]).success();
    let out = bin()
        .arg("explain")
        .arg(w.path("out"))
        .args(["--learner", "88"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Not in this run"), "{text}");
    assert!(
        text.contains("a.log:1 at 2026-11-20T07:10:00Z: the maintenance object was not served"),
        "{text}"
    );
    assert!(
        text.contains("a.log:2 at 2026-11-20T09:00:00Z: outside the incident's windows"),
        "{text}"
    );
    assert!(
        text.contains("a.log:3 at unreadable time: line rejected"),
        "{text}"
    );
}

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
    // Headless Chromium, as `make test` installs it (Debian's package).
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
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
    let dump = std::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,2000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
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

#[test]
fn explain_and_verify_treat_a_closed_pipe_as_success() {
    let w = Workdir::new();
    plan_small(&w.path("out"), &[]).success();
    let commands: [Vec<std::ffi::OsString>; 2] = [
        vec![
            "explain".into(),
            w.path("out").into(),
            "--learner".into(),
            "1007".into(),
        ],
        vec![
            "verify".into(),
            w.path("out").into(),
            "--calendars".into(),
            small().join("calendars.csv").into(),
        ],
    ];
    for args in commands {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("streak-repair"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn verify_reports_learners_missing_from_the_export_apart_from_pending() {
    let w = Workdir::new();
    plan_small(&w.path("out"), &[]).success();
    let empty = w.write("empty.csv", "learner_id,date,kind\n");
    let out = bin()
        .arg("verify")
        .arg(w.path("out"))
        .arg("--calendars")
        .arg(&empty)
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("14 actions: 0 applied, 0 pending, 0 superseded"),
        "{stdout}"
    );
    assert!(
        stdout.contains("14 action(s) name learners with no rows in"),
        "{stdout}"
    );
    assert!(
        stdout.contains("learner not in the export: learner 1001 2026-11-20 freeze_day"),
        "{stdout}"
    );
}

#[test]
fn explain_reopens_the_runs_tz_data_from_any_directory() {
    let w = Workdir::new();
    let (case, cal) = vancouver_case(&w);
    // A relative --tzdb path, as a user types it from the repository root.
    plan(
        &case,
        &[case.join("logs")],
        &cal,
        &w.path("out"),
        &["--tzdb", "testdata/tzdb-2025b"],
    )
    .success();
    let out = bin()
        .current_dir(w.path("case"))
        .arg("explain")
        .arg(w.path("out"))
        .args(["--learner", "77"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("(2026-11-19 23:30:00 -08:00 local)"),
        "2025b rules, reopened: {text}"
    );
}

#[test]
fn replay_counts_a_repeated_expected_line_as_a_difference() {
    let w = Workdir::new();
    let case = w.path("case");
    copy_dir(&small(), &case);
    let manifest = case.join("expected/manifest.jsonl");
    let text = fs::read_to_string(&manifest).unwrap();
    let first = text.lines().next().unwrap();
    fs::write(&manifest, format!("{first}\n{text}")).unwrap();
    let out = bin().arg("replay").arg(&case).assert().code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("learner 1001, 2026-11-20 freeze_day: expected 2 line(s), got 1"),
        "{stderr}"
    );
}

#[test]
fn the_same_incident_read_from_s3_gives_byte_identical_outputs() {
    let moto = Moto::start();
    let (runtime, client) = moto.client();
    runtime
        .block_on(client.create_bucket().bucket("brb-logs").send())
        .unwrap();
    for entry in fs::read_dir(small().join("logs")).unwrap() {
        let entry = entry.unwrap();
        let key = format!("logs/{}", entry.file_name().to_string_lossy());
        put(
            &runtime,
            &client,
            "brb-logs",
            &key,
            fs::read(entry.path()).unwrap(),
        );
    }
    // Delivered weeks before the incident: pruned by its key, never read. Its in-window
    // record would add learner 99 if it were.
    let stale = "o duo-brb [20/Nov/2026:13:30:00 +0000] 192.0.2.3 - STALE1 REST.GET.OBJECT brb/c.json \
                 \"GET /brb/c.json?learner_id=99&tz=UTC HTTP/1.1\" 200 - 2 2 1 1 \"-\" \"ua\" -\n";
    put(
        &runtime,
        &client,
        "brb-logs",
        "logs/2026-10-01-00-00-00-0123456789ABCDEF",
        stale.as_bytes().to_vec(),
    );
    put(
        &runtime,
        &client,
        "brb-logs",
        "tables/learners.csv",
        fs::read(small().join("learners.csv")).unwrap(),
    );
    put(
        &runtime,
        &client,
        "brb-logs",
        "tables/calendars.csv",
        fs::read(small().join("calendars.csv")).unwrap(),
    );

    let w = Workdir::new();
    moto.bin()
        .arg("plan")
        .arg("--incident")
        .arg(small().join("incident.toml"))
        .args(["--logs", "s3://brb-logs/logs/"])
        .args(["--learners", "s3://brb-logs/tables/learners.csv"])
        .args(["--calendars", "s3://brb-logs/tables/calendars.csv"])
        .args([
            "--endpoint-url",
            &moto.endpoint,
            "--s3-path-style",
            "--s3-concurrency",
            "2",
        ])
        .arg("--out")
        .arg(w.path("s3"))
        .assert()
        .success();
    for f in ["manifest.jsonl", "decisions.jsonl"] {
        let want = fs::read_to_string(small().join("expected").join(f)).unwrap();
        assert!(
            w.read(&format!("s3/{f}")) == want,
            "{f} from S3 differs from the local run"
        );
    }
    let run = run_json(&w, "s3");
    let s3 = &run["inputs"]["s3"];
    assert_eq!(
        (s3["listed_objects"].as_u64(), s3["pruned_objects"].as_u64()),
        (Some(3), Some(1)),
        "{s3}"
    );
    let logs = run["inputs"]["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 2, "every kept object read exactly once");
    assert!(logs[0]["path"]
        .as_str()
        .unwrap()
        .starts_with("s3://brb-logs/logs/2026-11-20-13-00-00-"));
    let local = fs::read(small().join("logs/2026-11-20-13-00-00-A1B2C3D4E5F60718")).unwrap();
    assert_eq!(logs[0]["bytes"].as_u64(), Some(local.len() as u64));
    assert_eq!(
        run["inputs"]["learners"]["path"],
        "s3://brb-logs/tables/learners.csv"
    );

    // A bucket that does not exist is a one-line error naming it.
    let out = moto
        .bin()
        .args([
            "scan",
            "--all",
            "--logs",
            "s3://no-such-bucket/logs/",
            "--endpoint-url",
            &moto.endpoint,
        ])
        .arg("--s3-path-style")
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("s3://no-such-bucket/logs/: cannot list"),
        "{stderr}"
    );
}

/// `plan --source athena` on the small incident against a fresh moto, whose Athena
/// queries move through their states as `transition` says; stderr is piped.
struct AthenaRun {
    moto: Moto,
    runtime: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
    w: Workdir,
    out: PathBuf,
    child: std::process::Child,
}

impl AthenaRun {
    fn start(transition: &str) -> AthenaRun {
        let moto = Moto::start();
        let (runtime, client) = moto.client();
        runtime
            .block_on(client.create_bucket().bucket("athena-results").send())
            .unwrap();
        moto.moto_api(
            "/moto-api/state-manager/set-transition",
            &format!(r#"{{"model_name": "athena::execution", "transition": {transition}}}"#),
        );
        let w = Workdir::new();
        let out = w.path("athena");
        let incident = small().join("incident.toml");
        let child = moto.spawn(&[
            "plan",
            "--source",
            "athena",
            "--incident",
            incident.to_str().unwrap(),
            "--endpoint-url",
            &moto.endpoint,
            "--s3-path-style",
            "--out",
            out.to_str().unwrap(),
        ]);
        AthenaRun {
            moto,
            runtime,
            client,
            w,
            out,
            child,
        }
    }
}

#[test]
fn the_same_incident_through_athena_gives_byte_identical_outputs() {
    use std::io::{BufRead, BufReader};
    // Each state of a query lasts a second, so the test puts a query's results in place
    // (what Athena's UNLOAD would write) between its announcement and its success.
    let AthenaRun {
        moto,
        runtime,
        client,
        w,
        mut child,
        ..
    } = AthenaRun::start(r#"{"progression": "time", "seconds": 1}"#);
    let mut stderr = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some((name, folder)) = line
            .strip_prefix("athena: ")
            .and_then(|l| l.split_once(": results to s3://athena-results/"))
        {
            let fixture = small().join("athena").join(name).join("part-0.parquet");
            let key = format!("{folder}part-0.parquet");
            put(
                &runtime,
                &client,
                "athena-results",
                &key,
                fs::read(fixture).unwrap(),
            );
        }
        stderr += &line;
        stderr.push('\n');
    }
    assert!(child.wait().unwrap().success(), "{stderr}");
    for f in ["manifest.jsonl", "decisions.jsonl"] {
        let want = fs::read_to_string(small().join("expected").join(f)).unwrap();
        assert!(
            w.read(&format!("athena/{f}")) == want,
            "{f} through Athena differs from the local run"
        );
    }

    let run = run_json(&w, "athena");
    let names: Vec<&str> = run["inputs"]["athena"]["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "evidence",
            "affected_table",
            "calendars",
            "learners",
            "drop_affected_table"
        ]
    );
    assert_eq!(run["counts"]["lines_read"], serde_json::Value::Null);
    assert_eq!(run["inputs"]["athena"]["evidence_buckets"], 28);
    assert_eq!(
        run["inputs"]["calendars"]["path"],
        "athena:streak_repair.streak_calendars"
    );

    // What reached Athena: the incident's values only as execution parameters.
    let athena = moto.athena();
    let id = run["inputs"]["athena"]["queries"][0]["id"].as_str().unwrap();
    let execution = runtime
        .block_on(athena.get_query_execution().query_execution_id(id).send())
        .unwrap()
        .query_execution
        .unwrap();
    let query = execution.query.unwrap();
    assert!(query.starts_with("UNLOAD (\nWITH"), "{query}");
    assert!(!query.contains("duo-brb") && !query.contains("'brb/'"), "{query}");
    let parameters = execution.execution_parameters.unwrap();
    assert_eq!(
        (parameters[2].as_str(), parameters[6].as_str()),
        ("'duo-brb'", "'brb/'")
    );
}

#[test]
fn sql_prints_what_athena_would_run_with_incident_values_only_as_parameters() {
    let w = Workdir::new();
    let text = fs::read_to_string(small().join("incident.toml"))
        .unwrap()
        .replace(
            r#"key_prefix = "brb/""#,
            r#"key_prefix = "brb/'; DROP TABLE learner_zones; --""#,
        );
    fs::write(w.path("incident.toml"), text).unwrap();
    let out = bin()
        .args(["sql", "--incident"])
        .arg(w.path("incident.toml"))
        .assert()
        .success();
    let sql = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let names: Vec<&str> = sql
        .lines()
        .filter_map(|l| l.strip_prefix("-- "))
        .filter(|l| !l.contains(' '))
        .collect();
    assert_eq!(
        names,
        [
            "access_log_table",
            "evidence",
            "affected_table",
            "calendars",
            "learners",
            "drop_affected_table"
        ]
    );
    // The prefix appears once, as the seventh parameter, its quote doubled; never as SQL.
    let statements: Vec<&str> = sql.lines().filter(|l| !l.starts_with("--")).collect();
    assert!(
        !statements.iter().any(|l| l.contains("DROP TABLE learner_zones")),
        "{sql}"
    );
    assert!(
        sql.contains("--   7 'brb/''; DROP TABLE learner_zones; --'\n"),
        "{sql}"
    );

    // Athena without an [athena] table, or with --logs, is a usage error.
    let plain = w.path("plain.toml");
    fs::write(&plain, "id = \"x\"\n[window]\nstart = \"2026-11-20T13:00:00Z\"\nend = \"2026-11-20T14:00:00Z\"\n[evidence]\nkey_prefix = \"brb/\"\n").unwrap();
    let err = |args: &[&str]| {
        let out = bin().args(args).assert().code(2);
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    };
    let p = plain.to_str().unwrap();
    assert!(err(&["sql", "--incident", p]).contains("no [athena] table"));
    let out = w.path("out");
    let o = out.to_str().unwrap();
    let e = err(&[
        "plan",
        "--source",
        "athena",
        "--incident",
        p,
        "--learners",
        "l.csv",
        "--calendars",
        "c.csv",
        "--out",
        o,
    ]);
    assert!(e.contains("--source athena needs an [athena] table"), "{e}");
    let i = small().join("incident.toml");
    let e = err(&[
        "plan",
        "--source",
        "athena",
        "--incident",
        i.to_str().unwrap(),
        "--logs",
        "x",
        "--out",
        o,
    ]);
    assert!(e.contains("--logs and --source athena do not go together"), "{e}");
    let e = err(&[
        "plan",
        "--incident",
        p,
        "--logs",
        "x",
        "--learners",
        "l.csv",
        "--out",
        o,
    ]);
    assert!(e.contains("--calendars is needed"), "{e}");
}

#[test]
fn ctrl_c_while_athena_runs_a_query_stops_it() {
    use std::io::{BufRead, BufReader};
    // Queries never finish on their own.
    let AthenaRun {
        moto,
        runtime,
        out,
        mut child,
        w: _w,
        ..
    } = AthenaRun::start(r#"{"progression": "manual", "times": 1000000}"#);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let id = loop {
        let line = lines.next().expect("the query never started").unwrap();
        if let Some(rest) = line.strip_prefix("athena: evidence: query ") {
            break rest.trim_end_matches(" started").to_string();
        }
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(child.wait().unwrap().code(), Some(2), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains(&format!("interrupted; the evidence query {id}: it was stopped"))),
        "{rest:?}"
    );
    let written: Vec<_> = fs::read_dir(&out).map_or(vec![], |d| d.map(|e| e.unwrap().file_name()).collect());
    assert!(written.is_empty(), "an interrupted run wrote {written:?}");
    let athena = moto.athena();
    let state = runtime
        .block_on(athena.get_query_execution().query_execution_id(&id).send())
        .unwrap()
        .query_execution
        .unwrap()
        .status
        .unwrap()
        .state
        .unwrap();
    assert_eq!(state, aws_sdk_athena::types::QueryExecutionState::Cancelled);
}
