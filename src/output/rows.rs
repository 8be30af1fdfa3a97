//! The manifest and decision-log rows: the output schema, one doc comment per field.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Action, DayKind, Decided, LearnerId, MissReason, NearMiss, TzSource};
use crate::plan::{Hits, LearnerPlan, Verdict};

/// One repair action for whoever applies the manifest. Keys serialise in this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRow {
    /// First 32 hex digits of SHA-256 of `"{learner_id}:{local_date}:{action}"`: the
    /// same learner-day-action has the same id in every run, so it is the idempotency key.
    pub repair_id: String,
    pub incident_id: String,
    /// Exact as a JSON integer even above 2^53.
    pub learner_id: LearnerId,
    /// The learner's local date, `YYYY-MM-DD`.
    pub local_date: String,
    /// `refund_freeze` or `freeze_day`.
    pub action: Action,
    /// The zone name as the input gave it.
    pub tz: String,
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
/// with the day, zone, streak and calendar fields null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRow {
    pub learner_id: LearnerId,
    pub local_date: Option<String>,
    /// An outcome from SPEC §3, or the reason the learner was skipped.
    pub outcome: Decided,
    /// The manifest action written for this day, if any.
    pub action: Option<Action>,
    pub repair_id: Option<String>,
    pub tz: Option<String>,
    /// `learners`, `evidence` (a tz query parameter) or `default`.
    pub tz_source: Option<TzSource>,
    /// Over that day's evidence; for a skipped learner, over all of it.
    pub evidence_first: String,
    pub evidence_last: String,
    pub evidence_hits: u64,
    pub streak_before: Option<u32>,
    pub streak_after: Option<u32>,
    /// The local date before `local_date` in the zone (the rules' D-1).
    pub day_before: Option<String>,
    /// What the calendar held on `day_before`: practice, freeze, repair or null.
    pub day_before_kind: Option<DayKind>,
    /// What the calendar held on `local_date`.
    pub day_kind: Option<DayKind>,
}

/// A log line naming a learner that was not evidence (`near_misses.jsonl`), so support
/// can tell a learner missing from the run what the logs did say about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearMissRow {
    pub learner_id: LearnerId,
    /// RFC 3339 UTC; null for a line too broken to read.
    pub time: Option<String>,
    /// A not-evidence reason (`other_status`, `outside_window`, ...) or a rejection reason.
    pub reason: MissReason,
    pub file: String,
    pub line: u64,
}

/// Near-miss rows sorted by learner, file and line, repeats removed, so the file does
/// not depend on input order.
pub fn near_miss_rows(mut misses: Vec<NearMiss>, files: &[String]) -> NearMissRows {
    let files = files.to_vec();
    // Ranks stand in for file names in the sort: equal names, equal ranks.
    let mut by_name: Vec<usize> = (0..files.len()).collect();
    by_name.sort_by(|&a, &b| files[a].cmp(&files[b]));
    let mut rank = vec![0; files.len()];
    for (i, pair) in by_name.iter().enumerate() {
        let same = i > 0 && files[by_name[i - 1]] == files[*pair];
        rank[*pair] = if same { rank[by_name[i - 1]] } else { i };
    }
    let key = |m: &NearMiss| {
        (
            m.learner_id,
            rank.get(m.input as usize).copied(),
            m.line,
            m.time(),
            m.reason.name(),
        )
    };
    misses.sort_unstable_by_key(key);
    misses.dedup_by_key(|m| key(m));
    NearMissRows { misses, files }
}

/// Near misses in row order; each becomes its [`NearMissRow`] only as it is written, as
/// there can be millions.
pub struct NearMissRows {
    misses: Vec<NearMiss>,
    files: Vec<String>,
}

impl NearMissRows {
    pub fn write_jsonl(&self, out: &mut (dyn std::io::Write + Send)) -> anyhow::Result<()> {
        super::write_jsonl_with(
            &self.misses,
            |m, bytes| super::json_line(bytes, &self.row(m)),
            out,
        )
    }

    fn row(&self, m: &NearMiss) -> NearMissRow {
        NearMissRow {
            learner_id: m.learner_id,
            time: m.time().map(instant),
            reason: m.reason,
            file: self.files.get(m.input as usize).cloned().unwrap_or_default(),
            line: m.line,
        }
    }
}

pub fn repair_id(learner_id: LearnerId, local_date: &str, action: Action) -> String {
    let digest = Sha256::digest(format!("{learner_id}:{local_date}:{}", action.name()));
    hex::encode(&digest[..16])
}

/// RFC 3339 UTC, second precision, `Z`.
pub fn instant(t: i64) -> String {
    Timestamp::from_second(t).map_or_else(|_| t.to_string(), |ts| ts.to_string())
}

/// Manifest rows in (learner, date, action) order, as the plans are.
pub fn manifest_rows(plans: &[LearnerPlan], incident_id: &str) -> Vec<ManifestRow> {
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
                incident_id: incident_id.to_string(),
                learner_id: plan.learner_id,
                local_date,
                action,
                tz: tz.to_string(),
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

/// `decisions.jsonl`: decision rows in (learner, date) order. Each learner's rows are
/// made only as they are written, as there can be tens of millions. Returns how many.
pub fn write_decisions(plans: &[LearnerPlan], out: &mut (dyn std::io::Write + Send)) -> anyhow::Result<u64> {
    let rows = std::sync::atomic::AtomicU64::new(0);
    super::write_jsonl_with(
        plans,
        |plan, bytes| {
            let learner = decision_rows(plan);
            rows.fetch_add(learner.len() as u64, std::sync::atomic::Ordering::Relaxed);
            learner.iter().try_for_each(|row| super::json_line(bytes, row))
        },
        out,
    )?;
    Ok(rows.into_inner())
}

/// One learner's decision rows, in date order.
fn decision_rows(plan: &LearnerPlan) -> Vec<DecisionRow> {
    let mut rows = Vec::new();
    let learner_id = plan.learner_id;
    match &plan.verdict {
        Verdict::Skipped { reason, hits } => rows.push(evidence(learner_id, Decided::Skipped(*reason), hits)),
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
                    action,
                    tz: Some(tz.to_string()),
                    tz_source: Some(*tz_source),
                    streak_before: Some(*streak_before),
                    streak_after: Some(*streak_after),
                    day_before: Some(day.day_before.to_string()),
                    day_before_kind: day.day_before_kind,
                    day_kind: day.kind,
                    ..evidence(learner_id, Decided::Day(day.outcome), &day.hits)
                });
            }
        }
    }
    rows
}

/// A row with only the learner, the outcome and its evidence filled in.
fn evidence(learner_id: LearnerId, outcome: Decided, hits: &Hits) -> DecisionRow {
    DecisionRow {
        learner_id,
        local_date: None,
        outcome,
        action: None,
        repair_id: None,
        tz: None,
        tz_source: None,
        evidence_first: instant(hits.first),
        evidence_last: instant(hits.last),
        evidence_hits: hits.count,
        streak_before: None,
        streak_after: None,
        day_before: None,
        day_before_kind: None,
        day_kind: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_id_is_the_sha256_prefix_of_learner_date_action() {
        // printf '42:2026-11-20:freeze_day' | sha256sum | cut -c1-32
        assert_eq!(
            repair_id(42, "2026-11-20", Action::FreezeDay),
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
        let row = evidence(
            18_446_744_073_709_551_557,
            Decided::Skipped(crate::model::SkipReason::UnknownTimezone),
            &Hits {
                first: 0,
                last: 0,
                count: 1,
            },
        );
        let json = serde_json::to_string(&row).unwrap();
        assert!(
            json.starts_with("{\"learner_id\":18446744073709551557,\"local_date\":null,"),
            "{json}"
        );
    }
}
