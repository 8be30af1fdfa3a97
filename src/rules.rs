//! The streak-freeze gap-fill rules and streak lengths (SPEC §3) for ONE learner.
//!
//! Pure: no I/O, no clock, no threads. Given the learner's zone, recorded days,
//! affected days and `as_of`, it returns one outcome per affected day and the streak
//! before and after this run's actions.

use jiff::civil::Date;

use crate::calendar::DayKind;
use crate::localday::Zone;

/// What happens to one affected day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Deferred,
    Practiced,
    AlreadyRepaired,
    NoActiveStreak,
    RefundFreeze,
    FreezeDay,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Deferred => "deferred",
            Outcome::Practiced => "practiced",
            Outcome::AlreadyRepaired => "already_repaired",
            Outcome::NoActiveStreak => "no_active_streak",
            Outcome::RefundFreeze => "refund_freeze",
            Outcome::FreezeDay => "freeze_day",
        }
    }

    /// The manifest action this outcome writes, if any (named like the outcome).
    pub fn action(self) -> Option<&'static str> {
        matches!(self, Outcome::RefundFreeze | Outcome::FreezeDay).then(|| self.name())
    }
}

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
    let recorded = |d: Date| {
        days.binary_search_by_key(&d, |&(date, _)| date)
            .ok()
            .map(|i| days[i].1)
    };
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
    let after = |d: Date| {
        let kind = recorded(d);
        match planned.binary_search(&d) {
            Ok(_) => kind.max(Some(DayKind::Repair)),
            Err(_) => kind,
        }
    };
    let latest_planned = planned.iter().rev().find(|&&d| d <= as_of_local).copied();
    Decisions {
        days: out,
        streak_before: streak(zone, as_of_local, latest(days, as_of_local), &recorded),
        streak_after: streak(
            zone,
            as_of_local,
            latest(days, as_of_local).max(latest_planned),
            &after,
        ),
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

/// The latest recorded date on or before `limit`.
fn latest(days: &[(Date, DayKind)], limit: Date) -> Option<Date> {
    let end = days.partition_point(|&(d, _)| d <= limit);
    end.checked_sub(1).map(|i| days[i].0)
}

/// Streak as of `as_of_local`, given the latest kept-alive day `e` and the day kinds.
fn streak(zone: &Zone, as_of_local: Date, e: Option<Date>, kind: &dyn Fn(Date) -> Option<DayKind>) -> u32 {
    let Some(e) = e else { return 0 };
    if e < zone.prev_day(as_of_local) {
        return 0;
    }
    let mut length = 0;
    let mut d = e;
    while let Some(k) = kind(d) {
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
mod tests;
