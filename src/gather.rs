//! Gathers evidence from log inputs: every line parsed, classified and counted, in
//! parallel, with the first few rejected lines kept so they can be shown with
//! file:line. Shared by `plan` and `scan`.

use std::collections::BTreeMap;

use crate::evidence::{Evidence, Matcher, NotEvidence};
use crate::logs::{self, Reject};
use crate::scan::{self, Block, Progress};
use crate::source::{Input, InputDigest};

/// How many rejected lines are kept to show.
pub const SHOWN_REJECTIONS: usize = 5;

/// A line that names a learner but is not evidence: what `explain` tells a learner
/// who is missing from the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NearMiss {
    pub learner_id: u64,
    /// `None` for a line too broken to read its time.
    pub time: Option<i64>,
    pub reason: &'static str,
    pub input: usize,
    pub line: u64,
}

/// A rejected line's place and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    pub input: usize,
    pub line: u64,
    pub reason: Reject,
}

/// What every line became, before de-duplication.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LineCounts {
    pub lines: u64,
    pub evidence: u64,
    pub not_evidence: BTreeMap<NotEvidence, u64>,
    pub rejected: BTreeMap<Reject, u64>,
}

impl LineCounts {
    fn merge(&mut self, other: LineCounts) {
        self.lines += other.lines;
        self.evidence += other.evidence;
        for (k, n) in other.not_evidence {
            *self.not_evidence.entry(k).or_default() += n;
        }
        for (k, n) in other.rejected {
            *self.rejected.entry(k).or_default() += n;
        }
    }
}

pub struct Gathered {
    /// Evidence records in input order, repeats included.
    pub evidence: Vec<Evidence>,
    /// Lines naming a learner that are not evidence, in input order.
    pub near_misses: Vec<NearMiss>,
    pub counts: LineCounts,
    /// The first rejected lines, in input and line order.
    pub rejections: Vec<Rejection>,
    pub digests: Vec<InputDigest>,
}

struct BlockResult {
    evidence: Vec<Evidence>,
    near_misses: Vec<NearMiss>,
    counts: LineCounts,
    rejections: Vec<Rejection>,
}

/// `hash`: give each input's SHA-256 (for run.json).
pub fn gather(
    inputs: &[Input],
    matcher: &Matcher,
    progress: &dyn Progress,
    hash: bool,
) -> anyhow::Result<Gathered> {
    let mut all = Gathered {
        evidence: Vec::new(),
        near_misses: Vec::new(),
        counts: LineCounts::default(),
        rejections: Vec::new(),
        digests: Vec::new(),
    };
    all.digests = scan::run(
        inputs,
        hash,
        logs::LONGEST_LINE,
        progress,
        |block| classify_block(block, matcher),
        |r: BlockResult| {
            all.evidence.extend(r.evidence);
            all.near_misses.extend(r.near_misses);
            all.counts.merge(r.counts);
            let room = SHOWN_REJECTIONS - all.rejections.len();
            all.rejections.extend(r.rejections.into_iter().take(room));
            Ok(())
        },
    )?;
    Ok(all)
}

fn classify_block(block: &Block, matcher: &Matcher) -> BlockResult {
    let mut r = BlockResult {
        evidence: Vec::new(),
        near_misses: Vec::new(),
        counts: LineCounts::default(),
        rejections: Vec::new(),
    };
    for (line, text) in block.lines() {
        // However the reader cut it, an over-long line is seen the same way.
        let text = &text[..text.len().min(logs::LONGEST_LINE + 1)];
        r.counts.lines += 1;
        let input = block.input;
        match logs::parse(text) {
            Err(reason) => {
                *r.counts.rejected.entry(reason).or_default() += 1;
                if r.rejections.len() < SHOWN_REJECTIONS {
                    r.rejections.push(Rejection { input, line, reason });
                }
                if let Some(learner_id) = matcher.learner_in_line(text) {
                    let reason = reason.reason();
                    r.near_misses.push(NearMiss {
                        learner_id,
                        time: None,
                        reason,
                        input,
                        line,
                    });
                }
            }
            Ok(record) => match matcher.classify(&record) {
                Ok(e) => {
                    r.counts.evidence += 1;
                    r.evidence.push(e);
                }
                Err(why) => {
                    *r.counts.not_evidence.entry(why).or_default() += 1;
                    if let Some(learner_id) = matcher.learner_named(&record) {
                        let (reason, time) = (why.reason(), Some(record.time()));
                        r.near_misses.push(NearMiss {
                            learner_id,
                            time,
                            reason,
                            input,
                            line,
                        });
                    }
                }
            },
        }
    }
    r
}
