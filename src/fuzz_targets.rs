//! What the fuzz targets (`fuzz/`) and the regression-corpus test (`tests/fuzz_corpus.rs`)
//! run: each entry takes arbitrary bytes, must not panic, and asserts what must hold of
//! any input. Kept in the library so the corpus replays on stable Rust in `make test`.
//! Their `expect`s and `assert`s are the checks: one that fails is a finding to fix.

use std::io::Write;

use crate::calendar::{self, Keep};
use crate::evidence::Matcher;
use crate::incident::Incident;
use crate::{logs, query};

/// The incident the log targets classify against: one bucket, prefix and window that
/// the seed lines (from testdata) hit.
const INCIDENT: &str = r#"
id = "fuzz"
[[window]]
start = "2026-11-20T13:00:00Z"
end   = "2026-11-20T16:30:00Z"
[evidence]
bucket = "duo-brb"
key_prefix = "brb/"
"#;

/// Built once: parsing the incident on every input would be most of the work.
fn matcher() -> &'static Matcher {
    static MATCHER: std::sync::OnceLock<Matcher> = std::sync::OnceLock::new();
    MATCHER.get_or_init(|| {
        Matcher::new(&Incident::parse(INCIDENT, "fuzz.toml").expect("the fuzz incident is valid"))
    })
}

/// One log line through the parser, the evidence test and the `scan --all` rendering.
pub fn log_line(line: &[u8]) {
    let matcher = matcher();
    match logs::s3::parse(line) {
        Ok(record) => {
            let json = serde_json::to_vec(&record).expect("a record always renders");
            serde_json::from_slice::<serde_json::Value>(&json).expect("rendered JSON parses");
            if let Ok(evidence) = matcher.classify(&record) {
                assert_eq!(matcher.learner_named(&record), Some(evidence.learner_id));
            }
        }
        Err(reason) => {
            assert!(!reason.name().is_empty());
            let _ = matcher.learner_in_line(line);
        }
    }
}

/// A query string through the decoder, alone and inside an evidence line's request URI.
pub fn query(q: &[u8]) {
    for name in [&b"learner_id"[..], b"tz"] {
        if let Some(value) = query::param(q, name) {
            assert!(value.len() <= q.len(), "decoding never lengthens a value");
            let _ = query::learner_id(&value);
        }
    }
    if q.iter().any(|b| matches!(b, b' ' | b'"' | b'#' | b'\n' | b'\r')) {
        return; // not one query S3 could log inside one quoted request URI
    }
    let mut line = b"owner duo-brb [20/Nov/2026:14:00:00 +0000] 10.0.0.1 - REQ1 REST.GET.OBJECT \
                     brb/cohort-3.json \"GET /brb/cohort-3.json?"
        .to_vec();
    line.extend_from_slice(q);
    line.extend_from_slice(b" HTTP/1.1\" 200 - 2 2 1 1 \"-\" \"ua\" -");
    let record = logs::s3::parse(&line).expect("a well-formed line around any query parses");
    assert_eq!(record.query(), Some(q), "the query comes back as logged");
    let m = matcher();
    let named = m.learner_named(&record);
    match m.classify(&record) {
        Ok(evidence) => assert_eq!(Some(evidence.learner_id), named),
        Err(_) => assert_eq!(named, None, "a learner named in window is evidence"),
    }
}

/// An incident file: a clear error or a valid incident, never a panic.
pub fn incident(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match Incident::parse(text, "fuzz.toml") {
        Ok(incident) => {
            assert!(incident.windows.iter().all(|w| w.start < w.end));
            let _ = Matcher::new(&incident);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// A learners or calendars table; the first byte picks the format (CSV, JSON Lines,
/// Parquet), the rest is the file.
pub fn tables(bytes: &[u8]) {
    let Some((&pick, file)) = bytes.split_first() else {
        return;
    };
    let extension = ["csv", "jsonl", "parquet"][usize::from(pick % 3)];
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join(format!("table.{extension}"));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(file))
        .expect("the temp file is written");
    let keep: &dyn Keep = &|_| true;
    if let Ok(calendars) = calendar::read_calendars(&[&path], keep) {
        for days in calendars.days.values() {
            assert!(
                days.windows(2).all(|w| w[0].0 < w[1].0),
                "sorted, one kind per date"
            );
        }
    }
    if let Ok(learners) = calendar::read_learners(&[&path], keep) {
        assert!(learners.repeated_rows <= learners.rows);
    }
}
