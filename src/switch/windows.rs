//! Repair windows from the journal (SPEC §7): for each cohort object, every interval
//! in which the journal says it existed with a feature that blocks practice, for one
//! incident, becomes a window for that key; the incident file `streak-repair plan`
//! reads is written from them.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::config::Config;
use super::journal::{Event, Side};

/// S3's `Date` has whole seconds and is taken at the response: a window opens a second
/// before the write's date and closes a second after the delete's.
const SLACK_SECONDS: i64 = 1;

/// A window for some keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedWindow {
    pub start: i64,
    pub end: i64,
    pub keys: Vec<String>,
}

/// The incident's windows, and the keys still paused at `now` (their windows end now).
pub fn derive(
    config: &Config,
    events: &[Event],
    incident: &str,
    now: Timestamp,
) -> (Vec<KeyedWindow>, Vec<String>) {
    // Per key: the second its blocking pause began, while one is open.
    let mut open: BTreeMap<String, i64> = BTreeMap::new();
    let mut spans: BTreeMap<(i64, i64), Vec<String>> = BTreeMap::new();
    for event in events {
        let event_at = seconds(&event.at);
        for c in &event.changes {
            let Some(at) = c.at.as_deref().and_then(seconds).or(event_at) else {
                continue;
            };
            let blocking = match &c.after {
                Side::Paused { paused, incident: i } => {
                    i == incident && paused.iter().any(|f| config.blocks(f))
                }
                // Not knowing is treated as still blocking, for this incident's own flips:
                // a window too wide admits only fetches that found a pause.
                Side::Unknown | Side::Unreadable => event.incident == incident || open.contains_key(&c.key),
                Side::Absent => false,
            };
            match (blocking, open.get(&c.key).copied()) {
                (true, None) => {
                    open.insert(c.key.clone(), at - SLACK_SECONDS);
                }
                (false, Some(start)) => {
                    open.remove(&c.key);
                    spans
                        .entry((start, at + SLACK_SECONDS))
                        .or_default()
                        .push(c.key.clone());
                }
                _ => {}
            }
        }
    }
    let still: Vec<String> = open.keys().cloned().collect();
    for (key, start) in open {
        spans
            .entry((start, now.as_second() + SLACK_SECONDS))
            .or_default()
            .push(key);
    }
    let windows = spans
        .into_iter()
        .map(|((start, end), mut keys)| {
            keys.sort();
            keys.dedup();
            KeyedWindow { start, end, keys }
        })
        .collect();
    (windows, still)
}

fn seconds(rfc3339: &str) -> Option<i64> {
    rfc3339.parse::<Timestamp>().ok().map(|t| t.as_second())
}

/// The incident file for `streak-repair plan` (SPEC §2).
pub fn incident_toml(config: &Config, incident: &str, windows: &[KeyedWindow]) -> String {
    let t = |s: i64| {
        Timestamp::from_second(s).map_or_else(
            |_| s.to_string(),
            |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
    };
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = format!(
        "# Written by `brb incident` from the journal at s3://{}/{}\n",
        config.journal.bucket, config.journal.prefix
    );
    out.push_str(&format!("id = {}\n", quote(incident)));
    for w in windows {
        let keys: Vec<String> = w.keys.iter().map(|k| quote(k)).collect();
        out.push_str(&format!(
            "\n[[window]]\nstart = \"{}\"\nend = \"{}\"\nkeys = [{}]\n",
            t(w.start),
            t(w.end),
            keys.join(", ")
        ));
    }
    out.push_str(&format!(
        "\n[evidence]\nbucket = {}\nkey_prefix = {}\nlearner_param = {}\ntz_param = {}\n",
        quote(&config.bucket),
        quote(&config.prefix),
        quote(&config.learner_param),
        quote(&config.tz_param)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::journal::{Change, Outcome, Requested};

    fn config() -> Config {
        Config::parse(
            "bucket = \"duo-brb\"\ncohorts = 4\nfeatures = [\"lessons\", \"leaderboards\"]\nblocks_practice = [\"lessons\"]\n",
            "brb.toml",
        )
        .unwrap()
    }

    fn paused(f: &str, i: &str) -> Side {
        Side::Paused {
            paused: vec![f.into()],
            incident: i.into(),
        }
    }

    fn event(at: &str, incident: &str, changes: Vec<(u32, Side, Side)>) -> Event {
        Event {
            v: 1,
            at: at.into(),
            operator_clock: at.into(),
            actor: "t".into(),
            action: "x".into(),
            incident: incident.into(),
            requested: Requested {
                cohorts: String::new(),
                features: vec![],
                message: None,
            },
            changes: changes
                .into_iter()
                .map(|(cohort, before, after)| Change {
                    cohort,
                    key: format!("brb/cohort-{cohort}.json"),
                    before,
                    after,
                    result: Outcome::Written,
                    at: Some(at.into()),
                    error: None,
                })
                .collect(),
            written: vec![],
            deleted: vec![],
            failed: vec![],
            conflicts: vec![],
            unchanged: 0,
        }
    }

    fn s(t: &str) -> i64 {
        seconds(t).unwrap()
    }

    #[test]
    fn a_ramped_resume_gives_one_window_per_resume_step() {
        let c = config();
        let events = [
            event(
                "2026-11-20T13:00:00Z",
                "i",
                vec![
                    (0, Side::Absent, paused("*", "i")),
                    (1, Side::Absent, paused("*", "i")),
                ],
            ),
            event(
                "2026-11-20T14:00:00Z",
                "i",
                vec![(0, paused("*", "i"), Side::Absent)],
            ),
            event(
                "2026-11-20T15:00:00Z",
                "i",
                vec![(1, paused("*", "i"), Side::Absent)],
            ),
        ];
        let now = Timestamp::from_second(s("2026-11-21T00:00:00Z")).unwrap();
        let (w, still) = derive(&c, &events, "i", now);
        assert!(still.is_empty());
        assert_eq!(
            w,
            [
                KeyedWindow {
                    start: s("2026-11-20T12:59:59Z"),
                    end: s("2026-11-20T14:00:01Z"),
                    keys: vec!["brb/cohort-0.json".into()]
                },
                KeyedWindow {
                    start: s("2026-11-20T12:59:59Z"),
                    end: s("2026-11-20T15:00:01Z"),
                    keys: vec!["brb/cohort-1.json".into()]
                },
            ]
        );
        let toml = incident_toml(&c, "i", &w);
        let parsed = crate::incident::Incident::parse(&toml, "derived").unwrap();
        assert_eq!(parsed.windows.len(), 2);
        assert_eq!(parsed.windows[1].keys, ["brb/cohort-1.json"]);
    }

    #[test]
    fn pauses_that_do_not_block_practice_or_other_incidents_make_no_window() {
        let c = config();
        let events = [
            event(
                "2026-11-20T13:00:00Z",
                "i",
                vec![(0, Side::Absent, paused("leaderboards", "i"))],
            ),
            event(
                "2026-11-20T13:00:00Z",
                "other",
                vec![(1, Side::Absent, paused("lessons", "other"))],
            ),
            event(
                "2026-11-20T14:00:00Z",
                "i",
                vec![(0, paused("leaderboards", "i"), paused("lessons", "i"))],
            ),
        ];
        let now = Timestamp::from_second(s("2026-11-20T15:00:00Z")).unwrap();
        let (w, still) = derive(&c, &events, "i", now);
        assert_eq!(
            still,
            ["brb/cohort-0.json"],
            "lessons paused from 14:00, still paused"
        );
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].start, w[0].end),
            (s("2026-11-20T13:59:59Z"), s("2026-11-20T15:00:01Z"))
        );
    }
}
