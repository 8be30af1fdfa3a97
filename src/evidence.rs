//! Which log records are evidence (SPEC §2), and de-duplication by request id.
//!
//! A record is evidence when its bucket, operation, decoded key prefix, status, time
//! and learner parameter all match the incident. This module decides that for one
//! record and removes repeated deliveries; it knows nothing of zones or rules.

use crate::incident::{EvidenceSpec, Incident, Window};
use crate::logs::Request;
use crate::model::{quarter_hour, LearnerId, NotEvidence, Sighting};
use crate::query;

use compact_str::CompactString;

/// One BRB fetch that proves a learner was shown the maintenance page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    pub learner_id: LearnerId,
    /// Unix seconds, UTC.
    pub time: i64,
    /// `None` when the log has `-`: such a record is never merged with another.
    /// Inline strings (S3's request ids, cohort keys and most zone names fit) so the
    /// millions of records a scan keeps are not millions of small heap blocks to free.
    pub request_id: Option<CompactString>,
    /// The object key as logged (still URL-encoded).
    pub key: CompactString,
    pub http_status: u16,
    /// The decoded time-zone parameter, if the fetch carried a non-empty one.
    pub tz_param: Option<CompactString>,
}

/// What the planner reads of de-duplicated records (sorted by learner, time, request
/// id): one sighting per learner and 15-minute UTC bucket, as sql/evidence.sql gives
/// from Athena, except that a bucket is also cut at each of `breaks` (sorted instants
/// where some zone's local date changes off a quarter hour), so every sighting lies
/// within one local date of every zone and plans exactly as its records would. The
/// records' memory is reused for the sightings: a scan's millions of records are not
/// held twice.
pub fn sightings(records: Vec<Evidence>, breaks: &[i64]) -> Vec<Sighting> {
    let unbroken = |from: i64, to: i64| {
        let next = breaks.partition_point(|&b| b <= from);
        breaks.get(next).is_none_or(|&b| b > to)
    };
    let mut open: Option<Sighting> = None;
    let mut sightings: Vec<Sighting> = records
        .into_iter()
        .filter_map(|e| match &mut open {
            Some(s)
                if s.learner_id == e.learner_id
                    && s.start == quarter_hour(e.time)
                    && unbroken(s.last, e.time) =>
            {
                s.add(e.time, e.tz_param);
                None
            }
            _ => open.replace(Sighting::once(e.learner_id, e.time, e.tz_param)),
        })
        .collect();
    sightings.extend(open);
    sightings.shrink_to_fit();
    sightings
}

/// The incident's evidence test, prepared once for the hot loop.
pub struct Matcher {
    bucket: Option<Box<[u8]>>,
    operations: Vec<Box<[u8]>>,
    key_prefix: Box<[u8]>,
    statuses: Vec<u16>,
    windows: Vec<Window>,
    /// Some window lists keys: records are then matched on their decoded key too.
    keyed: bool,
    learner_param: Box<[u8]>,
    tz_param: Box<[u8]>,
}

impl Matcher {
    pub fn new(incident: &Incident) -> Matcher {
        let spec: &EvidenceSpec = &incident.evidence;
        let bytes = |s: &str| s.as_bytes().into();
        Matcher {
            bucket: spec.bucket.as_deref().map(bytes),
            operations: spec.operations.iter().map(|s| bytes(s)).collect(),
            key_prefix: bytes(&spec.key_prefix),
            statuses: spec.statuses.clone(),
            windows: incident.windows.clone(),
            keyed: incident.windows.iter().any(|w| !w.keys.is_empty()),
            learner_param: bytes(&spec.learner_param),
            tz_param: bytes(&spec.tz_param),
        }
    }

    /// Evidence from one record, or the first reason it is not.
    pub fn classify(&self, rec: &impl Request) -> Result<Evidence, NotEvidence> {
        if let Some(bucket) = &self.bucket {
            if rec.bucket() != Some(&bucket[..]) {
                return Err(NotEvidence::OtherBucket);
            }
        }
        let operation = rec.operation().ok_or(NotEvidence::OtherOperation)?;
        if !self.operations.iter().any(|op| &op[..] == operation) {
            return Err(NotEvidence::OtherOperation);
        }
        let key = rec.key().ok_or(NotEvidence::OtherKey)?;
        if !self.key_matches(key) {
            return Err(NotEvidence::OtherKey);
        }
        let status = rec.http_status().ok_or(NotEvidence::OtherStatus)?;
        if !self.statuses.contains(&status) {
            return Err(NotEvidence::OtherStatus);
        }
        let time = rec.time();
        if !self.in_window(time, key) {
            return Err(NotEvidence::OutsideWindow);
        }
        let q = rec.query().ok_or(NotEvidence::NoLearnerId)?;
        let learner_id = query::param(q, &self.learner_param)
            .and_then(|v| query::learner_id(&v))
            .ok_or(NotEvidence::NoLearnerId)?;
        let tz_param = query::param(q, &self.tz_param)
            .filter(|v| !v.is_empty())
            .map(|v| text(&v));
        Ok(Evidence {
            learner_id,
            time,
            request_id: rec.request_id().map(text),
            key: text(key),
            http_status: status,
            tz_param,
        })
    }
}

impl Matcher {
    fn in_window(&self, time: i64, key: &[u8]) -> bool {
        if !self.keyed {
            return self.windows.iter().any(|w| w.contains(time));
        }
        let decoded = query::decode(key);
        self.windows.iter().any(|w| w.admits(time, &decoded))
    }

    /// Whether the decoded key starts with the prefix. Decoding leaves bytes other than
    /// `%` escapes as they are, so a raw key starting with a `%`-free prefix matches
    /// without decoding: most keys are checked that way.
    fn key_matches(&self, key: &[u8]) -> bool {
        let plain = !self.key_prefix.contains(&b'%');
        (plain && key.starts_with(&self.key_prefix)) || query::decode(key).starts_with(&self.key_prefix)
    }

    /// The learner a record names in its query string, evidence or not.
    pub fn learner_named(&self, rec: &impl Request) -> Option<LearnerId> {
        query::param(rec.query()?, &self.learner_param).and_then(|v| query::learner_id(&v))
    }

    /// The learner a line names, found in its raw bytes: for lines too broken to parse.
    pub fn learner_in_line(&self, line: &[u8]) -> Option<LearnerId> {
        memchr::memmem::find_iter(line, &self.learner_param[..]).find_map(|at| {
            let before = at.checked_sub(1).map(|i| line[i]);
            let rest = line.get(at + self.learner_param.len()..)?;
            let value = rest.strip_prefix(b"=")?;
            let end = value
                .iter()
                .position(|b| matches!(b, b'&' | b' ' | b'"' | b'#'))
                .unwrap_or(value.len());
            matches!(before, Some(b'?' | b'&')).then(|| query::learner_id(&query::decode(&value[..end])))?
        })
    }
}

/// Logged text as a string; each run of bytes that is not UTF-8 becomes U+FFFD. Valid text, nearly
/// all of it, skips `from_utf8_lossy`, which builds its result a piece at a time.
fn text(bytes: &[u8]) -> CompactString {
    std::str::from_utf8(bytes).map_or_else(|_| CompactString::from_utf8_lossy(bytes), CompactString::new)
}

/// Keeps one record per request id and sorts by learner, time, request id.
/// Returns how many repeats were removed. Which copy survives does not depend on
/// input order: the smallest by the full record. Records without a request id are
/// all kept: nothing says two of them are one.
pub fn dedupe(records: &mut Vec<Evidence>) -> u64 {
    use rayon::slice::ParallelSliceMut;
    records.par_sort_unstable();
    // Sorted, the first record with a request id is the smallest: keep it and drop the
    // rest, found by hashing rather than a second sort by request id.
    let keep: Vec<bool> = {
        let mut seen = foldhash::HashSet::with_capacity_and_hasher(records.len(), Default::default());
        records
            .iter()
            .map(|r| r.request_id.as_deref().is_none_or(|id| seen.insert(id)))
            .collect()
    };
    let before = records.len();
    let mut keep = keep.into_iter();
    records.retain(|_| keep.next().unwrap_or(true));
    (before - records.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::s3::parse;

    const INCIDENT: &str = r#"
id = "t"
[window]
start = "2026-11-20T13:00:00Z"
end = "2026-11-20T16:30:00Z"
[evidence]
bucket = "duo-brb"
key_prefix = "brb/"
"#;

    fn line(bucket: &str, time: &str, op: &str, key: &str, query: &str, status: &str) -> String {
        format!(
            "owner {bucket} [{time}] 192.0.2.3 - REQ1 {op} {key} \"GET /{key}?{query} HTTP/1.1\" \
             {status} - 2 2 12 11 \"-\" \"ua\" - hostid SigV4 ECDHE AuthHeader host TLSv1.3 - -"
        )
    }

    fn classify(l: &str) -> Result<Evidence, NotEvidence> {
        let inc = Incident::parse(INCIDENT, "t").unwrap();
        Matcher::new(&inc).classify(&parse(l.as_bytes()).unwrap())
    }

    const T: &str = "20/Nov/2026:13:05:00 +0000";
    const GET: &str = "REST.GET.OBJECT";

    #[test]
    fn a_window_with_keys_admits_only_those_keys_decoded() {
        let inc = Incident::parse(
            r#"
id = "t"
[[window]]
start = "2026-11-20T13:00:00Z"
end = "2026-11-20T14:00:00Z"
keys = ["brb/cohort-07.json"]
[[window]]
start = "2026-11-20T13:00:00Z"
end = "2026-11-20T13:10:00Z"
keys = ["brb/cohort 08.json"]
[evidence]
key_prefix = "brb/"
"#,
            "t",
        )
        .unwrap();
        let m = Matcher::new(&inc);
        let at = |key: &str, time: &str| {
            m.classify(&parse(line("b", time, GET, key, "learner_id=1", "200").as_bytes()).unwrap())
        };
        assert!(at("brb/cohort-07.json", T).is_ok());
        assert!(at("brb/cohort%2D07.json", T).is_ok(), "matched after decoding");
        assert_eq!(at("brb/cohort-09.json", T), Err(NotEvidence::OutsideWindow));
        assert!(at("brb/cohort%2008.json", T).is_ok());
        let later = "20/Nov/2026:13:30:00 +0000";
        assert_eq!(at("brb/cohort%2008.json", later), Err(NotEvidence::OutsideWindow));
        assert!(at("brb/cohort-07.json", later).is_ok());
    }

    #[test]
    fn a_brb_fetch_is_evidence_with_decoded_zone() {
        let e = classify(&line(
            "duo-brb",
            T,
            GET,
            "brb/c.json",
            "learner_id=42&tz=Etc%2FGMT%2B12",
            "304",
        ))
        .unwrap();
        assert_eq!(e.learner_id, 42);
        assert_eq!(e.time, 1_795_179_900);
        assert_eq!(e.request_id.as_deref(), Some("REQ1"));
        assert_eq!(e.http_status, 304);
        assert_eq!(e.tz_param.as_deref(), Some("Etc/GMT+12"));
    }

    #[test]
    fn each_test_names_its_reason() {
        let cases = [
            (
                line("other", T, GET, "brb/c", "learner_id=1", "200"),
                NotEvidence::OtherBucket,
            ),
            (
                line("duo-brb", T, "REST.PUT.OBJECT", "brb/c", "learner_id=1", "200"),
                NotEvidence::OtherOperation,
            ),
            (
                line("duo-brb", T, GET, "assets/c", "learner_id=1", "200"),
                NotEvidence::OtherKey,
            ),
            (
                line("duo-brb", T, GET, "brb/c", "learner_id=1", "404"),
                NotEvidence::OtherStatus,
            ),
            (
                line(
                    "duo-brb",
                    "20/Nov/2026:16:30:00 +0000",
                    GET,
                    "brb/c",
                    "learner_id=1",
                    "200",
                ),
                NotEvidence::OutsideWindow,
            ),
            (
                line(
                    "duo-brb",
                    "20/Nov/2026:12:59:59 +0000",
                    GET,
                    "brb/c",
                    "learner_id=1",
                    "200",
                ),
                NotEvidence::OutsideWindow,
            ),
            (
                line("duo-brb", T, GET, "brb/c", "learner_id=abc", "200"),
                NotEvidence::NoLearnerId,
            ),
            (
                line("duo-brb", T, GET, "brb/c", "tz=UTC", "200"),
                NotEvidence::NoLearnerId,
            ),
        ];
        for (l, want) in cases {
            assert_eq!(classify(&l).unwrap_err(), want, "{l}");
        }
    }

    #[test]
    fn window_start_is_inside_and_offsets_apply() {
        assert!(classify(&line(
            "duo-brb",
            "20/Nov/2026:13:00:00 +0000",
            GET,
            "brb/c",
            "learner_id=1",
            "200"
        ))
        .is_ok());
        // 08:00 at -0500 is 13:00Z.
        assert!(classify(&line(
            "duo-brb",
            "20/Nov/2026:08:00:00 -0500",
            GET,
            "brb/c",
            "learner_id=1",
            "200"
        ))
        .is_ok());
    }

    proptest::proptest! {
        #[test]
        fn the_raw_key_shortcut_agrees_with_decoding(
            key in "[b/%2Fx]{0,8}",
            prefix in "[b/%2Fx]{0,4}",
        ) {
            let inc = Incident::parse(INCIDENT, "t").unwrap();
            let matcher = Matcher { key_prefix: prefix.as_bytes().into(), ..Matcher::new(&inc) };
            let decoded = query::decode(key.as_bytes()).starts_with(prefix.as_bytes());
            proptest::prop_assert_eq!(matcher.key_matches(key.as_bytes()), decoded);
        }
    }

    #[test]
    fn key_prefix_matches_the_decoded_key() {
        assert!(classify(&line("duo-brb", T, GET, "brb%2Fc.json", "learner_id=1", "200")).is_ok());
    }

    #[test]
    fn learners_are_found_in_records_and_broken_lines() {
        let inc = Incident::parse(INCIDENT, "t").unwrap();
        let m = Matcher::new(&inc);
        let l = line("duo-brb", T, GET, "brb/c", "tz=UTC&learner_id=42", "404");
        assert_eq!(m.learner_named(&parse(l.as_bytes()).unwrap()), Some(42));
        assert_eq!(
            m.learner_in_line(b"x \"GET /brb/c?learner_id=7&tz=UTC HTTP/1.1"),
            Some(7)
        );
        assert_eq!(m.learner_in_line(b"GET /brb/c?xlearner_id=7"), None);
        assert_eq!(m.learner_in_line(b"GET /brb/c?a=1&learner_id=abc"), None);
    }

    #[test]
    fn empty_tz_param_is_absent() {
        let e = classify(&line("duo-brb", T, GET, "brb/c", "learner_id=1&tz=", "200")).unwrap();
        assert_eq!(e.tz_param, None);
    }

    fn ev(learner_id: u64, time: i64, request_id: &str) -> Evidence {
        Evidence {
            learner_id,
            time,
            request_id: (!request_id.is_empty()).then(|| request_id.into()),
            key: "brb/c".into(),
            http_status: 200,
            tz_param: None,
        }
    }

    #[test]
    fn dedupe_keeps_one_per_request_id_whatever_the_order() {
        let a = vec![
            ev(2, 10, "B"),
            ev(1, 5, "A"),
            ev(2, 10, "B"),
            ev(1, 7, "A"),
            ev(3, 1, "C"),
        ];
        let mut b = a.clone();
        b.reverse();
        let mut a = a;
        assert_eq!(dedupe(&mut a), 2);
        assert_eq!(dedupe(&mut b), 2);
        assert_eq!(a, b);
        assert_eq!(a, vec![ev(1, 5, "A"), ev(2, 10, "B"), ev(3, 1, "C")]);
    }

    #[test]
    fn sightings_fold_each_learners_quarter_hour_with_its_zones_newest_first() {
        let at = |learner, time: i64, tz: Option<&str>| Evidence {
            tz_param: tz.map(Into::into),
            ..ev(learner, time, "")
        };
        let q = 1_795_000_500; // a quarter hour's start
        let records = vec![
            at(1, q + 5, Some("A")),
            at(1, q + 600, Some("B")),
            at(1, q + 899, Some("A")),
            at(1, q + 900, None),
            at(2, q + 899, None),
        ];
        let s = sightings(records, &[]);
        let seen: Vec<_> = s
            .iter()
            .map(|s| {
                (
                    s.learner_id,
                    s.start,
                    s.first,
                    s.last,
                    s.hits,
                    s.tz_params.to_vec(),
                )
            })
            .collect();
        let zones = |z: &[(&str, u64)]| z.iter().map(|&(n, c)| (n.into(), c)).collect::<Vec<_>>();
        assert_eq!(
            seen,
            [
                (1, q, q + 5, q + 899, 3, zones(&[("A", 2), ("B", 1)])),
                (1, q + 900, q + 900, q + 900, 1, zones(&[])),
                (2, q, q + 899, q + 899, 1, zones(&[])),
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn dedupe_equals_sorting_by_request_id(
            recs in proptest::collection::vec((0u64..4, 0i64..4, "[AB]?", "[xy]?"), 0..40),
        ) {
            let with_tz = |(l, t, id, tz): &(u64, i64, String, String)| Evidence {
                tz_param: (!tz.is_empty()).then(|| tz.as_str().into()),
                ..ev(*l, *t, id)
            };
            let mut fast: Vec<Evidence> = recs.iter().map(with_tz).collect();
            // The definition: by request id, the smallest record of each survives.
            let mut slow = fast.clone();
            slow.sort_by(|a, b| a.request_id.cmp(&b.request_id).then_with(|| a.cmp(b)));
            slow.dedup_by(|later, kept| later.request_id.is_some() && later.request_id == kept.request_id);
            slow.sort();
            let removed = dedupe(&mut fast);
            proptest::prop_assert_eq!(removed as usize, recs.len() - slow.len());
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn records_without_a_request_id_are_evidence_and_never_merged() {
        let l = line("duo-brb", T, GET, "brb/c", "learner_id=9", "200").replace(" REQ1 ", " - ");
        assert_eq!(classify(&l).unwrap().request_id, None);
        let mut v = vec![ev(9, 1, ""), ev(9, 1, ""), ev(9, 2, "X")];
        assert_eq!(dedupe(&mut v), 0);
        assert_eq!(v.len(), 3);
    }
}
