//! When an entry point is open (SPEC §4): the one rule that the router and `centrala explain`
//! share. Pure and sans-IO: the moment is always a parameter, nothing reads a clock, and no
//! input makes it panic.
//!
//! The rule, in the order it is applied:
//! 1. a night switch whose `until` lies in the future decides alone;
//! 2. the moment is turned into a wall-clock date `d` and time `t` in the schedule's zone (an
//!    unknown zone, which validation refuses, is read as UTC);
//! 3. open if a range listed under `d`'s weekday covers `t`, unless `d` is a day off or a
//!    holiday; or if a range listed under the day before crosses midnight and still runs at
//!    `t`, unless that day before was a day off or a holiday;
//! 4. otherwise closed, because of a holiday on `d`, else a day off on `d`, else the hours.
//!
//! Ranges are compared by wall-clock time, so daylight saving needs no special case: a range
//! that starts in the skipped hour opens at the first moment after it, and both occurrences of
//! a repeated hour count the same.
//!
//! [`stretches`] turns the rule into a plan (the stretches of one status between two moments)
//! for the console's calendar, by asking [`status`] itself at every moment it may change.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;
use firmware_config::schedule::{DaysOff, Forced, Holiday, Schedule};
use firmware_config::time::{Date, TimeRange, Weekday};
use serde::Serialize;

/// Seconds in a wall-clock day.
const DAY_SECONDS: u32 = 86_400;

/// Whether an entry point is open at a moment, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// True when calls are taken by the entry point's normal routing.
    pub open: bool,
    /// What decided it.
    pub reason: Reason,
}

/// What decided whether an entry point is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Open: the entry point has no schedule.
    NoSchedule,
    /// Forced open or closed by the night switch, which still applies.
    NightSwitch {
        /// The forced state.
        state: Forced,
        /// When the switch stops applying, RFC 3339 in UTC (`2026-11-23T13:00:00Z`).
        until: String,
    },
    /// Open: inside a working-hours range.
    InRange {
        /// The weekday the range is listed under (the day it started).
        day: Weekday,
        /// The range as written (`09:00-17:00`).
        range: String,
        /// True when the range started the day before and runs past midnight into today.
        started_previous_day: bool,
    },
    /// Closed: today is a holiday, which closes the ranges that start today.
    Holiday {
        /// The holiday's name.
        name: String,
    },
    /// Closed: today is a day off, which closes the ranges that start today.
    DayOff {
        /// Today's weekday.
        day: Weekday,
    },
    /// Closed: a working day, but no range covers the moment.
    OutsideHours,
}

impl Reason {
    /// One English sentence for admins, e.g. `open: Monday 09:00-17:00` or
    /// `closed: Saturday is a day off`.
    pub fn describe(&self) -> String {
        match self {
            Reason::NoSchedule => "open: no schedule, always open".to_string(),
            Reason::NightSwitch { state, until } => {
                let state = match state {
                    Forced::Open => "open",
                    Forced::Closed => "closed",
                };
                format!("forced {state} by the night switch until {until}")
            }
            Reason::InRange {
                day,
                range,
                started_previous_day,
            } => {
                let day = full_name(*day);
                if *started_previous_day {
                    format!("open: {day} {range} (started the day before)")
                } else {
                    format!("open: {day} {range}")
                }
            }
            Reason::Holiday { name } => format!("closed: holiday '{name}'"),
            Reason::DayOff { day } => format!("closed: {} is a day off", full_name(*day)),
            Reason::OutsideHours => "closed: outside working hours".to_string(),
        }
    }
}

/// Whether an entry point with this schedule (or none) is open at `now`, and why.
pub fn status(schedule: Option<&Schedule>, now: DateTime<Utc>) -> Status {
    let Some(schedule) = schedule else {
        return Status {
            open: true,
            reason: Reason::NoSchedule,
        };
    };
    if let Some(switch) = &schedule.night_switch {
        if now.timestamp() < switch.until.0 {
            return Status {
                open: switch.state == Forced::Open,
                reason: Reason::NightSwitch {
                    state: switch.state,
                    until: switch.until.to_string(),
                },
            };
        }
    }

    let local = wall_clock(&schedule.time_zone, now);
    let today = local.date();
    let second = local.num_seconds_from_midnight();

    let today_closed = closure(schedule, today);
    if today_closed.is_none() {
        let day = weekday(today);
        if let Some(range) = schedule
            .hours
            .day(day)
            .iter()
            .find(|r| covers_on_start_day(r, second))
        {
            return in_range(day, range, false);
        }
    }
    if let Some(yesterday) = today.pred_opt() {
        if closure(schedule, yesterday).is_none() {
            let day = weekday(yesterday);
            if let Some(range) = schedule
                .hours
                .day(day)
                .iter()
                .find(|r| covers_on_next_day(r, second))
            {
                return in_range(day, range, true);
            }
        }
    }
    Status {
        open: false,
        reason: today_closed.unwrap_or(Reason::OutsideHours),
    }
}

/// The holiday (the first listed, if several) that covers a local date, if any.
pub fn holiday_on(schedule: &Schedule, date: NaiveDate) -> Option<&Holiday> {
    schedule.holidays.iter().find(|h| holiday_covers(h, date))
}

/// True if `day` is one of the schedule's days off.
pub fn is_day_off(schedule: &Schedule, day: Weekday) -> bool {
    match &schedule.days_off {
        DaysOff::OpenSevenDays => false,
        DaysOff::Days(days) => days.contains(&day),
    }
}

/// A stretch of time during which the status of an entry point does not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stretch {
    /// Its first moment.
    pub from: DateTime<Utc>,
    /// The first moment after it.
    pub to: DateTime<Utc>,
    /// The status at every moment of it, as [`status`] gives it.
    pub status: Status,
}

/// The stretches of one status that make up `[from, to)`, in order, without gaps; two
/// neighbours never have the same status. Empty when `to` is not after `from`.
///
/// Found by asking [`status`] at every moment where its answer may change (the night switch's
/// end, local midnights, changes of UTC offset and the wall-clock starts and ends of ranges),
/// so it can never disagree with the router. The work grows with the number of days.
pub fn stretches(
    schedule: Option<&Schedule>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Stretch> {
    let mut cuts = schedule.map_or_else(Vec::new, |s| changes(s, from, to));
    cuts.retain(|t| from < *t && *t < to);
    cuts.push(from);
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Stretch> = Vec::new();
    for (i, &at) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).copied().unwrap_or(to);
        if end <= at {
            continue;
        }
        let now = status(schedule, at);
        match out.last_mut() {
            Some(last) if last.status == now => last.to = end,
            _ => out.push(Stretch {
                from: at,
                to: end,
                status: now,
            }),
        }
    }
    out
}

/// Why ranges that start on a local `date` are closed: a holiday first, then a day off;
/// `None` on a working day.
pub fn closure(schedule: &Schedule, date: NaiveDate) -> Option<Reason> {
    if let Some(h) = holiday_on(schedule, date) {
        return Some(Reason::Holiday {
            name: h.name.to_string(),
        });
    }
    let day = weekday(date);
    is_day_off(schedule, day).then_some(Reason::DayOff { day })
}

/// `now` as a wall-clock date and time in the named zone; UTC if the name is unknown (or the
/// moment is so far out that the local time cannot be represented).
pub fn wall_clock(zone: &str, now: DateTime<Utc>) -> NaiveDateTime {
    let tz = zone_or_utc(zone);
    let utc = now.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset).unwrap_or(utc)
}

/// The first moment at which the named zone's wall clock shows `local` (the earlier of two in
/// a repeated hour); for a time skipped by a change of offset, the moment of the change (when
/// the clock first shows a later time). UTC if the zone is unknown; `None` only out of range.
pub fn local_moment(zone: &str, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let tz = zone_or_utc(zone);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            let guess = local.and_utc();
            let day = chrono::Duration::days(1);
            offset_change(
                tz,
                guess.checked_sub_signed(day)?,
                guess.checked_add_signed(day)?,
            )
        }
    }
}

/// The zone of that name, or UTC.
fn zone_or_utc(zone: &str) -> Tz {
    zone.parse().unwrap_or(Tz::UTC)
}

/// The moments in which the status of `schedule` may change, around `[from, to]`.
fn changes(schedule: &Schedule, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let tz = zone_or_utc(&schedule.time_zone);
    let mut out = Vec::new();
    if let Some(t) = schedule
        .night_switch
        .as_ref()
        .and_then(|s| DateTime::from_timestamp(s.until.0, 0))
    {
        out.push(t);
    }
    // A range listed under the day before `from`'s date may still run; none from earlier.
    let zone = &schedule.time_zone;
    let first = wall_clock(zone, from).date().pred_opt();
    let last = wall_clock(zone, to).date().succ_opt();
    let (Some(mut date), Some(last)) = (first, last) else {
        return out;
    };
    while date <= last {
        day_changes(schedule, tz, date, &mut out);
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    out
}

/// The moments on or after a local `date` where the status may change because of that date:
/// its midnight, a change of offset before the next midnight, and its ranges' starts and ends.
fn day_changes(schedule: &Schedule, tz: Tz, date: NaiveDate, out: &mut Vec<DateTime<Utc>>) {
    let midnight = date.and_time(NaiveTime::MIN);
    let next = midnight.checked_add_signed(chrono::Duration::days(1));
    let zone = &schedule.time_zone;
    if let (Some(a), Some(b)) = (
        local_moment(zone, midnight),
        next.and_then(|n| local_moment(zone, n)),
    ) {
        out.extend(offset_change(tz, a, b));
    }
    let mut walls = vec![0];
    for range in schedule.hours.day(weekday(date)).iter() {
        let (start, end) = span(range);
        walls.extend([start, end]);
    }
    for second in walls {
        let Some(wall) = midnight.checked_add_signed(chrono::Duration::seconds(i64::from(second)))
        else {
            continue;
        };
        match tz.from_local_datetime(&wall) {
            LocalResult::Single(t) => out.push(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, b) => {
                out.extend([a.with_timezone(&Utc), b.with_timezone(&Utc)]);
            }
            // A skipped time: the change of offset, found above, is the moment.
            LocalResult::None => {}
        }
    }
}

/// The first second in `(a, b]` with `b`'s UTC offset, if `a` and `b` have different offsets
/// (assumes one change between them, as real zones have within a few days).
fn offset_change(tz: Tz, a: DateTime<Utc>, b: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let offset = |t: i64| {
        DateTime::from_timestamp(t, 0).map(|t| tz.offset_from_utc_datetime(&t.naive_utc()).fix())
    };
    let (mut lo, mut hi) = (a.timestamp(), b.timestamp());
    let before = offset(lo);
    if hi <= lo || before == offset(hi) {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if offset(mid) == before {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}

fn in_range(day: Weekday, range: &TimeRange, started_previous_day: bool) -> Status {
    Status {
        open: true,
        reason: Reason::InRange {
            day,
            range: range.to_string(),
            started_previous_day,
        },
    }
}

/// Where a range lies on the wall clock of its start day and the next: seconds from midnight
/// at the start of its day, start inclusive, end exclusive (up to two days). A range whose end
/// equals its start is empty (validation refuses it).
fn span(range: &TimeRange) -> (u32, u32) {
    let start = u32::from(range.start.minutes()) * 60;
    (start, start + u32::from(range.length_minutes()) * 60)
}

/// True if the range, started today, covers `second` (seconds after today's midnight).
fn covers_on_start_day(range: &TimeRange, second: u32) -> bool {
    let (start, end) = span(range);
    start <= second && second < end
}

/// True if the range, started yesterday, still covers `second` after today's midnight.
fn covers_on_next_day(range: &TimeRange, second: u32) -> bool {
    let (start, end) = span(range);
    let second = second + DAY_SECONDS;
    start <= second && second < end
}

/// True if the holiday covers the date. Dates that do not exist never match.
fn holiday_covers(h: &Holiday, date: NaiveDate) -> bool {
    let (Some(first), Some(last)) = (naive(h.start), naive(h.last_day())) else {
        return false;
    };
    if !h.yearly {
        return first <= date && date <= last;
    }
    // Occurrences start on `first`'s month and day in each year `y` from `first`'s year on,
    // and end on `last`'s month and day in year `y + years`. Compared by (year, month, day),
    // so 29 February only matches in leap years and a range over New Year wraps.
    let years = last.year() - first.year();
    let day = (date.month(), date.day());
    let (from, to) = ((first.month(), first.day()), (last.month(), last.day()));
    let year = date.year();
    // The latest occurrence that has started by `date`, and the earliest not yet over.
    let latest = if day >= from { year } else { year - 1 };
    let earliest = if day <= to {
        year - years
    } else {
        year - years + 1
    };
    earliest.max(first.year()) <= latest
}

/// The configuration's date as a calendar date, if the day exists.
fn naive(d: Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
}

/// The configuration's weekday of a calendar date.
fn weekday(date: NaiveDate) -> Weekday {
    match date.weekday() {
        chrono::Weekday::Mon => Weekday::Mon,
        chrono::Weekday::Tue => Weekday::Tue,
        chrono::Weekday::Wed => Weekday::Wed,
        chrono::Weekday::Thu => Weekday::Thu,
        chrono::Weekday::Fri => Weekday::Fri,
        chrono::Weekday::Sat => Weekday::Sat,
        chrono::Weekday::Sun => Weekday::Sun,
    }
}

/// The weekday's English name (`Monday`).
fn full_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use firmware_config::bounded::{List, Text};
    use firmware_config::schedule::{AfterHours, NightSwitch, WeeklyHours};
    use firmware_config::time::Instant;
    use std::collections::HashMap;

    use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};

    // ---- building schedules ---------------------------------------------------------------

    fn text<const N: usize>(s: &str) -> Text<N> {
        Text::new(s).expect("text fits")
    }

    /// A schedule in `zone` with no hours, no days off and no holidays.
    fn schedule(zone: &str) -> Schedule {
        Schedule {
            name: text("office-hours"),
            time_zone: text(zone),
            days_off: DaysOff::OpenSevenDays,
            after_hours: AfterHours::Voicemail,
            voicemail_greeting: None,
            night_switch: None,
            hours: WeeklyHours::default(),
            holidays: List::new(),
        }
    }

    /// Lists ranges (`09:00-17:00`) under a weekday.
    fn hours(mut s: Schedule, day: Weekday, ranges: &[&str]) -> Schedule {
        for r in ranges {
            let range: TimeRange = r.parse().expect("range");
            s.hours
                .day_mut(day)
                .push(range)
                .expect("room for the range");
        }
        s
    }

    fn days_off(mut s: Schedule, days: &[Weekday]) -> Schedule {
        let mut list = List::new();
        for d in days {
            list.push(*d).expect("room for the day");
        }
        s.days_off = DaysOff::Days(list);
        s
    }

    fn holiday(
        mut s: Schedule,
        name: &str,
        start: &str,
        end: Option<&str>,
        yearly: bool,
    ) -> Schedule {
        let h = Holiday {
            name: text(name),
            start: date(start),
            end: end.map(date),
            yearly,
        };
        s.holidays.push(h).expect("room for the holiday");
        s
    }

    fn night_switch(mut s: Schedule, state: Forced, until: &str) -> Schedule {
        s.night_switch = Some(NightSwitch {
            state,
            until: until.parse().expect("instant"),
        });
        s
    }

    fn date(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("calendar date")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("RFC 3339")
            .with_timezone(&Utc)
    }

    /// The moment of an unambiguous wall-clock time (`2026-11-16 09:00:00`) in the zone.
    fn local(s: &Schedule, at: &str) -> DateTime<Utc> {
        let tz: Tz = s.time_zone.parse().expect("zone");
        let naive = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").expect("local time");
        tz.from_local_datetime(&naive)
            .single()
            .expect("unambiguous local time")
            .with_timezone(&Utc)
    }

    fn at(s: &Schedule, when: &str) -> Status {
        status(Some(s), local(s, when))
    }

    fn open_at(s: &Schedule, when: &str) -> bool {
        at(s, when).open
    }

    fn in_range(day: Weekday, range: &str, started_previous_day: bool) -> Reason {
        Reason::InRange {
            day,
            range: range.to_string(),
            started_previous_day,
        }
    }

    fn holiday_reason(name: &str) -> Reason {
        Reason::Holiday {
            name: name.to_string(),
        }
    }

    // In November 2026 there is no daylight-saving change; 2026-11-16 is a Monday.
    const ZONE: &str = "Europe/Warsaw";

    // ---- ranges ---------------------------------------------------------------------------

    #[test]
    fn an_entry_point_with_no_schedule_is_always_open() {
        for t in [
            "2026-11-16T03:00:00Z",
            "2026-12-25T12:00:00Z",
            "1970-01-01T00:00:00Z",
        ] {
            assert_eq!(
                status(None, utc(t)),
                Status {
                    open: true,
                    reason: Reason::NoSchedule
                }
            );
        }
    }

    #[test]
    fn a_range_is_open_from_its_start_inclusive() {
        let s = hours(schedule(ZONE), Mon, &["09:00-17:00"]);
        assert!(!open_at(&s, "2026-11-16 08:59:59"));
        assert_eq!(
            at(&s, "2026-11-16 09:00:00"),
            Status {
                open: true,
                reason: in_range(Mon, "09:00-17:00", false)
            }
        );
    }

    #[test]
    fn a_range_is_open_up_to_but_not_including_its_end() {
        let s = hours(schedule(ZONE), Mon, &["09:00-17:00"]);
        assert!(open_at(&s, "2026-11-16 16:59:59"));
        let just_before = local(&s, "2026-11-16 17:00:00") - Duration::milliseconds(1);
        assert!(
            status(Some(&s), just_before).open,
            "seconds and below count"
        );
        assert_eq!(
            at(&s, "2026-11-16 17:00:00"),
            Status {
                open: false,
                reason: Reason::OutsideHours
            }
        );
    }

    #[test]
    fn a_day_can_have_several_ranges() {
        let s = hours(schedule(ZONE), Mon, &["09:00-12:00", "13:00-17:00"]);
        assert!(open_at(&s, "2026-11-16 11:59:59"));
        assert!(!open_at(&s, "2026-11-16 12:00:00"));
        assert_eq!(at(&s, "2026-11-16 12:30:00").reason, Reason::OutsideHours);
        assert_eq!(
            at(&s, "2026-11-16 13:00:00").reason,
            in_range(Mon, "13:00-17:00", false)
        );
        assert!(!open_at(&s, "2026-11-16 17:00:00"));
    }

    #[test]
    fn ranges_apply_only_on_their_weekday() {
        let s = hours(schedule(ZONE), Mon, &["09:00-17:00"]);
        assert!(!open_at(&s, "2026-11-17 10:00:00"), "Tuesday");
        assert!(!open_at(&s, "2026-11-15 10:00:00"), "Sunday");
        assert!(open_at(&s, "2026-11-23 10:00:00"), "the next Monday");
    }

    #[test]
    fn a_range_whose_end_is_not_after_its_start_ends_the_next_day() {
        // Friday 2026-11-20 22:00 to Saturday 06:00.
        let s = hours(schedule(ZONE), Fri, &["22:00-06:00"]);
        assert!(!open_at(&s, "2026-11-20 21:59:59"));
        assert_eq!(
            at(&s, "2026-11-20 22:00:00").reason,
            in_range(Fri, "22:00-06:00", false)
        );
        assert!(open_at(&s, "2026-11-20 23:59:59"));
        assert_eq!(
            at(&s, "2026-11-21 00:00:00").reason,
            in_range(Fri, "22:00-06:00", true)
        );
        assert!(open_at(&s, "2026-11-21 05:59:00"));
        assert!(open_at(&s, "2026-11-21 05:59:59"));
        assert!(!open_at(&s, "2026-11-21 06:00:00"));
        assert!(
            !open_at(&s, "2026-11-21 22:00:00"),
            "only Friday's start counts"
        );
        assert!(!open_at(&s, "2026-11-20 05:00:00"), "Thursday has no range");
    }

    #[test]
    fn an_end_of_24_00_is_midnight_at_the_end_of_the_day() {
        let s = hours(schedule(ZONE), Mon, &["18:00-24:00"]);
        assert!(open_at(&s, "2026-11-16 23:59:59"));
        assert_eq!(at(&s, "2026-11-17 00:00:00").reason, Reason::OutsideHours);
        // ... unless the next day has its own range from 00:00.
        let s = hours(s, Tue, &["00:00-08:00"]);
        assert_eq!(
            at(&s, "2026-11-17 00:00:00").reason,
            in_range(Tue, "00:00-08:00", false)
        );
    }

    #[test]
    fn an_end_of_00_00_behaves_like_24_00() {
        let a = hours(schedule(ZONE), Mon, &["18:00-00:00"]);
        let b = hours(schedule(ZONE), Mon, &["18:00-24:00"]);
        let start = local(&a, "2026-11-16 00:00:00");
        for minute in 0..3 * 1440 {
            let now = start + Duration::minutes(minute);
            assert_eq!(
                status(Some(&a), now).open,
                status(Some(&b), now).open,
                "{now}"
            );
        }
        assert!(open_at(&a, "2026-11-16 23:59:59"));
        assert!(!open_at(&a, "2026-11-17 00:00:00"));
    }

    #[test]
    fn a_range_from_00_00_to_24_00_is_the_whole_day() {
        let s = hours(schedule(ZONE), Sun, &["00:00-24:00"]);
        assert!(open_at(&s, "2026-11-22 00:00:00"));
        assert!(open_at(&s, "2026-11-22 23:59:59"));
        assert!(!open_at(&s, "2026-11-21 23:59:59"));
        assert!(!open_at(&s, "2026-11-23 00:00:00"));
    }

    #[test]
    fn an_empty_range_which_validation_refuses_is_never_open() {
        let mut s = schedule(ZONE);
        let nine = firmware_config::time::TimeOfDay::hm(9, 0).expect("time");
        let empty = TimeRange::new(nine, nine).expect("range");
        s.hours.day_mut(Mon).push(empty).expect("room");
        let start = local(&s, "2026-11-16 00:00:00");
        for minute in 0..3 * 1440 {
            assert!(!status(Some(&s), start + Duration::minutes(minute)).open);
        }
    }

    // ---- days off -------------------------------------------------------------------------

    #[test]
    fn a_day_off_is_closed_even_with_ranges_listed() {
        let mut s = schedule(ZONE);
        for d in Weekday::ALL {
            s = hours(s, d, &["09:00-17:00"]);
        }
        let s = days_off(s, &[Sat, Sun]);
        assert!(open_at(&s, "2026-11-20 10:00:00"), "Friday");
        assert_eq!(
            at(&s, "2026-11-21 10:00:00"),
            Status {
                open: false,
                reason: Reason::DayOff { day: Sat }
            }
        );
        assert_eq!(
            at(&s, "2026-11-22 10:00:00").reason,
            Reason::DayOff { day: Sun }
        );
        assert_eq!(
            at(&s, "2026-11-22 03:00:00").reason,
            Reason::DayOff { day: Sun },
            "outside the hours a day off still says so"
        );
        assert!(open_at(&s, "2026-11-23 10:00:00"), "Monday");
    }

    #[test]
    fn open_seven_days_has_no_day_off() {
        let s = hours(schedule(ZONE), Sun, &["10:00-14:00"]);
        assert_eq!(s.days_off, DaysOff::OpenSevenDays);
        assert_eq!(
            at(&s, "2026-11-22 11:00:00").reason,
            in_range(Sun, "10:00-14:00", false)
        );
        assert_eq!(at(&s, "2026-11-22 15:00:00").reason, Reason::OutsideHours);
        assert!(Weekday::ALL.iter().all(|d| !is_day_off(&s, *d)));
    }

    #[test]
    fn is_day_off_lists_exactly_the_days_off() {
        let s = days_off(schedule(ZONE), &[Wed, Sun]);
        let off: Vec<Weekday> = Weekday::ALL
            .into_iter()
            .filter(|d| is_day_off(&s, *d))
            .collect();
        assert_eq!(off, vec![Wed, Sun]);
    }

    #[test]
    fn a_range_from_the_day_before_runs_into_a_day_off() {
        let s = hours(schedule(ZONE), Fri, &["22:00-02:00"]);
        let s = hours(s, Sat, &["09:00-12:00"]);
        let s = days_off(s, &[Sat]);
        assert_eq!(
            at(&s, "2026-11-21 01:00:00"),
            Status {
                open: true,
                reason: in_range(Fri, "22:00-02:00", true)
            }
        );
        assert_eq!(
            at(&s, "2026-11-21 02:00:00").reason,
            Reason::DayOff { day: Sat }
        );
        assert_eq!(
            at(&s, "2026-11-21 10:00:00").reason,
            Reason::DayOff { day: Sat }
        );
    }

    #[test]
    fn a_day_off_closes_its_own_range_that_runs_past_midnight() {
        let s = hours(schedule(ZONE), Sat, &["22:00-06:00"]);
        let s = days_off(s, &[Sat]);
        assert_eq!(
            at(&s, "2026-11-21 23:00:00").reason,
            Reason::DayOff { day: Sat }
        );
        assert_eq!(
            at(&s, "2026-11-22 01:00:00").reason,
            Reason::OutsideHours,
            "Sunday is a working day; Saturday's range never started"
        );
    }

    // ---- holidays -------------------------------------------------------------------------

    #[test]
    fn a_holiday_on_one_date_closes_that_day() {
        let s = hours(schedule(ZONE), Wed, &["09:00-17:00"]);
        let s = holiday(s, "Independence Day", "2026-11-11", None, false);
        assert_eq!(
            at(&s, "2026-11-11 10:00:00"),
            Status {
                open: false,
                reason: holiday_reason("Independence Day")
            }
        );
        assert_eq!(
            at(&s, "2026-11-11 20:00:00").reason,
            holiday_reason("Independence Day")
        );
        assert!(open_at(&s, "2026-11-18 10:00:00"), "the next Wednesday");
        assert!(open_at(&s, "2026-11-04 10:00:00"), "the Wednesday before");
        assert_eq!(holiday_on(&s, day("2027-11-11")), None, "not yearly");
    }

    #[test]
    fn a_holiday_range_includes_both_end_dates() {
        let mut s = schedule(ZONE);
        for d in Weekday::ALL {
            s = hours(s, d, &["09:00-17:00"]);
        }
        let s = holiday(
            s,
            "Closed for moving",
            "2026-11-18",
            Some("2026-11-20"),
            false,
        );
        assert!(open_at(&s, "2026-11-17 10:00:00"));
        for d in ["2026-11-18", "2026-11-19", "2026-11-20"] {
            assert_eq!(
                at(&s, &format!("{d} 10:00:00")).reason,
                holiday_reason("Closed for moving"),
                "{d}"
            );
        }
        assert!(open_at(&s, "2026-11-21 10:00:00"));
    }

    #[test]
    fn a_yearly_holiday_repeats_from_its_year_on() {
        let s = holiday(schedule(ZONE), "Independence Day", "2026-11-11", None, true);
        for y in [2026, 2027, 2030, 2100] {
            let name = holiday_on(&s, day(&format!("{y}-11-11"))).map(|h| h.name.to_string());
            assert_eq!(name.as_deref(), Some("Independence Day"), "{y}");
            assert_eq!(holiday_on(&s, day(&format!("{y}-11-12"))), None);
            assert_eq!(holiday_on(&s, day(&format!("{y}-11-10"))), None);
        }
        assert_eq!(
            holiday_on(&s, day("2025-11-11")),
            None,
            "before its first year"
        );
    }

    #[test]
    fn a_yearly_holiday_range_repeats_with_both_ends() {
        let s = holiday(
            schedule(ZONE),
            "May days",
            "2026-05-01",
            Some("2026-05-03"),
            true,
        );
        for d in ["2030-05-01", "2030-05-02", "2030-05-03"] {
            assert!(holiday_on(&s, day(d)).is_some(), "{d}");
        }
        for d in ["2030-04-30", "2030-05-04", "2025-05-02"] {
            assert!(holiday_on(&s, day(d)).is_none(), "{d}");
        }
    }

    #[test]
    fn a_yearly_holiday_can_run_over_new_year() {
        let s = holiday(
            schedule(ZONE),
            "Christmas",
            "2026-12-24",
            Some("2027-01-02"),
            true,
        );
        for d in [
            "2026-12-24",
            "2026-12-31",
            "2027-01-01",
            "2027-01-02",
            "2030-12-24",
            "2030-12-31",
            "2031-01-01",
            "2031-01-02",
        ] {
            assert!(holiday_on(&s, day(d)).is_some(), "{d}");
        }
        for d in [
            "2026-01-01", // before the first occurrence
            "2025-12-31",
            "2026-12-23",
            "2027-01-03",
            "2030-12-23",
            "2031-01-03",
            "2030-07-01",
        ] {
            assert!(holiday_on(&s, day(d)).is_none(), "{d}");
        }
    }

    #[test]
    fn a_yearly_holiday_on_29_february_is_observed_only_in_leap_years() {
        let s = holiday(schedule(ZONE), "Leap day", "2028-02-29", None, true);
        assert!(holiday_on(&s, day("2028-02-29")).is_some());
        assert!(holiday_on(&s, day("2032-02-29")).is_some());
        assert!(holiday_on(&s, day("2400-02-29")).is_some());
        for d in [
            "2030-02-28",
            "2030-03-01",
            "2032-02-28",
            "2032-03-01",
            "2024-02-29",
        ] {
            assert!(holiday_on(&s, day(d)).is_none(), "{d}");
        }
    }

    #[test]
    fn a_one_off_holiday_does_not_repeat() {
        let s = holiday(
            schedule(ZONE),
            "Renovation",
            "2026-06-01",
            Some("2026-06-05"),
            false,
        );
        assert!(holiday_on(&s, day("2026-06-03")).is_some());
        assert!(holiday_on(&s, day("2027-06-03")).is_none());
        assert!(holiday_on(&s, day("2025-06-03")).is_none());
    }

    #[test]
    fn holiday_on_names_the_first_listed_holiday_that_covers_the_date() {
        let s = holiday(schedule(ZONE), "Christmas Eve", "2026-12-24", None, true);
        let s = holiday(s, "Christmas", "2026-12-24", Some("2026-12-26"), true);
        let name = |d: &str| holiday_on(&s, day(d)).map(|h| h.name.to_string());
        assert_eq!(name("2026-12-24").as_deref(), Some("Christmas Eve"));
        assert_eq!(name("2026-12-25").as_deref(), Some("Christmas"));
        assert_eq!(name("2026-12-27"), None);
    }

    #[test]
    fn a_range_from_the_day_before_runs_into_a_holiday() {
        let s = hours(schedule(ZONE), Thu, &["22:00-06:00"]);
        let s = hours(s, Fri, &["09:00-12:00"]);
        let s = holiday(s, "Founders' day", "2026-11-20", None, false);
        assert_eq!(
            at(&s, "2026-11-20 05:00:00"),
            Status {
                open: true,
                reason: in_range(Thu, "22:00-06:00", true)
            }
        );
        assert_eq!(
            at(&s, "2026-11-20 06:00:00").reason,
            holiday_reason("Founders' day")
        );
        assert_eq!(
            at(&s, "2026-11-20 10:00:00").reason,
            holiday_reason("Founders' day")
        );
    }

    #[test]
    fn a_holiday_closes_its_own_range_that_runs_past_midnight() {
        let s = hours(schedule(ZONE), Fri, &["22:00-06:00"]);
        let s = holiday(s, "Founders' day", "2026-11-20", None, false);
        assert_eq!(
            at(&s, "2026-11-20 23:00:00").reason,
            holiday_reason("Founders' day")
        );
        assert_eq!(at(&s, "2026-11-21 01:00:00").reason, Reason::OutsideHours);
    }

    #[test]
    fn a_holiday_is_the_reason_even_on_a_day_off() {
        let s = hours(schedule(ZONE), Sat, &["09:00-12:00"]);
        let s = days_off(s, &[Sat]);
        let s = holiday(s, "Christmas", "2026-12-24", Some("2026-12-26"), true);
        assert_eq!(
            at(&s, "2026-12-26 10:00:00").reason,
            holiday_reason("Christmas")
        );
        assert_eq!(
            at(&s, "2027-01-02 10:00:00").reason,
            Reason::DayOff { day: Sat }
        );
    }

    #[test]
    fn holiday_dates_that_do_not_exist_never_match_and_never_panic() {
        let s = holiday(schedule(ZONE), "Bad start", "2026-02-30", None, false);
        let s = holiday(s, "Bad end", "2026-04-29", Some("2026-04-31"), false);
        let s = holiday(s, "Bad yearly", "2026-02-29", None, true);
        let s = holiday(s, "Backwards", "2026-05-03", Some("2026-05-01"), false);
        let s = holiday(
            s,
            "Backwards yearly",
            "2026-05-03",
            Some("2026-05-01"),
            true,
        );
        let mut s = hours(s, Wed, &["09:00-17:00"]);
        for (year, month, day) in [(2026, 0, 1), (2026, 13, 1), (2026, 1, 0), (2026, 2, 31)] {
            s.holidays
                .push(Holiday {
                    name: text("Out of range"),
                    start: Date { year, month, day },
                    end: None,
                    yearly: true,
                })
                .expect("room");
        }
        let mut d = day("2026-01-01");
        while d < day("2029-01-01") {
            assert!(holiday_on(&s, d).is_none(), "{d}");
            d = d.succ_opt().expect("next day");
        }
        assert!(open_at(&s, "2026-04-29 10:00:00"));
    }

    // ---- night switch ---------------------------------------------------------------------

    #[test]
    fn the_night_switch_forces_closed_during_working_hours() {
        let s = hours(schedule(ZONE), Mon, &["09:00-17:00"]);
        // 13:00 in Warsaw is 12:00 UTC in November.
        let s = night_switch(s, Forced::Closed, "2026-11-16T13:00:00+01:00");
        assert_eq!(
            at(&s, "2026-11-16 10:00:00"),
            Status {
                open: false,
                reason: Reason::NightSwitch {
                    state: Forced::Closed,
                    until: "2026-11-16T12:00:00Z".to_string()
                }
            }
        );
        assert!(!open_at(&s, "2026-11-16 12:59:59"));
    }

    #[test]
    fn the_night_switch_forces_open_at_night_and_on_holidays() {
        let s = hours(schedule(ZONE), Mon, &["09:00-17:00"]);
        let s = days_off(s, &[Tue]);
        let s = holiday(s, "Holiday", "2026-11-17", None, false);
        let s = night_switch(s, Forced::Open, "2026-11-17T18:00:00Z");
        for when in [
            "2026-11-16 23:00:00",
            "2026-11-17 03:00:00",
            "2026-11-17 18:59:59",
        ] {
            let got = at(&s, when);
            assert!(got.open, "{when}");
            assert_eq!(
                got.reason,
                Reason::NightSwitch {
                    state: Forced::Open,
                    until: "2026-11-17T18:00:00Z".to_string()
                }
            );
        }
        assert_eq!(
            at(&s, "2026-11-17 19:00:00").reason,
            holiday_reason("Holiday")
        );
    }

    #[test]
    fn the_schedule_applies_again_by_itself_at_the_switch_s_until() {
        let s = hours(schedule(ZONE), Mon, &["09:00-17:00"]);
        let s = night_switch(s, Forced::Closed, "2026-11-16T12:00:00Z");
        let until = utc("2026-11-16T12:00:00Z");
        assert!(!status(Some(&s), until - Duration::seconds(1)).open);
        assert!(!status(Some(&s), until - Duration::milliseconds(1)).open);
        assert_eq!(
            status(Some(&s), until),
            Status {
                open: true,
                reason: in_range(Mon, "09:00-17:00", false)
            }
        );
        assert!(status(Some(&s), until + Duration::days(7)).open);

        let s = night_switch(s, Forced::Open, "2026-11-16T12:00:00Z");
        assert_eq!(
            status(Some(&s), until + Duration::hours(5)).reason,
            Reason::OutsideHours
        );
    }

    #[test]
    fn a_night_switch_that_has_expired_changes_nothing() {
        let plain = hours(schedule(ZONE), Mon, &["09:00-17:00"]);
        let expired = night_switch(plain.clone(), Forced::Closed, "2026-01-01T00:00:00Z");
        let start = local(&plain, "2026-11-16 00:00:00");
        for minute in (0..1440).step_by(7) {
            let now = start + Duration::minutes(minute);
            assert_eq!(status(Some(&plain), now), status(Some(&expired), now));
        }
    }

    // ---- time zones and daylight saving ---------------------------------------------------

    #[test]
    fn hours_are_wall_clock_times_in_the_schedule_s_zone() {
        let warsaw = hours(schedule("Europe/Warsaw"), Mon, &["09:00-17:00"]);
        let new_york = hours(schedule("America/New_York"), Mon, &["09:00-17:00"]);
        let now = utc("2026-11-16T08:30:00Z"); // 09:30 in Warsaw, 03:30 in New York
        assert!(status(Some(&warsaw), now).open);
        assert!(!status(Some(&new_york), now).open);
        let now = utc("2026-11-16T21:30:00Z"); // 22:30 in Warsaw, 16:30 in New York
        assert!(!status(Some(&warsaw), now).open);
        assert!(status(Some(&new_york), now).open);
    }

    #[test]
    fn the_local_date_decides_the_weekday() {
        // Monday 00:30 in Warsaw is still Sunday in UTC.
        let s = hours(schedule("Europe/Warsaw"), Mon, &["00:00-01:00"]);
        let now = utc("2026-11-15T23:30:00Z");
        assert_eq!(
            status(Some(&s), now).reason,
            in_range(Mon, "00:00-01:00", false)
        );
    }

    #[test]
    fn an_unknown_time_zone_falls_back_to_utc() {
        let s = hours(schedule("Europe/Warsawa"), Mon, &["09:00-17:00"]);
        assert!(status(Some(&s), utc("2026-11-16T09:00:00Z")).open);
        assert!(!status(Some(&s), utc("2026-11-16T08:59:59Z")).open);
        assert!(status(Some(&s), utc("2026-11-16T16:59:59Z")).open);
        assert!(!status(Some(&s), utc("2026-11-16T17:00:00Z")).open);
    }

    /// Checks a 09:00-17:00 Sunday range on a change day and the day before: 09:00 local opens
    /// on both, at instants that differ by a day and the change in the offset.
    fn nine_o_clock_on_a_change_day(zone: &str, day_before: &str, change: &str, expect: [&str; 2]) {
        let s = hours(schedule(zone), Sat, &["09:00-17:00"]);
        let s = hours(s, Sun, &["09:00-17:00"]);
        let before = utc(expect[0]);
        let on = utc(expect[1]);
        assert_eq!(local(&s, &format!("{day_before} 09:00:00")), before);
        assert_eq!(local(&s, &format!("{change} 09:00:00")), on);
        for t in [before, on] {
            assert!(status(Some(&s), t).open, "{zone} {t}");
            assert!(
                !status(Some(&s), t - Duration::seconds(1)).open,
                "{zone} {t}"
            );
            assert!(status(Some(&s), t + Duration::hours(8) - Duration::seconds(1)).open);
            assert!(!status(Some(&s), t + Duration::hours(8)).open);
        }
    }

    #[test]
    fn warsaw_opens_at_09_00_local_on_both_change_days() {
        // Spring: CET (+1) on Saturday, CEST (+2) on Sunday: 09:00 is an hour earlier in UTC.
        nine_o_clock_on_a_change_day(
            "Europe/Warsaw",
            "2026-03-28",
            "2026-03-29",
            ["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z"],
        );
        let gap = utc("2026-03-29T07:00:00Z") - utc("2026-03-28T08:00:00Z");
        assert_eq!(gap, Duration::hours(23));
        // Autumn: CEST on Saturday, CET on Sunday: 09:00 is an hour later in UTC.
        nine_o_clock_on_a_change_day(
            "Europe/Warsaw",
            "2026-10-24",
            "2026-10-25",
            ["2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z"],
        );
        let gap = utc("2026-10-25T08:00:00Z") - utc("2026-10-24T07:00:00Z");
        assert_eq!(gap, Duration::hours(25));
    }

    #[test]
    fn new_york_opens_at_09_00_local_on_both_change_days() {
        nine_o_clock_on_a_change_day(
            "America/New_York",
            "2026-03-07",
            "2026-03-08",
            ["2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z"],
        );
        nine_o_clock_on_a_change_day(
            "America/New_York",
            "2026-10-31",
            "2026-11-01",
            ["2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z"],
        );
    }

    #[test]
    fn a_range_starting_in_the_skipped_hour_opens_at_the_first_moment_after_it_in_warsaw() {
        // 2026-03-29: 02:00 CET (01:00Z) becomes 03:00 CEST.
        let s = hours(schedule("Europe/Warsaw"), Sun, &["02:30-04:00"]);
        let closed = status(Some(&s), utc("2026-03-29T00:59:59Z")); // 01:59:59 CET
        assert_eq!(closed.reason, Reason::OutsideHours);
        assert_eq!(
            status(Some(&s), utc("2026-03-29T01:00:00Z")), // 03:00 CEST
            Status {
                open: true,
                reason: in_range(Sun, "02:30-04:00", false)
            }
        );
        assert!(status(Some(&s), utc("2026-03-29T01:59:59Z")).open); // 03:59:59
        assert!(!status(Some(&s), utc("2026-03-29T02:00:00Z")).open); // 04:00
    }

    #[test]
    fn a_range_starting_in_the_skipped_hour_opens_at_the_first_moment_after_it_in_new_york() {
        // 2026-03-08: 02:00 EST (07:00Z) becomes 03:00 EDT.
        let s = hours(schedule("America/New_York"), Sun, &["02:30-04:00"]);
        assert!(!status(Some(&s), utc("2026-03-08T06:59:59Z")).open); // 01:59:59 EST
        assert!(status(Some(&s), utc("2026-03-08T07:00:00Z")).open); // 03:00 EDT
        assert!(status(Some(&s), utc("2026-03-08T07:59:59Z")).open); // 03:59:59 EDT
        assert!(!status(Some(&s), utc("2026-03-08T08:00:00Z")).open); // 04:00 EDT
    }

    #[test]
    fn a_range_in_new_york_s_repeated_hour_is_open_during_both_occurrences() {
        // 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST; 01:xx happens twice.
        let s = hours(schedule("America/New_York"), Sun, &["01:00-02:00"]);
        assert!(!status(Some(&s), utc("2026-11-01T04:59:59Z")).open); // 00:59:59 EDT
        for t in [
            "2026-11-01T05:00:00Z", // 01:00 EDT
            "2026-11-01T05:30:00Z",
            "2026-11-01T05:59:59Z",
            "2026-11-01T06:00:00Z", // 01:00 EST
            "2026-11-01T06:30:00Z",
            "2026-11-01T06:59:59Z",
        ] {
            assert!(status(Some(&s), utc(t)).open, "{t}");
        }
        assert!(!status(Some(&s), utc("2026-11-01T07:00:00Z")).open); // 02:00 EST
    }

    #[test]
    fn a_range_in_warsaw_s_repeated_hour_is_open_during_both_occurrences() {
        // 2026-10-25: 03:00 CEST (01:00Z) becomes 02:00 CET; 02:xx happens twice.
        let s = hours(schedule("Europe/Warsaw"), Sun, &["02:00-02:30"]);
        assert!(!status(Some(&s), utc("2026-10-24T23:59:59Z")).open); // 01:59:59 CEST
        for (t, open) in [
            ("2026-10-25T00:00:00Z", true), // 02:00 CEST
            ("2026-10-25T00:29:59Z", true),
            ("2026-10-25T00:30:00Z", false), // 02:30 CEST
            ("2026-10-25T00:59:59Z", false),
            ("2026-10-25T01:00:00Z", true), // 02:00 CET
            ("2026-10-25T01:29:59Z", true),
            ("2026-10-25T01:30:00Z", false), // 02:30 CET
        ] {
            assert_eq!(status(Some(&s), utc(t)).open, open, "{t}");
        }
    }

    #[test]
    fn extreme_moments_and_switch_times_do_not_panic() {
        let mut s = schedule("Pacific/Kiritimati");
        for d in Weekday::ALL {
            s = hours(s, d, &["00:00-12:00", "12:00-00:00"]);
        }
        let s = holiday(s, "Christmas", "1970-12-24", Some("1971-01-02"), true);
        for zone in [
            "Pacific/Kiritimati",
            "Etc/GMT+12",
            "America/New_York",
            "UTC",
        ] {
            let mut s = s.clone();
            s.time_zone = text(zone);
            for now in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
                let _ = status(Some(&s), now);
                for until in [i64::MIN, i64::MAX] {
                    let mut s = s.clone();
                    s.night_switch = Some(NightSwitch {
                        state: Forced::Open,
                        until: Instant(until),
                    });
                    let got = status(Some(&s), now);
                    let _ = got.reason.describe();
                }
            }
        }
        for d in [NaiveDate::MIN, NaiveDate::MAX] {
            let _ = holiday_on(&s, d);
        }
    }

    // ---- a week of decisions against an independent reference ----------------------------

    /// A schedule with several ranges a day, a range over midnight, a 24:00 end, ranges on
    /// change days, a day off (Wednesday), one-off and yearly holidays.
    fn week_schedule(zone: &str) -> Schedule {
        let s = hours(schedule(zone), Mon, &["09:00-12:00", "13:00-17:00"]);
        let s = hours(s, Tue, &["08:00-24:00"]);
        let s = hours(s, Wed, &["10:00-14:00"]);
        let s = hours(s, Thu, &["07:00-09:00", "22:00-06:00"]);
        let s = hours(s, Fri, &["06:00-10:00", "14:00-18:00"]);
        let s = hours(s, Sat, &["10:00-14:00", "22:00-01:30"]);
        let s = hours(s, Sun, &["02:30-04:00", "09:00-17:00", "18:00-00:00"]);
        let s = days_off(s, &[Wed]);
        let s = holiday(s, "Spring closure", "2026-03-27", None, false);
        let s = holiday(s, "Town fair", "2026-03-05", Some("2026-03-06"), false);
        let s = holiday(s, "Founders' days", "2019-10-22", Some("2019-10-23"), true);
        let s = holiday(s, "Harvest", "2025-10-30", None, true);
        let s = holiday(s, "Christmas", "2020-12-24", Some("2021-01-02"), true);
        holiday(s, "Leap day", "2024-02-29", None, true)
    }

    /// Reference: every holiday date, by walking each occurrence day by day (an occurrence
    /// whose first or last day does not exist that year is moved inside: 1 March, 28 Feb).
    fn reference_holidays(s: &Schedule, last_year: i32) -> HashMap<NaiveDate, String> {
        let mut out = HashMap::new();
        let ymd = |y: i32, m: u8, d: u8| NaiveDate::from_ymd_opt(y, u32::from(m), u32::from(d));
        for h in s.holidays.iter() {
            let end = h.end.unwrap_or(h.start);
            let (y0, span) = (
                i32::from(h.start.year),
                i32::from(end.year) - i32::from(h.start.year),
            );
            let occurrences = if h.yearly { y0..=last_year } else { y0..=y0 };
            for y in occurrences {
                let Some(mut d) = ymd(y, h.start.month, h.start.day).or(ymd(y, 3, 1)) else {
                    continue;
                };
                let Some(last) = ymd(y + span, end.month, end.day).or(ymd(y + span, 2, 28)) else {
                    continue;
                };
                while d <= last {
                    out.entry(d).or_insert_with(|| h.name.to_string());
                    d = d.succ_opt().expect("next day");
                }
            }
        }
        out
    }

    /// Reference: what decides every open wall-clock minute between two dates, by walking each
    /// range minute by minute from its start day (ranges that start on a day off or a holiday
    /// are skipped).
    fn reference_open_minutes(
        s: &Schedule,
        from: NaiveDate,
        to: NaiveDate,
        holidays: &HashMap<NaiveDate, String>,
    ) -> HashMap<(NaiveDate, u32), Reason> {
        let off: Vec<Weekday> = match &s.days_off {
            DaysOff::OpenSevenDays => Vec::new(),
            DaysOff::Days(days) => days.iter().copied().collect(),
        };
        let mut open = HashMap::new();
        let mut d = from;
        while d <= to {
            let wd = Weekday::ALL[d.weekday().num_days_from_monday() as usize];
            if !off.contains(&wd) && !holidays.contains_key(&d) {
                for r in s.hours.day(wd).iter() {
                    let start = u32::from(r.start.minutes());
                    let end = u32::from(r.end.minutes());
                    let stop = if end > start { end } else { end + 1440 };
                    for m in start..stop {
                        let on = d + Duration::days(i64::from(m / 1440));
                        let reason = in_range(wd, &r.to_string(), on != d);
                        assert!(open.insert((on, m % 1440), reason).is_none(), "overlap");
                    }
                }
            }
            d = d.succ_opt().expect("next day");
        }
        open
    }

    /// Checks 10080 one-minute steps from local Monday 00:00 against the reference and
    /// returns how many were open and how many distinct UTC offsets the week saw.
    fn check_week(zone: &str, monday: &str) -> (usize, usize) {
        let s = week_schedule(zone);
        let tz: Tz = zone.parse().expect("zone");
        let monday = day(monday);
        assert_eq!(monday.weekday(), chrono::Weekday::Mon);
        let holidays = reference_holidays(&s, 2032);
        let open_minutes = reference_open_minutes(
            &s,
            monday - Duration::days(2),
            monday + Duration::days(8),
            &holidays,
        );
        let start = local(&s, &format!("{monday} 00:00:00"));
        let mut offsets = std::collections::HashSet::new();
        let mut opened = 0;
        for i in 0..10_080 {
            let now = start + Duration::minutes(i);
            let wall = now.with_timezone(&tz);
            offsets.insert(wall.offset().fix().local_minus_utc());
            let date = wall.date_naive();
            let key = (date, wall.hour() * 60 + wall.minute());
            let wd = Weekday::ALL[date.weekday().num_days_from_monday() as usize];
            let expected = match open_minutes.get(&key) {
                Some(reason) => Status {
                    open: true,
                    reason: reason.clone(),
                },
                None => Status {
                    open: false,
                    reason: match holidays.get(&date) {
                        Some(name) => holiday_reason(name),
                        None if wd == Wed => Reason::DayOff { day: Wed },
                        None => Reason::OutsideHours,
                    },
                },
            };
            opened += usize::from(expected.open);
            assert_eq!(
                status(Some(&s), now),
                expected,
                "{zone} at {now} (local {wall})"
            );
        }
        (opened, offsets.len())
    }

    #[test]
    fn a_week_in_warsaw_with_the_spring_change_agrees_with_the_reference() {
        let (open, offsets) = check_week("Europe/Warsaw", "2026-03-23");
        assert_eq!(offsets, 2, "the week crosses the change");
        assert!(open > 1000 && open < 9000, "{open}");
    }

    #[test]
    fn a_week_in_warsaw_with_the_autumn_change_agrees_with_the_reference() {
        let (open, offsets) = check_week("Europe/Warsaw", "2026-10-19");
        assert_eq!(offsets, 2, "the week crosses the change");
        assert!(open > 1000 && open < 9000, "{open}");
    }

    #[test]
    fn a_week_in_new_york_with_the_spring_change_agrees_with_the_reference() {
        let (open, offsets) = check_week("America/New_York", "2026-03-02");
        assert_eq!(offsets, 2, "the week crosses the change");
        assert!(open > 1000 && open < 9000, "{open}");
    }

    #[test]
    fn a_week_in_new_york_with_the_autumn_change_agrees_with_the_reference() {
        let (open, offsets) = check_week("America/New_York", "2026-10-26");
        assert_eq!(offsets, 2, "the week crosses the change");
        assert!(open > 1000 && open < 9000, "{open}");
    }

    #[test]
    fn a_new_year_week_with_a_yearly_holiday_agrees_with_the_reference() {
        for zone in ["Europe/Warsaw", "America/New_York"] {
            let (open, offsets) = check_week(zone, "2030-12-30");
            assert_eq!(offsets, 1);
            assert!(open > 0, "{zone}: 3-5 January are working days");
        }
    }

    #[test]
    fn the_reference_holidays_agree_with_holiday_on_over_years() {
        let s = week_schedule("Europe/Warsaw");
        let s = holiday(s, "Leap week", "2028-02-27", Some("2028-03-02"), true);
        let reference = reference_holidays(&s, 2041);
        let mut d = day("2018-01-01");
        while d <= day("2040-12-31") {
            let got = holiday_on(&s, d).map(|h| h.name.to_string());
            assert_eq!(got.as_ref(), reference.get(&d), "{d}");
            d = d.succ_opt().expect("next day");
        }
    }

    // ---- wording and serialisation --------------------------------------------------------

    #[test]
    fn every_reason_is_described_in_one_sentence() {
        let cases = [
            (Reason::NoSchedule, "open: no schedule, always open"),
            (
                Reason::NightSwitch {
                    state: Forced::Closed,
                    until: "2026-11-23T13:00:00Z".into(),
                },
                "forced closed by the night switch until 2026-11-23T13:00:00Z",
            ),
            (
                Reason::NightSwitch {
                    state: Forced::Open,
                    until: "2026-11-23T13:00:00Z".into(),
                },
                "forced open by the night switch until 2026-11-23T13:00:00Z",
            ),
            (
                in_range(Mon, "09:00-17:00", false),
                "open: Monday 09:00-17:00",
            ),
            (
                in_range(Fri, "22:00-06:00", true),
                "open: Friday 22:00-06:00 (started the day before)",
            ),
            (holiday_reason("Christmas"), "closed: holiday 'Christmas'"),
            (Reason::DayOff { day: Sat }, "closed: Saturday is a day off"),
            (Reason::OutsideHours, "closed: outside working hours"),
        ];
        for (reason, sentence) in cases {
            assert_eq!(reason.describe(), sentence);
        }
        let all = [Mon, Tue, Wed, Thu, Fri, Sat, Sun].map(|day| Reason::DayOff { day }.describe());
        assert_eq!(all[1], "closed: Tuesday is a day off");
        assert_eq!(all[2], "closed: Wednesday is a day off");
        assert_eq!(all[3], "closed: Thursday is a day off");
        assert_eq!(all[6], "closed: Sunday is a day off");
    }

    #[test]
    fn statuses_serialise_with_a_kind_tag() {
        let json = |s: &Status| serde_json::to_value(s).expect("json");
        let s = Status {
            open: false,
            reason: Reason::NightSwitch {
                state: Forced::Closed,
                until: "2026-11-23T13:00:00Z".into(),
            },
        };
        assert_eq!(
            json(&s),
            serde_json::json!({"open": false, "reason": {"kind": "night_switch", "state": "closed", "until": "2026-11-23T13:00:00Z"}})
        );
        let s = Status {
            open: true,
            reason: in_range(Mon, "09:00-17:00", false),
        };
        assert_eq!(
            json(&s),
            serde_json::json!({"open": true, "reason": {"kind": "in_range", "day": "mon", "range": "09:00-17:00", "started_previous_day": false}})
        );
        let reason = |r: Reason| serde_json::to_value(r).expect("json");
        assert_eq!(
            reason(Reason::NoSchedule),
            serde_json::json!({"kind": "no_schedule"})
        );
        assert_eq!(
            reason(holiday_reason("Christmas")),
            serde_json::json!({"kind": "holiday", "name": "Christmas"})
        );
        assert_eq!(
            reason(Reason::DayOff { day: Sat }),
            serde_json::json!({"kind": "day_off", "day": "sat"})
        );
        assert_eq!(
            reason(Reason::OutsideHours),
            serde_json::json!({"kind": "outside_hours"})
        );
    }

    // ---- stretches, local moments ---------------------------------------------------------

    fn local_naive(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("local time")
    }

    /// The stretches as (from, to, open) in UTC text, for short assertions.
    fn plan(s: Option<&Schedule>, from: &str, to: &str) -> Vec<(String, String, bool)> {
        stretches(s, utc(from), utc(to))
            .into_iter()
            .map(|x| {
                let f = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%MZ").to_string();
                (f(x.from), f(x.to), x.status.open)
            })
            .collect()
    }

    fn piece(from: &str, to: &str, open: bool) -> (String, String, bool) {
        (from.to_string(), to.to_string(), open)
    }

    #[test]
    fn without_a_schedule_there_is_one_open_stretch() {
        let all = stretches(
            None,
            utc("2026-11-16T00:00:00Z"),
            utc("2026-11-30T00:00:00Z"),
        );
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].status.reason, Reason::NoSchedule);
        assert!(stretches(
            None,
            utc("2026-11-16T00:00:00Z"),
            utc("2026-11-16T00:00:00Z")
        )
        .is_empty());
    }

    #[test]
    fn a_working_day_is_closed_open_closed() {
        let s = hours(schedule(ZONE), Mon, &["09:00-17:00"]);
        assert_eq!(
            plan(Some(&s), "2026-11-15T23:00:00Z", "2026-11-16T23:00:00Z"),
            vec![
                piece("2026-11-15T23:00Z", "2026-11-16T08:00Z", false),
                piece("2026-11-16T08:00Z", "2026-11-16T16:00Z", true),
                piece("2026-11-16T16:00Z", "2026-11-16T23:00Z", false),
            ]
        );
    }

    #[test]
    fn neighbouring_stretches_differ_in_reason_not_only_in_openness() {
        let s = hours(schedule(ZONE), Mon, &["09:00-12:00", "12:00-17:00"]);
        let s = holiday(s, "Fair", "2026-11-17", None, false);
        let all = stretches(
            Some(&s),
            utc("2026-11-16T07:00:00Z"),
            utc("2026-11-17T12:00:00Z"),
        );
        let reasons: Vec<Reason> = all.iter().map(|x| x.status.reason.clone()).collect();
        assert_eq!(
            reasons,
            vec![
                Reason::OutsideHours,
                in_range(Mon, "09:00-12:00", false),
                in_range(Mon, "12:00-17:00", false),
                Reason::OutsideHours,
                holiday_reason("Fair"),
            ]
        );
    }

    #[test]
    fn the_night_switch_ends_a_stretch_at_its_until() {
        let s = hours(schedule(ZONE), Mon, &["09:00-17:00"]);
        let s = night_switch(s, Forced::Closed, "2026-11-16T13:00:00Z");
        let all = stretches(
            Some(&s),
            utc("2026-11-16T00:00:00Z"),
            utc("2026-11-16T20:00:00Z"),
        );
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(matches!(all[0].status.reason, Reason::NightSwitch { .. }));
        assert_eq!(all[0].to, utc("2026-11-16T13:00:00Z"));
        assert!(all[1].status.open);
        assert_eq!(all[1].to, utc("2026-11-16T16:00:00Z"));
    }

    #[test]
    fn a_range_in_the_repeated_hour_opens_twice_in_warsaw_autumn() {
        // 25 Oct 2026: 03:00 CEST becomes 02:00 CET at 01:00Z.
        let s = hours(schedule(ZONE), Sun, &["02:30-04:00"]);
        assert_eq!(
            plan(Some(&s), "2026-10-25T00:00:00Z", "2026-10-25T04:00:00Z"),
            vec![
                piece("2026-10-25T00:00Z", "2026-10-25T00:30Z", false),
                piece("2026-10-25T00:30Z", "2026-10-25T01:00Z", true),
                piece("2026-10-25T01:00Z", "2026-10-25T01:30Z", false),
                piece("2026-10-25T01:30Z", "2026-10-25T03:00Z", true),
                piece("2026-10-25T03:00Z", "2026-10-25T04:00Z", false),
            ]
        );
    }

    #[test]
    fn a_range_starting_in_the_skipped_hour_opens_at_the_change_in_warsaw_spring() {
        // 29 Mar 2026: 02:00 CET becomes 03:00 CEST at 01:00Z.
        let s = hours(schedule(ZONE), Sun, &["02:30-05:00"]);
        assert_eq!(
            plan(Some(&s), "2026-03-29T00:00:00Z", "2026-03-29T04:00:00Z"),
            vec![
                piece("2026-03-29T00:00Z", "2026-03-29T01:00Z", false),
                piece("2026-03-29T01:00Z", "2026-03-29T03:00Z", true),
                piece("2026-03-29T03:00Z", "2026-03-29T04:00Z", false),
            ]
        );
    }

    /// Checks that the stretches tile `[from, to)` and that `status` agrees with each at its
    /// start, its last second and every minute inside.
    fn check_stretches(s: &Schedule, from: DateTime<Utc>, days: i64) -> usize {
        let to = from + Duration::days(days);
        let all = stretches(Some(s), from, to);
        assert_eq!(all.first().map(|x| x.from), Some(from));
        assert_eq!(all.last().map(|x| x.to), Some(to));
        for pair in all.windows(2) {
            assert_eq!(pair[0].to, pair[1].from, "no gap");
            assert_ne!(pair[0].status, pair[1].status, "merged");
        }
        for x in &all {
            assert!(x.from < x.to);
            let mut t = x.from;
            while t < x.to {
                assert_eq!(status(Some(s), t), x.status, "at {t} in {x:?}");
                t += Duration::minutes(1);
            }
            assert_eq!(status(Some(s), x.to - Duration::seconds(1)), x.status);
        }
        all.len()
    }

    #[test]
    fn stretches_agree_with_status_minute_by_minute_over_change_weeks() {
        for (zone, start) in [
            ("Europe/Warsaw", "2026-03-22T00:17:00Z"),
            ("Europe/Warsaw", "2026-10-19T00:00:00Z"),
            ("America/New_York", "2026-03-05T05:00:00Z"),
            ("America/New_York", "2026-10-28T05:00:00Z"),
            ("Australia/Lord_Howe", "2026-04-01T00:00:00Z"),
            ("Not/A_Zone", "2026-12-20T00:00:00Z"),
        ] {
            let s = week_schedule(zone);
            let n = check_stretches(&s, utc(start), 14);
            assert!(n > 10, "{zone}: {n} stretches");
            let s = night_switch(s, Forced::Open, "2026-11-01T10:00:30Z");
            check_stretches(&s, utc("2026-10-31T00:00:00Z"), 3);
        }
    }

    #[test]
    fn closure_names_the_holiday_before_the_day_off() {
        let s = days_off(schedule(ZONE), &[Sun]);
        let s = holiday(s, "Fair", "2026-11-22", None, false);
        assert_eq!(closure(&s, day("2026-11-22")), Some(holiday_reason("Fair")));
        assert_eq!(
            closure(&s, day("2026-11-29")),
            Some(Reason::DayOff { day: Sun })
        );
        assert_eq!(closure(&s, day("2026-11-23")), None);
    }

    #[test]
    fn local_moment_takes_the_first_of_a_repeated_time_and_the_change_for_a_skipped_one() {
        let at = |zone: &str, t: &str| local_moment(zone, local_naive(t));
        assert_eq!(
            at(ZONE, "2026-11-16 09:00:00"),
            Some(utc("2026-11-16T08:00:00Z"))
        );
        assert_eq!(
            at(ZONE, "2026-10-25 02:30:00"),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            at(ZONE, "2026-03-29 02:30:00"),
            Some(utc("2026-03-29T01:00:00Z"))
        );
        assert_eq!(
            at("America/New_York", "2026-03-08 02:15:00"),
            Some(utc("2026-03-08T07:00:00Z"))
        );
        assert_eq!(
            at("Nowhere/Zone", "2026-11-16 09:00:00"),
            Some(utc("2026-11-16T09:00:00Z"))
        );
        let wall = wall_clock(ZONE, utc("2026-10-25T01:30:00Z"));
        assert_eq!(wall, local_naive("2026-10-25 02:30:00"));
    }
}
