//! AWS: the same incident read from S3 and scanned by Athena (both against moto on
//! loopback) gives byte-identical outputs; `sql` prints what Athena would run, the
//! incident's values only as parameters; ctrl-c while Athena runs a query stops it.

mod common;

use std::fs;
use std::path::PathBuf;

use common::*;

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
