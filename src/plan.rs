//! Groups evidence by learner, resolves each learner's zone (SPEC §2 precedence),
//! maps evidence to local days and runs the rules for every learner in parallel.
//!
//! The result is ordered by learner id and, within a learner, by date, whatever the
//! thread count. It knows nothing of output formats.

use std::borrow::Cow;

use jiff::civil::Date;
use rayon::prelude::*;

use crate::calendar::{Calendars, Learners};
use crate::localday::Zone;
use crate::model::{DayKind, LearnerId, Outcome, Sighting, SkipReason, TzSource};
use crate::rules;
use crate::tzdb::Tzdb;

/// First and last instant and number of distinct evidence records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hits {
    pub first: i64,
    pub last: i64,
    pub count: u64,
}

impl Hits {
    fn of(sightings: &[Sighting]) -> Hits {
        let none = Hits {
            first: i64::MAX,
            last: i64::MIN,
            count: 0,
        };
        sightings.iter().fold(none, |h, s| h.add(Hits::span(s)))
    }

    fn span(s: &Sighting) -> Hits {
        Hits {
            first: s.first,
            last: s.last,
            count: s.hits,
        }
    }

    fn add(self, o: Hits) -> Hits {
        Hits {
            first: self.first.min(o.first),
            last: self.last.max(o.last),
            count: self.count + o.count,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPlan {
    pub date: Date,
    pub outcome: Outcome,
    pub hits: Hits,
    /// The rules' D-1: the previous date that exists in the zone.
    pub day_before: Date,
    /// What the calendar held on D-1 and on D, for whoever explains the outcome.
    pub day_before_kind: Option<DayKind>,
    pub kind: Option<DayKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Planned {
        tz: Box<str>,
        tz_source: TzSource,
        days: Vec<DayPlan>,
        streak_before: u32,
        streak_after: u32,
    },
    Skipped {
        reason: SkipReason,
        hits: Hits,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerPlan {
    pub learner_id: LearnerId,
    pub verdict: Verdict,
}

/// Input the plan set aside, counted so nothing is dropped silently.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SetAside {
    /// Learners whose learners-file zone is not a valid zone name.
    pub invalid_zone_in_learners_file: u64,
    /// Evidence records whose tz parameter is not a valid zone name.
    pub invalid_zone_in_tz_param: u64,
    /// Calendar days on a date that does not exist in the learner's zone (Pacific/Apia
    /// 2011-12-30): no local instant falls on them, so the rules ignore them.
    pub calendar_days_not_in_zone: u64,
    /// Athena buckets whose first and last record fall on different local dates (a zone
    /// change off the quarter hours, sql/evidence.sql): both dates are affected, as the
    /// rules need, but how the bucket's records split between them is not known, so the
    /// decision log gives the first date all but one of them.
    #[serde(default)]
    pub buckets_across_local_days: u64,
}

impl std::ops::Add for SetAside {
    type Output = SetAside;
    fn add(self, o: SetAside) -> SetAside {
        SetAside {
            invalid_zone_in_learners_file: self.invalid_zone_in_learners_file
                + o.invalid_zone_in_learners_file,
            invalid_zone_in_tz_param: self.invalid_zone_in_tz_param + o.invalid_zone_in_tz_param,
            calendar_days_not_in_zone: self.calendar_days_not_in_zone + o.calendar_days_not_in_zone,
            buckets_across_local_days: self.buckets_across_local_days + o.buckets_across_local_days,
        }
    }
}

/// Everything the rules need besides the evidence.
pub struct Context<'a> {
    pub tzdb: &'a Tzdb,
    pub learners: &'a Learners,
    pub calendars: &'a Calendars,
    /// Already validated against `tzdb`.
    pub default_tz: Option<&'a str>,
    pub as_of: i64,
}

/// Plans every learner. `sightings` must be sorted by learner, then time, as every
/// evidence source hands them over.
pub fn plan(sightings: &[Sighting], ctx: &Context<'_>) -> (Vec<LearnerPlan>, SetAside) {
    let zones = ZoneCache::build(sightings, ctx);
    let learners: Vec<&[Sighting]> = sightings.chunk_by(|a, b| a.learner_id == b.learner_id).collect();
    let results: Vec<(LearnerPlan, SetAside)> = learners
        .par_iter()
        .map(|records| plan_learner(records, ctx, &zones))
        .collect();
    let invalid = results.iter().fold(SetAside::default(), |acc, (_, i)| acc + *i);
    (results.into_iter().map(|(plan, _)| plan).collect(), invalid)
}

/// Every zone name in play, looked up once.
struct ZoneCache<'a>(foldhash::HashMap<&'a str, Option<Zone>>);

impl<'a> ZoneCache<'a> {
    fn build(sightings: &'a [Sighting], ctx: &Context<'a>) -> ZoneCache<'a> {
        let mut map = foldhash::HashMap::default();
        let params = sightings
            .iter()
            .flat_map(|s| s.tz_params.iter().map(|(name, _)| &**name));
        let named = ctx.learners.zone_names().chain(ctx.default_tz);
        for name in params.chain(named) {
            map.entry(name).or_insert_with(|| ctx.tzdb.zone(name));
        }
        ZoneCache(map)
    }

    fn get(&self, name: &str) -> Option<&Zone> {
        self.0.get(name).and_then(Option::as_ref)
    }
}

fn plan_learner(records: &[Sighting], ctx: &Context<'_>, zones: &ZoneCache<'_>) -> (LearnerPlan, SetAside) {
    let learner_id = records[0].learner_id;
    let from_file = ctx.learners.zone(learner_id);
    let mut set_aside = SetAside {
        invalid_zone_in_learners_file: u64::from(from_file.is_some_and(|n| zones.get(n).is_none())),
        invalid_zone_in_tz_param: records
            .iter()
            .flat_map(|r| &r.tz_params)
            .filter(|(name, _)| zones.get(name).is_none())
            .map(|(_, n)| n)
            .sum(),
        ..SetAside::default()
    };
    // Sightings are in time order: the latest valid parameter is found walking back.
    let from_param = records
        .iter()
        .rev()
        .flat_map(|r| r.tz_params.iter().map(|(name, _)| &**name))
        .find(|n| zones.get(n).is_some());
    let chosen = [
        (from_file, TzSource::Learners),
        (from_param, TzSource::Evidence),
        (ctx.default_tz, TzSource::Default),
    ]
    .into_iter()
    .find_map(|(name, source)| name.and_then(|n| Some((n, zones.get(n)?, source))));
    let verdict = match chosen {
        None => Verdict::Skipped {
            reason: SkipReason::UnknownTimezone,
            hits: Hits::of(records),
        },
        Some((name, zone, tz_source)) => {
            let (days, missing) = calendar_in_zone(ctx.calendars.of(learner_id), zone);
            set_aside.calendar_days_not_in_zone = missing;
            let (verdict, across) = planned(records, zone, name, tz_source, &days, ctx.as_of);
            set_aside.buckets_across_local_days = across;
            verdict
        }
    };
    (LearnerPlan { learner_id, verdict }, set_aside)
}

/// The learner's calendar without dates the zone skips, and how many there were.
fn calendar_in_zone<'c>(days: &'c [(Date, DayKind)], zone: &Zone) -> (Cow<'c, [(Date, DayKind)]>, u64) {
    if days.iter().all(|&(d, _)| zone.exists(d)) {
        return (Cow::Borrowed(days), 0);
    }
    let kept: Vec<_> = days.iter().copied().filter(|&(d, _)| zone.exists(d)).collect();
    let missing = (days.len() - kept.len()) as u64;
    (Cow::Owned(kept), missing)
}

/// The verdict, and how many sightings spanned two local dates.
fn planned(
    records: &[Sighting],
    zone: &Zone,
    name: &str,
    tz_source: TzSource,
    calendar: &[(Date, DayKind)],
    as_of: i64,
) -> (Verdict, u64) {
    let (by_day, across) = hits_by_day(records, zone);
    let affected: Vec<Date> = by_day.iter().map(|&(d, _)| d).collect();
    let decisions = rules::decide(zone, calendar, &affected, as_of);
    let days = decisions
        .days
        .iter()
        .zip(&by_day)
        .map(|(&(date, outcome), &(_, hits))| {
            let day_before = zone.prev_day(date);
            DayPlan {
                date,
                outcome,
                hits,
                day_before,
                day_before_kind: rules::kind_on(calendar, day_before),
                kind: rules::kind_on(calendar, date),
            }
        })
        .collect();
    let verdict = Verdict::Planned {
        tz: name.into(),
        tz_source,
        days,
        streak_before: decisions.streak_before,
        streak_after: decisions.streak_after,
    };
    (verdict, across)
}

/// Evidence per local date, sorted by date. Within 15 minutes the local date changes at
/// most once, so a bucket whose ends fall on two dates touches exactly those two; its
/// records are split as all but the last on the first date (the count is not known).
fn hits_by_day(records: &[Sighting], zone: &Zone) -> (Vec<(Date, Hits)>, u64) {
    let mut by_day: Vec<(Date, Hits)> = Vec::new();
    let mut add = |date: Date, hits: Hits| match by_day.iter_mut().find(|(d, _)| *d == date) {
        Some((_, h)) => *h = h.add(hits),
        None => by_day.push((date, hits)),
    };
    let mut across = 0;
    for r in records {
        let (first, last) = (zone.local_date(r.first), zone.local_date(r.last));
        if first == last {
            add(first, Hits::span(r));
        } else {
            across += 1;
            let at = |t: i64, count: u64| Hits {
                first: t,
                last: t,
                count,
            };
            add(first, at(r.first, r.hits - 1));
            add(last, at(r.last, 1));
        }
    }
    by_day.sort_unstable_by_key(|&(d, _)| d);
    (by_day, across)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence;
    use crate::tzdb::TzdbChoice;

    #[test]
    fn calendar_days_the_zone_skips_are_counted_and_ignored() {
        let tzdb = Tzdb::open(&TzdbChoice::Bundled).unwrap();
        let apia = tzdb.zone("Pacific/Apia").unwrap();
        let d = |s: &str| s.parse::<Date>().unwrap();
        let days = [
            (d("2011-12-29"), DayKind::Practice),
            (d("2011-12-30"), DayKind::Practice),
            (d("2011-12-31"), DayKind::Freeze),
        ];
        let (kept, missing) = calendar_in_zone(&days, &apia);
        assert_eq!(missing, 1);
        assert_eq!(&*kept, [days[0], days[2]]);
        let utc = tzdb.zone("UTC").unwrap();
        assert!(matches!(calendar_in_zone(&days, &utc), (Cow::Borrowed(_), 0)));
    }

    use crate::evidence::Evidence;
    use proptest::prelude::*;

    fn record(learner_id: u64, time: i64, request_id: u32, tz: Option<&str>) -> Evidence {
        Evidence {
            learner_id,
            time,
            request_id: Some(format!("R{request_id:06}").into()),
            key: "brb/c.json".into(),
            http_status: 200,
            tz_param: tz.map(Into::into),
        }
    }

    const ZONES: [&str; 7] = [
        "UTC",
        "Asia/Kathmandu",
        "America/Santiago",
        "Australia/Lord_Howe",
        "America/St_Johns",
        "Pacific/Chatham",
        "Not/AZone",
    ];

    fn record_strategy() -> impl Strategy<Value = (u64, i64, Option<usize>)> {
        // Two days either side of Santiago's 2026-09-06 midnight gap (04:00Z).
        let around = 1_788_667_200i64;
        (
            1..6u64,
            -172_800..172_800i64,
            proptest::option::of(0..ZONES.len()),
        )
            .prop_map(move |(learner, dt, tz)| (learner, around + dt, tz))
    }

    fn calendars(days: &[(u64, i64, u8)]) -> Calendars {
        let mut c = Calendars::default();
        let base: Date = "2026-09-01".parse().unwrap();
        for &(learner, offset, kind) in days {
            let kind = [DayKind::Practice, DayKind::Freeze, DayKind::Repair][usize::from(kind % 3)];
            let date = base.checked_add(jiff::Span::new().days(offset)).unwrap();
            c.days.entry(learner).or_default().push((date, kind));
        }
        for days in c.days.values_mut() {
            days.sort_unstable();
            days.dedup_by_key(|(d, _)| *d);
        }
        c
    }

    proptest! {
        /// Buckets are exact (Athena's, and a scan's folded records): planning from
        /// per-quarter-hour buckets gives the same plans and counters as planning from each
        /// record alone, for zones whose offsets and transitions are on quarter hours.
        #[test]
        fn buckets_plan_exactly_as_their_records(
            raw in proptest::collection::vec(record_strategy(), 1..60),
            days in proptest::collection::vec((1..6u64, 0..10i64, 0..3u8), 0..30),
            as_of_hours in 0..200i64,
        ) {
            let tzdb = Tzdb::open(&TzdbChoice::Bundled).unwrap();
            let mut records: Vec<Evidence> = raw
                .iter()
                .enumerate()
                .map(|(i, &(l, t, z))| record(l, t, i as u32, z.map(|z| ZONES[z])))
                .collect();
            evidence::dedupe(&mut records);
            let learners = Learners::default();
            let calendars = calendars(&days);
            let ctx = Context {
                tzdb: &tzdb,
                learners: &learners,
                calendars: &calendars,
                default_tz: None,
                as_of: 1_788_480_000 + as_of_hours * 3600,
            };
            let once: Vec<Sighting> = records
                .iter()
                .map(|e| Sighting::once(e.learner_id, e.time, e.tz_param.clone()))
                .collect();
            let from_records = plan(&once, &ctx);
            let from_buckets = plan(&evidence::sightings(records, &[]), &ctx);
            prop_assert_eq!(from_records, from_buckets);
        }
    }

    #[test]
    fn scanned_records_are_cut_where_a_zone_starts_a_day_off_the_quarter_hours() {
        // St John's 2006-10-29 starts (again) at 02:31Z: records at 02:30:10Z and 02:40Z are
        // on different local dates there, so they are two sightings, each exact.
        let tzdb = Tzdb::open(&TzdbChoice::Bundled).unwrap();
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_second();
        let breaks =
            tzdb.days_starting_off_quarter_hours(t("2006-10-28T12:00:00Z"), t("2006-10-30T12:00:00Z"));
        assert!(breaks.contains(&t("2006-10-29T02:31:00Z")), "{breaks:?}");
        assert!(breaks.iter().all(|b| b % 900 != 0));
        let zone = Some("America/St_Johns");
        let records = vec![
            record(1, t("2006-10-29T02:30:10Z"), 1, zone),
            record(1, t("2006-10-29T02:35:00Z"), 2, zone),
            record(1, t("2006-10-29T02:40:00Z"), 3, zone),
        ];
        let cut = evidence::sightings(records.clone(), &breaks);
        assert_eq!(cut.iter().map(|s| s.hits).collect::<Vec<_>>(), [1, 2]);
        let (by_day, across) = hits_by_day(&cut, &tzdb.zone("America/St_Johns").unwrap());
        assert_eq!(across, 0);
        assert_eq!(by_day.iter().map(|(_, h)| h.count).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(evidence::sightings(records, &[]).len(), 1, "uncut, one bucket");
    }

    #[test]
    fn a_bucket_across_two_local_dates_affects_both() {
        // St John's fell back at 00:01 NDT on 2006-10-29 (02:31Z) to 23:01 NST of the 28th:
        // the 02:30Z bucket starts on the 29th and ends on the 28th.
        let tzdb = Tzdb::open(&TzdbChoice::Bundled).unwrap();
        let zone = tzdb.zone("America/St_Johns").unwrap();
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_second();
        let bucket = Sighting {
            learner_id: 1,
            start: t("2006-10-29T02:30:00Z"),
            first: t("2006-10-29T02:30:10Z"),
            last: t("2006-10-29T02:40:00Z"),
            hits: 5,
            tz_params: smallvec::smallvec![("America/St_Johns".into(), 5)],
        };
        let (by_day, across) = hits_by_day(&[bucket], &zone);
        assert_eq!(across, 1);
        let d = |s: &str| s.parse::<Date>().unwrap();
        let at = |s: &str, count| Hits {
            first: t(s),
            last: t(s),
            count,
        };
        assert_eq!(
            by_day,
            [
                (d("2006-10-28"), at("2006-10-29T02:40:00Z", 1)),
                (d("2006-10-29"), at("2006-10-29T02:30:10Z", 4)),
            ]
        );
    }
}
