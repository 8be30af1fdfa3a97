//! The journal (SPEC §7): one immutable object per flip, created only if absent, saying
//! who flipped what, when by S3's clock, and what each cohort object was before and
//! after. The repair's windows are derived from it, never from memory.

use serde::{Deserialize, Serialize};

use super::config::Place;

pub const VERSION: u32 = 1;

/// A cohort object's state as a change saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Side {
    Absent,
    Paused {
        paused: Vec<String>,
        incident: String,
    },
    /// Present with a body clients do not act on.
    Unreadable,
    /// A write failed and the object could not be read back.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Written,
    Deleted,
    /// Someone else changed the object first; it was left as they made it.
    Conflict,
    Failed,
}

/// One cohort object's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub cohort: u32,
    pub key: String,
    pub before: Side,
    pub after: Side,
    pub result: Outcome,
    /// S3's clock when the change completed (or was found), RFC 3339.
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the operator asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requested {
    /// Ranges like `0-49,60`.
    pub cohorts: String,
    pub features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One journal object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub v: u32,
    /// S3's clock: the latest `Date` among the responses that completed the flip.
    pub at: String,
    pub operator_clock: String,
    pub actor: String,
    /// `pause`, `resume`, or `ramp` (one ramp step).
    pub action: String,
    pub incident: String,
    pub requested: Requested,
    pub changes: Vec<Change>,
    pub written: Vec<String>,
    pub deleted: Vec<String>,
    pub failed: Vec<String>,
    pub conflicts: Vec<String>,
    /// Selected cohorts already in the asked-for state.
    pub unchanged: usize,
}

impl Event {
    /// The key lists from the changes.
    pub fn summarise(&mut self) {
        let keys = |o: Outcome| -> Vec<String> {
            self.changes
                .iter()
                .filter(|c| c.result == o)
                .map(|c| c.key.clone())
                .collect()
        };
        self.written = keys(Outcome::Written);
        self.deleted = keys(Outcome::Deleted);
        self.failed = keys(Outcome::Failed);
        self.conflicts = keys(Outcome::Conflict);
    }
}

/// `{prefix}{yyyymmddTHHMMSS.sssZ}-{8 hex}.json`, named by the operator's clock so
/// names sort as flips were made; the random part keeps two operators apart.
pub fn object_key(place: &Place, operator_clock: jiff::Timestamp) -> String {
    let stamp = operator_clock.strftime("%Y%m%dT%H%M%S%.3fZ");
    format!("{}{stamp}-{:08x}.json", place.prefix, fastrand::u32(..))
}

/// Who is flipping: `$BRB_ACTOR`, else `$USER@host`.
pub fn actor() -> String {
    if let Ok(a) = std::env::var("BRB_ACTOR") {
        if !a.is_empty() {
            return a;
        }
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown-host".into());
    format!("{user}@{host}")
}

/// The journal as read: its events in order, and the objects that did not parse.
#[derive(Debug, Default)]
pub struct Journal {
    pub events: Vec<Event>,
    pub unreadable: Vec<Unreadable>,
}

/// A journal object that is not an event, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub key: String,
    pub reason: String,
}

/// Every readable event, sorted by S3's clock, then the operator's, then the key; and
/// the objects that did not parse.
pub fn parse_all(objects: Vec<(String, Vec<u8>)>) -> Journal {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    for (key, body) in objects {
        match serde_json::from_slice::<Event>(&body) {
            Ok(e) if e.v == VERSION => events.push((key, e)),
            Ok(e) => bad.push(Unreadable {
                key,
                reason: format!("journal version {} is not {VERSION}", e.v),
            }),
            Err(e) => bad.push(Unreadable {
                key,
                reason: format!("not a journal event: {e}"),
            }),
        }
    }
    events.sort_by(|(ka, a), (kb, b)| (&a.at, &a.operator_clock, ka).cmp(&(&b.at, &b.operator_clock, kb)));
    Journal {
        events: events.into_iter().map(|(_, e)| e).collect(),
        unreadable: bad,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_operator_clock_and_carry_a_random_part() {
        let place = Place {
            bucket: "b".into(),
            prefix: "j/".into(),
        };
        let t: jiff::Timestamp = "2026-11-20T13:00:00.123Z".parse().unwrap();
        let k = object_key(&place, t);
        assert!(
            k.starts_with("j/20261120T130000.123Z-") && k.ends_with(".json"),
            "{k}"
        );
        assert_eq!(k.len(), "j/20261120T130000.123Z-".len() + 8 + 5);
    }

    #[test]
    fn events_round_trip_and_bad_objects_are_named() {
        let e = Event {
            v: 1,
            at: "2026-11-20T13:00:01Z".into(),
            operator_clock: "2026-11-20T13:00:00.500Z".into(),
            actor: "a@h".into(),
            action: "pause".into(),
            incident: "i".into(),
            requested: Requested {
                cohorts: "0-1".into(),
                features: vec!["*".into()],
                message: None,
            },
            changes: vec![Change {
                cohort: 0,
                key: "brb/cohort-00.json".into(),
                before: Side::Absent,
                after: Side::Paused {
                    paused: vec!["*".into()],
                    incident: "i".into(),
                },
                result: Outcome::Written,
                at: Some("2026-11-20T13:00:01Z".into()),
                error: None,
            }],
            written: vec![],
            deleted: vec![],
            failed: vec![],
            conflicts: vec![],
            unchanged: 1,
        };
        let mut e2 = e.clone();
        e2.summarise();
        assert_eq!(e2.written, ["brb/cohort-00.json"]);
        let text = serde_json::to_vec(&e2).unwrap();
        let j = parse_all(vec![
            ("j/b.json".into(), text),
            ("j/a.json".into(), b"{not json".to_vec()),
        ]);
        assert_eq!(j.events, [e2]);
        assert_eq!(j.unreadable.len(), 1);
        assert_eq!(j.unreadable[0].key, "j/a.json");
    }
}
