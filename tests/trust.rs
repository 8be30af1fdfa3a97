//! Integration tests for trust under faults and hostile input (RELIABILITY.md): S3
//! faults from a fault-injecting proxy in front of moto, plan killed at random moments,
//! over-long lines, gzip bombs, one learner with 10,000 records, many learners, and
//! links planted in the output directory.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

fn generated() -> PathBuf {
    root().join("testdata/generated")
}

/// Runs the binary and returns its exit code, stderr and peak resident memory in MiB.
/// The peak is the kernel's high-water mark of the program's own memory (VmHWM), read
/// while it runs: wait4's figure would include this test process's, which the child
/// shared until it started the binary.
fn run_measured(args: &[&std::ffi::OsStr]) -> (i32, String, u64) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("streak-repair"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text).unwrap();
        text
    });
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    let code = loop {
        if let Some(code) = child.try_wait().unwrap() {
            break code.code().unwrap_or(-1);
        }
        let hwm = fs::read_to_string(&status).unwrap_or_default();
        let kb = hwm
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok());
        peak_kb = peak_kb.max(kb.unwrap_or(0));
        std::thread::sleep(Duration::from_millis(2));
    };
    (code, stderr.join().unwrap(), peak_kb / 1024)
}

/// `plan` on the small incident with extra log inputs, measured.
fn plan_small_with(logs: &[&Path], out: &Path) -> (i32, String, u64) {
    let (incident, learners, calendars) = (
        small().join("incident.toml"),
        small().join("learners.csv"),
        small().join("calendars.csv"),
    );
    let small_logs = small().join("logs");
    let mut args: Vec<&std::ffi::OsStr> = vec!["plan".as_ref(), "--incident".as_ref(), incident.as_ref()];
    args.extend([
        "--learners".as_ref(),
        learners.as_os_str(),
        "--calendars".as_ref(),
        calendars.as_os_str(),
    ]);
    args.extend([
        "--out".as_ref(),
        out.as_os_str(),
        "--logs".as_ref(),
        small_logs.as_os_str(),
    ]);
    args.extend(logs.iter().map(|p| p.as_os_str()));
    run_measured(&args)
}

fn counts(out: &Path) -> serde_json::Value {
    let run: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    run["counts"].clone()
}

fn expected_small(name: &str) -> String {
    fs::read_to_string(small().join("expected").join(name)).unwrap()
}

// ---- resource limits ----

#[test]
fn a_100_mb_line_and_a_gzip_bomb_are_counted_rejections_in_bounded_memory() {
    let w = Workdir::new();
    let (code, stderr, baseline) = plan_small_with(&[], &w.path("base"));
    assert_eq!(code, 0, "{stderr}");

    // A line of 100 MB naming a learner, between two blank lines.
    let mut long = b"\n?learner_id=1003&".to_vec();
    long.resize(100 << 20, b'x');
    long.extend_from_slice(b"\n\n");
    fs::write(w.path("long"), &long).unwrap();
    // 256 MiB of zeros without a newline, gzipped to a few hundred KB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    fs::write(w.path("bomb.gz"), &bomb).unwrap();

    let (code, stderr, peak) = plan_small_with(&[&w.path("long"), &w.path("bomb.gz")], &w.path("out"));
    assert_eq!(code, 0, "{stderr}");
    let (base, got) = (counts(&w.path("base")), counts(&w.path("out")));
    assert_eq!(
        got["lines_read"].as_u64(),
        Some(base["lines_read"].as_u64().unwrap() + 3 + 1)
    );
    assert_eq!(got["rejected"]["line_too_long"], 2, "{got}");
    assert_eq!(
        got["rejected"]["blank_line"].as_u64(),
        Some(base["rejected"]["blank_line"].as_u64().unwrap_or(0) + 2)
    );
    assert_eq!(
        fs::read_to_string(w.path("out/manifest.jsonl")).unwrap(),
        expected_small("manifest.jsonl")
    );
    // Neither the 100 MB line nor the 256 MiB one is ever held whole.
    assert!(
        peak < baseline + 64,
        "peak {peak} MiB against {baseline} MiB without them"
    );
    // The long line is shown as a near miss for the learner it names.
    let near: String = fs::read_to_string(w.path("out/near_misses.jsonl")).unwrap();
    assert!(
        near.lines()
            .any(|l| l.contains("\"learner_id\":1003") && l.contains("line_too_long")),
        "{near}"
    );
}

#[test]
fn one_learner_with_10_000_records_is_one_decision_with_every_hit() {
    let w = Workdir::new();
    let mut lines = String::new();
    for i in 0..10_000 {
        let (m, s) = (5 + i % 50, i % 60);
        lines.push_str(&format!(
            "o duo-brb [20/Nov/2026:13:{m:02}:{s:02} +0000] 192.0.2.1 - FLOOD{i:05} REST.GET.OBJECT brb/c.json \
             \"GET /brb/c.json?learner_id=1001&tz=Europe%2FBerlin HTTP/1.1\" 200 - 2 2 1 1 \"-\" \"ua\" -\n"
        ));
    }
    let flood = w.write("flood", &lines);
    let (code, stderr, _) = plan_small_with(&[&flood], &w.path("out"));
    assert_eq!(code, 0, "{stderr}");
    let hits = |text: &str| -> Vec<(u64, u64)> {
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["learner_id"] == 1001)
            .map(|v| {
                (
                    v["evidence_hits"].as_u64().unwrap(),
                    v["streak_after"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let (want, got) = (
        hits(&expected_small("decisions.jsonl")),
        hits(&w.read("out/decisions.jsonl")),
    );
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0],
        (want[0].0 + 10_000, want[0].1),
        "every hit counted, same decision"
    );
}

#[test]
fn many_distinct_learners_cost_bounded_memory_each() {
    // 200,000 learners named once each: memory per learner stays small (the 10-million
    // figure is measured with the release build, see RELIABILITY.md).
    let w = Workdir::new();
    let mut lines = String::with_capacity(200_000 * 200);
    for id in 0..200_000u64 {
        lines.push_str(&format!(
            "o duo-brb [20/Nov/2026:14:00:00 +0000] 192.0.2.1 - MANY{id} REST.GET.OBJECT brb/c.json \
             \"GET /brb/c.json?learner_id={} HTTP/1.1\" 200 - 2 2 1 1 \"-\" \"ua\" -\n",
            10_000_000 + id
        ));
    }
    let many = w.write("many", &lines);
    let (code, stderr, base) = plan_small_with(&[], &w.path("base"));
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr, peak) = plan_small_with(&[&many], &w.path("out"));
    assert_eq!(code, 0, "{stderr}");
    let per_learner = (peak - base) as f64 * 1024.0 * 1024.0 / 200_000.0;
    assert!(
        per_learner < 2048.0,
        "{per_learner:.0} bytes per learner ({base} -> {peak} MiB)"
    );
    assert_eq!(
        w.read("out/decisions.jsonl").lines().count(),
        expected_small("decisions.jsonl").lines().count() + 200_000
    );
}

// ---- crash safety ----

#[test]
fn killing_plan_at_random_moments_never_leaves_a_partial_or_mixed_run() {
    let w = Workdir::new();
    let plan_args = |out: &Path, as_of: &str| -> Vec<String> {
        let g = generated();
        let s = |p: PathBuf| p.to_string_lossy().into_owned();
        vec![
            "plan".into(),
            "--incident".into(),
            s(g.join("incident.toml")),
            "--logs".into(),
            s(g.join("logs")),
            "--learners".into(),
            s(g.join("learners.csv")),
            "--calendars".into(),
            s(g.join("calendars.csv")),
            "--as-of".into(),
            as_of.into(),
            "--out".into(),
            s(out.to_path_buf()),
        ]
    };
    let (old, new) = ("2026-11-21T06:00:00Z", "2026-11-22T06:00:00Z");
    let files = ["manifest.jsonl", "decisions.jsonl", "near_misses.jsonl"];
    let snapshot = |dir: &Path| files.map(|f| fs::read(dir.join(f)).unwrap());
    bin().args(plan_args(&w.path("old"), old)).assert().success();
    let started = Instant::now();
    bin().args(plan_args(&w.path("new"), new)).assert().success();
    let full = started.elapsed();
    let (old_files, new_files) = (snapshot(&w.path("old")), snapshot(&w.path("new")));
    assert_ne!(
        old_files[0], new_files[0],
        "the two runs must differ to tell them apart"
    );

    let out = w.path("out");
    bin().args(plan_args(&out, old)).assert().success();
    // Kills at 16 pseudo-random moments spread over a full run; then, while every kill
    // so far has left the same run, at ever later moments (until one lands after the
    // commit point) or ever earlier ones (until one lands before it), as a loaded
    // machine runs plan slower than the run timed above and an idle one faster. The
    // test proves both sides only when both outcomes have been seen.
    const SPREAD: usize = 16;
    const MAX_KILLS: usize = 40;
    let mut seen = [0; 2];
    // Kills that stopped the new run after its commit point rather than after its end.
    let mut killed_after_commit = 0;
    let mut kills: Vec<String> = Vec::new();
    let (mut earliest, mut latest) = (Duration::MAX, Duration::ZERO);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    while kills.len() < SPREAD || (seen.contains(&0) && kills.len() < MAX_KILLS) {
        let at = if kills.len() < SPREAD {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            full.mul_f64(0.05 + (seed % 1000) as f64 / 1000.0)
        } else if seen[1] == 0 {
            latest.mul_f64(1.25)
        } else {
            earliest.div_f64(2.0)
        };
        (earliest, latest) = (earliest.min(at), latest.max(at));
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("streak-repair"))
            .args(plan_args(&out, new))
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        child.kill().unwrap(); // SIGKILL
        let killed = child.wait().unwrap().code().is_none();
        // Any reader first completes a commit the kill interrupted.
        bin().arg("report").arg(&out).assert().success();
        let now = snapshot(&out);
        let run: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
        let which = if now == new_files { 1 } else { 0 };
        assert!(
            now == old_files || now == new_files,
            "after a kill at {at:?}: a file of neither run, or a mix"
        );
        assert_eq!(
            run["as_of"],
            [old, new][which],
            "run.json belongs to the same run as the files"
        );
        seen[which] += 1;
        killed_after_commit += usize::from(killed && which == 1);
        kills.push(format!(
            "{at:?}: {} run{}",
            ["old", "new"][which],
            if killed { "" } else { " (plan had already ended)" }
        ));
        // Back to the old run for the next kill.
        for f in fs::read_dir(w.path("old")).unwrap() {
            let f = f.unwrap();
            fs::copy(f.path(), out.join(f.file_name())).unwrap();
        }
    }
    eprintln!(
        "{} kills (a full run took {full:?}): {} left the old run, {} the new run ({killed_after_commit} of them stopped plan after its commit point)",
        kills.len(),
        seen[0],
        seen[1]
    );
    assert!(
        seen[0] > 0 && seen[1] > 0,
        "{} kills between {earliest:?} and {latest:?} (a full run took {full:?}) all left the {} run: \
         the test must see kills land both before and after the commit point\n{}",
        kills.len(),
        if seen[0] > 0 { "old" } else { "new" },
        kills.join("\n")
    );
    let listed = || {
        let mut names: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    // A kill while files were staged leaves them under the job's prefix, which readers
    // ignore and the next plan removes.
    let stray: Vec<String> = listed().into_iter().filter(|n| n.starts_with('.')).collect();
    assert!(
        stray.iter().all(|n| n.starts_with(".streak-repair.")),
        "only staged files are left beside the run: {stray:?}"
    );
    bin().args(plan_args(&out, new)).assert().success();
    assert_eq!(
        snapshot(&out),
        new_files,
        "the next plan completes as if nothing happened"
    );
    assert_eq!(
        listed(),
        [
            "decisions.jsonl",
            "manifest.jsonl",
            "near_misses.jsonl",
            "run.json"
        ],
        "no temporary file is left"
    );
}

// ---- links planted in --out ----

#[cfg(unix)]
#[test]
fn plan_replaces_links_planted_in_out_and_never_writes_through_them() {
    let w = Workdir::new();
    let victim = w.write("elsewhere/victim", "precious");
    let out = w.path("out");
    fs::create_dir_all(&out).unwrap();
    let outputs = [
        "manifest.jsonl",
        "decisions.jsonl",
        "run.json",
        "near_misses.jsonl",
        "manifest.csv",
    ];
    for name in outputs {
        std::os::unix::fs::symlink(&victim, out.join(name)).unwrap();
    }
    plan_small(&out, &["--format", "csv"]).success();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    for name in outputs {
        let meta = fs::symlink_metadata(out.join(name)).unwrap();
        assert!(meta.file_type().is_file(), "{name} is a file of its own");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o644, "{name}");
    }
    assert_eq!(w.read("out/manifest.jsonl"), expected_small("manifest.jsonl"));
}

// ---- S3 faults, from a fault-injecting proxy in front of moto ----

/// What the proxy does to a request whose target contains `needle`, `times` times.
#[derive(Clone, Copy, Debug)]
enum Fault {
    SlowDown,
    InternalError,
    /// Sends the headers and half the body, then closes the connection.
    CutMidBody,
}

/// An HTTP proxy on loopback in front of moto: one request per connection, passed on
/// with `Connection: close`, faults injected as told; listing pages are delayed and
/// made two objects long so the job must page.
struct FaultyS3 {
    endpoint: String,
    /// Every request as `METHOD target [range]`, in arrival order.
    requests: Arc<Mutex<Vec<String>>>,
}

impl FaultyS3 {
    fn start(upstream: &str, faults: Vec<(String, Fault, usize)>, list_delay: Duration) -> FaultyS3 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(Mutex::new(faults));
        let log = requests.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let (upstream, faults, log) = (upstream.clone(), faults.clone(), log.clone());
                std::thread::spawn(move || {
                    let _ = serve(client.unwrap(), &upstream, &faults, &log, list_delay);
                });
            }
        });
        FaultyS3 { endpoint, requests }
    }
}

fn serve(
    mut client: TcpStream,
    upstream: &str,
    faults: &Mutex<Vec<(String, Fault, usize)>>,
    log: &Mutex<Vec<String>>,
    list_delay: Duration,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        if h == "\r\n" || h.is_empty() {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            headers.push(h);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut parts = request_line.split(' ');
    let (method, mut target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let range = headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .find(|h| h.starts_with("range:"));
    log.lock()
        .unwrap()
        .push(format!("{method} {target} {}", range.unwrap_or_default()));

    let fault = {
        let mut faults = faults.lock().unwrap();
        faults
            .iter_mut()
            .find(|(needle, _, times)| *times > 0 && target.contains(needle.as_str()))
            .map(|f| {
                f.2 -= 1;
                f.1
            })
    };
    let canned = |status: &str, code: &str| {
        let xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected</Message></Error>");
        format!("HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}", xml.len())
    };
    match fault {
        Some(Fault::SlowDown) => return client.write_all(canned("503 Slow Down", "SlowDown").as_bytes()),
        Some(Fault::InternalError) => {
            return client.write_all(canned("500 Internal Server Error", "InternalError").as_bytes())
        }
        _ => {}
    }
    if target.contains("list-type=2") {
        std::thread::sleep(list_delay);
        target.push_str("&max-keys=2");
    }
    let mut up = TcpStream::connect(upstream)?;
    write!(up, "{method} {target} HTTP/1.1\r\n")?;
    for h in &headers {
        up.write_all(h.as_bytes())?;
    }
    up.write_all(b"Connection: close\r\n\r\n")?;
    up.write_all(&body)?;
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    if let Some(Fault::CutMidBody) = fault {
        let head = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let cut = head + (response.len() - head) / 2;
        client.write_all(&response[..cut])?;
        return client.shutdown(Shutdown::Both);
    }
    client.write_all(&response)
}

/// moto with the generated incident's eight log objects under `logs/`, in order. Keys
/// carry no time: the generator names an object after its first record, where AWS
/// uses the delivery time, so listing would prune objects it must not.
fn moto_with_generated_logs() -> (Moto, Vec<(String, u64, PathBuf)>) {
    let moto = Moto::start();
    let (runtime, client) = moto.client();
    runtime
        .block_on(client.create_bucket().bucket("brb-logs").send())
        .unwrap();
    let mut objects = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(generated().join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let key = format!("logs/object-{}", objects.len());
        let bytes = fs::read(&path).unwrap();
        objects.push((key.clone(), bytes.len() as u64, path));
        put(&runtime, &client, "brb-logs", &key, bytes);
    }
    (moto, objects)
}

fn plan_from_s3(moto: &Moto, endpoint: &str, logs: &str, out: &Path) -> assert_cmd::assert::Assert {
    let g = generated();
    moto.bin()
        .arg("plan")
        .arg("--incident")
        .arg(g.join("incident.toml"))
        .args(["--logs", logs])
        .arg("--learners")
        .arg(g.join("learners.csv"))
        .arg("--calendars")
        .arg(g.join("calendars.csv"))
        .args([
            "--endpoint-url",
            endpoint,
            "--s3-path-style",
            "--s3-concurrency",
            "3",
        ])
        .arg("--out")
        .arg(out)
        .assert()
}

#[test]
fn s3_faults_are_retried_and_every_listed_object_is_read_exactly_once() {
    let (moto, objects) = moto_with_generated_logs();
    let key = |i: usize| objects[i].0.clone();
    let proxy = FaultyS3::start(
        &moto.endpoint,
        vec![
            (key(2), Fault::SlowDown, 2),
            (key(3), Fault::InternalError, 1),
            (key(4), Fault::CutMidBody, 2),
        ],
        Duration::from_millis(400),
    );
    let w = Workdir::new();
    plan_from_s3(&moto, &proxy.endpoint, "s3://brb-logs/logs/", &w.path("out")).success();
    plan(
        &generated(),
        &[generated().join("logs")],
        &generated().join("calendars.csv"),
        &w.path("local"),
        &[],
    )
    .success();
    let (run, local) = (run_json(&w, "out"), run_json(&w, "local"));
    assert_eq!(run["counts"], local["counts"], "no line read twice or lost");
    for f in ["manifest.jsonl", "decisions.jsonl"] {
        let want = fs::read_to_string(generated().join("expected").join(f)).unwrap();
        assert!(
            w.read(&format!("out/{f}")) == want,
            "{f} differs from the expected run"
        );
    }
    assert_eq!(run["inputs"]["s3"]["listed_objects"], objects.len());
    let read: Vec<(String, u64)> = run["inputs"]["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["path"].as_str().unwrap().to_string(),
                l["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let listed: Vec<(String, u64)> = objects
        .iter()
        .map(|(k, n, _)| (format!("s3://brb-logs/{k}"), *n))
        .collect();
    assert_eq!(
        read, listed,
        "each listed object read once, whole, in listing order"
    );

    let requests = proxy.requests.lock().unwrap().clone();
    let gets = |k: &str| {
        requests
            .iter()
            .filter(|r| r.starts_with("GET") && r.contains(k))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        gets(&key(2)).len(),
        3,
        "two SlowDowns, then the object: {requests:?}"
    );
    assert_eq!(gets(&key(3)).len(), 2, "one 500, then the object");
    let cut = gets(&key(4));
    assert_eq!(cut.len(), 3, "{cut:?}");
    assert!(
        cut[1].contains("range: bytes=") && cut[2].contains("range: bytes="),
        "resumed where it stopped: {cut:?}"
    );
    assert!(
        requests.iter().filter(|r| r.contains("list-type=2")).count() >= 4,
        "listed in pages of two"
    );
}

#[test]
fn s3_objects_that_keep_failing_or_end_early_stop_the_run_naming_them() {
    let (moto, objects) = moto_with_generated_logs();
    let (runtime, client) = moto.client();
    // A gzip object cut short: not transient, nothing to retry.
    let mut truncated = fs::read(&objects[1].2).unwrap();
    truncated.truncate(truncated.len() / 2);
    put(&runtime, &client, "brb-logs", "cut/object-1", truncated);
    let w = Workdir::new();
    let out = plan_from_s3(&moto, &moto.endpoint, "s3://brb-logs/cut/", &w.path("out")).code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("s3://brb-logs/cut/object-1"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!w.path("out/manifest.jsonl").exists());

    // An object that answers 500 every time: the SDK's retries run out.
    let proxy = FaultyS3::start(
        &moto.endpoint,
        vec![(objects[5].0.clone(), Fault::InternalError, 100)],
        Duration::ZERO,
    );
    let out = plan_from_s3(&moto, &proxy.endpoint, "s3://brb-logs/logs/", &w.path("out")).code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(&format!("s3://brb-logs/{}", objects[5].0)),
        "{stderr}"
    );
    assert!(stderr.contains("InternalError"), "{stderr}");
    assert!(!w.path("out/manifest.jsonl").exists());
}
