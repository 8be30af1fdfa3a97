//! Local calendar days: an instant plus an IANA zone gives the learner's local date.
//!
//! Owns, for one zone: the local date of an instant, the first instant of a local date,
//! whether a date exists at all, and the neighbouring dates that do exist (Pacific/Apia
//! has no 2011-12-30, so its neighbours are 12-29 and 12-31).
//!
//! Pure: nothing here reads the clock, the environment or a file; opening the
//! time-zone database is `tzdb`'s. It does not decide what a learner's zone is (that
//! precedence lives with the inputs) and knows nothing of streaks.
//!
//! Instants are whole Unix seconds (`i64`). Dates are [`jiff::civil::Date`].

use jiff::civil::Time;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

pub use jiff::civil::Date;

/// One IANA zone, as the time-zone database (`tzdb`) gives it. Cheap to clone (jiff's
/// `TimeZone` is reference counted).
#[derive(Debug, Clone)]
pub struct Zone {
    tz: TimeZone,
    /// The dates of [`FAST_YEARS`] that no instant has (Pacific/Apia 2011-12-30), found
    /// once so that `exists` (every calendar day, every step of a streak) needs no lookup.
    missing: std::sync::Arc<[Date]>,
}

impl Zone {
    pub fn new(tz: TimeZone) -> Zone {
        let missing = missing_dates(&tz).into();
        Zone { tz, missing }
    }
}

/// The years whose dates `exists` answers from `Zone::missing`; others ask the zone.
const FAST_YEARS: std::ops::RangeInclusive<i16> = 1800..=2200;

/// Every date in [`FAST_YEARS`] that a gap swallows whole. A gap skips the local times
/// [L, L + jump), so only a forward jump of a day or more can swallow a date.
fn missing_dates(tz: &TimeZone) -> Vec<Date> {
    let year = |y: i16| {
        jiff::civil::date(y, 1, 1)
            .to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp())
    };
    let (Ok(start), Ok(end)) = (year(*FAST_YEARS.start()), year(*FAST_YEARS.end() + 1)) else {
        return Vec::new();
    };
    let mut missing = Vec::new();
    for t in tz.following(start).take_while(|t| t.timestamp() < end) {
        let at = t.timestamp();
        let before = tz.to_offset(at - jiff::SignedDuration::from_secs(1));
        let jump = i64::from(t.offset().seconds()) - i64::from(before.seconds());
        if jump < 86_400 {
            continue;
        }
        let skipped_from = before.to_datetime(at);
        let mut d = skipped_from.date();
        if skipped_from.time() != Time::midnight() {
            d = d.tomorrow().unwrap_or(d);
        }
        // Dates whose whole day is in the gap; the slow test has the last word.
        while d.to_datetime(Time::midnight()) < skipped_from + jiff::SignedDuration::from_secs(jump) {
            if Zone::day_start_in(tz, d).is_none() {
                missing.push(d);
            }
            d = match d.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
    }
    missing
}

impl Zone {
    pub fn local_date(&self, unix_seconds: i64) -> Date {
        let ts = Timestamp::from_second(unix_seconds).unwrap_or(if unix_seconds < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
        self.tz.to_datetime(ts).date()
    }

    /// An instant as wall time and offset in this zone, e.g. `2026-11-20 14:05:12 +01:00`.
    pub fn display(&self, unix_seconds: i64) -> String {
        match Timestamp::from_second(unix_seconds) {
            Ok(ts) => ts
                .to_zoned(self.tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S %:z")
                .to_string(),
            Err(_) => unix_seconds.to_string(),
        }
    }

    /// Whether some instant has local date `d` in this zone.
    pub fn exists(&self, d: Date) -> bool {
        if FAST_YEARS.contains(&d.year()) {
            return self.missing.binary_search(&d).is_err();
        }
        self.day_start(d).is_some()
    }

    /// The first instant (Unix seconds) whose local date is `d`; `None` if no instant
    /// has that date. That is local midnight of `d`; the earlier of the two when midnight
    /// happens twice (a fold); and the end of the gap when midnight is skipped (the
    /// day then begins at, e.g., 01:00). A gap that swallows the whole day means `d`
    /// does not exist.
    pub fn day_start(&self, d: Date) -> Option<i64> {
        Zone::day_start_in(&self.tz, d)
    }

    fn day_start_in(tz: &TimeZone, d: Date) -> Option<i64> {
        let midnight = d.to_datetime(Time::midnight());
        let amb = tz.to_ambiguous_timestamp(midnight);
        // `earlier` fails only at the ends of jiff's range, where we answer None.
        let first = match amb.offset() {
            AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => amb.earlier().ok()?,
            AmbiguousOffset::Gap { .. } => {
                // `earlier` in a gap reads midnight with the offset after the gap: an
                // instant still before the transition. The transition that follows it
                // is the first instant after the gap.
                let before_gap = amb.earlier().ok()?;
                match tz.following(before_gap).next() {
                    Some(transition) => transition.timestamp(),
                    None => amb.later().ok()?,
                }
            }
        };
        let secs = first.as_second();
        (tz.to_datetime(first).date() == d).then_some(secs)
    }

    /// The next date after `d` that exists in this zone. Saturates (returns `d`) at the
    /// end of jiff's date range.
    pub fn next_day(&self, d: Date) -> Date {
        self.step(d, Date::tomorrow)
    }

    /// The previous date before `d` that exists in this zone. Saturates (returns `d`) at
    /// the start of jiff's date range.
    pub fn prev_day(&self, d: Date) -> Date {
        self.step(d, Date::yesterday)
    }

    fn step(&self, d: Date, step: fn(Date) -> Result<Date, jiff::Error>) -> Date {
        let Ok(first) = step(d) else { return d };
        let mut cand = first;
        // No zone has ever skipped more than one day; a week is a generous bound, and a
        // zone that skipped a whole week would get the plain calendar neighbour.
        for _ in 0..7 {
            if self.exists(cand) {
                return cand;
            }
            match step(cand) {
                Ok(next) => cand = next,
                Err(_) => return d,
            }
        }
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tzdb::{Tzdb, TzdbChoice};
    use jiff::civil::date;
    use std::path::PathBuf;

    /// Copies of the system's 2025b TZif files for America/{Vancouver,Edmonton,Winnipeg},
    /// Europe/Berlin and UTC, plus `+VERSION`.
    const FIXTURE_2025B: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/tzdb-2025b");

    fn bundled() -> Tzdb {
        match Tzdb::open(&TzdbChoice::Bundled) {
            Ok(db) => db,
            Err(err) => panic!("bundled tzdb: {err}"),
        }
    }

    fn zone(name: &str) -> Zone {
        bundled().zone(name).unwrap_or_else(|| panic!("zone {name}"))
    }

    /// Unix seconds of an RFC 3339 instant.
    fn at(s: &str) -> i64 {
        s.parse::<Timestamp>().expect("instant").as_second()
    }

    fn day_start(z: &Zone, d: Date) -> i64 {
        z.day_start(d).unwrap_or_else(|| panic!("{d} should exist"))
    }

    /// Day start as RFC 3339 UTC, for readable assertions.
    fn start_utc(z: &Zone, d: Date) -> String {
        Timestamp::from_second(day_start(z, d))
            .expect("in range")
            .to_string()
    }

    /// Length of local day `d` in hours.
    fn day_hours(z: &Zone, d: Date) -> i64 {
        (day_start(z, z.next_day(d)) - day_start(z, d)) / 3600
    }

    /// Asserts the local date one second before and at `instant`.
    fn midnight_edge(z: &Zone, instant: &str, before: Date, after: Date) {
        let t = at(instant);
        assert_eq!(z.local_date(t - 1), before, "{instant} - 1s");
        assert_eq!(z.local_date(t), after, "{instant}");
    }

    // America/Santiago springs forward at 24:00 on the first Saturday of September:
    // 2026-09-05 23:59:59 -04 is followed by 2026-09-06 01:00:00 -03, so local midnight
    // of 09-06 never happens and the day begins at 01:00 -03 = 04:00Z.
    #[test]
    fn santiago_2026_09_06_begins_at_one() {
        let z = zone("America/Santiago");
        let d = date(2026, 9, 6);
        assert!(z.exists(d));
        assert_eq!(start_utc(&z, d), "2026-09-06T04:00:00Z");
        midnight_edge(&z, "2026-09-06T04:00:00Z", date(2026, 9, 5), d);
        // 01:00 to the next midnight: a 23-hour day; the day before is a full 24.
        assert_eq!(day_hours(&z, d), 23);
        assert_eq!(day_hours(&z, date(2026, 9, 5)), 24);
    }

    // Santiago falls back at 24:00 -03 on 2026-04-04 to 23:00 -04: the hour 23:00-24:00
    // of 04-04 happens twice, but midnight of 04-05 happens once (the first 24:00 *is*
    // the transition), at 04:00Z. 04-04 is 25 hours long.
    #[test]
    fn santiago_2026_04_04_is_25_hours() {
        let z = zone("America/Santiago");
        assert_eq!(start_utc(&z, date(2026, 4, 5)), "2026-04-05T04:00:00Z");
        assert_eq!(z.local_date(at("2026-04-05T03:30:00Z")), date(2026, 4, 4));
        assert_eq!(day_hours(&z, date(2026, 4, 4)), 25);
    }

    // Cuba springs forward at 00:00 on the second Sunday of March (zdump: 2026-03-08
    // 04:59:59Z = 03-07 23:59:59 CST, 05:00:00Z = 03-08 01:00:00 CDT), so 03-08 begins
    // at 01:00 CDT = 05:00Z.
    #[test]
    fn havana_2026_03_08_begins_at_one() {
        let z = zone("America/Havana");
        let d = date(2026, 3, 8);
        assert_eq!(start_utc(&z, d), "2026-03-08T05:00:00Z");
        midnight_edge(&z, "2026-03-08T05:00:00Z", date(2026, 3, 7), d);
        assert_eq!(day_hours(&z, d), 23);
    }

    // Cuba falls back at 01:00 CDT to 00:00 CST on 2026-11-01, so midnight of 11-01
    // happens twice: 04:00Z (CDT) and 05:00Z (CST). The day starts at the EARLIER one,
    // and the second midnight stays on 11-01 (00:59:59 CDT is followed by 00:00 CST).
    #[test]
    fn havana_2026_11_01_fold_at_midnight_takes_earlier() {
        let z = zone("America/Havana");
        let d = date(2026, 11, 1);
        assert_eq!(start_utc(&z, d), "2026-11-01T04:00:00Z");
        midnight_edge(&z, "2026-11-01T04:00:00Z", date(2026, 10, 31), d);
        midnight_edge(&z, "2026-11-01T05:00:00Z", d, d);
        assert_eq!(day_hours(&z, d), 25);
    }

    // Toronto sprang forward at 23:30 EST on 1919-03-30 straight to 00:30 EDT on 03-31
    // (zdump: 04:29:59Z = 03-30 23:29:59 EST, 04:30:00Z = 03-31 00:30:00 EDT). The gap
    // straddles midnight, so 03-31 begins at 00:30 EDT = 04:30Z, not at 01:00 as reading
    // midnight with the old offset would say.
    #[test]
    fn toronto_1919_03_31_gap_straddles_midnight() {
        let z = zone("America/Toronto");
        let d = date(1919, 3, 31);
        assert_eq!(start_utc(&z, d), "1919-03-31T04:30:00Z");
        midnight_edge(&z, "1919-03-31T04:30:00Z", date(1919, 3, 30), d);
    }

    // Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (23 h), 2026-10-25 03:00 CEST -> 02:00
    // CET (25 h). Midnight itself is untouched both times.
    #[test]
    fn berlin_23_and_25_hour_days() {
        let z = zone("Europe/Berlin");
        assert_eq!(start_utc(&z, date(2026, 3, 29)), "2026-03-28T23:00:00Z");
        assert_eq!(day_hours(&z, date(2026, 3, 29)), 23);
        assert_eq!(start_utc(&z, date(2026, 10, 25)), "2026-10-24T22:00:00Z");
        assert_eq!(day_hours(&z, date(2026, 10, 25)), 25);
        assert_eq!(day_hours(&z, date(2026, 10, 26)), 24);
    }

    // Nepal is +05:45 all year: local midnight is 18:15Z the day before.
    #[test]
    fn kathmandu_plus_0545() {
        let z = zone("Asia/Kathmandu");
        assert_eq!(start_utc(&z, date(2026, 11, 21)), "2026-11-20T18:15:00Z");
        midnight_edge(&z, "2026-11-20T18:15:00Z", date(2026, 11, 20), date(2026, 11, 21));
    }

    // Eucla (Western Australia's border strip) is +08:45, no DST: midnight is 15:15Z.
    #[test]
    fn eucla_plus_0845() {
        let z = zone("Australia/Eucla");
        assert_eq!(start_utc(&z, date(2026, 7, 1)), "2026-06-30T15:15:00Z");
        midnight_edge(&z, "2026-06-30T15:15:00Z", date(2026, 6, 30), date(2026, 7, 1));
    }

    // Chatham Islands: +12:45 standard (southern winter, July), +13:45 DST (January).
    #[test]
    fn chatham_plus_1245_and_1345() {
        let z = zone("Pacific/Chatham");
        assert_eq!(start_utc(&z, date(2026, 7, 1)), "2026-06-30T11:15:00Z");
        midnight_edge(&z, "2026-06-30T11:15:00Z", date(2026, 6, 30), date(2026, 7, 1));
        assert_eq!(start_utc(&z, date(2026, 1, 15)), "2026-01-14T10:15:00Z");
        midnight_edge(&z, "2026-01-14T10:15:00Z", date(2026, 1, 14), date(2026, 1, 15));
    }

    // Marquesas Islands are -09:30: midnight is 09:30Z the same calendar day.
    #[test]
    fn marquesas_minus_0930() {
        let z = zone("Pacific/Marquesas");
        assert_eq!(start_utc(&z, date(2026, 11, 20)), "2026-11-20T09:30:00Z");
        midnight_edge(&z, "2026-11-20T09:30:00Z", date(2026, 11, 19), date(2026, 11, 20));
    }

    // Kiritimati (Line Islands) is +14, the earliest date on Earth: midnight is 10:00Z
    // the day before, and 23:59:59Z is already 13:59:59 the next day.
    #[test]
    fn kiritimati_plus_14() {
        let z = zone("Pacific/Kiritimati");
        assert_eq!(start_utc(&z, date(2026, 11, 21)), "2026-11-20T10:00:00Z");
        midnight_edge(&z, "2026-11-20T10:00:00Z", date(2026, 11, 20), date(2026, 11, 21));
        assert_eq!(z.local_date(at("2026-11-20T23:59:59Z")), date(2026, 11, 21));
    }

    // POSIX-style sign: Etc/GMT+12 is UTC-12, the latest date on Earth. Midnight is 12:00Z.
    #[test]
    fn etc_gmt_plus_12_is_minus_12() {
        let z = zone("Etc/GMT+12");
        assert_eq!(start_utc(&z, date(2026, 11, 20)), "2026-11-20T12:00:00Z");
        midnight_edge(&z, "2026-11-20T12:00:00Z", date(2026, 11, 19), date(2026, 11, 20));
        assert_eq!(z.local_date(at("2026-11-20T00:00:00Z")), date(2026, 11, 19));
    }

    // Samoa moved across the date line: 2011-12-29 23:59:59 -10 was followed by
    // 2011-12-31 00:00:00 +14 (at 10:00Z), so 12-30 never happened there.
    #[test]
    fn apia_skips_2011_12_30() {
        let z = zone("Pacific/Apia");
        let gone = date(2011, 12, 30);
        assert!(!z.exists(gone));
        assert_eq!(z.day_start(gone), None);
        assert_eq!(z.next_day(date(2011, 12, 29)), date(2011, 12, 31));
        assert_eq!(z.prev_day(date(2011, 12, 31)), date(2011, 12, 29));
        // Neighbours of the missing date itself are the dates that do exist.
        assert_eq!(z.next_day(gone), date(2011, 12, 31));
        assert_eq!(z.prev_day(gone), date(2011, 12, 29));
        assert_eq!(start_utc(&z, date(2011, 12, 31)), "2011-12-30T10:00:00Z");
        midnight_edge(&z, "2011-12-30T10:00:00Z", date(2011, 12, 29), date(2011, 12, 31));
        // 12-29 was the usual 24 hours long, ending at the jump.
        assert_eq!(start_utc(&z, date(2011, 12, 29)), "2011-12-29T10:00:00Z");
    }

    // Exactly at local midnight is the new date; one second before is the old one.
    #[test]
    fn midnight_and_one_second_before() {
        let utc = zone("UTC");
        midnight_edge(
            &utc,
            "2026-11-20T00:00:00Z",
            date(2026, 11, 19),
            date(2026, 11, 20),
        );
        let ny = zone("America/New_York"); // EST, -05
        midnight_edge(
            &ny,
            "2026-11-20T05:00:00Z",
            date(2026, 11, 19),
            date(2026, 11, 20),
        );
        let tokyo = zone("Asia/Tokyo"); // +09
        midnight_edge(
            &tokyo,
            "2026-11-19T15:00:00Z",
            date(2026, 11, 19),
            date(2026, 11, 20),
        );
        // The Unix epoch itself.
        assert_eq!(utc.local_date(0), date(1970, 1, 1));
        assert_eq!(utc.local_date(-1), date(1969, 12, 31));
    }

    // The tz releases of 2026 keep British Columbia on UTC-07 after 2026-11-01 (no fall
    // back). Bundled 2026e: 2026-11-20T07:30Z is 00:30 on 11-20 in Vancouver. Under
    // 2025b it would be 23:30 PST on 11-19 (see the tzdb-2025b fixture test).
    #[test]
    fn vancouver_2026_11_20_bundled_2026e() {
        let z = zone("America/Vancouver");
        assert_eq!(z.local_date(at("2026-11-20T07:30:00Z")), date(2026, 11, 20));
        assert_eq!(start_utc(&z, date(2026, 11, 20)), "2026-11-20T07:00:00Z");
        // Alberta and Manitoba likewise stay on -06 and -05 (2025b: -07 and -06), so
        // half an hour after their new midnights is still the evening before under 2025b.
        let edmonton = zone("America/Edmonton");
        assert_eq!(
            edmonton.local_date(at("2026-11-20T06:30:00Z")),
            date(2026, 11, 20)
        );
        let winnipeg = zone("America/Winnipeg");
        assert_eq!(
            winnipeg.local_date(at("2026-11-20T05:30:00Z")),
            date(2026, 11, 20)
        );
    }

    #[test]
    fn fixture_2025b_gives_the_old_vancouver_date() {
        let dir = PathBuf::from(FIXTURE_2025B);
        let db = match Tzdb::open(&TzdbChoice::Dir(dir.clone())) {
            Ok(db) => db,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(db.source(), "dir");
        assert_eq!(db.path(), Some(dir.as_path()));
        assert_eq!(db.version(), Some("2025b"));
        let z = db.zone("America/Vancouver").expect("Vancouver in fixture");
        // 2025b: PDT ends 2026-11-01, so 07:30Z is 23:30 PST (-08) on 11-19.
        assert_eq!(z.local_date(at("2026-11-20T07:30:00Z")), date(2026, 11, 19));
        assert_eq!(z.day_start(date(2026, 11, 20)), Some(at("2026-11-20T08:00:00Z")));
        let edmonton = db.zone("America/Edmonton").expect("Edmonton in fixture");
        assert_eq!(
            edmonton.local_date(at("2026-11-20T06:30:00Z")),
            date(2026, 11, 19)
        );
        let winnipeg = db.zone("America/Winnipeg").expect("Winnipeg in fixture");
        assert_eq!(
            winnipeg.local_date(at("2026-11-20T05:30:00Z")),
            date(2026, 11, 19)
        );
        // Berlin did not change: both releases agree.
        let berlin = db.zone("Europe/Berlin").expect("Berlin in fixture");
        assert_eq!(
            berlin.day_start(date(2026, 10, 25)),
            Some(at("2026-10-24T22:00:00Z"))
        );
        assert!(db.zone("Asia/Tokyo").is_none(), "not in the fixture");
    }

    #[test]
    fn saturates_at_the_ends_of_the_range() {
        let z = zone("Pacific/Kiritimati");
        let _ = z.local_date(i64::MIN);
        let _ = z.local_date(i64::MAX);
        assert_eq!(z.next_day(Date::MAX), Date::MAX);
        assert_eq!(z.prev_day(Date::MIN), Date::MIN);
        let _ = z.day_start(Date::MAX);
        let _ = z.day_start(Date::MIN);
        let w = zone("Etc/GMT+12");
        let _ = w.day_start(Date::MAX);
        let _ = w.day_start(Date::MIN);
        assert_eq!(w.next_day(Date::MAX), Date::MAX);
    }

    /// For every zone and every transition from 1900 to 2100, the dates around it obey
    /// (and `exists`, answered from the precomputed missing dates, agrees with day_start):
    /// local_date(day_start(d)) == d, local_date(day_start(d) - 1) == prev_day(d), and
    /// next_day/prev_day are inverse on existing dates.
    fn check_db_properties(db: &Tzdb) -> usize {
        let from = at("1900-01-01T00:00:00Z");
        let until = at("2100-01-01T00:00:00Z");
        let mut checked = 0;
        let names: Vec<String> = db.names();
        assert!(!names.is_empty());
        for name in &names {
            let Some(z) = db.zone(name) else { continue };
            let mut instants = vec![from, at("2026-11-20T12:00:00Z")];
            if let Ok(start) = Timestamp::from_second(from) {
                for t in z.tz.following(start) {
                    let s = t.timestamp().as_second();
                    if s >= until {
                        break;
                    }
                    instants.push(s);
                }
            }
            for s in instants {
                // The dates on both sides of the instant and their calendar neighbours
                // (which may be missing dates).
                let mut dates = std::collections::BTreeSet::new();
                for local in [z.local_date(s - 1), z.local_date(s)] {
                    dates.insert(local);
                    dates.extend(local.yesterday());
                    dates.extend(local.tomorrow());
                }
                for d in dates {
                    checked += 1;
                    // The precomputed missing dates agree with asking the zone.
                    assert_eq!(z.exists(d), z.day_start(d).is_some(), "{name} {d}");
                    let Some(start) = z.day_start(d) else {
                        // A missing date: nothing has that local date around here.
                        for probe in [s - 1, s, s + 1] {
                            assert_ne!(z.local_date(probe), d, "{name} {d}");
                        }
                        assert!(z.next_day(z.prev_day(d)) > d, "{name} {d}");
                        continue;
                    };
                    assert_eq!(z.local_date(start), d, "{name} {d}");
                    assert_eq!(z.local_date(start - 1), z.prev_day(d), "{name} {d}");
                    assert_eq!(z.prev_day(z.next_day(d)), d, "{name} {d}");
                    assert_eq!(z.next_day(z.prev_day(d)), d, "{name} {d}");
                    assert!(z.day_start(z.next_day(d)) > Some(start), "{name} {d}");
                }
            }
        }
        checked
    }

    #[test]
    fn day_start_properties_hold_in_every_bundled_zone() {
        let checked = check_db_properties(&bundled());
        assert!(checked > 100_000, "checked only {checked}");
    }

    #[test]
    fn day_start_properties_hold_in_the_fixture() {
        let db = Tzdb::open(&TzdbChoice::Dir(FIXTURE_2025B.into())).expect("fixture");
        assert!(check_db_properties(&db) > 100);
    }
}
