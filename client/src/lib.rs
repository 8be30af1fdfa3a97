//! The client side of the Big Red Button (SPEC §7): the cohort a learner is in, the
//! name and body of the cohort object, and [`Client`], which polls that object and
//! **fails open**: any error, timeout, unexpected status or unreadable body means "not
//! paused", and nothing is ever raised to the app.
//!
//! The switch (`brb`) uses the same [`cohort`], [`cohort_key`] and [`Notice`], so the
//! objects it writes are the ones clients read. This crate knows nothing of S3 beyond
//! an HTTP GET: the cohort objects are public, read with no signature.

mod poll;
#[cfg(feature = "ureq")]
mod transport;

use serde::{Deserialize, Serialize};

pub use poll::{poll_url, Client, Response, Settings, Status, Transport};
#[cfg(feature = "ureq")]
pub use transport::UreqTransport;

/// The largest cohort object body a client reads.
pub const MAX_BODY: usize = 4096;

/// The feature name that pauses every feature.
pub const ALL_FEATURES: &str = "*";

/// `murmur3_x86_32(utf8("{salt}:{learner_id}"), seed 0) mod cohorts`: the learner's
/// cohort. For 100 cohorts this is Unleash's normalised rollout hash minus one.
/// `cohorts` must be at least 1.
pub fn cohort(salt: &str, learner_id: u64, cohorts: u32) -> u32 {
    let text = format!("{salt}:{learner_id}");
    // Reading from a byte slice cannot fail.
    let hash = murmur3::murmur3_32(&mut text.as_bytes(), 0).unwrap_or(0);
    hash % cohorts.max(1)
}

/// `{prefix}cohort-{NN}.json`, `NN` zero-padded to the width of `cohorts - 1`.
pub fn cohort_key(prefix: &str, cohort: u32, cohorts: u32) -> String {
    let width = cohorts.saturating_sub(1).max(1).to_string().len();
    format!("{prefix}cohort-{cohort:0width$}.json")
}

/// The body of a cohort object: present while its cohort has a feature paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Always 1; a client ignores a body with any other version.
    pub v: u32,
    /// The incident the pause belongs to.
    #[serde(default)]
    pub incident: String,
    /// The paused features, or `["*"]` for all of them.
    pub paused: Vec<String>,
    /// What the app shows the learner.
    #[serde(default)]
    pub message: String,
    /// When the cohort was paused (RFC 3339).
    #[serde(default)]
    pub since: String,
}

impl Notice {
    /// A body a client acts on, or `None`: too long, not JSON, another version, or no
    /// feature paused. Unknown keys are ignored.
    pub fn parse(body: &[u8]) -> Option<Notice> {
        if body.len() > MAX_BODY {
            return None;
        }
        let notice: Notice = serde_json::from_slice(body).ok()?;
        (notice.v == 1 && !notice.paused.is_empty()).then_some(notice)
    }

    /// Whether `feature` is paused.
    pub fn pauses(&self, feature: &str) -> bool {
        self.paused.iter().any(|f| f == feature || f == ALL_FEATURES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_match_unleash_published_vectors() {
        // unleash-client-node test/strategy/util-test.js: normalizedValue(id, group) is
        // murmur3("{group}:{id}") % 100 + 1, the same for its node, java and go clients.
        assert_eq!(cohort("gr1", 123, 100) + 1, 73);
        assert_eq!(cohort("groupX", 999, 100) + 1, 25);
    }

    #[test]
    fn cohort_is_the_hash_of_the_decimal_id_modulo_n() {
        // murmur3_x86_32("brb:0", 0) by the reference algorithm, reduced two ways.
        let h = murmur3::murmur3_32(&mut &b"brb:0"[..], 0).unwrap();
        assert_eq!(cohort("brb", 0, 100), h % 100);
        assert_eq!(cohort("brb", 0, 7), h % 7);
        assert_eq!(cohort("brb", 5, 1), 0);
    }

    #[test]
    fn keys_are_padded_to_the_width_of_the_last_cohort() {
        assert_eq!(cohort_key("brb/", 7, 100), "brb/cohort-07.json");
        assert_eq!(cohort_key("brb/", 99, 100), "brb/cohort-99.json");
        assert_eq!(cohort_key("", 7, 1000), "cohort-007.json");
        assert_eq!(cohort_key("p/", 3, 10), "p/cohort-3.json");
        assert_eq!(cohort_key("p/", 0, 1), "p/cohort-0.json");
        assert_eq!(cohort_key("p/", 10, 11), "p/cohort-10.json");
    }

    #[test]
    fn only_a_version_1_body_with_a_paused_feature_pauses() {
        let ok = br#"{"v":1,"incident":"i","paused":["lessons"],"message":"m","since":"s","new":3}"#;
        let n = Notice::parse(ok).unwrap();
        assert!(n.pauses("lessons") && !n.pauses("stories"));
        assert!(Notice::parse(br#"{"v":1,"paused":["*"]}"#)
            .unwrap()
            .pauses("anything"));
        for bad in [
            &br#"{"v":2,"paused":["*"]}"#[..],
            br#"{"v":1,"paused":[]}"#,
            br#"{"v":1}"#,
            br#"{"v":1,"paused":"lessons"}"#,
            b"<html>",
            b"",
        ] {
            assert_eq!(Notice::parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        let long = format!(r#"{{"v":1,"paused":["*"],"message":"{}"}}"#, "x".repeat(MAX_BODY));
        assert_eq!(Notice::parse(long.as_bytes()), None);
    }
}
