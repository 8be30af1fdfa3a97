//! The job's vocabulary, on the ground floor: learner ids, day kinds, outcomes and
//! every reason a line, a record or a learner is set aside, the sighting that every
//! evidence source hands the planner, and the count of what every line became.
//!
//! Pure data: no I/O, no clock. Each word serialises as the snake_case name the
//! outputs use, so rules, rows, `explain` and `report` share one exhaustive set.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A learner, as the maintenance fetch's query string names them.
pub type LearnerId = u64;

/// Evidence is counted and charted in 15-minute UTC buckets (sql/evidence.sql too).
pub const QUARTER_HOUR: i64 = 900;

/// The start of the 15-minute UTC bucket holding `t` (Unix seconds).
pub fn quarter_hour(t: i64) -> i64 {
    t.div_euclid(QUARTER_HOUR) * QUARTER_HOUR
}

/// Names every variant of a unit enum once, for serde and for `name()`.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The word the outputs use.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            pub fn parse(word: &str) -> Option<$name> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

words! {
    /// What a learner's calendar holds on a date; the order is strength: a date listed
    /// with several kinds counts as the strongest.
    DayKind {
        Freeze = "freeze",
        Repair = "repair",
        Practice = "practice",
    }
}

words! {
    /// What happens to one affected day (SPEC §3), in the order the rules test them.
    Outcome {
        Deferred = "deferred",
        Practiced = "practiced",
        AlreadyRepaired = "already_repaired",
        NoActiveStreak = "no_active_streak",
        RefundFreeze = "refund_freeze",
        FreezeDay = "freeze_day",
    }
}

words! {
    /// A manifest action; each is named like the outcome that writes it.
    Action {
        RefundFreeze = "refund_freeze",
        FreezeDay = "freeze_day",
    }
}

/// Words that print as themselves ([`Reject`] prints a sentence instead).
macro_rules! display_by_name {
    ($($name:ident),+) => {
        $(impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        })+
    };
}

display_by_name!(DayKind, Outcome, Action);

impl Outcome {
    /// The manifest action this outcome writes, if any.
    pub fn action(self) -> Option<Action> {
        match self {
            Outcome::RefundFreeze => Some(Action::RefundFreeze),
            Outcome::FreezeDay => Some(Action::FreezeDay),
            Outcome::Deferred | Outcome::Practiced | Outcome::AlreadyRepaired | Outcome::NoActiveStreak => {
                None
            }
        }
    }
}

words! {
    /// Where a learner's zone came from (SPEC §2 precedence).
    TzSource {
        Learners = "learners",
        Evidence = "evidence",
        Default = "default",
    }
}

words! {
    /// Why a learner got no decisions.
    SkipReason {
        UnknownTimezone = "unknown_timezone",
    }
}

display_by_name!(TzSource, SkipReason);

/// A decision row's outcome: a day's outcome, or why the learner was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Decided {
    Day(Outcome),
    Skipped(SkipReason),
}

impl Decided {
    pub fn name(self) -> &'static str {
        match self {
            Decided::Day(o) => o.name(),
            Decided::Skipped(r) => r.name(),
        }
    }
}

display_by_name!(Decided);

words! {
    /// Why a well-formed record is not evidence; the first failing test names it.
    NotEvidence {
        OtherBucket = "other_bucket",
        OtherOperation = "other_operation",
        OtherKey = "other_key",
        OtherStatus = "other_status",
        OutsideWindow = "outside_window",
        NoLearnerId = "no_learner_id",
    }
}

display_by_name!(NotEvidence);

words! {
    /// Why a log line could not be read as a record.
    Reject {
        BlankLine = "blank_line",
        TooFewFields = "too_few_fields",
        BadTime = "bad_time",
        UnterminatedQuote = "unterminated_quote",
        BadInteger = "bad_integer",
        LineTooLong = "line_too_long",
        UnknownType = "unknown_type",
        BadAddress = "bad_address",
        BadNumber = "bad_number",
        BadJson = "bad_json",
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reject::BlankLine => "the line is empty or only spaces",
            Reject::TooFewFields => "fewer fields than the oldest layout (18 in S3 logs, 17 in ALB logs)",
            Reject::BadTime => "a time is not valid ([dd/Mon/yyyy:HH:MM:SS +hhmm] in S3 logs, RFC 3339 UTC in ALB logs)",
            Reject::UnterminatedQuote => "a quoted field has no closing quote",
            Reject::BadInteger => "a status, size or duration is neither - nor an unsigned integer in range",
            Reject::LineTooLong => "longer than 1 MiB",
            Reject::UnknownType => "not an ALB request type (http, https, h2, grpcs, ws, wss): Classic Load Balancer lines start with the time",
            Reject::BadAddress => "a client or target is neither - nor ip:port",
            Reject::BadNumber => "a processing time is neither -1 nor decimal seconds",
            Reject::BadJson => "not a JSON object with the app-log fields (TRACING.md)",
        })
    }
}

impl std::error::Error for Reject {}

/// Why a line that names a learner is not evidence: rejected, or read and not matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MissReason {
    NotEvidence(NotEvidence),
    Rejected(Reject),
}

impl MissReason {
    pub fn name(self) -> &'static str {
        match self {
            MissReason::NotEvidence(why) => why.name(),
            MissReason::Rejected(why) => why.name(),
        }
    }
}

/// A line that names a learner but is not evidence: what `explain` tells a learner
/// who is missing from the run. 32 bytes, as a scan can keep millions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NearMiss {
    pub learner_id: LearnerId,
    /// Unix seconds, or [`NearMiss::NO_TIME`].
    time: i64,
    pub line: u64,
    /// The input's index in the run's list of inputs.
    pub input: u32,
    pub reason: MissReason,
}

impl NearMiss {
    /// No log time is this early (S3 writes four-digit years).
    const NO_TIME: i64 = i64::MIN;

    /// `time`: `None` for a line too broken to read it.
    pub fn new(
        learner_id: LearnerId,
        time: Option<i64>,
        reason: MissReason,
        input: usize,
        line: u64,
    ) -> NearMiss {
        NearMiss {
            learner_id,
            time: time.unwrap_or(Self::NO_TIME),
            line,
            // Unreachable: each input is a listed file or object held in memory, and four
            // billion of them would not fit before the scan began.
            input: u32::try_from(input).expect("fewer than 2^32 inputs"),
            reason,
        }
    }

    pub fn time(&self) -> Option<i64> {
        (self.time != Self::NO_TIME).then_some(self.time)
    }
}

/// A sighting's zone parameters and their counts.
pub type TzParams = smallvec::SmallVec<[(compact_str::CompactString, u64); 1]>;

/// Evidence as the planner reads it, whichever source found it: a learner seen `hits`
/// times from `first` to `last`, all within one 15-minute UTC bucket: one per learner
/// and bucket, from a scanned log's distinct records or from Athena's evidence query.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sighting {
    pub learner_id: LearnerId,
    /// Unix seconds of the bucket's start, a multiple of [`QUARTER_HOUR`].
    pub start: i64,
    /// The earliest and latest record's time, within the bucket.
    pub first: i64,
    pub last: i64,
    /// Distinct records (after de-duplication by request id).
    pub hits: u64,
    /// Non-empty tz parameters, newest first, with how many records carried each.
    /// Inline for the usual one, so a scanned log's millions of sightings allocate
    /// nothing beyond the zone name.
    pub tz_params: TzParams,
}

impl Sighting {
    /// One record at `time`.
    pub fn once(learner_id: LearnerId, time: i64, tz_param: Option<compact_str::CompactString>) -> Sighting {
        Sighting {
            learner_id,
            start: quarter_hour(time),
            first: time,
            last: time,
            hits: 1,
            tz_params: tz_param
                .map(|tz| smallvec::smallvec![(tz, 1)])
                .unwrap_or_default(),
        }
    }

    /// One more record of the same bucket, at `time`, no earlier than the last.
    pub fn add(&mut self, time: i64, tz_param: Option<compact_str::CompactString>) {
        self.last = time;
        self.hits += 1;
        if let Some(tz) = tz_param {
            // Newest first: a later record moves its zone to the front.
            let n = match self.tz_params.iter().position(|(z, _)| *z == tz) {
                Some(i) => self.tz_params.remove(i).1,
                None => 0,
            };
            self.tz_params.insert(0, (tz, n + 1));
        }
    }
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
    pub fn merge(&mut self, other: LineCounts) {
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

/// Every line read here: its counts and the repeats de-duplication removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAccounting {
    pub counts: LineCounts,
    pub duplicates: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serde and `name()` come from one list; this guards the untagged wrappers too.
    #[test]
    fn every_word_serialises_as_its_name_and_parses_back() {
        fn check<T: Serialize + serde::de::DeserializeOwned + PartialEq + fmt::Debug + Copy>(
            all: &[T],
            name: fn(T) -> &'static str,
        ) {
            for &w in all {
                let json = serde_json::to_string(&w).unwrap();
                assert_eq!(json, format!("\"{}\"", name(w)));
                assert_eq!(serde_json::from_str::<T>(&json).unwrap(), w);
            }
        }
        check(DayKind::ALL, DayKind::name);
        check(Outcome::ALL, Outcome::name);
        check(Action::ALL, Action::name);
        check(TzSource::ALL, TzSource::name);
        check(SkipReason::ALL, SkipReason::name);
        check(NotEvidence::ALL, NotEvidence::name);
        check(Reject::ALL, Reject::name);
        let decided: Vec<Decided> = Outcome::ALL
            .iter()
            .map(|&o| Decided::Day(o))
            .chain(SkipReason::ALL.iter().map(|&r| Decided::Skipped(r)))
            .collect();
        check(&decided, Decided::name);
        let missed: Vec<MissReason> = NotEvidence::ALL
            .iter()
            .map(|&n| MissReason::NotEvidence(n))
            .chain(Reject::ALL.iter().map(|&r| MissReason::Rejected(r)))
            .collect();
        check(&missed, MissReason::name);
        assert_eq!(DayKind::parse("freeze"), Some(DayKind::Freeze));
        assert_eq!(DayKind::parse("Freeze"), None);
    }

    #[test]
    fn actions_are_named_like_their_outcomes() {
        for &o in Outcome::ALL {
            if let Some(a) = o.action() {
                assert_eq!(a.name(), o.name());
            }
        }
        assert_eq!(Outcome::FreezeDay.action(), Some(Action::FreezeDay));
        assert_eq!(Outcome::Practiced.action(), None);
    }

    #[test]
    fn quarter_hours_round_down_also_before_1970() {
        assert_eq!(quarter_hour(1_795_179_912), 1_795_179_600);
        assert_eq!(quarter_hour(-1), -900);
        assert_eq!(quarter_hour(0), 0);
    }
}
