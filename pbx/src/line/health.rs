//! When a line's daily health check runs, sans-IO: the configured local time of day in the
//! configured time zone, as an instant, given the time now (injected).
//!
//! Daylight-saving changes: a local time that does not exist that day (skipped by the spring
//! change, e.g. 02:30 in Warsaw on the last Sunday of March) runs at the first valid minute
//! after it; a local time that happens twice (the autumn change) runs at the first.
//!
//! A check that is due while the line is busy waits: the gateway retries every
//! [`RETRY_BUSY`] until the line is free, but not past the next day's check.

use std::time::Duration;

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use firmware_config::line::HealthCheck;

/// How long a check due on a busy line waits before it tries again.
pub const RETRY_BUSY: Duration = Duration::from_secs(10 * 60);

/// A line's health-check schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthSchedule {
    at: NaiveTime,
    zone: Tz,
}

impl HealthSchedule {
    /// The schedule of `check`; `None` when its time zone is unknown (the configuration's
    /// validation refuses that already).
    pub fn of(check: &HealthCheck) -> Option<HealthSchedule> {
        let zone = check.time_zone.parse::<Tz>().ok()?;
        let minutes = u32::from(check.at.minutes()) % (24 * 60);
        let at = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)?;
        Some(HealthSchedule { at, zone })
    }

    /// The first run strictly after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = now.with_timezone(&self.zone).date_naive();
        (0..3)
            .filter_map(|d| today.checked_add_days(Days::new(d)))
            .filter_map(|day| self.on(day))
            .find(|t| *t > now)
            .unwrap_or(now + chrono::TimeDelta::days(1))
    }

    /// The run on local `day`.
    fn on(&self, day: NaiveDate) -> Option<DateTime<Utc>> {
        let mut local = day.and_time(self.at);
        // A skipped local time: the first minute that exists after it (at most a few hours).
        for _ in 0..(4 * 60) {
            match self.zone.from_local_datetime(&local) {
                LocalResult::Single(t) => return Some(t.with_timezone(&Utc)),
                LocalResult::Ambiguous(first, _) => return Some(first.with_timezone(&Utc)),
                LocalResult::None => local += chrono::TimeDelta::minutes(1),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firmware_config::bounded::Text;
    use firmware_config::time::TimeOfDay;

    fn schedule(h: u16, m: u16, zone: &str) -> HealthSchedule {
        let check = HealthCheck {
            at: TimeOfDay::hm(h, m).expect("valid"),
            time_zone: Text::new(zone).expect("fits"),
        };
        HealthSchedule::of(&check).expect("known zone")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("RFC 3339")
    }

    #[test]
    fn the_next_run_is_today_or_tomorrow_in_local_time() {
        let s = schedule(3, 0, "Europe/Warsaw");
        // 23 November: UTC+1, so 03:00 local is 02:00 UTC.
        assert_eq!(
            s.next_after(utc("2026-11-23T01:00:00Z")),
            utc("2026-11-23T02:00:00Z")
        );
        assert_eq!(
            s.next_after(utc("2026-11-23T02:00:00Z")),
            utc("2026-11-24T02:00:00Z"),
            "strictly after: not the run that is happening now"
        );
        assert_eq!(
            s.next_after(utc("2026-11-23T22:30:00Z")),
            utc("2026-11-24T02:00:00Z"),
            "late evening UTC is already the next day in Warsaw"
        );
    }

    #[test]
    fn a_time_skipped_by_the_spring_change_runs_at_the_first_minute_after_it() {
        // 29 March 2026: Warsaw goes from 02:00 CET to 03:00 CEST.
        let s = schedule(2, 30, "Europe/Warsaw");
        assert_eq!(
            s.next_after(utc("2026-03-28T12:00:00Z")),
            utc("2026-03-29T01:00:00Z"),
            "03:00 CEST, the first minute after the skipped 02:30"
        );
        assert_eq!(
            s.next_after(utc("2026-03-29T01:00:00Z")),
            utc("2026-03-30T00:30:00Z"),
            "the day after, 02:30 CEST again"
        );
    }

    #[test]
    fn a_time_that_happens_twice_in_autumn_runs_once_at_the_first() {
        // 25 October 2026: Warsaw goes back from 03:00 CEST to 02:00 CET; 02:30 happens twice.
        let s = schedule(2, 30, "Europe/Warsaw");
        let first = s.next_after(utc("2026-10-24T12:00:00Z"));
        assert_eq!(first, utc("2026-10-25T00:30:00Z"), "02:30 CEST");
        assert_eq!(
            s.next_after(first),
            utc("2026-10-26T01:30:00Z"),
            "not again at 02:30 CET the same night"
        );
    }

    #[test]
    fn other_zones_follow_their_own_rules() {
        // New York changes on 8 March 2026 at 02:00 EST -> 03:00 EDT.
        let s = schedule(4, 0, "America/New_York");
        assert_eq!(
            s.next_after(utc("2026-03-07T12:00:00Z")),
            utc("2026-03-08T08:00:00Z"),
            "04:00 EDT"
        );
        assert_eq!(
            s.next_after(utc("2026-03-06T12:00:00Z")),
            utc("2026-03-07T09:00:00Z"),
            "04:00 EST"
        );
    }
}
