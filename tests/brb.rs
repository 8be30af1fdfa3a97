//! The switch, `brb`, against a real S3-protocol server (moto) on loopback: flips
//! write exactly the cohort objects clients read, journal each one, detect a
//! concurrent change instead of overwriting it, and the journal gives the incident
//! windows `streak-repair plan` takes. Bad input changes nothing.

mod common;

use std::path::PathBuf;

use assert_cmd::Command;
use common::*;
use streak_repair::switch::config::Config;
use streak_repair::switch::flip::{self, Action, Ask};
use streak_repair::switch::journal::{Outcome, Side};
use streak_repair::switch::selection::Features;
use streak_repair::switch::store::{Object, Store};

const COHORTS: u32 = 10;

struct Switch {
    moto: Moto,
    work: Workdir,
    config: PathBuf,
}

/// The in-process S3 calls of these tests find moto's credentials the standard way.
fn moto_credentials() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for (k, v) in MOTO_ENV {
            std::env::set_var(k, v);
        }
    });
}

impl Switch {
    fn new(extra: &str) -> Switch {
        moto_credentials();
        let moto = Moto::start();
        let (runtime, client) = moto.client();
        for b in ["duo-brb", "duo-brb-logs"] {
            runtime.block_on(client.create_bucket().bucket(b).send()).unwrap();
        }
        let work = Workdir::new();
        let config = work.write(
            "brb.toml",
            &format!(
                "bucket = \"duo-brb\"\ncohorts = {COHORTS}\nendpoint_url = \"{}\"\npath_style = true\nregion = \"us-east-1\"\n\
                 features = [\"lessons\", \"leaderboards\"]\nblocks_practice = [\"lessons\"]\n{extra}",
                moto.endpoint
            ),
        );
        Switch { moto, work, config }
    }

    fn brb(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        self.brb_with(&self.config, args)
    }

    fn brb_with(&self, config: &std::path::Path, args: &[&str]) -> assert_cmd::assert::Assert {
        let mut cmd = Command::cargo_bin("brb").unwrap();
        for (k, v) in MOTO_ENV {
            cmd.env(k, v);
        }
        cmd.env_remove("AWS_PROFILE").env("BRB_ACTOR", "test-operator");
        cmd.arg("--config").arg(config).args(args).assert()
    }

    fn config(&self) -> Config {
        Config::load(&self.config).unwrap()
    }

    fn objects(&self) -> Vec<(u32, Side)> {
        let config = self.config();
        let store = Store::new(&config).unwrap();
        let keys: Vec<String> = (0..COHORTS).map(|c| config.key(c)).collect();
        store
            .read_all("duo-brb", &keys)
            .into_iter()
            .enumerate()
            .map(|(c, r)| (c as u32, flip::side(&r.unwrap().value)))
            .collect()
    }

    fn paused(&self) -> Vec<u32> {
        self.objects()
            .into_iter()
            .filter(|(_, s)| *s != Side::Absent)
            .map(|(c, _)| c)
            .collect()
    }
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

#[test]
fn pause_ramp_resume_journal_and_incident_windows() {
    let s = Switch::new("[logging]\nbucket = \"duo-brb-logs\"\nprefix = \"access/\"\n");
    // Before setup the objects are private: a client's anonymous GET is refused.
    s.brb(&["setup", "--yes"]).success();
    let a = s
        .brb(&[
            "pause",
            "--percent",
            "50",
            "--incident",
            "inc-1",
            "--message",
            "Back soon",
            "--yes",
        ])
        .success();
    assert!(
        stderr(&a).contains("pause 5 of 10 cohorts ≈ 50% of learners, features: all"),
        "{}",
        stderr(&a)
    );
    assert_eq!(s.paused(), [0, 1, 2, 3, 4]);
    match &s.objects()[0].1 {
        Side::Paused { paused, incident } => assert_eq!(
            (paused.as_slice(), incident.as_str()),
            (&["*".to_string()][..], "inc-1")
        ),
        other => panic!("{other:?}"),
    }
    // The client library reads the object the switch wrote, and fails open on a miss.
    let config = s.config();
    let settings = brb_client::Settings {
        base_url: format!("{}/duo-brb", s.moto.endpoint),
        cohorts: COHORTS,
        ..Default::default()
    };
    let in_cohort = |c: u32| {
        (0u64..)
            .find(|&id| brb_client::cohort(&config.salt, id, COHORTS) == c)
            .unwrap()
    };
    let mut client = brb_client::Client::https(settings.clone(), in_cohort(2), Some("Asia/Kolkata"));
    assert!(
        client.poll().pauses("lessons"),
        "{} {:?}",
        client.url(),
        client.status()
    );
    let mut running = brb_client::Client::https(settings, in_cohort(7), None);
    assert!(!running.poll().pauses("lessons"));

    // A pause of a feature that does not block practice, under the same incident.
    s.brb(&[
        "pause",
        "--cohorts",
        "8",
        "--features",
        "leaderboards",
        "--incident",
        "inc-1",
        "--yes",
    ])
    .success();
    s.brb(&["resume", "--cohorts", "0-2", "--yes"]).success();
    assert_eq!(s.paused(), [3, 4, 8]);
    // S3's Date has whole seconds: let the ramp's flips fall in later ones.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let a = s
        .brb(&["ramp", "--to", "100", "--step", "50", "--every", "1s", "--yes"])
        .success();
    assert!(stderr(&a).contains("ramp step 2/2"), "{}", stderr(&a));
    assert!(
        s.paused().is_empty(),
        "the ramp resumed every cohort, leaderboards too"
    );

    let log = s.brb(&["log"]).success();
    let text = stdout(&log);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        5,
        "pause, pause, resume, two ramp steps (the second: 5-9): {lines:?}"
    );
    assert!(
        lines[0].contains("pause") && lines[0].contains("by test-operator") && lines[0].contains("5 written"),
        "{}",
        lines[0]
    );

    let out = s.work.path("incident.toml");
    s.brb(&["incident", "--id", "inc-1", "--out", out.to_str().unwrap()])
        .success();
    let incident = streak_repair::incident::Incident::load(&out).unwrap();
    let keyed: Vec<Vec<String>> = incident.windows.iter().map(|w| w.keys.clone()).collect();
    let all_keys: Vec<String> = keyed.concat();
    assert_eq!(
        {
            let mut k = all_keys.clone();
            k.sort();
            k
        },
        (0..5).map(|c| config.key(c)).collect::<Vec<_>>(),
        "one window per paused cohort, none for the leaderboards pause: {keyed:?}"
    );
    assert_eq!(incident.evidence.key_prefix, "brb/");
    assert_eq!(incident.evidence.learner_param, "x-learner-id");
    let first = incident
        .windows
        .iter()
        .find(|w| w.keys.contains(&config.key(0)))
        .unwrap();
    let late = incident
        .windows
        .iter()
        .find(|w| w.keys.contains(&config.key(4)))
        .unwrap();
    // One flip, but each cohort's window opens at its own write's Date, and five
    // concurrent writes may straddle a second.
    assert!(
        (first.start - late.start).abs() <= 1,
        "paused in one flip: {} vs {}",
        first.start,
        late.start
    );
    assert!(first.end < late.end, "cohort 0 resumed before cohort 4");
}

#[test]
fn a_concurrent_change_is_reported_and_never_overwritten() {
    let s = Switch::new("");
    let config = s.config();
    let store = Store::new(&config).unwrap();
    s.brb(&["pause", "--cohorts", "1", "--incident", "first", "--yes"])
        .success();
    let keys = [config.key(1), config.key(2)];
    let seen: Vec<(u32, Object)> = store
        .read_all("duo-brb", &keys)
        .into_iter()
        .zip([1, 2])
        .map(|(r, c)| (c, r.unwrap().value))
        .collect();
    // A second operator flips both cohorts after our read.
    s.brb(&[
        "pause",
        "--cohorts",
        "1-2",
        "--features",
        "leaderboards",
        "--incident",
        "second",
        "--yes",
    ])
    .success();
    let ask = Ask {
        action: Action::Resume,
        features: Features::All,
        message: None,
        incident: "first".into(),
    };
    let pause_too = Ask {
        action: Action::Pause,
        ..ask.clone()
    };
    let mut writes = flip::plan(&config, &ask, &seen[..1], jiff::Timestamp::now());
    writes.extend(flip::plan(
        &config,
        &pause_too,
        &seen[1..],
        jiff::Timestamp::now(),
    ));
    assert_eq!(writes.len(), 2);
    let changes = flip::execute(&store, "duo-brb", writes);
    assert!(
        changes.iter().all(|c| c.result == Outcome::Conflict),
        "{changes:?}"
    );
    assert!(changes
        .iter()
        .all(|c| matches!(&c.after, Side::Paused { incident, .. } if incident == "second")));
    assert_eq!(s.paused(), [1, 2], "the second operator's objects stand");
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let s = Switch::new("");
    for (args, says) in [
        (&["pause", "--cohorts", "0-10", "--yes"][..], "--cohorts"),
        (&["pause", "--percent", "101", "--yes"], "--percent"),
        (&["pause", "--features", "quests", "--yes"], "quests"),
        (&["pause", "--incident", "bad id", "--yes"], "--incident"),
        (&["pause"], "--yes"),
    ] {
        let a = s.brb(args).code(2);
        let e = stderr(&a);
        assert!(e.contains(says) && e.trim().lines().count() <= 2, "{args:?}: {e}");
    }
    assert!(s.paused().is_empty());
    let a = s.brb(&["pause", "--dry-run"]).success();
    assert_eq!(
        stdout(&a)
            .lines()
            .filter(|l| l.starts_with("PUT s3://duo-brb/brb/cohort-") && l.contains("If-None-Match: *"))
            .count(),
        10
    );
    assert!(s.paused().is_empty(), "a dry run writes nothing");
    let missing = s.work.write(
        "missing.toml",
        &std::fs::read_to_string(&s.config)
            .unwrap()
            .replace("bucket = \"duo-brb\"", "bucket = \"no-such-bucket\""),
    );
    let a = s.brb_with(&missing, &["pause", "--yes"]).code(2);
    assert!(
        stderr(&a).contains("s3://no-such-bucket") && stderr(&a).contains("nothing was changed"),
        "{}",
        stderr(&a)
    );
}

#[test]
fn a_journal_object_that_does_not_parse_stops_incident_unless_forced() {
    let s = Switch::new("");
    s.brb(&["pause", "--cohorts", "3", "--incident", "inc-2", "--yes"])
        .success();
    s.brb(&["resume", "--yes"]).success();
    let (runtime, client) = s.moto.client();
    put(
        &runtime,
        &client,
        "duo-brb",
        "brb-journal/20261120T130000.000Z-deadbeef.json",
        b"{oops".to_vec(),
    );
    let a = s.brb(&["incident", "--id", "inc-2"]).code(2);
    assert!(
        stderr(&a).contains("deadbeef.json") && stdout(&a).is_empty(),
        "{}",
        stderr(&a)
    );
    let a = s.brb(&["incident", "--id", "inc-2", "--force"]).code(1);
    assert!(stderr(&a).contains("skipped"), "{}", stderr(&a));
    let text = stdout(&a);
    let inc = streak_repair::incident::Incident::parse(&text, "stdout").unwrap();
    assert_eq!(inc.windows.len(), 1);
    assert_eq!(inc.windows[0].keys, ["brb/cohort-3.json"]);
}

#[test]
fn status_warns_loudly_until_setup_turns_logging_on() {
    let s = Switch::new("[logging]\nbucket = \"duo-brb-logs\"\nprefix = \"access/\"\n[cors]\norigins = [\"https://app.example.com\"]\n");
    s.brb(&[
        "pause",
        "--cohorts",
        "0-1",
        "--features",
        "lessons",
        "--incident",
        "x",
        "--yes",
    ])
    .success();
    let a = s.brb(&["status"]).code(1);
    assert!(
        stderr(&a).contains("server access logging is OFF"),
        "{}",
        stderr(&a)
    );
    assert!(
        stdout(&a).contains("paused lessons (incident x): 2 cohorts ≈ 20% of learners: 0-1"),
        "{}",
        stdout(&a)
    );
    assert!(stdout(&a).contains("running: 8 cohorts"), "{}", stdout(&a));
    let plan = s.brb(&["setup", "--dry-run"]).success();
    assert!(
        stdout(&plan).contains("logging.s3.amazonaws.com"),
        "{}",
        stdout(&plan)
    );
    s.brb(&["setup", "--yes"]).success();
    let a = s.brb(&["status"]).success();
    assert!(
        stdout(&a).contains("server access logging: on, to s3://duo-brb-logs/access/"),
        "{}",
        stdout(&a)
    );
    let (runtime, client) = s.moto.client();
    let cors = runtime
        .block_on(client.get_bucket_cors().bucket("duo-brb").send())
        .unwrap();
    assert_eq!(
        cors.cors_rules()[0].allowed_origins(),
        ["https://app.example.com"]
    );
    let policy = runtime
        .block_on(client.get_bucket_policy().bucket("duo-brb").send())
        .unwrap();
    assert!(policy.policy().unwrap().contains("arn:aws:s3:::duo-brb/brb/*"));
    // Drift: an object removed behind the switch's back.
    runtime
        .block_on(
            client
                .delete_object()
                .bucket("duo-brb")
                .key("brb/cohort-0.json")
                .send(),
        )
        .unwrap();
    let a = s.brb(&["status"]).code(1);
    assert!(stdout(&a).contains("drift: brb/cohort-0.json"), "{}", stdout(&a));
    let c = s.brb(&["cohort", "42"]).success();
    let n = brb_client::cohort("brb", 42, COHORTS);
    assert!(
        stdout(&c).contains(&format!("learner 42: cohort {n} of 10")),
        "{}",
        stdout(&c)
    );
}

#[test]
fn ctrl_c_stops_a_ramp_between_steps_in_a_journaled_state() {
    let s = Switch::new("");
    s.brb(&["pause", "--yes"]).success();
    let mut ramp = std::process::Command::new(assert_cmd::cargo::cargo_bin("brb"));
    for (k, v) in MOTO_ENV {
        ramp.env(k, v);
    }
    let child = ramp
        .env_remove("AWS_PROFILE")
        .arg("--config")
        .arg(&s.config)
        .args(["ramp", "--step", "50", "--every", "60s", "--yes"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first step's journal entry, then press Ctrl-C during the wait.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while stdout(&s.brb(&["log"]).success()).lines().count() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first step never landed"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("ramp stopped after 50%"), "{err}");
    assert_eq!(
        s.paused(),
        [5, 6, 7, 8, 9],
        "the first step stands, the second never ran"
    );
    assert_eq!(stdout(&s.brb(&["log"]).success()).lines().count(), 2);
}
