//! `plan`, the job itself, end to end on the recorded incidents in testdata/ (SPEC §5's
//! invariants): the golden outputs, byte-identical output whatever the threads, file
//! order or repeated inputs, every line accounted for (rejected ones shown with file and
//! line), the rules' promises (applying the manifest then re-running plans nothing, no
//! practiced day touched, no streak shrinks), the extra manifest formats, --as-of, the
//! tz database, and bad inputs ending in one-line errors that leave earlier runs intact.

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
