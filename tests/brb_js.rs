//! `client/brb.js` in headless Chromium (Debian's package, as `make test` installs it)
//! against moto, cross-origin through CORS that `brb setup` configured: paused → the
//! maintenance page with the message as text; resumed → gone at the next poll; a
//! non-blocking feature → a banner; S3 answering 500, 403, slowly, a garbage body, or
//! not at all → the app works as if nothing happened, no uncaught error, and errors
//! back off.

mod common;

// The drill's proxy, for its faults and its HTTP parsing; its log lines go unread here.
#[allow(dead_code)]
#[path = "drill/proxy.rs"]
mod proxy;

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::*;
use serde_json::Value;

const LEARNER: &str = "123456789012345678";
const COHORTS: u32 = 10;
/// A fault mode of the proxy meaning "answer, but only after the client's timeout".
const SLOW: u16 = 1;

/// The app: its own lesson keeps ticking; every poll's outcome and the page's state just
/// after it, and any uncaught error, are posted to `/event`.
fn page(options: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>app</title></head><body>
<main id="lesson">Lesson 1</main>
<script>
var errors = [], polls = 0, ticks = 0, send = window.fetch.bind(window);
addEventListener("error", function (e) {{ errors.push(String(e.message)); }});
addEventListener("unhandledrejection", function (e) {{ errors.push("unhandled: " + e.reason); }});
setInterval(function () {{ ticks++; document.getElementById("lesson").textContent = "Lesson 1 (" + ticks + ")"; }}, 50);
function report(n, outcome) {{
  setTimeout(function () {{
    var m = document.getElementById("brb-maintenance"), b = document.getElementById("brb-banner");
    send("/event", {{method: "POST", body: JSON.stringify({{n: n, outcome: outcome,
      maintenance: m ? m.textContent : null, markup: !!(m && m.querySelector("b")),
      banner: b ? b.textContent : null, lesson: document.getElementById("lesson").textContent,
      ticks: ticks, errors: errors}})}});
  }}, 100);
}}
window.fetch = function (url, init) {{
  var n = ++polls;
  return send(url, init).then(function (r) {{ report(n, r.status); return r; }},
                              function (e) {{ report(n, "error"); throw e; }});
}};
</script>
<script src="/brb.js"></script>
<script>BigRedButton.start({options});</script>
</body></html>"#
    )
}

/// The app's own origin: the page, brb.js, and the events it posts.
struct Site {
    origin: String,
    events: mpsc::Receiver<Value>,
}

fn site(html: String) -> Site {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let script = std::fs::read_to_string(root().join("client/brb.js")).unwrap();
    let (tx, events) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let Ok(Some(head)) = proxy::read_head(&mut reader) else {
                continue;
            };
            let body = proxy::read_body(&mut reader, &head).unwrap_or_default();
            let (kind, text) = match head.target.as_str() {
                "/app.html" => ("text/html", html.as_str()),
                "/brb.js" => ("text/javascript", script.as_str()),
                _ => {
                    if let Ok(event) = serde_json::from_slice(&body) {
                        let _ = tx.send(event);
                    }
                    ("text/plain", "")
                }
            };
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    Site { origin, events }
}

/// Chromium on the page, with its own profile, closed on drop.
struct Browser {
    child: std::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn open(url: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (chromium, mut browser) = chromium(profile.path());
        let child = browser
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {chromium} ({e}); `make browser` installs it"));
        Browser {
            child,
            _profile: profile,
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Site {
    /// The first poll numbered above `after`, checked for uncaught errors and a live app.
    fn poll_after(&self, after: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .events
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no poll after #{after} within 30 s"));
            assert_eq!(event["errors"], Value::Array(vec![]), "uncaught error: {event}");
            assert!(
                event["lesson"].as_str().unwrap().starts_with("Lesson 1"),
                "{event}"
            );
            if event["n"].as_u64().unwrap() > after {
                return event;
            }
        }
    }
}

fn options(base: &str) -> String {
    format!(
        "{{base: \"{base}\", cohorts: {COHORTS}, learnerId: \"{LEARNER}\", tz: \"Asia/Kolkata\", \
         features: [\"lessons\"], interval: 200, timeout: 500, maxBackoff: 2000}}"
    )
}

#[test]
fn brb_js_shows_the_pause_removes_it_on_resume_and_fails_open() {
    let moto = Moto::start();
    let (runtime, s3) = moto.client();
    runtime
        .block_on(s3.create_bucket().bucket("duo-brb").send())
        .unwrap();
    runtime
        .block_on(s3.create_bucket().bucket("duo-brb-logs").send())
        .unwrap();
    let mode = Arc::new(AtomicU16::new(0));
    let faults = mode.clone();
    let proxy = proxy::Proxy::start(
        moto.endpoint.trim_start_matches("http://"),
        "duo-brb",
        Box::new(move |_, _, _| match faults.load(Ordering::SeqCst) {
            0 => None,
            SLOW => {
                std::thread::sleep(Duration::from_millis(1500));
                None
            }
            code => Some(code),
        }),
    );
    proxy
        .clock
        .store(jiff::Timestamp::now().as_second(), Ordering::SeqCst);
    let app = site(page(&options(&format!("{}/duo-brb", proxy.endpoint))));
    let work = Workdir::new();
    let config = work.write(
        "brb.toml",
        &format!(
            "bucket = \"duo-brb\"\ncohorts = {COHORTS}\nendpoint_url = \"{}\"\npath_style = true\n\
             region = \"us-east-1\"\nfeatures = [\"lessons\", \"leaderboards\"]\nblocks_practice = [\"lessons\"]\n\
             [logging]\nbucket = \"duo-brb-logs\"\nprefix = \"access/\"\n[cors]\norigins = [\"{}\"]\n",
            moto.endpoint, app.origin
        ),
    );
    let brb = |args: &[&str]| {
        Command::cargo_bin("brb")
            .unwrap()
            .envs(MOTO_ENV)
            .env_remove("AWS_PROFILE")
            .arg("--config")
            .arg(&config)
            .args(args)
            .args(["--yes"])
            .assert()
            .success();
    };
    brb(&["setup"]);
    let cohort = brb_client::cohort("brb", LEARNER.parse().unwrap(), COHORTS);
    let (mine, other) = (cohort.to_string(), ((cohort + 1) % COHORTS).to_string());
    let polls = || proxy.requests.load(Ordering::SeqCst);
    let _browser = Browser::open(&format!("{}/app.html", app.origin));

    let e = app.poll_after(0);
    assert!(
        e["maintenance"].is_null() && [403, 404].contains(&e["outcome"].as_u64().unwrap_or(0)),
        "nothing paused, read cross-origin: {e}"
    );
    brb(&["pause", "--cohorts", &other, "--features", "lessons"]);
    let e = app.poll_after(polls());
    assert!(e["maintenance"].is_null(), "another cohort's pause: {e}");

    let message = "Back at 3 pm <b>soon</b>";
    brb(&[
        "pause",
        "--cohorts",
        &mine,
        "--features",
        "lessons",
        "--message",
        message,
    ]);
    let e = app.poll_after(polls());
    assert_eq!(e["maintenance"], message, "{e}");
    assert_eq!(e["markup"], false, "the message is text, never markup");
    brb(&["resume"]);
    let e = app.poll_after(polls());
    assert!(
        e["maintenance"].is_null() && e["banner"].is_null(),
        "gone at the next poll: {e}"
    );

    brb(&["pause", "--cohorts", &mine, "--features", "leaderboards"]);
    let e = app.poll_after(polls());
    assert!(e["maintenance"].is_null(), "{e}");
    assert!(
        e["banner"].is_string(),
        "a banner for a feature the page does not need: {e}"
    );
    // The browser revalidates with If-None-Match and If-Modified-Since; moto (unlike S3)
    // answers 304 on the date alone, which has whole seconds: rewrite in a later second.
    let rewrite = Duration::from_millis(1100);
    std::thread::sleep(rewrite);
    brb(&["pause", "--cohorts", &mine, "--features", "lessons"]);
    let paused = |after: u64| {
        let e = app.poll_after(after);
        assert!(e["maintenance"].is_string(), "paused again: {e}");
    };
    paused(polls());

    // S3 breaks while the cohort is paused: each way fails open.
    for (fault, outcome) in [(500, "500"), (403, "403"), (SLOW, "\"error\"")] {
        mode.store(fault, Ordering::SeqCst);
        let e = app.poll_after(polls());
        assert_eq!(e["outcome"].to_string(), outcome, "{e}");
        assert!(
            e["maintenance"].is_null() && e["banner"].is_null(),
            "fails open: {e}"
        );
        mode.store(0, Ordering::SeqCst);
        paused(polls());
    }
    std::thread::sleep(rewrite);
    put(
        &runtime,
        &s3,
        "duo-brb",
        &brb_client::cohort_key("brb/", cohort, COHORTS),
        b"<html>oops".to_vec(),
    );
    let e = app.poll_after(polls());
    assert!(
        e["outcome"] == 200 && e["maintenance"].is_null(),
        "garbage body: {e}"
    );

    // Errors back off: at 200 ms a poll, 3 s of 500s see a handful of polls, not 15.
    mode.store(500, Ordering::SeqCst);
    let before = polls();
    app.poll_after(before);
    std::thread::sleep(Duration::from_secs(3));
    let during = polls() - before;
    mode.store(0, Ordering::SeqCst);
    assert!((1..=6).contains(&during), "{during} polls in 3 s of errors");
}

#[test]
fn brb_js_with_s3_unreachable_leaves_the_app_alone() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let app = site(page(&options(&format!("http://{closed}/duo-brb"))));
    let _browser = Browser::open(&format!("{}/app.html", app.origin));
    let mut ticks = 0;
    for n in 0..3 {
        let e = app.poll_after(n);
        assert!(e["outcome"] == "error" && e["maintenance"].is_null(), "{e}");
        assert!(e["ticks"].as_u64().unwrap() > ticks, "the app keeps running: {e}");
        ticks = e["ticks"].as_u64().unwrap();
    }
}
