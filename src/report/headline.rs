//! The headline numbers and the run's facts, the same in every format: which numbers,
//! in which groups and order, with which breakdowns, and which ones deserve a look.
//! Each format only decides how to lay them out and escape them.

use super::format::thousands;
use super::summary::{pairs, Summary};

/// One headline number. The HTML id of its value is `headline-{key}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline {
    pub key: &'static str,
    pub label: &'static str,
    pub value: u64,
    /// The number broken down by kind or reason, in name order.
    pub detail: Vec<(String, u64)>,
    /// A non-zero value means something was left out and deserves a look.
    pub concern: bool,
}

/// A titled group of headline numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadlineGroup {
    pub title: &'static str,
    pub rows: Vec<Headline>,
}

impl Summary {
    /// The headline numbers, in the order every format prints them.
    pub fn headline(&self) -> Vec<HeadlineGroup> {
        vec![
            self.learners_group(),
            self.evidence_group(),
            self.set_aside_group(),
        ]
    }

    /// Who is affected, what the plan does for them and who it leaves out.
    fn learners_group(&self) -> HeadlineGroup {
        let with_actions = vec![("with actions".to_string(), self.learners_with_actions)];
        HeadlineGroup {
            title: "Learners and actions",
            rows: vec![
                row(
                    "learners-affected",
                    "Learners affected",
                    self.learners_affected,
                    with_actions,
                ),
                row(
                    "actions-total",
                    "Actions",
                    self.actions_total,
                    pairs(&self.actions),
                ),
                row(
                    "streak-days-restored",
                    "Streak days restored",
                    self.streak_days_restored,
                    vec![],
                ),
                concern(total(
                    "learners-skipped",
                    "Learners skipped",
                    pairs(&self.learners_skipped),
                )),
                total(
                    "learner-days-decided",
                    "Learner-days decided",
                    pairs(&self.outcomes),
                ),
            ],
        }
    }

    /// Where the evidence came from: every log line accounted for, or (with Athena,
    /// which returns only the evidence) the records and quarter-hour buckets.
    fn evidence_group(&self) -> HeadlineGroup {
        let evidence = row(
            "evidence-records",
            "Evidence records",
            self.evidence_records,
            vec![],
        );
        match (&self.athena, self.lines_read) {
            (Some(athena), _) => HeadlineGroup {
                title: "Evidence from Athena",
                rows: vec![
                    evidence,
                    row(
                        "evidence-buckets",
                        "Learner quarter-hours",
                        athena.evidence_buckets,
                        vec![],
                    ),
                    concern(row(
                        "buckets-across-local-days",
                        "Quarter-hours across two local dates",
                        self.set_aside.buckets_across_local_days,
                        vec![],
                    )),
                ],
            },
            (None, lines_read) => HeadlineGroup {
                title: "Log lines",
                rows: vec![
                    row("lines-read", "Lines read", lines_read.unwrap_or(0), vec![]),
                    evidence,
                    row(
                        "duplicate-records",
                        "Duplicate records",
                        self.duplicate_records.unwrap_or(0),
                        vec![],
                    ),
                    total("not-evidence", "Not evidence", pairs(&self.not_evidence)),
                    concern(total("lines-rejected", "Lines rejected", pairs(&self.rejected))),
                ],
            },
        }
    }

    /// Inputs left out because a zone or a calendar day could not be used.
    fn set_aside_group(&self) -> HeadlineGroup {
        let sa = &self.set_aside;
        HeadlineGroup {
            title: "Set aside",
            rows: vec![
                concern(row(
                    "invalid-zone-in-learners-file",
                    "Learners with an invalid zone in the learners file",
                    sa.invalid_zone_in_learners_file,
                    vec![],
                )),
                concern(row(
                    "invalid-zone-in-tz-param",
                    "Evidence records with an invalid tz parameter",
                    sa.invalid_zone_in_tz_param,
                    vec![],
                )),
                concern(row(
                    "calendar-days-not-in-zone",
                    "Calendar days that do not exist in the zone",
                    sa.calendar_days_not_in_zone,
                    vec![],
                )),
            ],
        }
    }

    /// What was run and on what: a label and its values (one per window).
    pub fn run_facts(&self) -> Vec<(&'static str, Vec<String>)> {
        let windows = self.windows.iter().map(|[a, b]| format!("{a} to {b}")).collect();
        vec![
            ("Incident", vec![self.incident_id.clone()]),
            ("As of", vec![self.as_of.clone()]),
            ("Windows", windows),
            ("Tz database", vec![self.tzdb.clone()]),
            ("Manifest SHA-256", vec![self.manifest_sha256.clone()]),
            ("Tool version", vec![self.tool_version.clone()]),
            ("Athena queries", self.athena_queries()),
        ]
    }

    /// One line per Athena query: id, data scanned and cost; empty for other sources.
    fn athena_queries(&self) -> Vec<String> {
        let Some(athena) = &self.athena else {
            return Vec::new();
        };
        let mut lines: Vec<String> = athena
            .queries
            .iter()
            .map(|q| {
                format!(
                    "{} {}: {} bytes scanned, ${:.4}",
                    q.name,
                    q.id,
                    thousands(q.data_scanned_bytes),
                    q.cost_usd
                )
            })
            .collect();
        lines.push(format!(
            "total {} bytes scanned, ${:.4} at ${}/TB ({})",
            thousands(athena.data_scanned_bytes),
            athena.cost_usd,
            athena.price_per_tb,
            athena.workgroup
        ));
        lines
    }
}

fn row(key: &'static str, label: &'static str, value: u64, detail: Vec<(String, u64)>) -> Headline {
    Headline {
        key,
        label,
        value,
        detail,
        concern: false,
    }
}

/// A headline row whose value is the sum of its detail.
fn total(key: &'static str, label: &'static str, detail: Vec<(String, u64)>) -> Headline {
    row(key, label, detail.iter().map(|(_, n)| n).sum(), detail)
}

fn concern(headline: Headline) -> Headline {
    Headline {
        concern: true,
        ..headline
    }
}
