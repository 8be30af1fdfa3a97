//! The tools around a finished run: `explain` (one learner's decisions in words),
//! `verify` (which actions a calendar export shows applied, pending or superseded) and
//! `replay` (a recorded incident against its expected outputs).

mod common;

use std::fs;

use common::*;

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
