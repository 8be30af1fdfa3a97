//! Micro-benchmarks of the hot stages: the log-line parser and evidence test (records/s
//! on the real sample lines), instant → local date, and the rules (learners/s), each
//! beside a peer measured in the same run so figures read as ratios.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jiff::civil::Date;
use streak_repair::calendar::{Calendars, Learners};
use streak_repair::evidence::{self, Evidence, Matcher};
use streak_repair::incident::Incident;
use streak_repair::model::DayKind;
use streak_repair::plan::{self, Context};
use streak_repair::tzdb::{Tzdb, TzdbChoice};

/// The real sample lines of `../shared/reference/logs/`, and the small incident's logs.
fn sample_lines() -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let samples = root.join("../shared/reference/logs/s3_access_log_samples.txt");
    let mut lines: Vec<Vec<u8>> = std::fs::read_to_string(&samples)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    for entry in std::fs::read_dir(root.join("testdata/small/logs")).unwrap() {
        let text = std::fs::read(entry.unwrap().path()).unwrap();
        lines.extend(
            text.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    lines
}

fn parser(c: &mut Criterion) {
    let lines = sample_lines();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let incident =
        Incident::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/small/incident.toml"))
            .unwrap();
    let matcher = Matcher::new(&incident);
    let mut g = c.benchmark_group("parser");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("parse+classify (records)", |b| {
        b.iter(|| {
            let mut evidence = 0usize;
            for l in &lines {
                if let Ok(r) = streak_repair::logs::s3::parse(l) {
                    evidence += usize::from(matcher.classify(&r).is_ok());
                }
            }
            black_box(evidence)
        })
    });
    // Peer: finding the line's spaces, the least any field splitter must do.
    g.bench_function("peer: memchr every space (records)", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|l| memchr::memchr_iter(b' ', l).count())
                .sum::<usize>()
        })
    });
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("parse+classify (bytes)", |b| {
        b.iter(|| {
            lines
                .iter()
                .filter(|l| streak_repair::logs::s3::parse(l).is_ok())
                .count()
        })
    });
    g.finish();
}

fn local_days(c: &mut Criterion) {
    let tzdb = Tzdb::open(&TzdbChoice::Bundled).unwrap();
    let zones: Vec<_> = ["America/New_York", "Asia/Kathmandu", "America/Santiago", "UTC"]
        .iter()
        .map(|z| tzdb.zone(z).unwrap())
        .collect();
    let instants: Vec<i64> = (0..10_000i64).map(|i| 1_795_179_600 + i * 997).collect();
    let mut g = c.benchmark_group("local_day");
    g.throughput(Throughput::Elements((instants.len() * zones.len()) as u64));
    g.bench_function("instant -> local date", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for z in &zones {
                for &t in &instants {
                    n = n.wrapping_add(u32::from(z.local_date(t).day() as u8));
                }
            }
            black_box(n)
        })
    });
    g.bench_function("peer: UTC date by division", |b| {
        b.iter(|| {
            instants
                .iter()
                .map(|t| black_box(t.div_euclid(86_400)))
                .sum::<i64>()
        })
    });
    g.finish();
}

/// `n` learners with a 60-day calendar, two to three affected days each.
fn population(n: u64) -> (Vec<Evidence>, Calendars) {
    let mut evidence = Vec::new();
    let mut calendars = Calendars::default();
    let base: Date = "2026-09-20".parse().unwrap();
    let zones = [
        "America/New_York",
        "Europe/Berlin",
        "Asia/Kolkata",
        "America/Sao_Paulo",
    ];
    for id in 1..=n {
        let days: Vec<(Date, DayKind)> = (0..60i64)
            .filter(|&i| (id as i64 + i) % 11 != 0)
            .map(|i| {
                (
                    base + jiff::Span::new().days(i),
                    if i % 9 == 0 {
                        DayKind::Freeze
                    } else {
                        DayKind::Practice
                    },
                )
            })
            .collect();
        calendars.days.insert(id, days);
        for k in 0..(2 + id % 2) {
            evidence.push(Evidence {
                learner_id: id,
                time: 1_795_179_600 + (k as i64) * 3_600 + (id % 900) as i64,
                request_id: Some(format!("R{id}-{k}").into()),
                key: "brb/c.json".into(),
                http_status: 200,
                tz_param: Some(zones[(id % 4) as usize].into()),
            });
        }
    }
    (evidence, calendars)
}

fn rules(c: &mut Criterion) {
    let tzdb = Tzdb::open(&TzdbChoice::Bundled).unwrap();
    let n = 100_000;
    let (evidence, calendars) = population(n);
    let sightings = evidence::sightings(evidence.clone(), &[]);
    let learners = Learners::default();
    let ctx = Context {
        tzdb: &tzdb,
        learners: &learners,
        calendars: &calendars,
        default_tz: None,
        as_of: 1_795_478_400,
    };
    let mut g = c.benchmark_group("rules");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("plan (zones, local days, rules; all threads)", |b| {
        b.iter(|| black_box(plan::plan(&sightings, &ctx).0.len()))
    });
    // Peer: grouping the same evidence by learner, the least any per-learner pass does.
    g.bench_function("peer: group evidence by learner", |b| {
        b.iter(|| black_box(evidence.chunk_by(|a, b| a.learner_id == b.learner_id).count()))
    });
    g.finish();
}

criterion_group!(benches, parser, local_days, rules);
criterion_main!(benches);
