//! The streak-freeze gap-fill rules and streak lengths (SPEC §3) for ONE learner.
//!
//! Pure: no I/O, no clock, no threads. Given the learner's zone, recorded days,
//! affected days and `as_of`, it returns one outcome per affected day and the streak
//! before and after this run's actions.

use jiff::civil::Date;

use crate::localday::Zone;
use crate::model::{DayKind, Outcome};

/// The rules' answer for one learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decisions {
    /// One outcome per affected day, in date order.
    pub days: Vec<(Date, Outcome)>,
    pub streak_before: u32,
    pub streak_after: u32,
}

/// Applies the rules. `days` is the learner's calendar sorted by date (one kind per
/// date); `affected` the distinct affected local dates, ascending.
pub fn decide(zone: &Zone, days: &[(Date, DayKind)], affected: &[Date], as_of: i64) -> Decisions {
    let recorded = |d: Date| kind_on(days, d);
    let mut planned: Vec<Date> = Vec::new();
    let mut out = Vec::with_capacity(affected.len());
    for &d in affected {
        let outcome = outcome(zone, d, as_of, recorded(d), || {
            let prev = zone.prev_day(d);
            recorded(prev).is_some() || planned.last() == Some(&prev)
        });
        if outcome.action().is_some() {
            planned.push(d);
        }
        out.push((d, outcome));
    }
    let as_of_local = zone.local_date(as_of);
    let latest_planned = planned.iter().rev().find(|&&d| d <= as_of_local).copied();
    let before = WalkBack {
        days,
        planned: &[],
        asked: None,
    };
    let after = WalkBack {
        days,
        planned: &planned,
        asked: None,
    };
    Decisions {
        days: out,
        streak_before: streak(zone, as_of_local, latest(days, as_of_local), before),
        streak_after: streak(
            zone,
            as_of_local,
            latest(days, as_of_local).max(latest_planned),
            after,
        ),
    }
}

/// Day kinds asked at ever earlier dates, as a streak is walked back: the calendar and
/// the planned repairs are each read once from their ends rather than searched at every
/// step (a year-long streak is a year of steps, twice per learner).
struct WalkBack<'a> {
    days: &'a [(Date, DayKind)],
    /// Dates repaired by this plan, ascending.
    planned: &'a [Date],
    /// The last date asked.
    asked: Option<Date>,
}

impl WalkBack<'_> {
    /// What `d` holds; each call's date is earlier than the last's.
    fn kind(&mut self, d: Date) -> Option<DayKind> {
        debug_assert!(self.asked.is_none_or(|last| d < last), "walked forward to {d}");
        self.asked = Some(d);
        while let Some((&(date, _), earlier)) = self.days.split_last() {
            if date <= d {
                break;
            }
            self.days = earlier;
        }
        while let Some((&date, earlier)) = self.planned.split_last() {
            if date <= d {
                break;
            }
            self.planned = earlier;
        }
        let recorded = self.days.last().filter(|&&(date, _)| date == d).map(|&(_, k)| k);
        match self.planned.last() == Some(&d) {
            true => recorded.max(Some(DayKind::Repair)),
            false => recorded,
        }
    }
}

/// One day's outcome, in the order SPEC §3's table lists the tests.
fn outcome(
    zone: &Zone,
    d: Date,
    as_of: i64,
    kind: Option<DayKind>,
    alive_entering: impl FnOnce() -> bool,
) -> Outcome {
    let next_start = zone.day_start(zone.next_day(d)).unwrap_or(i64::MAX);
    if as_of < next_start {
        return Outcome::Deferred;
    }
    match kind {
        Some(DayKind::Practice) => Outcome::Practiced,
        Some(DayKind::Repair) => Outcome::AlreadyRepaired,
        _ if !alive_entering() => Outcome::NoActiveStreak,
        Some(DayKind::Freeze) => Outcome::RefundFreeze,
        None => Outcome::FreezeDay,
    }
}

/// What the calendar (sorted by date) holds on `d`.
pub fn kind_on(days: &[(Date, DayKind)], d: Date) -> Option<DayKind> {
    days.binary_search_by_key(&d, |&(date, _)| date)
        .ok()
        .map(|i| days[i].1)
}

/// The latest recorded date on or before `limit`.
fn latest(days: &[(Date, DayKind)], limit: Date) -> Option<Date> {
    let end = days.partition_point(|&(d, _)| d <= limit);
    end.checked_sub(1).map(|i| days[i].0)
}

/// Streak as of `as_of_local`, given the latest kept-alive day `e` and the day kinds.
fn streak(zone: &Zone, as_of_local: Date, e: Option<Date>, mut walk: WalkBack<'_>) -> u32 {
    let Some(e) = e else { return 0 };
    if e < zone.prev_day(as_of_local) {
        return 0;
    }
    let mut length = 0;
    let mut d = e;
    while let Some(k) = walk.kind(d) {
        length += u32::from(k == DayKind::Practice);
        let prev = zone.prev_day(d);
        if prev == d {
            break;
        }
        d = prev;
    }
    length
}

#[cfg(test)]
mod tests {
    // Table tests for every outcome and the streak length, and property tests for the
    // invariants of SPEC §5 that live in the rules (3: no repair on a practiced day,
    // streak never shrinks; 2: applying the actions and re-running plans nothing).

    use super::*;
    use crate::tzdb::{Tzdb, TzdbChoice};
    use proptest::prelude::*;
    use DayKind::{Freeze, Practice, Repair};

    fn zone(name: &str) -> Zone {
        Tzdb::open(&TzdbChoice::Bundled).unwrap().zone(name).unwrap()
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn t(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    fn cal(days: &[(&str, DayKind)]) -> Vec<(Date, DayKind)> {
        let mut v: Vec<_> = days.iter().map(|&(s, k)| (d(s), k)).collect();
        v.sort();
        v
    }

    /// One UTC learner, affected on 2026-11-20, as of noon on the 21st.
    fn outcome_on_20th(days: &[(&str, DayKind)]) -> Outcome {
        let r = decide(
            &zone("UTC"),
            &cal(days),
            &[d("2026-11-20")],
            t("2026-11-21T12:00:00Z"),
        );
        r.days[0].1
    }

    #[test]
    fn practiced_day_gets_no_action() {
        assert_eq!(
            outcome_on_20th(&[("2026-11-19", Practice), ("2026-11-20", Practice)]),
            Outcome::Practiced
        );
    }

    #[test]
    fn an_earlier_repair_is_already_repaired() {
        assert_eq!(
            outcome_on_20th(&[("2026-11-19", Practice), ("2026-11-20", Repair)]),
            Outcome::AlreadyRepaired
        );
    }

    #[test]
    fn nothing_the_day_before_means_no_active_streak() {
        assert_eq!(
            outcome_on_20th(&[("2026-11-18", Practice)]),
            Outcome::NoActiveStreak
        );
        assert_eq!(outcome_on_20th(&[]), Outcome::NoActiveStreak);
        // A freeze on D does not help when D-1 is empty.
        assert_eq!(
            outcome_on_20th(&[("2026-11-20", Freeze)]),
            Outcome::NoActiveStreak
        );
    }

    #[test]
    fn a_consumed_freeze_on_a_live_streak_is_refunded() {
        assert_eq!(
            outcome_on_20th(&[("2026-11-19", Practice), ("2026-11-20", Freeze)]),
            Outcome::RefundFreeze
        );
    }

    #[test]
    fn an_empty_day_on_a_live_streak_is_frozen() {
        for before in [Practice, Freeze, Repair] {
            assert_eq!(
                outcome_on_20th(&[("2026-11-19", before)]),
                Outcome::FreezeDay,
                "{before:?}"
            );
        }
    }

    #[test]
    fn a_day_not_over_yet_is_deferred() {
        let z = zone("UTC");
        let days = cal(&[("2026-11-19", Practice)]);
        // The 20th ends at 2026-11-21T00:00Z: one second before, deferred; at it, decided.
        let r = decide(&z, &days, &[d("2026-11-20")], t("2026-11-20T23:59:59Z"));
        assert_eq!(r.days, [(d("2026-11-20"), Outcome::Deferred)]);
        let r = decide(&z, &days, &[d("2026-11-20")], t("2026-11-21T00:00:00Z"));
        assert_eq!(r.days, [(d("2026-11-20"), Outcome::FreezeDay)]);
    }

    #[test]
    fn deferral_uses_the_learners_zone() {
        // 2026-11-21T10:00Z is already the 22nd in Kiritimati (+14), still the 21st in UTC.
        let days = cal(&[("2026-11-20", Practice)]);
        let as_of = t("2026-11-21T10:00:00Z");
        assert_eq!(
            decide(&zone("Pacific/Kiritimati"), &days, &[d("2026-11-21")], as_of).days[0].1,
            Outcome::FreezeDay
        );
        assert_eq!(
            decide(&zone("UTC"), &days, &[d("2026-11-21")], as_of).days[0].1,
            Outcome::Deferred
        );
    }

    #[test]
    fn a_planned_freeze_day_keeps_the_next_affected_day_alive() {
        let r = decide(
            &zone("UTC"),
            &cal(&[("2026-11-18", Practice), ("2026-11-19", Practice)]),
            &[d("2026-11-20"), d("2026-11-21")],
            t("2026-11-22T12:00:00Z"),
        );
        assert_eq!(
            r.days,
            [
                (d("2026-11-20"), Outcome::FreezeDay),
                (d("2026-11-21"), Outcome::FreezeDay)
            ]
        );
        // Before: latest day 19th < 22nd - 1, broken. After: 19..21 alive, 2 practices.
        assert_eq!((r.streak_before, r.streak_after), (0, 2));
    }

    #[test]
    fn a_refund_does_not_change_aliveness_but_counts_as_repair_after() {
        let r = decide(
            &zone("UTC"),
            &cal(&[
                ("2026-11-17", Practice),
                ("2026-11-18", Practice),
                ("2026-11-19", Freeze),
                ("2026-11-20", Freeze),
            ]),
            &[d("2026-11-20")],
            t("2026-11-21T12:00:00Z"),
        );
        assert_eq!(r.days[0].1, Outcome::RefundFreeze);
        // The 20th already held a freeze, so the streak (2 practices) is the same.
        assert_eq!((r.streak_before, r.streak_after), (2, 2));
    }

    #[test]
    fn streak_counts_practice_days_in_the_run_ending_at_the_latest_day() {
        let z = zone("UTC");
        let days = cal(&[
            ("2026-11-10", Practice),
            ("2026-11-12", Practice),
            ("2026-11-13", Freeze),
            ("2026-11-14", Practice),
            ("2026-11-15", Repair),
            ("2026-11-16", Practice),
        ]);
        let streak_as_of = |s: &str| decide(&z, &days, &[], t(s)).streak_before;
        assert_eq!(
            streak_as_of("2026-11-16T12:00:00Z"),
            3,
            "12th..16th, frozen and repaired days add nothing"
        );
        assert_eq!(streak_as_of("2026-11-17T12:00:00Z"), 3, "yesterday still counts");
        assert_eq!(streak_as_of("2026-11-18T12:00:00Z"), 0, "two days ago is broken");
        assert_eq!(
            streak_as_of("2026-11-11T12:00:00Z"),
            1,
            "days after as_of are ignored"
        );
    }

    #[test]
    fn apia_neighbours_skip_the_missing_2011_12_30() {
        // Samoa skipped 2011-12-30: the 29th is the day before the 31st.
        let z = zone("Pacific/Apia");
        let r = decide(
            &z,
            &cal(&[("2011-12-28", Practice), ("2011-12-29", Practice)]),
            &[d("2011-12-31")],
            t("2012-01-02T00:00:00Z"),
        );
        assert_eq!(r.days, [(d("2011-12-31"), Outcome::FreezeDay)]);
        // as_of local is 2012-01-02 14:00 (+14): yesterday is 01-01, so both the 29th
        // (before) and the 31st (after) are too old.
        assert_eq!((r.streak_before, r.streak_after), (0, 0));
        let r = decide(
            &z,
            &cal(&[("2011-12-28", Practice), ("2011-12-29", Practice)]),
            &[d("2011-12-31")],
            t("2011-12-31T12:00:00Z"),
        );
        // as_of local is 2012-01-01: the 31st is yesterday; the 29th and 28th are consecutive with it.
        assert_eq!((r.streak_before, r.streak_after), (0, 2));
    }

    // ---- properties ----

    const ZONES: [&str; 6] = [
        "UTC",
        "Asia/Kathmandu",
        "Pacific/Kiritimati",
        "Etc/GMT+12",
        "America/Santiago",
        "Pacific/Apia",
    ];

    fn base_date(zone: &str) -> Date {
        // Apia's base straddles its missing day; Santiago's its midnight gap.
        match zone {
            "Pacific/Apia" => d("2011-12-20"),
            "America/Santiago" => d("2026-08-30"),
            _ => d("2026-11-10"),
        }
    }

    fn kind() -> impl Strategy<Value = Option<DayKind>> {
        prop_oneof![
            Just(None),
            Just(None),
            Just(Some(Practice)),
            Just(Some(Freeze)),
            Just(Some(Repair))
        ]
    }

    prop_compose! {
        fn learner()(zi in 0..ZONES.len(), kinds in proptest::collection::vec(kind(), 20),
                     affected in proptest::collection::btree_set(0..20usize, 0..6),
                     as_of_hours in 0..(24 * 22i64))
            -> (Zone, Vec<(Date, DayKind)>, Vec<Date>, i64)
        {
            let z = zone(ZONES[zi]);
            let base = base_date(ZONES[zi]);
            let day = |i: usize| (0..i).fold(base, |d, _| z.next_day(d));
            let days = kinds.iter().enumerate().filter_map(|(i, k)| k.map(|k| (day(i), k))).collect();
            let affected = affected.into_iter().map(day).collect();
            let as_of = z.day_start(base).unwrap() + as_of_hours * 3600;
            (z, days, affected, as_of)
        }
    }

    fn apply(days: &[(Date, DayKind)], r: &Decisions) -> Vec<(Date, DayKind)> {
        let mut out = days.to_vec();
        for &(date, o) in &r.days {
            if o.action().is_some() {
                match out.iter_mut().find(|(dd, _)| *dd == date) {
                    Some(entry) => entry.1 = Repair,
                    None => out.push((date, Repair)),
                }
            }
        }
        out.sort();
        out
    }

    proptest! {
        /// A walk back answers every date it is asked, in any descending order, as a
        /// search of the calendar and the planned repairs would.
        #[test]
        fn walking_back_reads_each_date_as_a_search_would(
            recorded in proptest::collection::btree_map(0..40i64, 0..3u8, 0..40),
            planned in proptest::collection::btree_set(0..40i64, 0..6),
            asked in proptest::collection::btree_set(-2..44i64, 0..46),
        ) {
            let day = |i: i64| d("2026-02-20") + jiff::Span::new().days(i);
            let days: Vec<(Date, DayKind)> = recorded
                .iter()
                .map(|(&i, &k)| (day(i), [Practice, Freeze, Repair][usize::from(k)]))
                .collect();
            let planned: Vec<Date> = planned.iter().map(|&i| day(i)).collect();
            let mut walk = WalkBack { days: &days, planned: &planned, asked: None };
            for &i in asked.iter().rev() {
                let searched = kind_on(&days, day(i));
                let expected = match planned.contains(&day(i)) {
                    true => searched.max(Some(Repair)),
                    false => searched,
                };
                prop_assert_eq!(walk.kind(day(i)), expected, "asked {}", day(i));
            }
        }

        #[test]
        fn no_action_on_a_practiced_day_and_streak_never_shrinks((z, days, affected, as_of) in learner()) {
            let r = decide(&z, &days, &affected, as_of);
            prop_assert_eq!(r.days.iter().map(|x| x.0).collect::<Vec<_>>(), affected.clone());
            for &(date, o) in &r.days {
                let k = days.iter().find(|x| x.0 == date).map(|x| x.1);
                if o.action().is_some() {
                    prop_assert_ne!(k, Some(Practice));
                }
                let deferred = as_of < z.day_start(z.next_day(date)).unwrap();
                prop_assert_eq!(o == Outcome::Deferred, deferred);
            }
            prop_assert!(r.streak_after >= r.streak_before);
        }

        #[test]
        fn applying_the_actions_then_rerunning_plans_nothing((z, days, affected, as_of) in learner()) {
            let first = decide(&z, &days, &affected, as_of);
            let applied = apply(&days, &first);
            let second = decide(&z, &applied, &affected, as_of);
            prop_assert!(second.days.iter().all(|&(_, o)| o.action().is_none()), "{:?}", second.days);
            prop_assert_eq!(second.streak_before, first.streak_after);
            prop_assert_eq!(second.streak_after, second.streak_before);
        }
    }
}
