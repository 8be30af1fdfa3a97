//! `streak-repair replay`: re-run a recorded incident and compare the manifest and the
//! decision log with the ones it expects, so a rule change or an upgrade that changes
//! an answer is seen before it ships.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use crate::rundir::read_jsonl;
use crate::tzdb::TzdbChoice;

/// Re-run a recorded incident and diff against its expected outputs.
///
/// CASE_DIR holds incident.toml (with as_of), logs/, learners and calendars
/// (.csv, .jsonl or .parquet) and expected/{manifest,decisions}.jsonl. Runs plan into
/// a temporary directory and compares byte for byte; on a difference, prints the
/// first ones in words (learner, day, expected vs got) and exits 1. --update
/// rewrites the expected files instead, for a deliberate change reviewed in the diff.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A recorded incident directory (see testdata/).
    case_dir: PathBuf,
    /// Rewrite CASE_DIR/expected/ with this build's outputs.
    #[arg(long)]
    update: bool,
    /// Time-zone data, as for plan.
    #[arg(long, default_value = "bundled", value_parser = clap::value_parser!(TzdbChoice))]
    tzdb: TzdbChoice,
    /// How many differences to print.
    #[arg(long, default_value_t = 10)]
    show: usize,
}

/// The files a recorded incident's expected/ directory holds.
const COMPARED: [&str; 2] = ["manifest.jsonl", "decisions.jsonl"];

pub fn run(args: Args) -> anyhow::Result<super::Finding> {
    let case = &args.case_dir;
    let incident = case.join("incident.toml");
    let parsed = crate::incident::Incident::load(&incident)?;
    let Some(as_of) = parsed.as_of else {
        anyhow::bail!(
            "{}: a recorded incident needs `as_of`, or its answers change with the clock",
            incident.display()
        );
    };
    let expected = case.join("expected");
    if !args.update && !expected.is_dir() {
        anyhow::bail!(
            "{}: no expected outputs (run `streak-repair replay --update` to record them)",
            expected.display()
        );
    }
    let out = tempfile::tempdir().context("cannot create a temporary directory")?;
    let plan = super::plan::Config {
        evidence: super::plan::EvidenceFrom::Logs(vec![case.join("logs").display().to_string()]),
        learners: Some(table(case, "learners")?.display().to_string()),
        calendars: Some(table(case, "calendars")?.display().to_string()),
        as_of,
        as_of_source: crate::output::run::AsOfSource::Incident,
        out: out.path().to_path_buf(),
        formats: Vec::new(),
        tzdb: args.tzdb.clone(),
        // A recorded incident is local: nothing is listed.
        s3: crate::source::s3::Options::default(),
        quiet: true,
        incident_path: incident,
        incident: parsed,
    };
    super::plan::execute(&plan)?;
    if args.update {
        return update(out.path(), &expected);
    }
    let mut report = String::new();
    let mut differ = false;
    for name in COMPARED {
        let (want, got) = (expected.join(name), out.path().join(name));
        let want_bytes = std::fs::read(&want).with_context(|| format!("{}: cannot read", want.display()))?;
        if want_bytes == std::fs::read(&got)? {
            continue;
        }
        differ = true;
        let lines = differences(name, &read_jsonl(&want)?, &read_jsonl(&got)?);
        let _ = writeln!(
            report,
            "{}: differs from this run ({} difference(s)):",
            want.display(),
            lines.len()
        );
        for line in lines.iter().take(args.show) {
            let _ = writeln!(report, "  {line}");
        }
    }
    if differ {
        eprint!("{report}");
        eprintln!(
            "replay {}: MISMATCH (review, then `streak-repair replay --update` if the change is intended)",
            case.display()
        );
        return Ok(super::Finding::Problem);
    }
    eprintln!("replay {}: ok, manifest and decisions identical", case.display());
    Ok(super::Finding::Clean)
}

/// The case's learners or calendars file, whichever format it has.
fn table(case: &Path, stem: &str) -> anyhow::Result<PathBuf> {
    ["csv", "jsonl", "parquet"]
        .iter()
        .map(|ext| case.join(format!("{stem}.{ext}")))
        .find(|p| p.exists())
        .with_context(|| {
            format!(
                "{}: no {stem}.csv, {stem}.jsonl or {stem}.parquet",
                case.display()
            )
        })
}

fn update(out: &Path, expected: &Path) -> anyhow::Result<super::Finding> {
    std::fs::create_dir_all(expected).with_context(|| format!("{}: cannot create", expected.display()))?;
    for name in COMPARED {
        let target = expected.join(name);
        std::fs::copy(out.join(name), &target)
            .with_context(|| format!("{}: cannot write", target.display()))?;
    }
    eprintln!(
        "replay: rewrote {}; review the diff before committing",
        expected.display()
    );
    Ok(super::Finding::Clean)
}

/// Differences between two JSON Lines files of rows keyed by learner and day (and
/// action), in words.
fn differences(name: &str, want: &[Value], got: &[Value]) -> Vec<String> {
    // A decision is one per learner and day; a manifest row one per learner, day and action.
    let by_action = name == "manifest.jsonl";
    let keyed = |rows: &[Value]| -> BTreeMap<(u64, String, String), Vec<Value>> {
        let mut map: BTreeMap<_, Vec<Value>> = BTreeMap::new();
        for r in rows {
            map.entry(key(r, by_action)).or_default().push(r.clone());
        }
        map
    };
    let (want, got) = (keyed(want), keyed(got));
    let mut out = Vec::new();
    for (k, w) in &want {
        match got.get(k).map(Vec::as_slice) {
            None => out.push(format!(
                "{}: expected {}, got no such line",
                place(k),
                brief(&w[0])
            )),
            Some(g) if g.len() != w.len() => out.push(format!(
                "{}: expected {} line(s), got {}",
                place(k),
                w.len(),
                g.len()
            )),
            Some(g) => out.extend(
                w.iter()
                    .zip(g)
                    .filter(|(w, g)| w != g)
                    .map(|(w, g)| format!("{}: {}", place(k), fields_differing(w, g))),
            ),
        }
    }
    for (k, g) in &got {
        if !want.contains_key(k) {
            out.push(format!("{}: not expected, got {}", place(k), brief(&g[0])));
        }
    }
    if out.is_empty() {
        out.push(format!(
            "{name}: same rows, different bytes (order or formatting)"
        ));
    }
    out
}

fn key(row: &Value, by_action: bool) -> (u64, String, String) {
    let text = |k: &str| row[k].as_str().unwrap_or("").to_string();
    let action = if by_action { text("action") } else { String::new() };
    (
        row["learner_id"].as_u64().unwrap_or(0),
        text("local_date"),
        action,
    )
}

fn place(k: &(u64, String, String)) -> String {
    let day = if k.1.is_empty() { "(no day)" } else { &k.1 };
    let action = if k.2.is_empty() {
        String::new()
    } else {
        format!(" {}", k.2)
    };
    format!("learner {}, {day}{action}", k.0)
}

/// The outcome or action of a row, which is what a reader wants first.
fn brief(row: &Value) -> String {
    let what = row
        .get("outcome")
        .or_else(|| row.get("action"))
        .and_then(Value::as_str);
    what.unwrap_or("a row").to_string()
}

fn fields_differing(want: &Value, got: &Value) -> String {
    let (Some(w), Some(g)) = (want.as_object(), got.as_object()) else {
        return "rows differ".into();
    };
    let keys: std::collections::BTreeSet<&String> = w.keys().chain(g.keys()).collect();
    keys.into_iter()
        .filter(|k| w.get(*k) != g.get(*k))
        .map(|k| format!("{k} expected {}, got {}", shown(w.get(k)), shown(g.get(k))))
        .collect::<Vec<_>>()
        .join("; ")
}

fn shown(v: Option<&Value>) -> String {
    v.map_or_else(|| "(absent)".into(), Value::to_string)
}
