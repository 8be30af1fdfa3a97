//! A flip: from the cohort objects as they are and what the operator asks, the writes
//! to make; then the writes, concurrent and conditional, so a concurrent flip by
//! someone else is detected (reported, never overwritten); failed writes are retried
//! once after reading the object back, and what still failed is reported.

use brb_client::Notice;
use jiff::Timestamp;

use super::config::Config;
use super::journal::{Change, Outcome, Side};
use super::selection::Features;
use super::store::{self, Dated, Expect, Object, Store, WriteError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pause,
    Resume,
}

/// What the operator asked.
#[derive(Debug, Clone)]
pub struct Ask {
    pub action: Action,
    pub features: Features,
    pub message: Option<String>,
    /// The incident a pause belongs to; resumes keep each object's own.
    pub incident: String,
}

/// One cohort object to write or delete.
#[derive(Debug, Clone)]
pub struct Write {
    pub cohort: u32,
    pub key: String,
    pub before: Side,
    pub expect: Expect,
    /// `None` deletes the object.
    pub body: Option<Notice>,
}

pub const DEFAULT_MESSAGE: &str = "We're fixing a problem. Your streak is safe: come back soon.";

/// A cohort object as clients see it.
pub fn side(object: &Object) -> Side {
    match object {
        Object::Absent => Side::Absent,
        Object::Present { body, .. } => match Notice::parse(body) {
            Some(n) => Side::Paused {
                paused: n.paused,
                incident: n.incident,
            },
            None => Side::Unreadable,
        },
    }
}

/// The writes that bring `current` (cohort, object) to what `ask` wants; cohorts
/// already there are left out.
pub fn plan(config: &Config, ask: &Ask, current: &[(u32, Object)], now: Timestamp) -> Vec<Write> {
    current
        .iter()
        .filter_map(|(cohort, object)| {
            let notice = match object {
                Object::Present { body, .. } => Notice::parse(body),
                Object::Absent => None,
            };
            let have = notice.as_ref().map_or(Features::Some(Default::default()), |n| {
                Features::from_paused(&n.paused)
            });
            let want = match ask.action {
                Action::Pause => have.union(&ask.features),
                Action::Resume => have.minus(&ask.features, config),
            };
            let unreadable = matches!(object, Object::Present { .. }) && notice.is_none();
            let unchanged =
                want == have && !unreadable && (ask.action == Action::Resume || !differs(&notice, ask));
            if unchanged {
                return None;
            }
            let body = (!want.is_empty()).then(|| Notice {
                v: 1,
                incident: notice
                    .as_ref()
                    .filter(|_| ask.action == Action::Resume)
                    .map_or_else(|| ask.incident.clone(), |n| n.incident.clone()),
                paused: want.paused_list(),
                message: ask
                    .message
                    .clone()
                    .or_else(|| notice.as_ref().map(|n| n.message.clone()))
                    .unwrap_or_else(|| DEFAULT_MESSAGE.into()),
                since: notice.as_ref().map_or_else(
                    || now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    |n| n.since.clone(),
                ),
            });
            let expect = match object {
                Object::Absent => Expect::Absent,
                Object::Present { etag, .. } => Expect::Etag(etag.clone()),
            };
            if body.is_none() && matches!(object, Object::Absent) {
                return None;
            }
            Some(Write {
                cohort: *cohort,
                key: config.key(*cohort),
                before: side(object),
                expect,
                body,
            })
        })
        .collect()
}

/// A pause that changes the message or incident of a paused cohort rewrites it.
fn differs(notice: &Option<Notice>, ask: &Ask) -> bool {
    notice
        .as_ref()
        .is_some_and(|n| n.incident != ask.incident || ask.message.as_ref().is_some_and(|m| *m != n.message))
}

/// Makes every write, concurrently; one [`Change`] per write, in order.
pub fn execute(store: &Store, bucket: &str, writes: Vec<Write>) -> Vec<Change> {
    let bucket = bucket.to_string();
    store.each(writes, move |client, w| {
        let bucket = bucket.clone();
        async move { apply(&client, &bucket, w).await }
    })
}

fn instant(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

async fn apply(client: &aws_sdk_s3::Client, bucket: &str, w: Write) -> Change {
    let mut expect = w.expect.clone();
    let mut last_error = String::new();
    for _ in 0..2 {
        let done = attempt_once(client, bucket, &w, &expect).await;
        let error = match done {
            Ok(at) => {
                let (after, result) = match &w.body {
                    Some(n) => (
                        Side::Paused {
                            paused: n.paused.clone(),
                            incident: n.incident.clone(),
                        },
                        Outcome::Written,
                    ),
                    None => (Side::Absent, Outcome::Deleted),
                };
                return change(&w, after, result, instant(at), None);
            }
            Err(WriteError::Conflict(e)) => {
                let seen = store::read(client, bucket, &w.key).await;
                let (after, at) = observed(&seen);
                return change(&w, after, Outcome::Conflict, at, Some(e));
            }
            Err(WriteError::Failed(e)) => e,
        };
        last_error = error;
        // The write may have happened with its answer lost: read back before retrying.
        match store::read(client, bucket, &w.key).await {
            Ok(seen) if reached(&seen.value, &w) => {
                let result = if w.body.is_some() {
                    Outcome::Written
                } else {
                    Outcome::Deleted
                };
                return change(&w, side(&seen.value), result, instant(seen.date), None);
            }
            Ok(seen) if still_before(&seen.value, &w.expect) => expect = w.expect.clone(),
            Ok(seen) => {
                return change(
                    &w,
                    side(&seen.value),
                    Outcome::Conflict,
                    instant(seen.date),
                    Some(last_error),
                );
            }
            Err(_) => {}
        }
    }
    let seen = store::read(client, bucket, &w.key).await;
    let (after, at) = observed(&seen);
    change(&w, after, Outcome::Failed, at, Some(last_error))
}

async fn attempt_once(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    w: &Write,
    expect: &Expect,
) -> Result<Option<Timestamp>, WriteError> {
    match (&w.body, expect) {
        (Some(n), _) => {
            let body = serde_json::to_vec(n).map_err(|e| WriteError::Failed(e.to_string()))?;
            // Clients revalidate every poll; caches in between must not hold a pause.
            let put = store::put(client, bucket, &w.key, body, expect, Some("no-cache")).await?;
            Ok(put.date)
        }
        (None, Expect::Etag(etag)) => Ok(store::delete(client, bucket, &w.key, etag).await?.date),
        (None, Expect::Absent) => Ok(None),
    }
}

fn observed(seen: &Result<Dated<Object>, String>) -> (Side, Option<String>) {
    match seen {
        Ok(d) => (side(&d.value), instant(d.date)),
        Err(_) => (Side::Unknown, None),
    }
}

/// Whether the object is what the write meant it to be.
fn reached(object: &Object, w: &Write) -> bool {
    match (&w.body, object) {
        (None, Object::Absent) => true,
        (Some(n), Object::Present { body, .. }) => Notice::parse(body).as_ref() == Some(n),
        _ => false,
    }
}

fn still_before(object: &Object, expect: &Expect) -> bool {
    match (object, expect) {
        (Object::Absent, Expect::Absent) => true,
        (Object::Present { etag, .. }, Expect::Etag(e)) => etag == e,
        _ => false,
    }
}

fn change(w: &Write, after: Side, result: Outcome, at: Option<String>, error: Option<String>) -> Change {
    Change {
        cohort: w.cohort,
        key: w.key.clone(),
        before: w.before.clone(),
        after,
        result,
        at,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(
            "bucket = \"duo-brb\"\ncohorts = 4\nfeatures = [\"lessons\", \"leaderboards\"]\nblocks_practice = [\"lessons\"]\n",
            "brb.toml",
        )
        .unwrap()
    }

    fn present(paused: &[&str], incident: &str) -> Object {
        let n = Notice {
            v: 1,
            incident: incident.into(),
            paused: paused.iter().map(|s| s.to_string()).collect(),
            message: "m".into(),
            since: "2026-11-20T13:00:00Z".into(),
        };
        Object::Present {
            etag: format!("\"{incident}{}\"", paused.join("")),
            body: serde_json::to_vec(&n).unwrap(),
        }
    }

    fn ask(action: Action, features: Features) -> Ask {
        Ask {
            action,
            features,
            message: None,
            incident: "i".into(),
        }
    }

    #[test]
    fn a_pause_creates_absent_objects_and_merges_features_of_paused_ones() {
        let c = config();
        let boards = Features::parse(Some("leaderboards"), &c).unwrap();
        let now = Timestamp::from_second(1_795_179_600).unwrap();
        let current = vec![
            (0, Object::Absent),
            (1, present(&["lessons"], "i")),
            (2, present(&["*"], "i")),
        ];
        let w = plan(&c, &ask(Action::Pause, boards), &current, now);
        assert_eq!(w.len(), 2, "cohort 2 already has every feature paused");
        assert!(matches!(w[0].expect, Expect::Absent));
        assert_eq!(w[0].body.as_ref().unwrap().paused, ["leaderboards"]);
        assert_eq!(w[0].body.as_ref().unwrap().message, DEFAULT_MESSAGE);
        assert_eq!(w[1].body.as_ref().unwrap().paused, ["leaderboards", "lessons"]);
        assert_eq!(w[1].body.as_ref().unwrap().since, "2026-11-20T13:00:00Z", "kept");
        assert!(matches!(&w[1].expect, Expect::Etag(e) if e == "\"ilessons\""));
    }

    #[test]
    fn a_resume_deletes_what_has_nothing_left_and_keeps_the_rest() {
        let c = config();
        let lessons = Features::parse(Some("lessons"), &c).unwrap();
        let current = vec![
            (0, Object::Absent),
            (1, present(&["lessons"], "old")),
            (2, present(&["*"], "old")),
            (
                3,
                Object::Present {
                    etag: "\"x\"".into(),
                    body: b"garbage".to_vec(),
                },
            ),
        ];
        let now = Timestamp::UNIX_EPOCH;
        let w = plan(&c, &ask(Action::Resume, lessons), &current, now);
        assert_eq!(w.iter().map(|w| w.cohort).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(w[0].body.is_none(), "nothing left: deleted");
        let rest = w[1].body.as_ref().unwrap();
        assert_eq!(
            (rest.paused.as_slice(), rest.incident.as_str()),
            (&["leaderboards".to_string()][..], "old")
        );
        assert!(w[2].body.is_none(), "an unreadable object is removed on resume");
        let all = plan(&c, &ask(Action::Resume, Features::All), &current, now);
        assert!(all.iter().all(|w| w.body.is_none()));
    }
}
