//! Gathers evidence from log inputs: every line parsed, classified and counted, in
//! parallel, with the first few rejected lines kept so they can be shown with
//! file:line. Shared by `plan` and `scan`; [`LogScan`] is the evidence source of logs
//! read here (local files or S3 objects).

use crate::blocks::{self, Block, Progress};
use crate::collect::{Collected, EvidenceSource};
use crate::evidence::{self, Evidence, Matcher};
use crate::incident::Incident;
use crate::logs::{self, Format, LogFormat, Request, WithFormat};
use crate::model::{LineAccounting, LineCounts, MissReason, NearMiss, Reject};
use crate::output::run::{InputDigest, Provenance};
use crate::progress::Bar;
use crate::source::{self, Input};

/// How many rejected lines are kept to show.
pub const SHOWN_REJECTIONS: usize = 5;

/// A rejected line's place and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    pub input: usize,
    pub line: u64,
    pub reason: Reject,
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

/// Every line of `inputs`, read as `format`. `hash`: give each input's SHA-256 (for
/// run.json).
pub fn gather(
    format: LogFormat,
    inputs: &[Input],
    matcher: &Matcher,
    progress: &dyn Progress,
    hash: bool,
) -> anyhow::Result<Gathered> {
    format.with(Gather {
        inputs,
        matcher,
        progress,
        hash,
    })
}

struct Gather<'a> {
    inputs: &'a [Input],
    matcher: &'a Matcher,
    progress: &'a dyn Progress,
    hash: bool,
}

impl WithFormat for Gather<'_> {
    type Output = anyhow::Result<Gathered>;

    fn run<F: Format>(self) -> anyhow::Result<Gathered> {
        let Gather {
            inputs,
            matcher,
            progress,
            hash,
        } = self;
        let mut all = Gathered {
            evidence: Vec::new(),
            near_misses: Vec::new(),
            counts: LineCounts::default(),
            rejections: Vec::new(),
            digests: Vec::new(),
        };
        all.digests = blocks::run(
            inputs,
            hash,
            logs::LONGEST_LINE,
            progress,
            |block| classify_block::<F>(block, matcher),
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
}

fn classify_block<F: Format>(block: &Block, matcher: &Matcher) -> BlockResult {
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
        match F::parse(text) {
            Err(reason) => {
                *r.counts.rejected.entry(reason).or_default() += 1;
                if r.rejections.len() < SHOWN_REJECTIONS {
                    r.rejections.push(Rejection { input, line, reason });
                }
                if let Some(learner_id) = matcher.learner_in_line(text) {
                    let reason = MissReason::Rejected(reason);
                    r.near_misses
                        .push(NearMiss::new(learner_id, None, reason, input, line));
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
                        let (time, reason) = (Some(record.time()), MissReason::NotEvidence(why));
                        r.near_misses
                            .push(NearMiss::new(learner_id, time, reason, input, line));
                    }
                }
            },
        }
    }
    r
}

/// Log inputs scanned here: the evidence source of `plan --logs`.
pub struct LogScan {
    format: LogFormat,
    args: Vec<String>,
    s3: source::s3::Options,
    quiet: bool,
    /// Where sightings are cut besides the quarter hours: see [`evidence::sightings`].
    breaks: Vec<i64>,
    provenance: Provenance,
}

impl LogScan {
    /// `quiet`: no progress and no rejected-line warnings. `breaks`: the instants some
    /// zone's local date changes off a quarter hour during the incident.
    pub fn new(
        format: LogFormat,
        args: Vec<String>,
        s3: source::s3::Options,
        quiet: bool,
        breaks: Vec<i64>,
    ) -> LogScan {
        LogScan {
            format,
            args,
            s3,
            quiet,
            breaks,
            provenance: Provenance::default(),
        }
    }
}

impl EvidenceSource for LogScan {
    fn collect(&mut self, incident: &Incident) -> anyhow::Result<Collected> {
        let inputs = source::expand(&self.args, &self.s3)?;
        let bar = Bar::new(self.quiet);
        let mut gathered = gather(self.format, &inputs.list, &Matcher::new(incident), &bar, true)?;
        bar.finish();
        let duplicates = evidence::dedupe(&mut gathered.evidence);
        if !self.quiet {
            warn_rejections(&inputs.list, &gathered.rejections, &gathered.counts);
        }
        self.provenance = Provenance {
            logs: gathered.digests,
            s3: inputs.s3,
            athena: None,
        };
        Ok(Collected {
            sightings: evidence::sightings(gathered.evidence, &self.breaks),
            lines: Some(LineAccounting {
                counts: gathered.counts,
                duplicates,
            }),
            near_misses: gathered.near_misses,
            input_names: inputs.list.iter().map(Input::name).collect(),
        })
    }

    fn provenance(self: Box<Self>) -> Provenance {
        self.provenance
    }
}

/// Prints the first rejected lines with file:line, and how many there were in all.
pub fn warn_rejections(inputs: &[Input], shown: &[Rejection], counts: &LineCounts) {
    let total: u64 = counts.rejected.values().sum();
    for r in shown {
        let name = inputs.get(r.input).map_or_else(|| "?".into(), Input::name);
        eprintln!("warning: {name}:{}: line rejected: {}", r.line, r.reason);
    }
    if total > shown.len() as u64 {
        eprintln!(
            "warning: {} more lines rejected (counts by reason in run.json)",
            total - shown.len() as u64
        );
    }
}
