//! Replays the fuzz seeds and every crash the fuzzers found (fuzz/seeds, fuzz/regressions)
//! through the same harnesses `make fuzz` runs, so a fixed crash stays fixed on stable.

use std::path::Path;

use streak_repair::fuzz_targets;

fn replay(target: &str, harness: fn(&[u8])) {
    let mut replayed = 0;
    for dir in ["seeds", "regressions"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz")
            .join(dir)
            .join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| harness(&data));
            assert!(outcome.is_ok(), "{target}: {} panics", path.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "{target}: no seeds");
}

#[test]
fn log_line_corpus() {
    replay("log_line", fuzz_targets::log_line);
}

#[test]
fn query_corpus() {
    replay("query", fuzz_targets::query);
}

#[test]
fn incident_corpus() {
    replay("incident", fuzz_targets::incident);
}

#[test]
fn tables_corpus() {
    replay("tables", fuzz_targets::tables);
}
