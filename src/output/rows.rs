//! The manifest and decision-log rows: the output schema, one doc comment per field.

use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::plan::{Hits, LearnerPlan, Verdict};

/// One repair action for whoever applies the manifest. Keys serialise in this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestRow<'a> {
    /// First 32 hex digits of SHA-256 of `"{learner_id}:{local_date}:{action}"`: the
    /// same learner-day-action has the same id in every run, so it is the idempotency key.
    pub repair_id: String,
    pub incident_id: &'a str,
    /// Exact as a JSON integer even above 2^53.
    pub learner_id: u64,
    /// The learner's local date, `YYYY-MM-DD`.
    pub local_date: String,
    /// `refund_freeze` or `freeze_day`.
    pub action: &'static str,
    /// The zone name as the input gave it.
    pub tz: &'a str,
    /// Earliest evidence instant on that local date, RFC 3339 UTC.
    pub evidence_first: String,
    /// Latest evidence instant on that local date.
    pub evidence_last: String,
    /// Distinct evidence records on that local date.
    pub evidence_hits: u64,
    /// The learner's streak as of `as_of` before this run's actions.
    pub streak_before: u32,
    /// ... and after all of them.
    pub streak_after: u32,
}

pub const MANIFEST_COLUMNS: [&str; 11] = [
    "repair_id",
    "incident_id",
    "learner_id",
    "local_date",
    "action",
    "tz",
    "evidence_first",
    "evidence_last",
    "evidence_hits",
    "streak_before",
    "streak_after",
];

/// One decision for support: per (learner, affected day), or one per skipped learner
/// with the day, zone and streak fields null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRow<'a> {
    pub learner_id: u64,
    pub local_date: Option<String>,
    /// An outcome from SPEC §3, or the reason the learner was skipped.
    pub outcome: &'static str,
    /// The manifest action written for this day, if any.
    pub action: Option<&'static str>,
    pub repair_id: Option<String>,
    pub tz: Option<&'a str>,
    /// `learners`, `evidence` (a tz query parameter) or `default`.
    pub tz_source: Option<&'static str>,
    /// Over that day's evidence; for a skipped learner, over all of it.
    pub evidence_first: String,
    pub evidence_last: String,
    pub evidence_hits: u64,
    pub streak_before: Option<u32>,
    pub streak_after: Option<u32>,
}

pub fn repair_id(learner_id: u64, local_date: &str, action: &str) -> String {
    let digest = Sha256::digest(format!("{learner_id}:{local_date}:{action}"));
    hex::encode(&digest[..16])
}

/// RFC 3339 UTC, second precision, `Z`.
pub fn instant(t: i64) -> String {
    Timestamp::from_second(t).map_or_else(|_| t.to_string(), |ts| ts.to_string())
}

/// Manifest rows in (learner, date, action) order, as the plans are.
pub fn manifest_rows<'a>(plans: &'a [LearnerPlan], incident_id: &'a str) -> Vec<ManifestRow<'a>> {
    let mut rows = Vec::new();
    for plan in plans {
        let Verdict::Planned {
            tz,
            days,
            streak_before,
            streak_after,
            ..
        } = &plan.verdict
        else {
            continue;
        };
        for day in days {
            let Some(action) = day.outcome.action() else {
                continue;
            };
            let local_date = day.date.to_string();
            rows.push(ManifestRow {
                repair_id: repair_id(plan.learner_id, &local_date, action),
                incident_id,
                learner_id: plan.learner_id,
                local_date,
                action,
                tz,
                evidence_first: instant(day.hits.first),
                evidence_last: instant(day.hits.last),
                evidence_hits: day.hits.count,
                streak_before: *streak_before,
                streak_after: *streak_after,
            });
        }
    }
    rows
}

/// Decision rows in (learner, date) order.
pub fn decision_rows(plans: &[LearnerPlan]) -> Vec<DecisionRow<'_>> {
    let mut rows = Vec::new();
    for plan in plans {
        let learner_id = plan.learner_id;
        match &plan.verdict {
            Verdict::Skipped { reason, hits } => rows.push(DecisionRow {
                local_date: None,
                outcome: reason.name(),
                action: None,
                repair_id: None,
                tz: None,
                tz_source: None,
                streak_before: None,
                streak_after: None,
                ..evidence(learner_id, hits)
            }),
            Verdict::Planned {
                tz,
                tz_source,
                days,
                streak_before,
                streak_after,
            } => {
                for day in days {
                    let local_date = day.date.to_string();
                    let action = day.outcome.action();
                    rows.push(DecisionRow {
                        repair_id: action.map(|a| repair_id(learner_id, &local_date, a)),
                        local_date: Some(local_date),
                        outcome: day.outcome.name(),
                        action,
                        tz: Some(tz),
                        tz_source: Some(tz_source.name()),
                        streak_before: Some(*streak_before),
                        streak_after: Some(*streak_after),
                        ..evidence(learner_id, &day.hits)
                    });
                }
            }
        }
    }
    rows
}

fn evidence(learner_id: u64, hits: &Hits) -> DecisionRow<'static> {
    DecisionRow {
        learner_id,
        local_date: None,
        outcome: "",
        action: None,
        repair_id: None,
        tz: None,
        tz_source: None,
        evidence_first: instant(hits.first),
        evidence_last: instant(hits.last),
        evidence_hits: hits.count,
        streak_before: None,
        streak_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_id_is_the_sha256_prefix_of_learner_date_action() {
        // printf '42:2026-11-20:freeze_day' | sha256sum | cut -c1-32
        assert_eq!(
            repair_id(42, "2026-11-20", "freeze_day"),
            "4189f3576653de8c6d7d238ffdc53bbe"
        );
    }

    #[test]
    fn instants_are_second_precision_utc() {
        assert_eq!(instant(1_795_179_900), "2026-11-20T13:05:00Z");
        assert_eq!(instant(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn learner_ids_above_2_pow_53_stay_exact() {
        let row = DecisionRow {
            outcome: "unknown_timezone",
            ..evidence(
                18_446_744_073_709_551_557,
                &Hits {
                    first: 0,
                    last: 0,
                    count: 1,
                },
            )
        };
        let json = serde_json::to_string(&row).unwrap();
        assert!(
            json.starts_with("{\"learner_id\":18446744073709551557,\"local_date\":null,"),
            "{json}"
        );
    }
}
