//! [`Client`]: one learner's poller of their cohort object. It owns the contract's
//! timing (an interval with jitter, exponential backoff after failures), the
//! conditional GET with the last ETag, and the decision "paused or not", which fails
//! open. The HTTP request itself is a [`Transport`]'s.

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::{cohort, cohort_key, Notice};

/// Where the cohort objects are and how often to look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The bucket's HTTPS endpoint, e.g. `https://duo-brb.s3.us-east-1.amazonaws.com`.
    pub base_url: String,
    /// The cohort objects' key prefix.
    pub prefix: String,
    pub cohorts: u32,
    pub salt: String,
    /// The query parameters carrying the learner id and the IANA zone. S3 ignores
    /// parameters beginning with `x-` and logs them with the request.
    pub learner_param: String,
    pub tz_param: String,
    /// Time between polls (each one jittered by ±20%).
    pub interval: Duration,
    /// How long one GET may take before it counts as failed.
    pub timeout: Duration,
    /// The longest wait after repeated failures.
    pub max_backoff: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            base_url: String::new(),
            prefix: "brb/".into(),
            cohorts: 100,
            salt: "brb".into(),
            learner_param: "x-learner-id".into(),
            tz_param: "x-tz".into(),
            interval: Duration::from_secs(60),
            timeout: Duration::from_secs(3),
            max_backoff: Duration::from_secs(15 * 60),
        }
    }
}

/// What one GET came back with, as the transport saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub etag: Option<String>,
    /// At most [`crate::MAX_BODY`] + 1 bytes: a longer body is unreadable anyway.
    pub body: Vec<u8>,
}

/// An HTTP GET with an optional `If-None-Match`. Any `Err` (no connection, timeout,
/// a body cut short) is a failed poll; the client never shows it to the app.
pub trait Transport {
    fn get(&self, url: &str, if_none_match: Option<&str>) -> Result<Response, String>;
}

/// Many clients may share one transport (and its connection pool).
impl<T: Transport + ?Sized> Transport for &T {
    fn get(&self, url: &str, if_none_match: Option<&str>) -> Result<Response, String> {
        (**self).get(url, if_none_match)
    }
}

/// What the app should do now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Status {
    /// Carry on as if the Big Red Button did not exist.
    #[default]
    Running,
    /// Some features are paused: show the notice's message where they are used.
    Paused(Notice),
}

impl Status {
    pub fn pauses(&self, feature: &str) -> bool {
        matches!(self, Status::Paused(n) if n.pauses(feature))
    }
}

/// Characters a query value keeps as they are (RFC 3986 unreserved).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// A key keeps its slashes too.
const KEY_PATH: &AsciiSet = &QUERY_VALUE.remove(b'/');

/// One learner's poller.
pub struct Client<T> {
    settings: Settings,
    transport: T,
    url: String,
    etag: Option<String>,
    cached: Option<Notice>,
    failures: u32,
    status: Status,
    rng: fastrand::Rng,
}

impl<T: Transport> Client<T> {
    /// `tz`: the learner's IANA zone, when the app knows it.
    pub fn new(settings: Settings, learner_id: u64, tz: Option<&str>, transport: T) -> Client<T> {
        let url = poll_url(&settings, learner_id, tz);
        Client {
            settings,
            transport,
            url,
            etag: None,
            cached: None,
            failures: 0,
            status: Status::Running,
            rng: fastrand::Rng::new(),
        }
    }

    /// Jitter from a fixed seed, for simulations that must repeat.
    pub fn with_seed(mut self, seed: u64) -> Client<T> {
        self.rng = fastrand::Rng::with_seed(seed);
        self
    }

    /// The URL this client polls.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The answer of the last poll (`Running` before the first).
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// One conditional GET. Never fails: whatever goes wrong means `Running`.
    pub fn poll(&mut self) -> &Status {
        let response = self.transport.get(&self.url, self.etag.as_deref());
        self.status = match response {
            Ok(r) => self.answer(r),
            Err(_) => self.failed(),
        };
        &self.status
    }

    fn answer(&mut self, r: Response) -> Status {
        match r.status {
            200 => match Notice::parse(&r.body) {
                Some(notice) => {
                    self.failures = 0;
                    self.etag = r.etag;
                    self.cached = Some(notice.clone());
                    Status::Paused(notice)
                }
                None => self.failed(),
            },
            304 => match &self.cached {
                Some(notice) => {
                    self.failures = 0;
                    Status::Paused(notice.clone())
                }
                None => {
                    self.etag = None;
                    self.failed()
                }
            },
            // The object is gone: resumed. S3 answers 403 instead of 404 to readers
            // who may not list the bucket, so both are the normal "not paused".
            404 | 403 => {
                self.failures = 0;
                self.etag = None;
                self.cached = None;
                Status::Running
            }
            _ => self.failed(),
        }
    }

    /// A failed poll: not paused, and the next one waits longer. The cached body and
    /// its ETag are kept, so a later 304 still means paused.
    fn failed(&mut self) -> Status {
        self.failures = self.failures.saturating_add(1);
        Status::Running
    }

    /// How long to wait before the next poll: the interval ±20% after an answer;
    /// after `k` failures in a row, between half and all of `interval × 2^k` (at most
    /// `max_backoff`), so a broken S3 is not hammered by every client at once.
    pub fn next_poll_in(&mut self) -> Duration {
        let interval = self.settings.interval;
        if self.failures == 0 {
            return interval.mul_f64(0.8 + 0.4 * self.rng.f64());
        }
        let factor = 2u32.saturating_pow(self.failures.min(20));
        let ceiling = interval.saturating_mul(factor).min(self.settings.max_backoff);
        ceiling.mul_f64(0.5 + 0.5 * self.rng.f64())
    }
}

/// `{base}/{key}?{learner_param}={id}[&{tz_param}={zone}]`, the zone percent-encoded.
pub fn poll_url(s: &Settings, learner_id: u64, tz: Option<&str>) -> String {
    let key = cohort_key(&s.prefix, cohort(&s.salt, learner_id, s.cohorts), s.cohorts);
    let mut url = format!(
        "{}/{}?{}={learner_id}",
        s.base_url.trim_end_matches('/'),
        utf8_percent_encode(&key, KEY_PATH),
        utf8_percent_encode(&s.learner_param, QUERY_VALUE),
    );
    if let Some(tz) = tz.filter(|z| !z.is_empty()) {
        let param = utf8_percent_encode(&s.tz_param, QUERY_VALUE);
        url += &format!("&{param}={}", utf8_percent_encode(tz, QUERY_VALUE));
    }
    url
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use super::*;

    /// Answers queued by the test; records what each GET sent.
    #[derive(Default)]
    struct Script {
        answers: RefCell<VecDeque<Result<Response, String>>>,
        sent: RefCell<Vec<(String, Option<String>)>>,
    }

    impl Transport for Script {
        fn get(&self, url: &str, etag: Option<&str>) -> Result<Response, String> {
            self.sent.borrow_mut().push((url.into(), etag.map(String::from)));
            self.answers
                .borrow_mut()
                .pop_front()
                .unwrap_or(Err("no answer".into()))
        }
    }

    fn ok(status: u16, etag: Option<&str>, body: &str) -> Result<Response, String> {
        Ok(Response {
            status,
            etag: etag.map(String::from),
            body: body.as_bytes().to_vec(),
        })
    }

    const PAUSED: &str = r#"{"v":1,"incident":"i","paused":["lessons"],"message":"back soon","since":"t"}"#;

    fn settings() -> Settings {
        Settings {
            base_url: "http://s3.test/bucket/".into(),
            ..Settings::default()
        }
    }

    #[test]
    fn the_url_names_the_cohort_object_and_carries_id_and_encoded_zone() {
        let s = settings();
        let c = cohort_key("brb/", cohort("brb", 42, 100), 100);
        assert_eq!(
            poll_url(&s, 42, Some("Etc/GMT+12")),
            format!("http://s3.test/bucket/{c}?x-learner-id=42&x-tz=Etc%2FGMT%2B12")
        );
        assert_eq!(
            poll_url(&s, 42, None),
            format!("http://s3.test/bucket/{c}?x-learner-id=42")
        );
        assert_eq!(poll_url(&s, 42, Some("")), poll_url(&s, 42, None));
    }

    #[test]
    fn paused_then_revalidated_then_resumed() {
        let script = Script::default();
        script.answers.borrow_mut().extend([
            ok(200, Some("\"e1\""), PAUSED),
            ok(304, None, ""),
            ok(404, None, "<Error/>"),
        ]);
        let mut c = Client::new(settings(), 42, None, &script);
        assert!(c.poll().pauses("lessons"));
        assert!(c.poll().pauses("lessons"), "304 keeps the cached body");
        assert_eq!(c.poll(), &Status::Running);
        let etags: Vec<_> = script.sent.borrow().iter().map(|(_, e)| e.clone()).collect();
        assert_eq!(etags, [None, Some("\"e1\"".into()), Some("\"e1\"".into())]);
    }

    #[test]
    fn every_failure_is_not_paused_and_backs_off() {
        let script = Script::default();
        let mut c = Client::new(settings(), 7, Some("UTC"), &script).with_seed(1);
        let interval = settings().interval;
        for answer in [
            Err("connection refused".into()),
            ok(500, None, PAUSED),
            ok(503, None, ""),
            ok(200, None, "<html>maintenance</html>"),
            ok(200, None, &PAUSED.replace("\"v\":1", "\"v\":9")),
            ok(304, None, ""),
            ok(301, None, PAUSED),
        ] {
            script.answers.borrow_mut().push_back(answer);
            assert_eq!(c.poll(), &Status::Running);
        }
        // Seven failures in a row: between half and all of interval × 2^7, capped.
        let wait = c.next_poll_in();
        assert!(
            wait >= settings().max_backoff / 2 && wait <= settings().max_backoff,
            "{wait:?}"
        );
        script.answers.borrow_mut().push_back(ok(404, None, ""));
        c.poll();
        let wait = c.next_poll_in();
        assert!(
            wait >= interval.mul_f64(0.8) && wait <= interval.mul_f64(1.2),
            "{wait:?}"
        );
    }

    #[test]
    fn after_an_error_a_304_still_means_the_cached_pause() {
        let script = Script::default();
        script.answers.borrow_mut().extend([
            ok(200, Some("e"), PAUSED),
            Err("timeout".into()),
            ok(304, None, ""),
        ]);
        let mut c = Client::new(settings(), 1, None, &script);
        assert!(c.poll().pauses("lessons"));
        assert_eq!(c.poll(), &Status::Running);
        assert!(c.poll().pauses("lessons"));
    }

    #[test]
    fn a_403_is_resumed_not_a_failure() {
        let script = Script::default();
        script
            .answers
            .borrow_mut()
            .extend([ok(200, Some("e"), PAUSED), ok(403, None, "")]);
        let mut c = Client::new(settings(), 1, None, &script);
        c.poll();
        assert_eq!(c.poll(), &Status::Running);
        let wait = c.next_poll_in();
        assert!(wait <= settings().interval.mul_f64(1.2));
        assert_eq!(script.sent.borrow()[1].1.as_deref(), Some("e"));
    }
}
