//! `reqtrace rank-eval`: `rank` on every labelled case of a folder in Nezha's layout, with
//! top-1/top-3 accuracy per fault type beside a trivial baseline measured in the same run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;

use super::rank::{read_span_tables, window};
use crate::cmd::S3Args;
use crate::rank::{self, Windows};

/// Evaluate `rank` on labelled fault cases.
///
/// DIR (a local folder) holds cases.csv (case_id, inject_unix, service, inject_type, trace_files: paths
/// under DIR, `;`-separated) and the span tables it names. Each case is ranked at its
/// inject time with --window after and before it; the true service's place is reported
/// for the method (only where its score is above 0) and for the baseline (mean span
/// duration after / before).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder of cases.csv.
    dir: PathBuf,
    /// The abnormal window, and the normal one before the inject time.
    #[arg(long, default_value = "5m")]
    window: String,
    /// Also write the table as Markdown here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    #[command(flatten)]
    s3: S3Args,
}

#[derive(Debug, serde::Deserialize)]
struct Case {
    case_id: String,
    inject_unix: i64,
    service: String,
    inject_type: String,
    trace_files: String,
}

/// The true service's 1-based place under each ranking; `None` when not ranked at all.
struct Outcome {
    case: Case,
    method: Option<usize>,
    baseline: Option<usize>,
}

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let window = window("window", &args.window)?;
    let cases_csv = args.dir.join("cases.csv");
    let mut table =
        csv::Reader::from_path(&cases_csv).with_context(|| format!("cannot read {}", cases_csv.display()))?;
    let mut outcomes = Vec::new();
    for (row, case) in table.deserialize::<Case>().enumerate() {
        let case = case.with_context(|| format!("{}: row {}", cases_csv.display(), row + 2))?;
        outcomes.push(evaluate(&args.dir, case, window, &args.s3)?);
    }
    let report = report(&outcomes);
    print!("{report}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, markdown(&outcomes, &args.dir, &args.window))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(super::Finding::Clean)
}

fn evaluate(dir: &std::path::Path, case: Case, window: i64, s3: &S3Args) -> anyhow::Result<Outcome> {
    let files: Vec<String> = case
        .trace_files
        .split(';')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| dir.join(f).display().to_string())
        .collect();
    if files.is_empty() {
        anyhow::bail!("case {}: no trace_files", case.case_id);
    }
    let set = read_span_tables(&files, s3)?;
    let at = case
        .inject_unix
        .checked_mul(1_000_000)
        .filter(|at| at.checked_add(window).is_some() && at.checked_sub(window).is_some())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "case {}: inject_unix {} is out of range",
                case.case_id,
                case.inject_unix
            )
        })?;
    let windows = Windows {
        normal: (at - window, at),
        abnormal: (at, at + window),
    };
    // A service placed with score 0 is not named by the method: no hit.
    let method = match rank::rank(&set, windows) {
        Ok(ranking) => ranking
            .suspects
            .iter()
            .position(|s| s.service == case.service && s.score > 0.0),
        Err(e) => {
            eprintln!("reqtrace: {}: {e}", case.case_id);
            None
        }
    };
    let baseline = rank::mean_duration_ratio(&set, at, window)
        .iter()
        .position(|(s, _)| *s == case.service);
    Ok(Outcome {
        case,
        method: method.map(|p| p + 1),
        baseline: baseline.map(|p| p + 1),
    })
}

/// Top-1 and top-3 hits of each ranking, per fault type and overall.
fn tallies(outcomes: &[Outcome]) -> BTreeMap<String, [usize; 5]> {
    let mut by: BTreeMap<String, [usize; 5]> = BTreeMap::new();
    for o in outcomes {
        let hits = |p: Option<usize>, k: usize| usize::from(p.is_some_and(|p| p <= k));
        for key in [o.case.inject_type.clone(), "all".to_string()] {
            let t = by.entry(key).or_default();
            t[0] += 1;
            t[1] += hits(o.method, 1);
            t[2] += hits(o.method, 3);
            t[3] += hits(o.baseline, 1);
            t[4] += hits(o.baseline, 3);
        }
    }
    by
}

fn place(p: Option<usize>) -> String {
    p.map_or("-".to_string(), |p| p.to_string())
}

fn report(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<10} {:<16} {:<32} {:>6} {:>8}",
        "case", "fault", "true service", "rank", "baseline"
    );
    for o in outcomes {
        let _ = writeln!(
            out,
            "{:<10} {:<16} {:<32} {:>6} {:>8}",
            o.case.case_id,
            o.case.inject_type,
            o.case.service,
            place(o.method),
            place(o.baseline)
        );
    }
    let _ = writeln!(
        out,
        "\n{:<16} {:>5} {:>12} {:>12} {:>12} {:>12}",
        "fault", "cases", "top-1", "top-3", "base top-1", "base top-3"
    );
    for (kind, [n, m1, m3, b1, b3]) in tallies(outcomes) {
        let cell = |k: usize| format!("{k}/{n}");
        let _ = writeln!(
            out,
            "{kind:<16} {n:>5} {:>12} {:>12} {:>12} {:>12}",
            cell(m1),
            cell(m3),
            cell(b1),
            cell(b3)
        );
    }
    out
}

fn markdown(outcomes: &[Outcome], dir: &std::path::Path, window: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# `reqtrace rank` on labelled faults\n");
    let _ = writeln!(
        out,
        "Written by `make rank-eval` (`reqtrace rank-eval {}`): every case ranked at its inject \
         time, windows of {window} after and before it, the parameters of RANKING.md (a service \
         placed with score 0 counts as not found). Baseline: mean span duration after / before, \
         measured in the same run.\n",
        dir.display()
    );
    let _ = writeln!(
        out,
        "| fault | cases | top-1 | top-3 | baseline top-1 | baseline top-3 |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for (kind, [n, m1, m3, b1, b3]) in tallies(outcomes) {
        let pct = |k: usize| format!("{k}/{n} ({:.0}%)", 100.0 * k as f64 / n.max(1) as f64);
        let _ = writeln!(
            out,
            "| {kind} | {n} | {} | {} | {} | {} |",
            pct(m1),
            pct(m3),
            pct(b1),
            pct(b3)
        );
    }
    let _ = writeln!(out, "\n| case | fault | true service | rank | baseline rank |");
    let _ = writeln!(out, "|---|---|---|---:|---:|");
    for o in outcomes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            o.case.case_id,
            o.case.inject_type,
            o.case.service,
            place(o.method),
            place(o.baseline)
        );
    }
    out
}
