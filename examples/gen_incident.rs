//! `gen_incident` — deterministic test data for streak-repair.
//!
//! ```text
//! cargo run --release --example gen_incident -- --out DIR [--learners N] [--seed S]
//!     [--files K] [--gzip] [--target-bytes B] [--parquet] [--poll-share P]
//! ```
//!
//! Writes `DIR/incident.toml`, `DIR/logs/<S3 object names>`, `DIR/learners.csv`,
//! `DIR/calendars.csv` (and with `--parquet` also `DIR/learners.parquet`,
//! `DIR/calendars.parquet`). The same arguments give byte-identical files on any machine:
//! every random choice comes from the hand-written PRNG below, the logs are streamed in
//! time order (memory is bounded by the number of learners, not by `--target-bytes`), and
//! separate PRNG streams keep learners/calendars independent of the log flags and the log
//! lines independent of `--files`/`--gzip`. `--target-bytes` counts uncompressed log
//! bytes. `--poll-share P` (0..1, default 1) lets only that share of learners poll the BRB
//! object (the rest have calendars only), for large learner tables with smaller logs. Standalone on purpose: it uses none of the crate's own modules.

use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Instant;

use arrow_array::builder::{StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use flate2::{Compression, GzBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression as PqCompression;
use parquet::file::properties::WriterProperties;

const USAGE: &str = "usage: gen_incident --out DIR [--learners N] [--seed S] [--files K] [--gzip] \
[--target-bytes B] [--parquet] [--poll-share P]";

// ---------------------------------------------------------------------------------------
// Errors: one line, naming the path.

struct GenError(String);

impl fmt::Debug for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Res<T> = Result<T, GenError>;

fn io_err(what: &str, path: &Path, e: io::Error) -> GenError {
    GenError(format!("{what} {}: {e}", path.display()))
}

fn pq_err(path: &Path, e: impl fmt::Display) -> GenError {
    GenError(format!("cannot write parquet {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// PRNG: xoshiro256** seeded through splitmix64. Hand-written because rand's StdRng output
// is not promised stable across versions, and these files must be reproducible forever.

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut x = seed ^ mix64(stream.wrapping_add(0x5EED));
        let mut s = [0u64; 4];
        for v in &mut s {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            *v = mix64(x);
        }
        Rng { s }
    }

    fn next(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }

    /// Uniform in `0..n` (n > 0), by multiply-high.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        match (hi - lo).checked_add(1) {
            Some(n) => lo + self.below(n),
            None => self.next(),
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64) * (1.0 / 9_007_199_254_740_992.0) < p
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }
}

// ---------------------------------------------------------------------------------------
// Calendar arithmetic (days since 1970-01-01, proleptic Gregorian).

const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn push_2(buf: &mut Vec<u8>, v: i64) {
    buf.push(b'0' + (v / 10 % 10) as u8);
    buf.push(b'0' + (v % 10) as u8);
}

fn push_4(buf: &mut Vec<u8>, v: i64) {
    push_2(buf, v / 100);
    push_2(buf, v % 100);
}

/// `YYYY-MM-DD`
fn push_date(buf: &mut Vec<u8>, day: i64) {
    let (y, m, d) = civil_from_days(day);
    push_4(buf, y);
    buf.push(b'-');
    push_2(buf, m);
    buf.push(b'-');
    push_2(buf, d);
}

/// `YYYY-MM-DDTHH:MM:SSZ`
fn rfc3339(abs: i64) -> String {
    let mut b = Vec::with_capacity(20);
    push_date(&mut b, abs.div_euclid(DAY_SECS));
    let s = abs.rem_euclid(DAY_SECS);
    b.push(b'T');
    push_2(&mut b, s / 3600);
    b.push(b':');
    push_2(&mut b, s / 60 % 60);
    b.push(b':');
    push_2(&mut b, s % 60);
    b.push(b'Z');
    String::from_utf8_lossy(&b).into_owned()
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// `[20/Nov/2026:13:05:00 +0000]`
fn log_time(buf: &mut Vec<u8>, abs: i64) {
    let (y, m, d) = civil_from_days(abs.div_euclid(DAY_SECS));
    let s = abs.rem_euclid(DAY_SECS);
    buf.push(b'[');
    push_2(buf, d);
    buf.push(b'/');
    buf.extend_from_slice(MONTHS[(m - 1) as usize]);
    buf.push(b'/');
    push_4(buf, y);
    buf.push(b':');
    push_2(buf, s / 3600);
    buf.push(b':');
    push_2(buf, s / 60 % 60);
    buf.push(b':');
    push_2(buf, s % 60);
    buf.extend_from_slice(b" +0000]");
}

/// S3 log object name: `2026-11-20-13-05-00-<16 uppercase hex>`.
fn object_name(abs: i64, suffix: u64) -> String {
    let mut b = Vec::with_capacity(36);
    push_date(&mut b, abs.div_euclid(DAY_SECS));
    let s = abs.rem_euclid(DAY_SECS);
    for v in [s / 3600, s / 60 % 60, s % 60] {
        b.push(b'-');
        push_2(&mut b, v);
    }
    b.push(b'-');
    push_hex16(&mut b, suffix);
    String::from_utf8_lossy(&b).into_owned()
}

fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_hex16(buf: &mut Vec<u8>, v: u64) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for k in (0..16).rev() {
        buf.push(HEX[((v >> (k * 4)) & 15) as usize]);
    }
}

fn push_ip(buf: &mut Vec<u8>, ip: u32) {
    for (i, sh) in [24u32, 16, 8, 0].into_iter().enumerate() {
        if i > 0 {
            buf.push(b'.');
        }
        push_u64(buf, u64::from((ip >> sh) & 0xFF));
    }
}

/// A public-looking IPv4 address (never 0/8, 10/8, 127/8 or multicast).
fn public_ip(h: u64) -> u32 {
    let mut a = 1 + (h % 223) as u32;
    if a == 10 || a == 127 {
        a += 1;
    }
    (a << 24) | ((h >> 8) as u32 & 0x00FF_FFFF)
}

// ---------------------------------------------------------------------------------------
// The incident: 2026-11-20, two windows (a ramped resume that relapsed), as_of 11-22 06:00Z.

const DAY_SECS: i64 = 86_400;
const OUTAGE_DAY: i64 = days_from_civil(2026, 11, 20);
const T0_HOUR: u32 = 11; // the logs cover 11:00Z..20:00Z on the outage day
const SPAN: u32 = 9 * 3600;
const AS_OF: i64 = days_from_civil(2026, 11, 22) * DAY_SECS + 6 * 3600;

const fn hms(h: u32, m: u32, s: u32) -> u32 {
    h * 3600 + m * 60 + s - T0_HOUR * 3600
}

const W1: (u32, u32) = (hms(13, 0, 0), hms(14, 45, 0));
const W2: (u32, u32) = (hms(15, 5, 0), hms(16, 30, 0));
/// Ops created the BRB objects a few minutes before the declared window start.
const PUT1: u32 = hms(12, 56, 10);

fn abs_time(t: u32) -> i64 {
    OUTAGE_DAY * DAY_SECS + i64::from(T0_HOUR * 3600 + t)
}

fn in_window(t: u32) -> bool {
    (W1.0..W1.1).contains(&t) || (W2.0..W2.1).contains(&t)
}

/// Did `brb/cohort-*.json` exist at log time t (so a GET got 200/304 rather than 404)?
fn object_exists(t: u32) -> bool {
    (PUT1..W1.1).contains(&t) || (W2.0..W2.1).contains(&t)
}

fn local_day(abs: i64, offset_min: i32) -> i64 {
    (abs + i64::from(offset_min) * 60).div_euclid(DAY_SECS)
}

fn incident_toml(seed: u64, learners: u64) -> String {
    let w = |t: u32| rfc3339(abs_time(t));
    format!(
        "# Generated by gen_incident (seed {seed}, {learners} learners). A ramped resume that\n\
         # relapsed: the BRB objects were deleted at 14:45Z and put back at 15:05Z.\n\
         id = \"generated-outage\"\n\
         as_of = \"{}\"\n\
         \n\
         [[window]]\n\
         start = \"{}\"\n\
         end = \"{}\"\n\
         \n\
         [[window]]\n\
         start = \"{}\"\n\
         end = \"{}\"\n\
         \n\
         [evidence]\n\
         bucket = \"duo-brb\"\n\
         key_prefix = \"brb/\"\n",
        rfc3339(AS_OF),
        w(W1.0),
        w(W1.1),
        w(W2.0),
        w(W2.1)
    )
}

// ---------------------------------------------------------------------------------------
// Zones: weighted like a global learner base, with the UTC offsets in force on 2026-11-20..22
// (no zone below changes offset between the outage and as_of).

struct Zone {
    name: &'static str,
    offset_min: i32,
    weight: u32,
}

const fn z(name: &'static str, offset_min: i32, weight: u32) -> Zone {
    Zone {
        name,
        offset_min,
        weight,
    }
}

const ZONES: &[Zone] = &[
    z("America/New_York", -300, 150),
    z("America/Chicago", -360, 70),
    z("America/Denver", -420, 20),
    z("America/Los_Angeles", -480, 80),
    z("America/Sao_Paulo", -180, 70),
    z("America/Mexico_City", -360, 50),
    z("America/Bogota", -300, 20),
    z("America/St_Johns", -210, 5),
    z("America/Anchorage", -540, 4),
    z("Pacific/Honolulu", -600, 5),
    z("Europe/London", 0, 60),
    z("Europe/Berlin", 60, 50),
    z("Europe/Paris", 60, 40),
    z("Europe/Madrid", 60, 30),
    z("Europe/Kyiv", 120, 10),
    z("Europe/Istanbul", 180, 15),
    z("Africa/Lagos", 60, 10),
    z("Africa/Cairo", 120, 10),
    z("Asia/Tehran", 210, 5),
    z("Asia/Kolkata", 330, 60),
    z("Asia/Calcutta", 330, 3),
    z("Asia/Kathmandu", 345, 5),
    z("Asia/Jakarta", 420, 25),
    z("Asia/Shanghai", 480, 20),
    z("Asia/Tokyo", 540, 50),
    z("Asia/Seoul", 540, 15),
    z("Australia/Sydney", 660, 15),
    z("Pacific/Auckland", 780, 8),
    z("Pacific/Chatham", 825, 2),
    z("Pacific/Apia", 780, 2),
    z("Pacific/Kiritimati", 840, 2),
    z("Pacific/Marquesas", -570, 2),
    z("Etc/GMT+12", -720, 2),
    z("UTC", 0, 20),
];

const INVALID_ZONES: &[&str] = &[
    "US/Pacific-New",
    "Mars/Olympus_Mons",
    "America/Springfield",
    "GMT+5:30",
];

// ---------------------------------------------------------------------------------------
// User agents. The odd ones carry an unescaped quote inside the quoted field or a doubled
// space, as real S3 logs do; the non-UTF-8 one only ever appears on non-BRB noise.

struct Ua {
    s: &'static [u8],
    web: bool,
    tls13: bool,
    weight: u32,
}

const fn ua(s: &'static [u8], web: bool, tls13: bool, weight: u32) -> Ua {
    Ua {
        s,
        web,
        tls13,
        weight,
    }
}

const UAS: &[Ua] = &[
    ua(b"Duolingo/7.52.1 (iPhone; iOS 18.1; Scale/3.00)", false, true, 30),
    ua(b"Duolingo/7.51.0 (iPhone; iOS 17.6.1; Scale/3.00)", false, true, 15),
    ua(b"Duolingo/7.52.1 (iPad; iOS 18.0.1; Scale/2.00)", false, true, 5),
    ua(b"Duolingo/7.49.2 CFNetwork/1568.100.1 Darwin/24.0.0", false, true, 5),
    ua(b"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A.240905.003)", false, true, 20),
    ua(b"Dalvik/2.1.0 (Linux; U; Android 13; SM-A536B Build/TP1A.220624.014)", false, false, 20),
    ua(b"Dalvik/2.1.0 (Linux; U; Android 11; Redmi Note 9 Pro MIUI/V12.5.3.0.RJZMIXM)", false, false, 8),
    ua(b"okhttp/4.12.0", false, false, 6),
    ua(
        b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        true,
        true,
        18,
    ),
    ua(
        b"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        true,
        true,
        8,
    ),
    ua(
        b"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
        true,
        true,
        4,
    ),
    ua(
        b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
        true,
        true,
        4,
    ),
    ua(
        b"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        true,
        true,
        6,
    ),
];

const ODD_UAS: &[Ua] = &[
    ua(
        b"\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36",
        true,
        false,
        1,
    ),
    ua(
        b"Mozilla/5.0 (compatible; \"DuoWidget\"/2.1; +https://www.duolingo.com/widget)",
        true,
        true,
        1,
    ),
    ua(
        b"Mozilla/5.0  (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
        true,
        true,
        1,
    ),
];

const NON_UTF8_UA: &[u8] = b"Caf\xe9Browser/1.0 (Windows NT 6.1; \xff)";
const CLI_UA: &[u8] = b"aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#s3.cp";
const CONSOLE_UA: &[u8] = b"S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.227-198.884.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.432-b06 java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard";

fn ua_of(idx: u8) -> &'static Ua {
    let i = usize::from(idx);
    if i < UAS.len() {
        &UAS[i]
    } else {
        &ODD_UAS[(i - UAS.len()) % ODD_UAS.len()]
    }
}

// ---------------------------------------------------------------------------------------
// Learners

#[derive(Clone, Copy, PartialEq, Eq)]
enum TzMode {
    /// In learners.csv; the tz param (when sent) agrees.
    File,
    /// In learners.csv, but the client sends another (travel) zone: the file must win.
    FileTravel,
    /// learners.csv holds an invalid zone name; the client sends the real one.
    FileInvalid,
    /// Not in learners.csv; the zone comes from the tz param only.
    Absent,
    /// Not in learners.csv; some fetches send the zone, some an invalid name.
    AbsentMixed,
    /// Not in learners.csv; only an invalid zone name is ever sent.
    AbsentInvalid,
    /// Not in learners.csv and never sends a zone.
    NoZone,
}

const F_SLASH_RAW: u8 = 1;
const F_PLUS_RAW: u8 = 2;
const F_TZ_FIRST: u8 = 4;
const F_DUP_PARAM: u8 = 8;
const F_REGIONAL_HOST: u8 = 16;
const F_PLATFORM_PARAM: u8 = 32;

struct Learner {
    id: u64,
    zone: u8,
    /// Travel zone (FileTravel) or index into INVALID_ZONES (FileInvalid/Absent*).
    alt: u8,
    mode: TzMode,
    ua: u8,
    flags: u8,
    cohort: u8,
    ip: u32,
}

#[derive(Clone, Copy)]
struct Event {
    t: u32,
    learner: u32,
    status: u16,
}

const COHORTS: u64 = 64;

/// Ids spread over u64: typical ids, large ids, and ids above 2^53 (not exact in a double).
fn gen_id(rng: &mut Rng, i: u64, n: u64, seen: &mut HashSet<u64>) -> u64 {
    const SPECIAL: [u64; 4] = [
        9_007_199_254_740_993, // 2^53 + 1
        u64::MAX,
        9_007_199_254_740_992, // 2^53
        1,
    ];
    if n >= 50 {
        for (k, &s) in SPECIAL.iter().enumerate() {
            if i == (k as u64 + 1) * n / 5 && seen.insert(s) {
                return s;
            }
        }
    }
    loop {
        let r = rng.below(100);
        let id = if r < 55 {
            rng.range(1_000, 3_000_000_000)
        } else if r < 80 {
            rng.range(3_000_000_001, (1 << 53) - 1)
        } else {
            rng.range(1 << 53, u64::MAX)
        };
        if seen.insert(id) {
            return id;
        }
    }
}

/// BRB polls of one app session: first at `t0`, then every 1-15 minutes. Status follows
/// the object's existence: 200 on the first hit of a run, mostly 304 afterwards, 404 when
/// the cohort object had been deleted.
fn session(rng: &mut Rng, li: u32, t0: u32, polls: u32, events: &mut Vec<Event>) {
    let mut t = t0;
    let mut run = false;
    for _ in 0..polls {
        if t >= SPAN {
            break;
        }
        let status = if object_exists(t) {
            let s = if run && rng.chance(0.85) { 304 } else { 200 };
            run = true;
            s
        } else {
            run = false;
            404
        };
        events.push(Event {
            t,
            learner: li,
            status,
        });
        t += rng.range(60, 900) as u32;
    }
}

fn window_instant(rng: &mut Rng) -> u32 {
    let l1 = W1.1 - W1.0;
    let l2 = W2.1 - W2.0;
    let x = rng.below(u64::from(l1 + l2)) as u32;
    if x < l1 {
        W1.0 + x
    } else {
        W2.0 + x - l1
    }
}

const K_PRACTICE: u8 = 0;
const K_FREEZE: u8 = 1;
const K_REPAIR: u8 = 2;
const KINDS: [&str; 3] = ["practice", "freeze", "repair"];

fn streak_length(rng: &mut Rng) -> i64 {
    let (lo, hi) = match rng.weighted(&[40, 30, 18, 10, 2]) {
        0 => (1, 7),
        1 => (8, 30),
        2 => (31, 120),
        3 => (121, 365),
        _ => (366, 1200),
    };
    rng.range(lo, hi) as i64
}

/// Days `end-len+1 ..= end`: practice, with a consumed freeze now and then (never on the
/// first or the last day).
fn push_streak(rng: &mut Rng, end: i64, len: i64, rows: &mut Vec<(i64, u8)>) {
    for d in end - len + 1..=end {
        let inner = d != end - len + 1 && d != end;
        let kind = if inner && rng.chance(0.04) {
            K_FREEZE
        } else {
            K_PRACTICE
        };
        rows.push((d, kind));
    }
}

/// The learner's calendar in local dates. `days` are the learner's affected days (sorted,
/// non-empty); `resume_day` is the local date of some instant after the resume;
/// `as_of_local` is as_of as local wall-clock seconds.
fn gen_calendar(rng: &mut Rng, days: &[i64], resume_day: i64, as_of_local: i64, rows: &mut Vec<(i64, u8)>) {
    let as_of_day = as_of_local.div_euclid(DAY_SECS);
    let as_of_hour = as_of_local.rem_euclid(DAY_SECS) / 3600;
    rows.clear();
    let a = days[0];
    let last = days[days.len() - 1];
    let profile = rng.below(100);
    let alive = if profile < 12 {
        // no history at all
        false
    } else if profile < 25 {
        // a streak that broke 2-40 days before the outage
        let end = a - rng.range(2, 40) as i64;
        let len = streak_length(rng);
        push_streak(rng, end, len, rows);
        false
    } else {
        // a streak alive entering the outage day
        let end = a - 1;
        let mut len = streak_length(rng);
        let v = rng.below(100);
        if v < 20 && len < 2 {
            len = 2;
        }
        push_streak(rng, end, len, rows);
        if v < 13 {
            // the day before the outage was kept by a freeze
            if let Some(r) = rows.last_mut() {
                r.1 = K_FREEZE;
            }
        } else if v < 20 {
            // the day before the outage was repaired after an earlier incident
            if let Some(r) = rows.last_mut() {
                r.1 = K_REPAIR;
            }
        }
        if len > 10 && rng.chance(0.05) {
            // an earlier incident's repair in the middle of the streak
            let back = rng.range(1, (len - 2) as u64) as usize;
            let i = rows.len() - 1 - back;
            rows[i].1 = K_REPAIR;
        }
        if rng.chance(0.4) {
            // an older, broken streak (the export reaches further back)
            let gap = rng.range(2, 30) as i64;
            let start = end - len + 1;
            let old_len = rng.range(1, 60) as i64;
            push_streak(rng, start - gap, old_len, rows);
        }
        true
    };

    let engaged = if alive {
        match rng.below(100) {
            0..=14 => rows.push((resume_day, K_PRACTICE)), // practised after the resume
            15..=24 => {
                rows.push((a, K_FREEZE)); // a freeze was consumed on the outage day
                if last > a && rng.chance(0.3) {
                    rows.push((last, K_FREEZE));
                }
            }
            25..=26 => rows.push((a, K_REPAIR)), // already repaired by an earlier run
            _ => {}
        }
        rng.chance(0.75)
    } else {
        if rng.chance(0.1) {
            rows.push((resume_day, K_PRACTICE));
        }
        rng.chance(0.4)
    };
    if engaged {
        for d in last + 1..as_of_day {
            if rng.chance(0.85) {
                rows.push((d, K_PRACTICE));
            }
        }
        // as_of's own day: likelier the later it is there
        if rng.chance(0.85 * as_of_hour as f64 / 24.0) {
            rows.push((as_of_day, K_PRACTICE));
        }
    }
    if !rows.is_empty() && rng.chance(0.005) {
        // the same date listed with two kinds (the strongest counts)
        let (d, k) = rows[rng.below(rows.len() as u64) as usize];
        rows.push((d, if k == K_PRACTICE { K_FREEZE } else { K_PRACTICE }));
    }
    rows.sort_unstable();
    rows.dedup();
}

// ---------------------------------------------------------------------------------------
// Parquet tables (streamed in record batches).

const PQ_BATCH: usize = 65_536;

struct PqTable {
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<File>,
    ids: UInt64Builder,
    cols: Vec<StringBuilder>,
    rows: usize,
}

impl PqTable {
    fn create(path: PathBuf, str_cols: &[&str]) -> Res<PqTable> {
        let mut fields = vec![Field::new("learner_id", DataType::UInt64, false)];
        fields.extend(str_cols.iter().map(|c| Field::new(*c, DataType::Utf8, false)));
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let file = File::create(&path).map_err(|e| io_err("cannot create", &path, e))?;
        let props = WriterProperties::builder()
            .set_compression(PqCompression::SNAPPY)
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| pq_err(&path, e))?;
        Ok(PqTable {
            path,
            schema,
            writer,
            ids: UInt64Builder::with_capacity(PQ_BATCH),
            cols: str_cols.iter().map(|_| StringBuilder::new()).collect(),
            rows: 0,
        })
    }

    fn push(&mut self, id: u64, vals: &[&str]) -> Res<()> {
        self.ids.append_value(id);
        for (c, v) in self.cols.iter_mut().zip(vals) {
            c.append_value(v);
        }
        self.rows += 1;
        if self.rows >= PQ_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Res<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(self.ids.finish())];
        arrays.extend(self.cols.iter_mut().map(|c| Arc::new(c.finish()) as ArrayRef));
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| pq_err(&self.path, e))?;
        self.writer.write(&batch).map_err(|e| pq_err(&self.path, e))?;
        self.rows = 0;
        Ok(())
    }

    fn close(mut self) -> Res<()> {
        self.flush()?;
        self.writer.close().map_err(|e| pq_err(&self.path, e))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Learner phase: learners.csv, calendars.csv (+ parquet), and the learners' BRB polls.

struct Population {
    learners: Vec<Learner>,
    events: Vec<Event>,
    /// Indices of learners with evidence (polls inside a window).
    affected: Vec<u32>,
    calendar_rows: u64,
}

fn create_buffered(path: &Path) -> Res<BufWriter<File>> {
    let f = File::create(path).map_err(|e| io_err("cannot create", path, e))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

fn gen_population(out: &Path, n: u64, seed: u64, parquet: bool, poll_share: f64) -> Res<Population> {
    let mut rng = Rng::new(seed, 1);
    let zone_w: Vec<u32> = ZONES.iter().map(|z| z.weight).collect();
    let ua_w: Vec<u32> = UAS.iter().map(|u| u.weight).collect();
    let mode_w = [877u32, 20, 5, 75, 10, 3, 10];
    const MODES: [TzMode; 7] = [
        TzMode::File,
        TzMode::FileTravel,
        TzMode::FileInvalid,
        TzMode::Absent,
        TzMode::AbsentMixed,
        TzMode::AbsentInvalid,
        TzMode::NoZone,
    ];

    let lpath = out.join("learners.csv");
    let cpath = out.join("calendars.csv");
    let mut lw = create_buffered(&lpath)?;
    let mut cw = create_buffered(&cpath)?;
    let (mut lpq, mut cpq) = if parquet {
        (
            Some(PqTable::create(out.join("learners.parquet"), &["tz"])?),
            Some(PqTable::create(out.join("calendars.parquet"), &["date", "kind"])?),
        )
    } else {
        (None, None)
    };
    lw.write_all(b"learner_id,tz\n")
        .map_err(|e| io_err("cannot write", &lpath, e))?;
    cw.write_all(b"learner_id,date,kind\n")
        .map_err(|e| io_err("cannot write", &cpath, e))?;

    let mut seen = HashSet::with_capacity(n as usize);
    let mut pop = Population {
        learners: Vec::with_capacity(n as usize),
        events: Vec::with_capacity(n as usize * 6),
        affected: Vec::new(),
        calendar_rows: 0,
    };
    let mut line = Vec::with_capacity(256);
    let mut rows: Vec<(i64, u8)> = Vec::new();
    let mut days: Vec<i64> = Vec::new();
    let boundary_p = (15.0 / n as f64).min(1.0);

    for i in 0..n {
        let li = i as u32;
        let id = gen_id(&mut rng, i, n, &mut seen);
        let zone = rng.weighted(&zone_w) as u8;
        let mode = MODES[rng.weighted(&mode_w)];
        let alt = match mode {
            TzMode::FileTravel => {
                let mut a = rng.weighted(&zone_w) as u8;
                if a == zone {
                    a = ((usize::from(a) + 1) % ZONES.len()) as u8;
                }
                a
            }
            TzMode::FileInvalid | TzMode::AbsentMixed | TzMode::AbsentInvalid => {
                rng.below(INVALID_ZONES.len() as u64) as u8
            }
            _ => 0,
        };
        let ua = if rng.chance(0.005) {
            (UAS.len() + rng.below(ODD_UAS.len() as u64) as usize) as u8
        } else {
            rng.weighted(&ua_w) as u8
        };
        let mut flags = 0;
        for (f, p) in [
            (F_SLASH_RAW, 0.2),
            (F_PLUS_RAW, 0.5),
            (F_TZ_FIRST, 0.15),
            (F_DUP_PARAM, 0.005),
            (F_REGIONAL_HOST, 0.3),
            (F_PLATFORM_PARAM, 0.05),
        ] {
            if rng.chance(p) {
                flags |= f;
            }
        }
        let l = Learner {
            id,
            zone,
            alt,
            mode,
            ua,
            flags,
            cohort: (mix64(id) % COHORTS) as u8,
            ip: public_ip(mix64(id ^ 0xA5A5_5A5A_0F0F_F0F0)),
        };

        // BRB polls
        let first = pop.events.len();
        // Drawn only when asked, so the default keeps every other draw (and file) as it was.
        let polls = poll_share >= 1.0 || rng.chance(poll_share);
        let affected = polls && rng.chance(0.96);
        if affected {
            let t0 = window_instant(&mut rng);
            if rng.chance(0.2) {
                // opened the app a little earlier: polls before the window (404 or the
                // not-yet-declared 200s between the PUT and the window start)
                let back = rng.range(120, 1200) as u32;
                session(&mut rng, li, t0.saturating_sub(back), 1, &mut pop.events);
            }
            let polls = rng.range(2, 7) as u32;
            session(&mut rng, li, t0, polls, &mut pop.events);
            if rng.chance(0.25) {
                let t1 = window_instant(&mut rng);
                let polls = rng.range(1, 5) as u32;
                session(&mut rng, li, t1, polls, &mut pop.events);
            }
            if rng.chance(boundary_p) {
                // exactly on a boundary: 13:00:00 and 15:05:00 count, the 200s logged in the
                // same second as the DELETE at 14:45:00 / 16:30:00 do not (half-open windows)
                let t = [W1.0, W1.1, W2.0, W2.1, W1.0 - 1][rng.below(5) as usize];
                pop.events.push(Event {
                    t,
                    learner: li,
                    status: 200,
                });
            }
            pop.affected.push(li);
        } else if polls {
            let t0 = if rng.chance(0.5) {
                rng.below(u64::from(hms(12, 0, 0))) as u32
            } else {
                rng.range(u64::from(hms(16, 31, 0)), u64::from(hms(19, 0, 0))) as u32
            };
            let polls = rng.range(1, 3) as u32;
            session(&mut rng, li, t0, polls, &mut pop.events);
        }

        // Calendar, in the learner's real zone.
        let off = ZONES[usize::from(zone)].offset_min;
        days.clear();
        days.extend(
            pop.events[first..]
                .iter()
                .filter(|e| in_window(e.t))
                .map(|e| local_day(abs_time(e.t), off)),
        );
        if days.is_empty() {
            days.push(local_day(abs_time(W1.0), off));
        }
        days.sort_unstable();
        days.dedup();
        let resume = abs_time(W2.1) + rng.range(600, 7 * 3600) as i64;
        gen_calendar(
            &mut rng,
            &days,
            local_day(resume, off),
            AS_OF + i64::from(off) * 60,
            &mut rows,
        );

        // learners.csv
        let file_tz = match mode {
            TzMode::File | TzMode::FileTravel => Some(ZONES[usize::from(zone)].name),
            TzMode::FileInvalid => Some(INVALID_ZONES[usize::from(alt)]),
            _ => None,
        };
        if let Some(tz) = file_tz {
            line.clear();
            push_u64(&mut line, id);
            line.push(b',');
            line.extend_from_slice(tz.as_bytes());
            line.push(b'\n');
            lw.write_all(&line)
                .map_err(|e| io_err("cannot write", &lpath, e))?;
            if let Some(t) = lpq.as_mut() {
                t.push(id, &[tz])?;
            }
        }
        // calendars.csv
        for &(d, k) in &rows {
            line.clear();
            push_u64(&mut line, id);
            line.push(b',');
            let ds = line.len();
            push_date(&mut line, d);
            let de = line.len();
            line.push(b',');
            line.extend_from_slice(KINDS[usize::from(k)].as_bytes());
            line.push(b'\n');
            cw.write_all(&line)
                .map_err(|e| io_err("cannot write", &cpath, e))?;
            if let Some(t) = cpq.as_mut() {
                let date = std::str::from_utf8(&line[ds..de])
                    .map_err(|e| GenError(format!("internal: date {e}")))?;
                t.push(id, &[date, KINDS[usize::from(k)]])?;
            }
        }
        pop.calendar_rows += rows.len() as u64;
        pop.learners.push(l);
    }

    lw.flush().map_err(|e| io_err("cannot write", &lpath, e))?;
    cw.flush().map_err(|e| io_err("cannot write", &cpath, e))?;
    if let Some(t) = lpq {
        t.close()?;
    }
    if let Some(t) = cpq {
        t.close()?;
    }
    pop.events.sort_unstable_by_key(|e| (e.t, e.learner, e.status));
    Ok(pop)
}

// ---------------------------------------------------------------------------------------
// Log objects: K objects, each one time-ordered, each named after its first record. The
// record stream is generated in time order; a record of time slice j goes to object j (or,
// in the slice's last tenth, half the time to j+1: S3 objects overlap), a re-delivered
// duplicate to one of j-1..=j+1. So at most four objects are open at once, whatever
// --target-bytes is.

/// A gzip object is compressed on its own thread (the generator runs at several hundred
/// MB/s, deflate at about a hundred): 1 MiB chunks go over a bounded channel, so the bytes
/// (and their order) are exactly those of the plain object.
struct GzPipe {
    buf: Vec<u8>,
    tx: mpsc::SyncSender<Vec<u8>>,
    worker: thread::JoinHandle<io::Result<()>>,
}

const GZ_CHUNK: usize = 1 << 20;

impl GzPipe {
    fn spawn(file: File) -> GzPipe {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(4);
        let worker = thread::spawn(move || {
            let mut gz = GzBuilder::new()
                .mtime(0)
                .operating_system(255)
                .write(BufWriter::with_capacity(1 << 18, file), Compression::fast());
            for chunk in rx {
                gz.write_all(&chunk)?;
            }
            gz.finish()?.flush()
        });
        GzPipe {
            buf: Vec::with_capacity(GZ_CHUNK),
            tx,
            worker,
        }
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= GZ_CHUNK {
            let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(GZ_CHUNK));
            if self.tx.send(chunk).is_err() {
                // the worker stopped on an error; finish() returns that error
                return Err(io::Error::other("compression thread stopped"));
            }
        }
        Ok(())
    }

    fn finish(self) -> io::Result<()> {
        let sent = self.buf.is_empty() || self.tx.send(self.buf).is_ok();
        drop(self.tx);
        let res = match self.worker.join() {
            Ok(r) => r,
            Err(_) => Err(io::Error::other("compression thread panicked")),
        };
        res?;
        if sent {
            Ok(())
        } else {
            Err(io::Error::other("compression thread stopped"))
        }
    }
}

enum ObjWriter {
    Plain(BufWriter<File>),
    Gz(GzPipe),
}

struct Obj {
    path: PathBuf,
    w: Option<ObjWriter>,
}

impl Obj {
    fn write(&mut self, data: &[u8]) -> Res<()> {
        let r = match &mut self.w {
            Some(ObjWriter::Plain(w)) => w.write_all(data),
            Some(ObjWriter::Gz(w)) => w.write_all(data),
            None => Ok(()),
        };
        match r {
            Ok(()) => Ok(()),
            Err(e) => {
                // for gzip the worker's own error is the useful one
                let e = match self.w.take() {
                    Some(ObjWriter::Gz(w)) => w.finish().err().unwrap_or(e),
                    _ => e,
                };
                Err(io_err("cannot write", &self.path, e))
            }
        }
    }

    fn finish(self) -> Res<u64> {
        let path = self.path;
        let r = match self.w {
            Some(ObjWriter::Plain(mut w)) => w.flush(),
            Some(ObjWriter::Gz(w)) => w.finish(),
            None => Ok(()),
        };
        r.map_err(|e| io_err("cannot write", &path, e))?;
        fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|e| io_err("cannot stat", &path, e))
    }
}

struct Sink {
    dir: PathBuf,
    k: usize,
    gzip: bool,
    rng: Rng,
    objs: Vec<Option<Obj>>,
    closed_below: usize,
    files: u64,
    lines: u64,
    bytes: u64,
    disk_bytes: u64,
}

impl Sink {
    fn slice(&self, t: u32) -> usize {
        (u64::from(t) * self.k as u64 / u64::from(SPAN)) as usize
    }

    /// Close the objects that can no longer receive records (all before slice(t) - 1).
    fn advance(&mut self, t: u32) -> Res<()> {
        let s = self.slice(t);
        while self.closed_below + 1 < s {
            if let Some(o) = self.objs[self.closed_below].take() {
                self.disk_bytes += o.finish()?;
            }
            self.closed_below += 1;
        }
        Ok(())
    }

    fn put(&mut self, t: u32, data: &[u8], dup: bool) -> Res<()> {
        let s = self.slice(t);
        let j = if dup {
            let lo = s.saturating_sub(1).max(self.closed_below);
            let hi = (s + 1).min(self.k - 1);
            lo + self.rng.below((hi - lo + 1) as u64) as usize
        } else if s + 1 < self.k
            && (u64::from(t) * self.k as u64 % u64::from(SPAN)) * 10 >= u64::from(SPAN) * 9
            && self.rng.chance(0.5)
        {
            // the last tenth of a slice is shared with the next object
            s + 1
        } else {
            s
        };
        if self.objs[j].is_none() {
            let name = object_name(abs_time(t), self.rng.next());
            let path = self.dir.join(name);
            let f = File::create(&path).map_err(|e| io_err("cannot create", &path, e))?;
            let w = if self.gzip {
                ObjWriter::Gz(GzPipe::spawn(f))
            } else {
                ObjWriter::Plain(BufWriter::with_capacity(1 << 20, f))
            };
            self.objs[j] = Some(Obj { path, w: Some(w) });
            self.files += 1;
        }
        if let Some(o) = self.objs[j].as_mut() {
            o.write(data)?;
        }
        self.lines += 1;
        self.bytes += data.len() as u64;
        Ok(())
    }

    fn finish(&mut self) -> Res<()> {
        for o in self.objs.iter_mut() {
            if let Some(o) = o.take() {
                self.disk_bytes += o.finish()?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Log lines (27 fields, the current layout).

const OWNER: &[u8] = b"5b7c1e6f0d2a4c8e9f3b1a7d6e5c4b3a2918f7e6d5c4b3a29180f7e6d5c4b3a2";
const BUCKET: &[u8] = b"duo-brb";
const STAGING: &[u8] = b"duo-brb-staging";
const DEPLOY_ROLE: &[u8] = b"arn:aws:sts::123456789012:assumed-role/deploy-ci/GitHubActions";
const ONCALL_USER: &[u8] = b"arn:aws:iam::123456789012:user/oncall-mrivera";
const CDN_USER: &[u8] = b"arn:aws:iam::123456789012:user/cdn-origin-check";

struct Asset {
    key: &'static [u8],
    uri: &'static [u8],
    size: u64,
}

const fn asset(key: &'static [u8], uri: &'static [u8], size: u64) -> Asset {
    Asset { key, uri, size }
}

const ASSETS: &[Asset] = &[
    asset(
        b"assets/js/app.9f3c2a71.js",
        b"/assets/js/app.9f3c2a71.js",
        1_482_113,
    ),
    asset(
        b"assets/js/vendor.51d0e8c4.js",
        b"/assets/js/vendor.51d0e8c4.js",
        2_210_554,
    ),
    asset(
        b"assets/css/main.4be1d07a.css",
        b"/assets/css/main.4be1d07a.css",
        188_201,
    ),
    asset(
        b"assets/img/owl/duo-sleeping.svg",
        b"/assets/img/owl/duo-sleeping.svg",
        12_933,
    ),
    asset(
        b"assets/img/owl/duo-wrench.png",
        b"/assets/img/owl/duo-wrench.png",
        48_220,
    ),
    asset(b"assets/img/flags/es.svg", b"/assets/img/flags/es.svg", 1_204),
    asset(b"assets/img/flags/ja.svg", b"/assets/img/flags/ja.svg", 611),
    asset(
        b"assets/sounds/correct.mp3",
        b"/assets/sounds/correct.mp3",
        21_448,
    ),
    asset(b"assets/sounds/wrong.mp3", b"/assets/sounds/wrong.mp3", 19_002),
    asset(
        b"assets/fonts/din-round-pro-bold.woff2",
        b"/assets/fonts/din-round-pro-bold.woff2",
        43_876,
    ),
    asset(
        b"assets/lottie/brb-maintenance.json",
        b"/assets/lottie/brb-maintenance.json",
        96_310,
    ),
    asset(b"assets/i18n/pt-BR.json", b"/assets/i18n/pt-BR.json", 311_902),
    asset(b"assets/i18n/ja.json", b"/assets/i18n/ja.json", 402_118),
    asset(
        b"assets/img/Duo+Winter+2026.png",
        b"/assets/img/Duo%20Winter%202026.png",
        733_001,
    ),
    asset(
        b"assets/img/stickers/caf%C3%A9.webp",
        b"/assets/img/stickers/caf%C3%A9.webp",
        15_550,
    ),
];

const LIFECYCLE_KEYS: &[&[u8]] = &[
    b"tmp/exports/2026-11-13/part-00017.csv.gz",
    b"tmp/exports/2026-11-13/part-00018.csv.gz",
    b"tmp/brb-snapshots/2026-11-06T02%3A00%3A00Z.json",
];

const GARBAGE_QUERIES: &[&[u8]] = &[
    b"learner_id=&tz=UTC",
    b"learner_id=abc123",
    b"learner_id=-42&tz=Europe%2FBerlin",
    b"learner_id=18446744073709551616",
    b"learner_id=12e6",
    b"learner_id=0x1F&tz=Asia%2FTokyo",
    b"learnerid=48213377",
    b"tz=America%2FNew_York",
    b"learner_id=%20",
];

/// Everything after the key / request-URI, from the status to the source region.
struct Tail<'a> {
    status: u16,
    err: &'a [u8],
    sent: Option<u64>,
    size: Option<u64>,
    total: u64,
    turn: Option<u64>,
    referer: &'a [u8],
    ua: &'a [u8],
    signed: bool,
    tls13: bool,
    host: &'a [u8],
    acl: bool,
    region: &'a [u8],
}

fn push_opt(buf: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(v) => push_u64(buf, v),
        None => buf.push(b'-'),
    }
}

fn push_host_id(buf: &mut Vec<u8>, rng: &mut Rng) {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut left = 75;
    while left > 0 {
        let mut x = rng.next();
        for _ in 0..left.min(10) {
            buf.push(B64[(x & 63) as usize]);
            x >>= 6;
        }
        left -= left.min(10);
    }
    buf.push(b'=');
}

struct Gen {
    rng: Rng,
    sink: Sink,
    line: Vec<u8>,
    trunc: Vec<u8>,
    ts: Vec<u8>,
    malformed: u64,
    duplicates: u64,
}

impl Gen {
    /// `owner bucket [time] ip requester request_id operation ` (up to the key).
    fn head(&mut self, bucket: &[u8], ip: Option<u32>, requester: &[u8], op: &[u8]) -> u64 {
        let rid = self.rng.next();
        let b = &mut self.line;
        b.clear();
        b.extend_from_slice(OWNER);
        b.push(b' ');
        b.extend_from_slice(bucket);
        b.push(b' ');
        b.extend_from_slice(&self.ts);
        b.push(b' ');
        match ip {
            Some(ip) => push_ip(b, ip),
            None => b.push(b'-'),
        }
        b.push(b' ');
        b.extend_from_slice(requester);
        b.push(b' ');
        push_hex16(b, rid);
        b.push(b' ');
        b.extend_from_slice(op);
        b.push(b' ');
        rid
    }

    /// Appends the tail; returns the offset where the user-agent field starts (a line cut
    /// before it has at most 16 fields).
    fn tail(&mut self, x: &Tail<'_>) -> usize {
        let b = &mut self.line;
        b.push(b' ');
        push_u64(b, u64::from(x.status));
        b.push(b' ');
        b.extend_from_slice(x.err);
        b.push(b' ');
        push_opt(b, x.sent);
        b.push(b' ');
        push_opt(b, x.size);
        b.push(b' ');
        push_u64(b, x.total);
        b.push(b' ');
        push_opt(b, x.turn);
        b.extend_from_slice(b" \"");
        b.extend_from_slice(x.referer);
        b.push(b'"');
        let ua_start = b.len();
        b.extend_from_slice(b" \"");
        b.extend_from_slice(x.ua);
        b.extend_from_slice(b"\" - ");
        push_host_id(b, &mut self.rng);
        let b = &mut self.line;
        b.extend_from_slice(if x.signed { b" SigV4 " } else { b" - " });
        b.extend_from_slice(if x.tls13 {
            b"TLS_AES_128_GCM_SHA256"
        } else {
            b"ECDHE-RSA-AES128-GCM-SHA256"
        });
        b.extend_from_slice(if x.signed { b" AuthHeader " } else { b" - " });
        b.extend_from_slice(x.host);
        b.extend_from_slice(if x.tls13 { b" TLSv1.3 - " } else { b" TLSv1.2 - " });
        b.extend_from_slice(if x.acl { b"Yes " } else { b"- " });
        b.extend_from_slice(x.region);
        b.push(b'\n');
        ua_start
    }

    /// Writes the finished line: now and then truncated (a partial write; the full record
    /// may or may not be re-delivered), now and then delivered twice.
    fn emit(&mut self, t: u32, ua_start: usize) -> Res<()> {
        if self.rng.chance(0.001) {
            let cut = self.rng.range(12, ua_start as u64 - 1) as usize;
            self.trunc.clear();
            self.trunc.extend_from_slice(&self.line[..cut]);
            self.trunc.push(b'\n');
            self.sink.put(t, &self.trunc, false)?;
            self.malformed += 1;
            if self.rng.chance(0.5) {
                return Ok(());
            }
        }
        self.sink.put(t, &self.line, false)?;
        if self.rng.chance(0.01) {
            self.sink.put(t, &self.line, true)?;
            self.duplicates += 1;
        }
        Ok(())
    }

    fn tz_for(&mut self, l: &Learner) -> Option<&'static str> {
        let real = ZONES[usize::from(l.zone)].name;
        let invalid = INVALID_ZONES[usize::from(l.alt) % INVALID_ZONES.len()];
        match l.mode {
            TzMode::File => self.rng.chance(0.6).then_some(real),
            TzMode::FileTravel => self.rng.chance(0.9).then_some(ZONES[usize::from(l.alt)].name),
            TzMode::FileInvalid => self.rng.chance(0.85).then_some(real),
            TzMode::Absent => self.rng.chance(0.97).then_some(real),
            TzMode::AbsentMixed => Some(if self.rng.chance(0.5) { real } else { invalid }),
            TzMode::AbsentInvalid => Some(invalid),
            TzMode::NoZone => None,
        }
    }

    fn push_tz(&mut self, l: &Learner, tz: &str) {
        let b = &mut self.line;
        b.extend_from_slice(b"tz=");
        for &c in tz.as_bytes() {
            match c {
                b'/' if l.flags & F_SLASH_RAW != 0 => b.push(c),
                b'+' if l.flags & F_PLUS_RAW != 0 => b.push(c),
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => b.push(c),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    b.extend_from_slice(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
                }
            }
        }
    }

    /// One BRB request by learner `li`: a GET by the app (evidence when in a window with
    /// 200/304), a CORS preflight, or a GET against the staging bucket.
    fn brb(&mut self, t: u32, l: &Learner, status: u16, kind: BrbKind) -> Res<()> {
        let u = ua_of(l.ua);
        let (bucket, op, method): (&[u8], &[u8], &[u8]) = match kind {
            BrbKind::Get => (BUCKET, b"REST.GET.OBJECT", b"GET"),
            BrbKind::Preflight => (BUCKET, b"REST.OPTIONS.PREFLIGHT", b"OPTIONS"),
            BrbKind::Staging => (STAGING, b"REST.GET.OBJECT", b"GET"),
        };
        self.head(bucket, Some(l.ip), b"-", op);
        let tz = self.tz_for(l);
        let b = &mut self.line;
        b.extend_from_slice(b"brb/cohort-");
        push_u64(b, u64::from(l.cohort));
        b.extend_from_slice(b".json \"");
        b.extend_from_slice(method);
        b.extend_from_slice(b" /brb/cohort-");
        push_u64(b, u64::from(l.cohort));
        b.extend_from_slice(b".json?");
        if l.flags & F_PLATFORM_PARAM != 0 {
            b.extend_from_slice(if u.web { b"platform=web&" } else { b"platform=app&" });
        }
        let tz_first = l.flags & F_TZ_FIRST != 0;
        if let (true, Some(tz)) = (tz_first, tz) {
            self.push_tz(l, tz);
            self.line.push(b'&');
        }
        let b = &mut self.line;
        b.extend_from_slice(b"learner_id=");
        push_u64(b, l.id);
        if let (false, Some(tz)) = (tz_first, tz) {
            self.line.push(b'&');
            self.push_tz(l, tz);
        }
        let b = &mut self.line;
        if l.flags & F_DUP_PARAM != 0 {
            b.extend_from_slice(b"&learner_id=");
            push_u64(b, l.id);
        }
        if u.web {
            b.extend_from_slice(b"&_=");
            push_u64(b, abs_time(t) as u64 * 1000 + self.rng.below(1000));
        }
        self.line.extend_from_slice(b" HTTP/1.1\"");
        let size = 160 + u64::from(l.cohort) % 37;
        let total = self.rng.range(3, 90);
        let (err, sent, osize, turn): (&[u8], _, _, _) = match (kind, status) {
            (BrbKind::Preflight, _) => (b"-", None, None, Some(total - 1)),
            (_, 200) => (b"-", Some(size), Some(size), Some(total - 1)),
            (_, 304) => (b"-", None, Some(size), None),
            _ => (b"NoSuchKey", Some(243), None, None),
        };
        let status = if kind == BrbKind::Preflight { 200 } else { status };
        let host: &[u8] = match (kind, l.flags & F_REGIONAL_HOST != 0) {
            (BrbKind::Staging, _) => b"duo-brb-staging.s3.amazonaws.com",
            (_, true) => b"duo-brb.s3.us-east-1.amazonaws.com",
            (_, false) => b"duo-brb.s3.amazonaws.com",
        };
        let ua_start = self.tail(&Tail {
            status,
            err,
            sent,
            size: osize,
            total,
            turn,
            referer: if u.web { b"https://www.duolingo.com/" } else { b"-" },
            ua: u.s,
            signed: false,
            tls13: u.tls13,
            host,
            acl: false,
            region: b"-",
        });
        self.emit(t, ua_start)
    }

    fn ops_object(&mut self, t: u32, cohort: u64, put: bool) -> Res<()> {
        let op: &[u8] = if put {
            b"REST.PUT.OBJECT"
        } else {
            b"REST.DELETE.OBJECT"
        };
        self.head(BUCKET, Some(0x0A00_1F2B), ONCALL_USER, op);
        let b = &mut self.line;
        b.extend_from_slice(b"brb/cohort-");
        push_u64(b, cohort);
        b.extend_from_slice(if put { b".json \"PUT" } else { b".json \"DELETE" });
        b.extend_from_slice(b" /brb/cohort-");
        push_u64(b, cohort);
        b.extend_from_slice(b".json HTTP/1.1\"");
        let total = self.rng.range(8, 60);
        let size = 160 + cohort % 37;
        let ua_start = self.tail(&Tail {
            status: if put { 200 } else { 204 },
            err: b"-",
            sent: None,
            size: put.then_some(size),
            total,
            turn: Some(total / 2),
            referer: b"-",
            ua: CLI_UA,
            signed: true,
            tls13: true,
            host: b"duo-brb.s3.us-east-1.amazonaws.com",
            acl: false,
            region: b"us-east-1",
        });
        self.emit(t, ua_start)
    }

    fn asset_get(&mut self, t: u32) -> Res<()> {
        let a = &ASSETS[self.rng.below(ASSETS.len() as u64) as usize];
        let h = self.rng.next();
        let odd = self.rng.below(1000);
        let u = if odd < 5 {
            &ODD_UAS[(h >> 40) as usize % ODD_UAS.len()]
        } else {
            &UAS[(h >> 40) as usize % UAS.len()]
        };
        let ua_s = if odd == 5 { NON_UTF8_UA } else { u.s };
        self.head(BUCKET, Some(public_ip(h)), b"-", b"REST.GET.OBJECT");
        let r = self.rng.below(1000);
        let b = &mut self.line;
        b.extend_from_slice(a.key);
        b.extend_from_slice(b" \"GET ");
        b.extend_from_slice(a.uri);
        if h & 7 == 0 {
            b.extend_from_slice(b"?v=");
            push_hex16(b, h);
        }
        b.extend_from_slice(b" HTTP/1.1\"");
        let total = self.rng.range(4, 400);
        let (status, err, sent, size, turn): (u16, &[u8], _, _, _) = match r {
            0..=599 => (200, b"-", Some(a.size), Some(a.size), Some(total / 3)),
            600..=849 => (304, b"-", None, Some(a.size), None),
            850..=879 => (206, b"-", Some(a.size.min(65_536)), Some(a.size), Some(total / 3)),
            880..=959 => (404, b"NoSuchKey", Some(243), None, None),
            960..=989 => (403, b"AccessDenied", Some(243), None, None),
            _ => (503, b"SlowDown", Some(255), None, None),
        };
        let ua_start = self.tail(&Tail {
            status,
            err,
            sent,
            size,
            total,
            turn,
            referer: if u.web {
                b"https://www.duolingo.com/learn"
            } else {
                b"-"
            },
            ua: ua_s,
            signed: false,
            tls13: u.tls13,
            host: b"duo-brb.s3.amazonaws.com",
            acl: false,
            region: b"-",
        });
        self.emit(t, ua_start)
    }

    /// Authenticated, non-evidence traffic: CDN HEADs, deploys, listings, on-call reads of
    /// the BRB objects (no learner_id), lifecycle expirations.
    fn internal(&mut self, t: u32, which: u64) -> Res<()> {
        let h = self.rng.next();
        let a = &ASSETS[(h % ASSETS.len() as u64) as usize];
        let total = self.rng.range(5, 120);
        match which {
            0 => {
                self.head(
                    BUCKET,
                    Some(0x0A00_0000 | ((h >> 40) as u32 & 0xFFFF)),
                    CDN_USER,
                    b"REST.HEAD.OBJECT",
                );
                let b = &mut self.line;
                b.extend_from_slice(a.key);
                b.extend_from_slice(b" \"HEAD ");
                b.extend_from_slice(a.uri);
                b.extend_from_slice(b" HTTP/1.1\"");
                let ua_start = self.tail(&Tail {
                    status: 200,
                    err: b"-",
                    sent: None,
                    size: Some(a.size),
                    total,
                    turn: Some(total / 2),
                    referer: b"-",
                    ua: b"Amazon CloudFront",
                    signed: true,
                    tls13: true,
                    host: b"duo-brb.s3.us-east-1.amazonaws.com",
                    acl: false,
                    region: b"us-east-1",
                });
                self.emit(t, ua_start)
            }
            1 => {
                self.head(BUCKET, Some(0x0A14_0C07), DEPLOY_ROLE, b"REST.PUT.OBJECT");
                let b = &mut self.line;
                b.extend_from_slice(b"assets/js/chunk-");
                push_hex16(b, h);
                b.extend_from_slice(b".js \"PUT /assets/js/chunk-");
                push_hex16(b, h);
                b.extend_from_slice(b".js HTTP/1.1\"");
                let ua_start = self.tail(&Tail {
                    status: 200,
                    err: b"-",
                    sent: None,
                    size: Some(10_000 + (h >> 44)),
                    total: total * 4,
                    turn: Some(total),
                    referer: b"-",
                    ua: CLI_UA,
                    signed: true,
                    tls13: true,
                    host: b"duo-brb.s3.us-east-1.amazonaws.com",
                    acl: h & 1 == 0,
                    region: b"us-east-1",
                });
                self.emit(t, ua_start)
            }
            2 => {
                self.head(BUCKET, Some(0x0A00_1F2B), ONCALL_USER, b"REST.GET.BUCKET");
                self.line.extend_from_slice(
                    b"- \"GET /?list-type=2&prefix=brb%2F&delimiter=%2F&encoding-type=url HTTP/1.1\"",
                );
                let ua_start = self.tail(&Tail {
                    status: 200,
                    err: b"-",
                    sent: Some(7_412),
                    size: None,
                    total,
                    turn: Some(total / 2),
                    referer: b"-",
                    ua: CONSOLE_UA,
                    signed: true,
                    tls13: true,
                    host: b"duo-brb.s3.us-east-1.amazonaws.com",
                    acl: false,
                    region: b"us-east-1",
                });
                self.emit(t, ua_start)
            }
            3 => {
                // the on-call engineer checks a BRB object: brb/ key, no learner_id
                let cohort = h % COHORTS;
                let get = h & 1 == 0;
                self.head(
                    BUCKET,
                    Some(0x0A00_1F2B),
                    ONCALL_USER,
                    if get {
                        b"REST.GET.OBJECT"
                    } else {
                        b"REST.HEAD.OBJECT"
                    },
                );
                let b = &mut self.line;
                b.extend_from_slice(b"brb/cohort-");
                push_u64(b, cohort);
                b.extend_from_slice(if get { b".json \"GET" } else { b".json \"HEAD" });
                b.extend_from_slice(b" /brb/cohort-");
                push_u64(b, cohort);
                b.extend_from_slice(b".json HTTP/1.1\"");
                let exists = object_exists(t);
                let size = 160 + cohort % 37;
                let ua_start = self.tail(&Tail {
                    status: if exists { 200 } else { 404 },
                    err: if exists { b"-" } else { b"NoSuchKey" },
                    sent: if exists { get.then_some(size) } else { Some(243) },
                    size: exists.then_some(size),
                    total,
                    turn: Some(total / 2),
                    referer: b"-",
                    ua: CONSOLE_UA,
                    signed: true,
                    tls13: true,
                    host: b"duo-brb.s3.us-east-1.amazonaws.com",
                    acl: false,
                    region: b"us-east-1",
                });
                self.emit(t, ua_start)
            }
            _ => {
                // lifecycle expiration: most fields are "-", like AWS writes them
                self.head(BUCKET, None, b"AmazonS3", b"S3.EXPIRE.OBJECT");
                let key = LIFECYCLE_KEYS[(h % LIFECYCLE_KEYS.len() as u64) as usize];
                let b = &mut self.line;
                b.extend_from_slice(key);
                b.extend_from_slice(b" \"-\" - - - ");
                push_u64(b, 1_000 + (h >> 50));
                b.extend_from_slice(b" - -");
                let ua_start = b.len();
                b.extend_from_slice(b" \"-\" \"-\" - ");
                push_host_id(b, &mut self.rng);
                self.line.extend_from_slice(b" - - - - - - - -\n");
                self.emit(t, ua_start)
            }
        }
    }

    fn garbage_query(&mut self, t: u32) -> Res<()> {
        let h = self.rng.next();
        let cohort = h % COHORTS;
        let q = GARBAGE_QUERIES[((h >> 8) % GARBAGE_QUERIES.len() as u64) as usize];
        self.head(BUCKET, Some(public_ip(h >> 3)), b"-", b"REST.GET.OBJECT");
        let b = &mut self.line;
        b.extend_from_slice(b"brb/cohort-");
        push_u64(b, cohort);
        b.extend_from_slice(b".json \"GET /brb/cohort-");
        push_u64(b, cohort);
        b.extend_from_slice(b".json?");
        b.extend_from_slice(q);
        b.extend_from_slice(b" HTTP/1.1\"");
        let exists = object_exists(t);
        let size = 160 + cohort % 37;
        let total = self.rng.range(3, 60);
        let ua_start = self.tail(&Tail {
            status: if exists { 200 } else { 404 },
            err: if exists { b"-" } else { b"NoSuchKey" },
            sent: Some(if exists { size } else { 243 }),
            size: exists.then_some(size),
            total,
            turn: Some(total - 1),
            referer: b"-",
            ua: b"python-requests/2.32.3",
            signed: false,
            tls13: true,
            host: b"duo-brb.s3.amazonaws.com",
            acl: false,
            region: b"-",
        });
        self.emit(t, ua_start)
    }

    /// One line of background traffic at time t. With `more_evidence`, BRB polls inside a
    /// window come from learners with evidence (more hits for them), otherwise polls are
    /// drawn only outside the windows.
    fn noise(&mut self, t: u32, pop: &Population, more_evidence: bool) -> Res<()> {
        // BRB polls, asset GETs, CDN HEADs, deploy PUTs, other internal, junk learner ids,
        // CORS preflights, staging bucket. The --target-bytes filler is mostly BRB polls.
        const BASE: [u32; 8] = [40, 44, 6, 2, 1, 1, 2, 4];
        const FILL: [u32; 8] = [60, 27, 4, 1, 1, 1, 2, 4];
        match self.rng.weighted(if more_evidence { &FILL } else { &BASE }) {
            0 => {
                let inside = in_window(t);
                if inside && (!more_evidence || pop.affected.is_empty()) {
                    return self.asset_get(t);
                }
                let li = if inside {
                    pop.affected[self.rng.below(pop.affected.len() as u64) as usize]
                } else {
                    self.rng.below(pop.learners.len() as u64) as u32
                };
                let status = if object_exists(t) {
                    if self.rng.chance(0.6) {
                        304
                    } else {
                        200
                    }
                } else {
                    404
                };
                let kind = match self.rng.below(100) {
                    0..=1 => BrbKind::Preflight,
                    2..=4 => BrbKind::Staging,
                    _ => BrbKind::Get,
                };
                self.brb(t, &pop.learners[li as usize], status, kind)
            }
            1 => self.asset_get(t),
            2 => self.internal(t, 0),
            3 => self.internal(t, 1),
            4 => {
                let w = self.rng.below(3);
                self.internal(t, 2 + w)
            }
            5 => self.garbage_query(t),
            6 => {
                // CORS preflight from a web client, learner_id in the query: not a GET
                let li = self.rng.below(pop.learners.len() as u64) as usize;
                self.brb(t, &pop.learners[li], 200, BrbKind::Preflight)
            }
            _ => {
                // QA against the staging bucket, same learners, during the outage too
                let li = self.rng.below(pop.learners.len() as u64) as usize;
                let status = if object_exists(t) { 200 } else { 404 };
                self.brb(t, &pop.learners[li], status, BrbKind::Staging)
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BrbKind {
    Get,
    Preflight,
    Staging,
}

#[derive(Clone, Copy)]
enum Item {
    Poll(Event),
    Noise,
    Ops(u8, bool),
}

fn gen_logs(pop: &Population, dir: &Path, seed: u64, k: usize, gzip: bool, target: u64) -> Res<Gen> {
    let mut g = Gen {
        rng: Rng::new(seed, 2),
        sink: Sink {
            dir: dir.to_path_buf(),
            k,
            gzip,
            rng: Rng::new(seed, 3),
            objs: (0..k).map(|_| None).collect(),
            closed_below: 0,
            files: 0,
            lines: 0,
            bytes: 0,
            disk_bytes: 0,
        },
        line: Vec::with_capacity(1024),
        trunc: Vec::with_capacity(1024),
        ts: Vec::with_capacity(32),
        malformed: 0,
        duplicates: 0,
    };
    // Background traffic: about three lines per learner over the nine hours.
    let rate = 3.0 * pop.learners.len() as f64 / f64::from(SPAN);
    let mut acc = 0.0f64;
    let mut next_ev = 0usize;
    let mut pending: Vec<Item> = Vec::new();
    for t in 0..SPAN {
        g.ts.clear();
        log_time(&mut g.ts, abs_time(t));
        g.sink.advance(t)?;
        pending.clear();
        while next_ev < pop.events.len() && pop.events[next_ev].t == t {
            pending.push(Item::Poll(pop.events[next_ev]));
            next_ev += 1;
        }
        acc += rate;
        let n = acc.floor();
        acc -= n;
        pending.extend((0..n as u64).map(|_| Item::Noise));
        if t == PUT1 || t == W2.0 {
            pending.extend((0..COHORTS as u8).map(|c| Item::Ops(c, true)));
        }
        if t == W1.1 || t == W2.1 {
            pending.extend((0..COHORTS as u8).map(|c| Item::Ops(c, false)));
        }
        // any order within the second (log time has second precision)
        for i in (1..pending.len()).rev() {
            let j = g.rng.below(i as u64 + 1) as usize;
            pending.swap(i, j);
        }
        for &item in &pending {
            match item {
                Item::Poll(e) => g.brb(t, &pop.learners[e.learner as usize], e.status, BrbKind::Get)?,
                Item::Noise => g.noise(t, pop, false)?,
                Item::Ops(c, put) => g.ops_object(t, u64::from(c), put)?,
            }
        }
        if target > 0 {
            let goal = (u128::from(target) * u128::from(t + 1) / u128::from(SPAN)) as u64;
            while g.sink.bytes < goal {
                g.noise(t, pop, true)?;
            }
        }
    }
    g.sink.finish()?;
    Ok(g)
}

// ---------------------------------------------------------------------------------------

struct Args {
    out: PathBuf,
    learners: u64,
    seed: u64,
    files: usize,
    gzip: bool,
    target: u64,
    parquet: bool,
    poll_share: f64,
}

fn parse_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.find(|c: char| !c.is_ascii_digit()) {
        None => (s, 1u64),
        Some(i) => {
            let m = match &s[i..] {
                "K" | "k" => 1_000,
                "M" => 1_000_000,
                "G" => 1_000_000_000,
                "Ki" => 1 << 10,
                "Mi" => 1 << 20,
                "Gi" => 1 << 30,
                _ => return None,
            };
            (&s[..i], m)
        }
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

fn parse_args() -> Res<Option<Args>> {
    let mut a = Args {
        out: PathBuf::new(),
        learners: 5000,
        seed: 1,
        files: 8,
        gzip: false,
        target: 0,
        parquet: false,
        poll_share: 1.0,
    };
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Res<String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| GenError(format!("{name} needs a value; {USAGE}")))
        };
        let bad = |name: &str, v: &str| GenError(format!("invalid {name} value {v:?}; {USAGE}"));
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--learners" => {
                let v = value("--learners")?;
                a.learners = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0 && n < u64::from(u32::MAX))
                    .ok_or_else(|| bad("--learners", &v))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                a.seed = v.parse().map_err(|_| bad("--seed", &v))?;
            }
            "--files" => {
                let v = value("--files")?;
                a.files = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0 && n <= 100_000)
                    .ok_or_else(|| bad("--files", &v))?;
            }
            "--target-bytes" => {
                let v = value("--target-bytes")?;
                a.target = parse_size(&v).ok_or_else(|| bad("--target-bytes", &v))?;
            }
            "--gzip" if inline.is_none() => a.gzip = true,
            "--parquet" if inline.is_none() => a.parquet = true,
            "--poll-share" => {
                let v = value("--poll-share")?;
                a.poll_share = v
                    .parse()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or_else(|| bad("--poll-share", &v))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            _ => return Err(GenError(format!("unknown argument {arg:?}; {USAGE}"))),
        }
    }
    a.out = out.ok_or_else(|| GenError(format!("--out is required; {USAGE}")))?;
    Ok(Some(a))
}

/// True for names S3 gives log objects: `YYYY-MM-DD-HH-MM-SS-` + 16 uppercase hex.
fn is_object_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 | 10 | 13 | 16 | 19 => c == b'-',
            0..=18 => c.is_ascii_digit(),
            _ => c.is_ascii_digit() || (b'A'..=b'F').contains(&c),
        })
}

fn prepare_out(a: &Args) -> Res<PathBuf> {
    let logs = a.out.join("logs");
    fs::create_dir_all(&logs).map_err(|e| io_err("cannot create directory", &logs, e))?;
    // Objects from an earlier run with other flags would mix in: remove those (only files
    // named like S3 log objects), and stale parquet files when --parquet is not given.
    let rd = fs::read_dir(&logs).map_err(|e| io_err("cannot read directory", &logs, e))?;
    for ent in rd {
        let ent = ent.map_err(|e| io_err("cannot read directory", &logs, e))?;
        let p = ent.path();
        if ent.file_name().to_str().is_some_and(is_object_name) && p.is_file() {
            fs::remove_file(&p).map_err(|e| io_err("cannot remove", &p, e))?;
        }
    }
    if !a.parquet {
        for name in ["learners.parquet", "calendars.parquet"] {
            let p = a.out.join(name);
            if p.is_file() {
                fs::remove_file(&p).map_err(|e| io_err("cannot remove", &p, e))?;
            }
        }
    }
    Ok(logs)
}

fn main() -> Result<(), GenError> {
    let Some(a) = parse_args()? else {
        return Ok(());
    };
    let started = Instant::now();
    let logs = prepare_out(&a)?;
    let ipath = a.out.join("incident.toml");
    fs::write(&ipath, incident_toml(a.seed, a.learners)).map_err(|e| io_err("cannot write", &ipath, e))?;
    let pop = gen_population(&a.out, a.learners, a.seed, a.parquet, a.poll_share)?;
    let log_start = Instant::now();
    let g = gen_logs(&pop, &logs, a.seed, a.files, a.gzip, a.target)?;
    let secs = log_start.elapsed().as_secs_f64();
    let s = &g.sink;
    let gz = if a.gzip {
        format!(" gz_bytes={}", s.disk_bytes)
    } else {
        String::new()
    };
    eprintln!(
        "gen_incident: files={} lines={} bytes={}{gz} learners={} calendar_rows={} malformed={} duplicates={} out={} ({:.1}s, logs {:.0} MB/s)",
        s.files,
        s.lines,
        s.bytes,
        pop.learners.len(),
        pop.calendar_rows,
        g.malformed,
        g.duplicates,
        a.out.display(),
        started.elapsed().as_secs_f64(),
        s.bytes as f64 / 1e6 / secs.max(1e-9),
    );
    Ok(())
}
