//! What the integration tests share: the binary, throwaway directories, the recorded
//! incidents (and a one-learner one made on the spot), and moto (a real S3- and
//! Athena-protocol server) on loopback. Each test binary uses part of it.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn small() -> PathBuf {
    root().join("testdata/small")
}

/// A temporary directory for one test's outputs.
pub struct Workdir(pub tempfile::TempDir);

impl Workdir {
    pub fn new() -> Workdir {
        Workdir(tempfile::tempdir().unwrap())
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }

    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path(name)).unwrap()
    }
}

pub fn bin() -> Command {
    Command::cargo_bin("streak-repair").unwrap()
}

/// `plan` on an incident directory laid out like testdata/, with extra arguments.
pub fn plan(
    case: &Path,
    logs: &[PathBuf],
    calendars: &Path,
    out: &Path,
    extra: &[&str],
) -> assert_cmd::assert::Assert {
    let mut cmd = bin();
    cmd.arg("plan")
        .arg("--incident")
        .arg(case.join("incident.toml"))
        .arg("--logs");
    cmd.args(logs);
    cmd.arg("--learners")
        .arg(case.join("learners.csv"))
        .arg("--calendars")
        .arg(calendars)
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd.assert()
}

pub fn plan_small(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    plan(
        &small(),
        &[small().join("logs")],
        &small().join("calendars.csv"),
        out,
        extra,
    )
}

pub fn run_json(w: &Workdir, dir: &str) -> serde_json::Value {
    serde_json::from_str(&w.read(&format!("{dir}/run.json"))).unwrap()
}

/// A copy of a directory tree (a recorded case to alter, logs to rename).
pub fn copy_dir(from: &Path, to: &Path) {
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

// ---- a one-learner incident whose local day depends on the tz data ----

/// An hour-long incident on 2026-11-20 from 07:00Z, evidence under `brb/`.
pub const VANCOUVER_INCIDENT: &str = r#"
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
pub fn vancouver_case(w: &Workdir) -> (PathBuf, PathBuf) {
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

// ---- S3, against a real S3-protocol server (moto) on loopback ----

/// moto's server on a free loopback port, stopped when dropped. `make test` installs
/// it into .venv (`make moto`).
pub struct Moto {
    child: std::process::Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        let server = std::env::var("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|_| root().join(".venv/bin/moto_server"));
        assert!(
            server.exists(),
            "{} is missing: run `make moto`",
            server.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "moto did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        moto
    }

    pub fn client(&self) -> (tokio::runtime::Runtime, aws_sdk_s3::Client) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .build();
        (runtime, aws_sdk_s3::Client::from_conf(config))
    }

    /// The binary, with credentials and region for moto in its environment.
    pub fn bin(&self) -> Command {
        self.bin_named("streak-repair")
    }

    /// One of the project's binaries, with moto's credentials and region.
    pub fn bin_named(&self, name: &str) -> Command {
        let mut cmd = Command::cargo_bin(name).unwrap();
        for (k, v) in MOTO_ENV {
            cmd.env(k, v);
        }
        cmd.env_remove("AWS_PROFILE").env_remove("AWS_ENDPOINT_URL");
        cmd
    }

    pub fn athena(&self) -> aws_sdk_athena::Client {
        aws_sdk_athena::Client::from_conf(
            aws_sdk_athena::Config::builder()
                .behavior_version(aws_sdk_athena::config::BehaviorVersion::latest())
                .region(aws_sdk_athena::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_athena::config::Credentials::new(
                    "test", "test", None, None, "test",
                ))
                .endpoint_url(&self.endpoint)
                .build(),
        )
    }

    /// The binary, for a run watched while it goes.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("streak-repair"))
            .args(args)
            .envs(MOTO_ENV)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// POSTs JSON to one of moto's own endpoints (`/moto-api/...`).
    pub fn moto_api(&self, path: &str, body: &str) {
        use std::io::{Read, Write};
        let host = self.endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 2"), "{path}: {response}");
    }
}

pub const MOTO_ENV: [(&str, &str); 4] = [
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
];

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn put(
    runtime: &tokio::runtime::Runtime,
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) {
    runtime
        .block_on(
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(body.into())
                .send(),
        )
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
}

/// Headless Chromium (`$CHROMIUM`, else Debian's `chromium`, which `make browser` installs)
/// with a fresh profile in `profile`, quiet and offline but for the page.
pub fn chromium(profile: &Path) -> (String, std::process::Command) {
    let name = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let mut cmd = std::process::Command::new(&name);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    (name, cmd)
}

/// The JSON Lines a successful run printed (its stderr in the panic otherwise).
pub fn json_lines(out: std::process::Output) -> Vec<serde_json::Value> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}
