//! `gen_traffic` — deterministic ALB access logs of a simulated system of services, with the
//! ground truth of every request's call tree, for `reqtrace`'s tests and benchmarks.
//!
//! ```text
//! cargo run --example gen_traffic -- --out DIR [--truth FILE] [--requests N] [--services N]
//!     [--from T] [--duration D] [--seed S] [--cut-share P] [--duplicate-share P] [--late-share P]
//!     [--slow SVC [--slow-factor F]] [--failing SVC [--fail-rate P]] [--fault-from T] [--fault-to T]
//! ```
//!
//! Simulates `--requests` requests through a layered topology of services (edge services
//! behind `public-alb`, the rest behind `internal-alb-1`/`-2`, one target group each), every
//! service forwarding `X-Amzn-Trace-Id` as TRACING.md says (`Root`, `Caller`, `CallerSelf`),
//! and writes one ALB log line per hop, in all 33 documented fields, into
//! `DIR/AWSLogs/…/*.log.gz`: one gzip object per ALB per 5 minutes of `time`, lines in time
//! order, `--duplicate-share` of objects also written under a second name, `--late-share`
//! of lines delivered in the next object. `--cut-share` of downstream hops lost their custom
//! fields to the 7 KB rule (`Self` and `Root` only). `--truth FILE` writes one JSON line per
//! trace and `edges.json` beside it (calls and errors per caller → callee, the faults, what
//! was delivered twice or late).
//!
//! Streams: lines wait in a heap only until no later request can log an earlier line, so
//! memory is bounded by the requests in flight, not by `--requests`. The same arguments give
//! byte-identical files: every choice comes from the PRNG below, seeded by `--seed`, and the
//! topology has its own stream, so it does not change with `--requests`.

use std::cmp::Reverse;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use flate2::{write::GzEncoder, Compression};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const BUCKET_US: i64 = 300_000_000;
/// The services, edge first: `--services N` takes the first N.
const NAMES: &str =
    "gateway web auth profile lessons stories leaderboards payments notifications search feed social \
    achievements subscriptions onboarding settings sessions users courses content media ranking \
    billing email push translations progress streaks xp friends experiments audit geo ledger fraud \
    recommendations catalog tts speech storage";
const PATHS: [(&str, &str); 8] = [
    ("GET", "/v1/{svc}/{id}"),
    ("GET", "/v1/users/{id}/{svc}"),
    ("POST", "/v1/{svc}/{id}/complete"),
    ("PUT", "/v1/{svc}/{id}"),
    ("GET", "/v1/{svc}/{id}/items/{id}"),
    ("POST", "/v1/{svc}"),
    ("DELETE", "/v1/{svc}/{id}"),
    ("GET", "/v1/{svc}/search"),
];
const CLIENT_UAS: [&str; 4] = [
    "Lingo/7.41.0 (iPhone; iOS 18.5; Scale/3.00)",
    "Lingo/7.40.2 (Android 15; Pixel 8)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15",
];
const SERVICE_UAS: [&str; 3] = ["Go-http-client/1.1", "okhttp/4.12.0", "python-requests/2.32.3"];
const TLS: [(&str, &str); 2] = [
    ("ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2"),
    ("TLS_AES_128_GCM_SHA256", "TLSv1.3"),
];

/// Deterministic ALB access logs of simulated traffic, with the ground truth of every trace.
#[derive(Debug, Parser)]
#[command(name = "gen_traffic", max_term_width = 100)]
struct Args {
    /// Directory for the log objects (`DIR/AWSLogs/...`); earlier `.log.gz` files there are removed.
    #[arg(long)]
    out: PathBuf,
    /// Ground truth: one JSON line per trace here, and `edges.json` in the same directory.
    #[arg(long)]
    truth: Option<PathBuf>,
    /// Requests (traces) to simulate.
    #[arg(long, default_value_t = 1000)]
    requests: u64,
    /// Services in the topology (3 to 40).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(3..=40))]
    services: u64,
    /// First request's start (RFC 3339).
    #[arg(long, default_value = "2025-06-02T09:00:00Z")]
    from: Timestamp,
    /// Span of the request starts (`1h`, `10m`, `PT90S`).
    #[arg(long, default_value = "1h")]
    duration: SignedDuration,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of downstream hops cut by the 7 KB rule (logged with `Self` and `Root` only).
    #[arg(long, default_value_t = 0.02)]
    cut_share: f64,
    /// Share of log objects also written under a second name.
    #[arg(long, default_value_t = 0.01)]
    duplicate_share: f64,
    /// Share of lines delivered in the next 5-minute object instead of their own.
    #[arg(long, default_value_t = 0.01)]
    late_share: f64,
    /// A service whose own time is multiplied by --slow-factor during the fault window.
    #[arg(long)]
    slow: Option<String>,
    #[arg(long, default_value_t = 8.0)]
    slow_factor: f64,
    /// A service whose hops fail with probability --fail-rate during the fault window.
    #[arg(long)]
    failing: Option<String>,
    #[arg(long, default_value_t = 0.5)]
    fail_rate: f64,
    /// Fault window start (default: a third of the way into --duration).
    #[arg(long)]
    fault_from: Option<Timestamp>,
    /// Fault window end (default: two thirds of the way into --duration).
    #[arg(long)]
    fault_to: Option<Timestamp>,
}

/// The validated configuration: instants in Unix microseconds, services by index.
struct Config {
    from: i64,
    duration: i64,
    cut_share: f64,
    slow: Option<(usize, f64)>,
    failing: Option<(usize, f64)>,
    window: (i64, i64),
}

// ---------------------------------------------------------------------------------------
// PRNG: splitmix64, hand-written so the files stay the same across crate versions.

struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + ((u128::from(self.next()) * u128::from(hi - lo + 1)) >> 64) as u64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Lognormal around `median` with shape `sigma` (Box–Muller).
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        let z = (-2.0 * (1.0 - self.unit()).ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos();
        median * (sigma * z).exp()
    }
}

// ---------------------------------------------------------------------------------------
// Topology.

struct Alb {
    name: &'static str,
    id: u64,
    node_ip: u32,
    cert: String,
    idle_timeout_us: i64,
}

struct Call {
    svc: usize,
    op: usize,
    times: u64,
    parallel: bool,
}

struct Op {
    method: &'static str,
    /// Path with `{id}` placeholders: the truth's operation is `METHOD template`.
    template: String,
    operation: String,
    hex_ids: bool,
    query: &'static str,
    median_us: f64,
    error_p: f64,
    resp_bytes: f64,
    calls: Vec<Call>,
}

struct Service {
    name: &'static str,
    layer: usize,
    alb: usize,
    tg_id: u64,
    port: u16,
    instances: [u32; 3],
    https: bool,
    host: String,
    ua: String,
    priority: u32,
    ops: Vec<Op>,
}

struct Topology {
    albs: Vec<Alb>,
    services: Vec<Service>,
}

fn build_albs(rng: &mut Rng) -> Vec<Alb> {
    let specs = [
        ("public-alb", 0x3416_5A10, 30),
        ("internal-alb-1", 0x0A00_0A15, 10),
        ("internal-alb-2", 0x0A00_1427, 10),
    ];
    let cert = |rng: &mut Rng| {
        let (a, b) = (rng.next(), rng.next());
        format!(
            "arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    };
    specs
        .iter()
        .map(|&(name, ip, idle)| Alb {
            name,
            id: rng.next(),
            node_ip: ip,
            cert: cert(rng),
            idle_timeout_us: idle * 1_000_000,
        })
        .collect()
}

fn build_op(rng: &mut Rng, svc: &str, layer: usize, (method, path): (&'static str, &str)) -> Op {
    let template = path.replace("{svc}", svc);
    let query = match (method, rng.range(0, 3)) {
        ("GET", 0) => "?locale=en-US",
        ("GET", 1) => "?limit=20",
        _ => "",
    };
    Op {
        method,
        operation: format!("{method} {template}"),
        template,
        hex_ids: rng.chance(0.5),
        query,
        median_us: rng.range([3, 5, 5, 2][layer], [20, 40, 30, 15][layer]) as f64 * 1000.0,
        error_p: rng.range(1, 10) as f64 / 1000.0,
        resp_bytes: rng.range(300, 8000) as f64,
        calls: Vec::new(),
    }
}

fn build_topology(n: usize, seed: u64) -> Topology {
    let mut rng = Rng::new(seed, 1);
    let albs = build_albs(&mut rng);
    let edge = 2;
    let rest = n - edge;
    let names: Vec<&'static str> = NAMES.split_whitespace().collect();
    let mut services: Vec<Service> = (0..n)
        .map(|i| {
            let layer = if i < edge { 0 } else { 1 + 3 * (i - edge) / rest };
            let alb = if layer == 0 { 0 } else { 1 + i % 2 };
            let ip = 0x0A00_0000 | ((1 + alb as u32) << 16) | ((i as u32) << 8);
            let mut paths = PATHS.to_vec();
            let mut ops = Vec::new();
            for _ in 0..rng.range(2, 4) {
                let p = paths.remove(rng.range(0, paths.len() as u64 - 1) as usize);
                ops.push(build_op(&mut rng, names[i], layer, p));
            }
            Service {
                name: names[i],
                layer,
                alb,
                tg_id: rng.next(),
                port: *rng.pick(&[8080, 8080, 3000, 9000]),
                instances: [ip | 11, ip | 12, ip | 13],
                https: layer == 0 || rng.chance(0.6),
                host: format!(
                    "{}.{}lingo.example",
                    names[i],
                    if layer == 0 { "" } else { "internal." }
                ),
                ua: format!(
                    "{}/{}.{} {}",
                    names[i],
                    rng.range(1, 4),
                    rng.range(0, 30),
                    rng.pick(&SERVICE_UAS)
                ),
                priority: i as u32 + 1,
                ops,
            }
        })
        .collect();
    wire_calls(&mut services, &mut rng);
    // One operation sends oversized, uncompressed responses.
    services[n / 2].ops[0].resp_bytes = 600_000.0;
    Topology { albs, services }
}

fn wire_calls(services: &mut [Service], rng: &mut Rng) {
    let deeper = |l: usize, s: &[Service]| -> Vec<(usize, usize)> {
        s.iter()
            .enumerate()
            .filter(|(_, x)| x.layer > l)
            .flat_map(|(i, x)| (0..x.ops.len()).map(move |o| (i, o)))
            .collect()
    };
    for i in 0..services.len() {
        let layer = services[i].layer;
        let all = deeper(layer, services);
        let next: Vec<_> = all
            .iter()
            .copied()
            .filter(|&(s, _)| services[s].layer == layer + 1)
            .collect();
        for o in 0..services[i].ops.len() {
            let (lo, hi) = [(2, 4), (1, 3), (0, 2), (0, 0)][layer];
            let mut calls: Vec<Call> = Vec::new();
            for _ in 0..rng.range(lo, hi).min(all.len() as u64) {
                let &(svc, op) = if !next.is_empty() && rng.chance(0.7) {
                    rng.pick(&next)
                } else {
                    rng.pick(&all)
                };
                if calls.iter().all(|c| (c.svc, c.op) != (svc, op)) {
                    let times = if rng.chance(0.12) { 3 } else { 1 };
                    calls.push(Call {
                        svc,
                        op,
                        times,
                        parallel: rng.chance(0.35),
                    });
                }
            }
            services[i].ops[o].calls = calls;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Simulation: one request at a time, hops in pre-order (a hop before its children).

/// A trace id: `1-{8 hex epoch}-{24 hex}`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Tid(u32, u128);

impl fmt::Display for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1-{:08x}-{:024x}", self.0, self.1)
    }
}

fn new_tid(rng: &mut Rng, at_us: i64) -> Tid {
    let r = (u128::from(rng.next()) << 32 | u128::from(rng.next() >> 32)) & ((1 << 96) - 1);
    Tid((at_us / 1_000_000) as u32, r)
}

/// What a hop's `CallerSelf` names: nothing (the entry hop), `root`, or the caller's `Self`.
#[derive(Clone, Copy, Default)]
enum Parent {
    #[default]
    Entry,
    Root,
    Hop(Tid),
}

#[derive(Default)]
struct Hop<'t> {
    svc: usize,
    op: usize,
    caller: Option<usize>,
    self_id: Option<Tid>,
    parent: Parent,
    cut: bool,
    start: i64,
    end: i64,
    rpt: i64,
    /// Target and response processing times; `None` logs `-1` (the ELB answered itself).
    tpt: Option<i64>,
    rspt: Option<i64>,
    elb_status: u16,
    target_status: Option<u16>,
    error_reason: &'static str,
    received: u64,
    sent: u64,
    kind: &'static str,
    tls: usize,
    client: (u32, u16),
    target_ip: u32,
    path: String,
    ua: &'t str,
    conn: u128,
}

/// Who sends a hop: the calling service (none for the entry hop), what its `CallerSelf`
/// names, and the caller's address.
#[derive(Clone, Copy)]
struct From {
    svc: Option<usize>,
    parent: Parent,
    client: (u32, u16),
}

struct Sim<'t> {
    topo: &'t Topology,
    cfg: &'t Config,
    rng: Rng,
}

impl<'t> Sim<'t> {
    fn in_fault(&self, fault: Option<(usize, f64)>, svc: usize, at: i64) -> Option<f64> {
        let (w0, w1) = self.cfg.window;
        fault
            .filter(|&(s, _)| s == svc && at >= w0 && at < w1)
            .map(|(_, x)| x)
    }

    fn request(&mut self, start: i64, hops: &mut Vec<Hop<'t>>) -> Tid {
        let root = new_tid(&mut self.rng, start);
        let entry: Vec<(usize, usize)> = (0..self.topo.services.len())
            .filter(|&s| self.topo.services[s].layer == 0)
            .flat_map(|s| (0..self.topo.services[s].ops.len()).map(move |o| (s, o)))
            .collect();
        let &(svc, op) = self.rng.pick(&entry);
        let ip = 0x4000_0000 | (self.rng.next() as u32 & 0x3fff_ffff);
        let from = From {
            svc: None,
            parent: Parent::Entry,
            client: (ip, self.rng.range(1024, 65535) as u16),
        };
        self.hop(hops, svc, op, from, start);
        root
    }

    fn concrete_path(&mut self, op: &Op) -> String {
        let mut out = String::with_capacity(op.template.len() + 24);
        for (i, part) in op.template.split("{id}").enumerate() {
            if i > 0 && op.hex_ids {
                let _ = write!(out, "{:012x}", self.rng.next() >> 16);
            } else if i > 0 {
                let _ = write!(out, "{}", self.rng.range(100_000, 999_999_999));
            }
            out.push_str(part);
        }
        out.push_str(op.query);
        out
    }

    /// Simulates one hop and its subtree from `start`; returns its end and status.
    fn hop(&mut self, hops: &mut Vec<Hop<'t>>, svc: usize, op: usize, from: From, start: i64) -> (i64, u16) {
        let s = &self.topo.services[svc];
        let o = &s.ops[op];
        let idx = hops.len();
        hops.push(Hop::default());
        let self_id = from.svc.map(|_| new_tid(&mut self.rng, start));
        let mut h = Hop {
            svc,
            op,
            caller: from.svc,
            self_id,
            parent: from.parent,
            cut: from.svc.is_some() && self.rng.chance(self.cfg.cut_share),
            start,
            rpt: self.rng.range(100, 900) as i64,
            kind: if !s.https {
                "http"
            } else if s.layer == 0 && self.rng.chance(0.5) {
                "h2"
            } else {
                "https"
            },
            tls: self.rng.range(0, 1) as usize,
            client: from.client,
            target_ip: *self.rng.pick(&s.instances),
            path: self.concrete_path(o),
            ua: from
                .svc
                .map_or(*self.rng.pick(&CLIENT_UAS), |c| self.topo.services[c].ua.as_str()),
            conn: u128::from(self.rng.next()) << 64 | u128::from(self.rng.next()),
            error_reason: "-",
            ..Hop::default()
        };
        let failing = self.in_fault(self.cfg.failing, svc, start);
        let error_p = failing.unwrap_or(o.error_p);
        if self.rng.chance(0.002 + error_p * 0.2) {
            self.elb_error(&mut h, s);
        } else {
            self.served(&mut h, hops, o, error_p);
        }
        h.received += self.request_bytes(o.method, h.cut);
        let result = (h.end, h.elb_status);
        hops[idx] = h;
        result
    }

    /// The load balancer answers itself: 502 (connection refused) or 504 (idle timeout).
    fn elb_error(&mut self, h: &mut Hop<'t>, s: &Service) {
        let alb = &self.topo.albs[s.alb];
        if self.rng.chance(0.7) {
            (h.elb_status, h.error_reason) = (502, "TargetConnectionError");
            h.end = h.start + h.rpt + self.rng.range(1000, 5000) as i64;
        } else {
            (h.elb_status, h.error_reason) = (504, "TargetTimeout");
            h.end = h.start + h.rpt + alb.idle_timeout_us;
        }
        h.sent = 272;
    }

    /// The target handles the request: own time around its children, then a status.
    fn served(&mut self, h: &mut Hop<'t>, hops: &mut Vec<Hop<'t>>, o: &Op, error_p: f64) {
        let slow = self.in_fault(self.cfg.slow, h.svc, h.start).unwrap_or(1.0);
        let own = (self.rng.lognormal(o.median_us, 0.5) * slow).max(200.0) as i64;
        let target_start = h.start + h.rpt;
        let mut cursor = target_start + own * 35 / 100;
        let parent = h.self_id.map_or(Parent::Root, Parent::Hop);
        let mut dependency_failed = false;
        'calls: for c in &o.calls {
            let mut group_end = cursor;
            for _ in 0..c.times {
                let at = (cursor + self.rng.range(50, 400) as i64).div_euclid(1000) * 1000 + 1000;
                let port = self.rng.range(32768, 60999) as u16;
                let from = From {
                    svc: Some(h.svc),
                    parent,
                    client: (h.target_ip, port),
                };
                let (end, status) = self.hop(hops, c.svc, c.op, from, at);
                group_end = group_end.max(end);
                if !c.parallel {
                    cursor = end;
                }
                if status >= 500 {
                    dependency_failed = true;
                    if self.rng.chance(0.6) {
                        cursor = group_end;
                        break 'calls;
                    }
                }
            }
            cursor = group_end;
        }
        let target_end = cursor + own * 65 / 100;
        let rspt = self.rng.range(20, 200) as i64;
        (h.tpt, h.rspt, h.end) = (Some(target_end - target_start), Some(rspt), target_end + rspt);
        let status = if self.rng.chance(error_p) {
            *self.rng.pick(&[500, 500, 503])
        } else if dependency_failed {
            500
        } else {
            match o.method {
                "POST" => 201,
                "DELETE" => 204,
                _ => 200,
            }
        };
        (h.elb_status, h.target_status) = (status, Some(status));
        h.sent = match status {
            204 => self.rng.range(180, 260),
            s if s >= 500 => self.rng.range(180, 400),
            _ => self.rng.range(200, 400) + self.rng.lognormal(o.resp_bytes, 0.4) as u64,
        };
    }

    /// Headers (over 7 KB when the 7 KB rule cut the hop) and a body for writes.
    fn request_bytes(&mut self, method: &str, cut: bool) -> u64 {
        let (lo, hi) = if cut { (7300, 9500) } else { (350, 900) };
        let body = matches!(method, "POST" | "PUT").then(|| self.rng.range(100, 4000));
        self.rng.range(lo, hi) + body.unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------
// Rendering a hop as AWS writes the line.

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `yyyy-mm-ddThh:mm:ss.ffffffZ`.
fn push_time(out: &mut String, us: i64) {
    let (secs, frac) = (us.div_euclid(1_000_000), us.rem_euclid(1_000_000));
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    let _ = write!(
        out,
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    );
}

fn rfc3339(us: i64) -> String {
    let mut s = String::with_capacity(27);
    push_time(&mut s, us);
    s
}

fn push_secs(out: &mut String, us: Option<i64>) {
    match us {
        Some(us) => {
            let ms = (us + 500) / 1000;
            let _ = write!(out, "{}.{:03} ", ms / 1000, ms % 1000);
        }
        None => out.push_str("-1 "),
    }
}

fn ip(v: u32) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::from(v)
}

fn render(h: &Hop, root: Tid, topo: &Topology, out: &mut String) {
    let s = &topo.services[h.svc];
    let alb = &topo.albs[s.alb];
    let host = s.host.as_str();
    let _ = write!(out, "{} ", h.kind);
    push_time(out, h.end);
    let _ = write!(
        out,
        " app/{}/{:016x} {}:{} {}:{} ",
        alb.name,
        alb.id,
        ip(h.client.0),
        h.client.1,
        ip(h.target_ip),
        s.port
    );
    push_secs(out, Some(h.rpt));
    push_secs(out, h.tpt);
    push_secs(out, h.rspt);
    let target_status = h.target_status.map_or("-".to_string(), |t| t.to_string());
    let (scheme, port, version) = match h.kind {
        "http" => ("http", 80, "HTTP/1.1"),
        "h2" => ("https", 443, "HTTP/2.0"),
        _ => ("https", 443, "HTTP/1.1"),
    };
    let _ = write!(out, "{} {target_status} {} {} ", h.elb_status, h.received, h.sent);
    let _ = write!(
        out,
        "\"{} {scheme}://{host}:{port}{} {version}\" \"{}\" ",
        s.ops[h.op].method, h.path, h.ua
    );
    let (cipher, proto) = if scheme == "http" { ("-", "-") } else { TLS[h.tls] };
    let _ = write!(
        out,
        "{cipher} {proto} arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{}/{:016x} \"",
        s.name, s.tg_id
    );
    push_trace_id(out, h, root, topo);
    let (domain, cert) = if scheme == "http" {
        ("-", "-")
    } else {
        (host, alb.cert.as_str())
    };
    let _ = write!(out, "\" \"{domain}\" \"{cert}\" {} ", s.priority);
    push_time(out, h.start);
    let _ = write!(out, " \"forward\" \"-\" \"{}\" ", h.error_reason);
    let _ = writeln!(
        out,
        "\"{}:{}\" \"{target_status}\" \"-\" \"-\" TID_{:032x} \"-\" \"-\" \"-\"",
        ip(h.target_ip),
        s.port,
        h.conn
    );
}

/// The header as the callee's ALB logs it: `Self` first, then `Root`, then what the caller sent.
fn push_trace_id(out: &mut String, h: &Hop, root: Tid, topo: &Topology) {
    let Some(self_id) = h.self_id else {
        let _ = write!(out, "Root={root}");
        return;
    };
    let _ = write!(out, "Self={self_id};Root={root}");
    match (h.cut, h.caller, h.parent) {
        (false, Some(c), Parent::Root) => {
            let _ = write!(out, ";Caller={};CallerSelf=root", topo.services[c].name);
        }
        (false, Some(c), Parent::Hop(p)) => {
            let _ = write!(out, ";Caller={};CallerSelf={p}", topo.services[c].name);
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// Delivery: 5-minute objects per ALB, lines in time order, some late, some objects twice.

/// A line waiting for its object: (time, sequence, ALB, delivery bucket, line), ordered
/// by time and then by when it was made.
type Pending = (i64, u64, usize, i64, String);

struct Object {
    path: PathBuf,
    duplicate: Option<PathBuf>,
    gz: GzEncoder<BufWriter<File>>,
}

#[derive(Default, Serialize)]
struct Delivered {
    objects: u64,
    duplicates: Vec<String>,
    late_lines: u64,
    lines: u64,
    bytes: u64,
}

struct Delivery {
    dir: PathBuf,
    rng: Rng,
    duplicate_share: f64,
    late_share: f64,
    heap: BinaryHeap<Reverse<Pending>>,
    open: BTreeMap<(i64, usize), Object>,
    seq: u64,
    stats: Delivered,
}

impl Delivery {
    fn push(&mut self, time: i64, alb: usize, line: String) {
        let late = self.rng.chance(self.late_share);
        self.stats.late_lines += u64::from(late);
        let bucket = time.div_euclid(BUCKET_US) + i64::from(late);
        self.seq += 1;
        self.heap.push(Reverse((time, self.seq, alb, bucket, line)));
    }

    /// Writes every line before `watermark` (no later request logs earlier) and closes
    /// the objects that can get no more lines.
    fn drain(&mut self, watermark: i64, topo: &Topology) -> Result<()> {
        while self.heap.peek().is_some_and(|p| p.0 .0 < watermark) {
            let Some(Reverse((_, _, alb, bucket, line))) = self.heap.pop() else {
                break;
            };
            let obj = match self.open.entry((bucket, alb)) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(open_object(
                    &self.dir,
                    &mut self.rng,
                    self.duplicate_share,
                    bucket,
                    &topo.albs[alb],
                )?),
            };
            let path = &obj.path;
            obj.gz
                .write_all(line.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            self.stats.lines += 1;
            self.stats.bytes += line.len() as u64;
        }
        while let Some(e) = self.open.first_entry() {
            if (e.key().0 + 1) * BUCKET_US > watermark {
                break;
            }
            close(e.remove(), &mut self.stats)?;
        }
        Ok(())
    }

    fn finish(mut self, topo: &Topology) -> Result<Delivered> {
        self.drain(i64::MAX, topo)?;
        Ok(self.stats)
    }
}

fn open_object(dir: &Path, rng: &mut Rng, duplicate_share: f64, bucket: i64, a: &Alb) -> Result<Object> {
    let end = (bucket + 1) * BUCKET_US;
    let t = rfc3339(end);
    let dir = dir.join(format!(
        "AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/{}/{}/{}",
        &t[0..4],
        &t[5..7],
        &t[8..10]
    ));
    fs::create_dir_all(&dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
    let stamp = format!(
        "{}{}{}T{}{}Z",
        &t[0..4],
        &t[5..7],
        &t[8..10],
        &t[11..13],
        &t[14..16]
    );
    let name = |rng: &mut Rng| {
        let random: String = (0..8)
            .map(|_| *rng.pick(b"abcdefghijklmnopqrstuvwxyz0123456789") as char)
            .collect();
        let node = ip(a.node_ip);
        dir.join(format!(
            "{ACCOUNT}_elasticloadbalancing_{REGION}_app.{}.{:016x}_{stamp}_{node}_{random}.log.gz",
            a.name, a.id
        ))
    };
    let path = name(rng);
    let duplicate = rng.chance(duplicate_share).then(|| name(rng));
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let gz = GzEncoder::new(BufWriter::with_capacity(1 << 16, file), Compression::new(6));
    Ok(Object { path, duplicate, gz })
}

fn close(obj: Object, stats: &mut Delivered) -> Result<()> {
    let what = || format!("cannot write {}", obj.path.display());
    let mut w = obj.gz.finish().with_context(what)?;
    w.flush().with_context(what)?;
    drop(w);
    stats.objects += 1;
    if let Some(dup) = &obj.duplicate {
        fs::copy(&obj.path, dup).with_context(|| format!("cannot write {}", dup.display()))?;
        stats.duplicates.push(
            dup.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }
    Ok(())
}

/// Removes `.log.gz` files under `dir/AWSLogs` left by an earlier run.
fn clear_old(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for e in fs::read_dir(dir).with_context(|| format!("cannot read directory {}", dir.display()))? {
        let p = e
            .with_context(|| format!("cannot read directory {}", dir.display()))?
            .path();
        if p.is_dir() {
            clear_old(&p)?;
        } else if p.to_string_lossy().ends_with(".log.gz") {
            fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Ground truth.

#[derive(Serialize)]
struct TruthSpan<'t> {
    #[serde(rename = "self")]
    self_id: Option<String>,
    parent_self: Option<String>,
    service: &'t str,
    operation: &'t str,
    status: u16,
    cut: bool,
    start: String,
    end: String,
}

#[derive(Serialize)]
struct TruthTrace<'t> {
    root: String,
    spans: Vec<TruthSpan<'t>>,
}

#[derive(Default, Serialize)]
struct Edge {
    calls: u64,
    errors: u64,
    /// Calls cut by the 7 KB rule: the logs cannot name their caller.
    cut: u64,
}

#[derive(Default)]
struct Tally {
    requests: u64,
    hops: u64,
    cut_hops: u64,
    edges: BTreeMap<(&'static str, &'static str), Edge>,
    entries: BTreeMap<&'static str, Edge>,
}

impl Tally {
    fn add(&mut self, hops: &[Hop], topo: &Topology) {
        self.requests += 1;
        for h in hops {
            let callee = topo.services[h.svc].name;
            let e = match h.caller {
                Some(c) => self.edges.entry((topo.services[c].name, callee)).or_default(),
                None => self.entries.entry(callee).or_default(),
            };
            e.calls += 1;
            e.errors += u64::from(h.elb_status >= 500);
            e.cut += u64::from(h.cut);
            self.hops += 1;
            self.cut_hops += u64::from(h.cut);
        }
    }
}

fn truth_line<'t>(root: Tid, hops: &[Hop], topo: &'t Topology) -> TruthTrace<'t> {
    let spans = hops
        .iter()
        .map(|h| TruthSpan {
            self_id: h.self_id.map(|t| t.to_string()),
            parent_self: match h.parent {
                Parent::Entry => None,
                Parent::Root => Some("root".to_string()),
                Parent::Hop(t) => Some(t.to_string()),
            },
            service: topo.services[h.svc].name,
            operation: &topo.services[h.svc].ops[h.op].operation,
            status: h.elb_status,
            cut: h.cut,
            start: rfc3339(h.start),
            end: rfc3339(h.end),
        })
        .collect();
    TruthTrace {
        root: root.to_string(),
        spans,
    }
}

fn edges_json(t: &Tally, a: &Args, cfg: &Config, delivered: &Delivered) -> serde_json::Value {
    let edge = |((c, d), e): (&(&str, &str), &Edge)| {
        let (calls, errors, cut) = (e.calls, e.errors, e.cut);
        serde_json::json!({"caller": c, "callee": d, "calls": calls, "errors": errors, "cut": cut})
    };
    let edges: Vec<_> = t.edges.iter().map(edge).collect();
    let entries: Vec<_> = t
        .entries
        .iter()
        .map(|(s, e)| serde_json::json!({"service": s, "calls": e.calls, "errors": e.errors}))
        .collect();
    let (w0, w1) = (rfc3339(cfg.window.0), rfc3339(cfg.window.1));
    let slow = a
        .slow
        .as_ref()
        .map(|s| serde_json::json!({"service": s, "factor": a.slow_factor, "from": w0, "to": w1}));
    let failing = a
        .failing
        .as_ref()
        .map(|s| serde_json::json!({"service": s, "rate": a.fail_rate, "from": w0, "to": w1}));
    serde_json::json!({
        "seed": a.seed, "requests": t.requests, "hops": t.hops, "cut_hops": t.cut_hops,
        "edges": edges, "entries": entries,
        "faults": {"slow": slow, "failing": failing}, "delivery": delivered,
    })
}

// ---------------------------------------------------------------------------------------

fn validate(a: &Args, topo: &Topology) -> Result<Config> {
    for (flag, p) in [
        ("--cut-share", a.cut_share),
        ("--duplicate-share", a.duplicate_share),
        ("--late-share", a.late_share),
        ("--fail-rate", a.fail_rate),
    ] {
        if !(0.0..=1.0).contains(&p) {
            bail!("{flag} {p} is not a share: give a number from 0 to 1");
        }
    }
    if a.slow_factor.is_nan() || a.slow_factor <= 0.0 {
        bail!("--slow-factor {} must be above 0", a.slow_factor);
    }
    let (from, duration) = (a.from.as_microsecond(), a.duration.as_micros() as i64);
    if duration <= 0 || a.requests == 0 {
        bail!("--duration and --requests must be above 0");
    }
    let service = |flag: &str, name: &Option<String>| -> Result<Option<usize>> {
        let Some(name) = name else { return Ok(None) };
        let found = topo.services.iter().position(|s| s.name == name);
        let names: Vec<_> = topo.services.iter().map(|s| s.name).collect();
        found.map(Some).with_context(|| {
            format!(
                "{flag} {name}: no such service; with this --services: {}",
                names.join(", ")
            )
        })
    };
    let w0 = a.fault_from.map_or(from + duration / 3, |t| t.as_microsecond());
    let w1 = a.fault_to.map_or(from + duration * 2 / 3, |t| t.as_microsecond());
    Ok(Config {
        from,
        duration,
        cut_share: a.cut_share,
        slow: service("--slow", &a.slow)?.map(|s| (s, a.slow_factor)),
        failing: service("--failing", &a.failing)?.map(|s| (s, a.fail_rate)),
        window: (w0, w1),
    })
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
    }
    Ok(BufWriter::new(
        File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    ))
}

fn run(a: &Args) -> Result<()> {
    let started = Instant::now();
    let topo = build_topology(a.services as usize, a.seed);
    let cfg = validate(a, &topo)?;
    clear_old(&a.out.join("AWSLogs"))?;
    let mut truth = a.truth.as_deref().map(create).transpose()?;
    let mut delivery = Delivery {
        dir: a.out.clone(),
        rng: Rng::new(a.seed, 3),
        duplicate_share: a.duplicate_share,
        late_share: a.late_share,
        heap: BinaryHeap::new(),
        open: BTreeMap::new(),
        seq: 0,
        stats: Delivered::default(),
    };
    let mut sim = Sim {
        topo: &topo,
        cfg: &cfg,
        rng: Rng::new(a.seed, 2),
    };
    let mut arrivals = Rng::new(a.seed, 4);
    let start_of = |i: u64, r: &mut Rng| {
        let x = (i as f64 + r.unit()) * cfg.duration as f64 / a.requests as f64;
        (cfg.from + x as i64).div_euclid(1000) * 1000
    };
    let (mut tally, mut hops, mut next) = (Tally::default(), Vec::new(), start_of(0, &mut arrivals));
    for i in 0..a.requests {
        let start = next;
        hops.clear();
        let root = sim.request(start, &mut hops);
        for h in &hops {
            let mut line = String::with_capacity(900);
            render(h, root, &topo, &mut line);
            delivery.push(h.end, topo.services[h.svc].alb, line);
        }
        tally.add(&hops, &topo);
        if let (Some(w), Some(path)) = (truth.as_mut(), a.truth.as_deref()) {
            serde_json::to_writer(&mut *w, &truth_line(root, &hops, &topo))
                .with_context(|| format!("cannot write {}", path.display()))?;
            w.write_all(b"\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        next = if i + 1 < a.requests {
            start_of(i + 1, &mut arrivals)
        } else {
            i64::MAX
        };
        delivery.drain(next, &topo)?;
    }
    let delivered = delivery.finish(&topo)?;
    if let (Some(mut w), Some(path)) = (truth, a.truth.as_deref()) {
        w.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        let edges = path.with_file_name("edges.json");
        let mut text = serde_json::to_string_pretty(&edges_json(&tally, a, &cfg, &delivered))?;
        text.push('\n');
        fs::write(&edges, text).with_context(|| format!("cannot write {}", edges.display()))?;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "gen_traffic: requests={} hops={} cut={} objects={} duplicates={} late_lines={} bytes={} ({secs:.1}s, {:.0} hops/s)",
        tally.requests,
        tally.hops,
        tally.cut_hops,
        delivered.objects,
        delivered.duplicates.len(),
        delivered.late_lines,
        delivered.bytes,
        tally.hops as f64 / secs.max(1e-9)
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run(&Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_traffic: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
