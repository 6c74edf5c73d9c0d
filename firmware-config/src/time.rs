//! Wall-clock values used by schedules: times of day, ranges, dates, weekdays and instants.
//!
//! In the text form they are written as people write them (`09:00-17:00`, `2026-12-24`,
//! `2026-11-23T14:00:00Z`); in the stored binary form as small integers.

use core::fmt;
use core::str::FromStr;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// Why a written time, date or instant could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not of the form `HH:MM`.
    #[error("'{0}' is not a time of day (write HH:MM, e.g. 09:30)")]
    TimeSyntax(String),
    /// Hours or minutes out of range.
    #[error("'{0}' is not a time of day: hours go 00-23 (24:00 only as an end), minutes 00-59")]
    TimeRange(String),
    /// Not of the form `HH:MM-HH:MM`.
    #[error("'{0}' is not a range (write HH:MM-HH:MM, e.g. 09:00-17:00)")]
    RangeSyntax(String),
    /// 24:00 used as a start.
    #[error("'{0}': a range cannot start at 24:00 (start at 00:00 instead)")]
    StartAtMidnightEnd(String),
    /// Not of the form `YYYY-MM-DD`.
    #[error("'{0}' is not a date (write YYYY-MM-DD, e.g. 2026-12-24)")]
    DateSyntax(String),
    /// Not an RFC 3339 instant.
    #[error("'{0}' is not a moment in time (write RFC 3339, e.g. 2026-11-23T14:00:00+01:00)")]
    InstantSyntax(String),
}

/// A wall-clock time of day, in minutes after midnight; 1440 is `24:00`, valid only as an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// Midnight at the start of a day.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    /// `24:00`, midnight at the end of a day.
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(1440);

    /// A time from hours and minutes, or `None` if out of range (24:00 is allowed).
    pub const fn hm(hours: u16, minutes: u16) -> Option<TimeOfDay> {
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
            return None;
        }
        Some(TimeOfDay(hours * 60 + minutes))
    }

    /// Minutes after midnight (0..=1440).
    pub const fn minutes(self) -> u16 {
        self.0
    }

    /// A time from minutes after midnight, or `None` past 24:00.
    pub const fn from_minutes(m: u16) -> Option<TimeOfDay> {
        if m > 1440 {
            None
        } else {
            Some(TimeOfDay(m))
        }
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl FromStr for TimeOfDay {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, TimeError> {
        let syntax = || TimeError::TimeSyntax(s.to_string());
        let (h, m) = s.trim().split_once(':').ok_or_else(syntax)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(syntax());
        }
        let h: u16 = digits(h).ok_or_else(syntax)?;
        let m: u16 = digits(m).ok_or_else(syntax)?;
        TimeOfDay::hm(h, m).ok_or_else(|| TimeError::TimeRange(s.to_string()))
    }
}

fn digits<T: FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A working-hours range listed under one weekday: open from `start` up to, not including,
/// `end`. If `end` is not after `start` the range ends at `end` on the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeRange {
    /// Opening time (never 24:00).
    pub start: TimeOfDay,
    /// Closing time; 24:00 is midnight at the end of the day.
    pub end: TimeOfDay,
}

impl TimeRange {
    /// A range, refusing a start of 24:00.
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Option<TimeRange> {
        (start < TimeOfDay::END_OF_DAY).then_some(TimeRange { start, end })
    }

    /// True when the range runs past midnight into the next day.
    pub fn crosses_midnight(&self) -> bool {
        self.end <= self.start && self.end != TimeOfDay::MIDNIGHT
            || self.end == TimeOfDay::MIDNIGHT && self.start != TimeOfDay::MIDNIGHT
    }

    /// Length in minutes by the wall clock (0 when start equals end, which validation refuses).
    pub fn length_minutes(&self) -> u16 {
        let (s, e) = (self.start.minutes(), self.end.minutes());
        if e > s {
            e - s
        } else if e == s {
            0
        } else {
            1440 - s + e
        }
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl FromStr for TimeRange {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, TimeError> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| TimeError::RangeSyntax(s.to_string()))?;
        let start: TimeOfDay = a.parse()?;
        let end: TimeOfDay = b.parse()?;
        TimeRange::new(start, end).ok_or_else(|| TimeError::StartAtMidnightEnd(s.to_string()))
    }
}

/// A calendar date. Syntax is checked on input; whether the day exists in that month and year
/// is checked by validation, so the problem can be reported with the holiday it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year (1970..=9999).
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of the month, 1..=31.
    pub day: u8,
}

impl Date {
    /// A date if month and day are in their general ranges (not checked against the month).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        ((1970..=9999).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day))
            .then_some(Date { year, month, day })
    }

    /// True if this day exists in its month and year (30 April, 29 February in leap years).
    pub fn exists(&self) -> bool {
        self.day <= days_in_month(self.year, self.month)
    }
}

/// True for leap years of the Gregorian calendar.
pub fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// The number of days in a month of a year.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, TimeError> {
        let syntax = || TimeError::DateSyntax(s.to_string());
        let mut parts = s.trim().split('-');
        let (y, m, d) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(y), Some(m), Some(d), None) if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
                (y, m, d)
            }
            _ => return Err(syntax()),
        };
        let (y, m, d) = (
            digits(y).ok_or_else(syntax)?,
            digits(m).ok_or_else(syntax)?,
            digits(d).ok_or_else(syntax)?,
        );
        Date::new(y, m, d).ok_or_else(syntax)
    }
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// Monday to Sunday.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// 0 for Monday up to 6 for Sunday.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The day after.
    pub fn next(self) -> Weekday {
        Weekday::ALL[(self.index() + 1) % 7]
    }

    /// The short English name (`mon`).
    pub fn short_name(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self.index()]
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// A moment in time, in whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub i64);

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match chrono::DateTime::from_timestamp(self.0, 0) {
            Some(t) => write!(f, "{}", t.format("%Y-%m-%dT%H:%M:%SZ")),
            None => write!(f, "@{}", self.0),
        }
    }
}

impl FromStr for Instant {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, TimeError> {
        chrono::DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Instant(t.timestamp()))
            .map_err(|_| TimeError::InstantSyntax(s.to_string()))
    }
}

/// Serialises a value as its text in human-readable formats and as `B` in binary ones.
macro_rules! text_or_binary {
    ($ty:ty, $bin:ty, $to_bin:expr, $from_bin:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.collect_str(self)
                } else {
                    let f: fn(&$ty) -> $bin = $to_bin;
                    f(self).serialize(s)
                }
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let s = String::deserialize(d)?;
                    s.parse().map_err(de::Error::custom)
                } else {
                    let f: fn($bin) -> Option<$ty> = $from_bin;
                    let raw = <$bin>::deserialize(d)?;
                    f(raw)
                        .ok_or_else(|| de::Error::custom(concat!("out-of-range ", stringify!($ty))))
                }
            }
        }
    };
}

text_or_binary!(TimeOfDay, u16, |t| t.0, TimeOfDay::from_minutes);
text_or_binary!(TimeRange, (u16, u16), |r| (r.start.0, r.end.0), |(a, b)| {
    TimeRange::new(TimeOfDay::from_minutes(a)?, TimeOfDay::from_minutes(b)?)
});
text_or_binary!(Instant, i64, |i| i.0, |v| Some(Instant(v)));

text_or_binary!(Date, (u16, u8, u8), |d| (d.year, d.month, d.day), |(
    y,
    m,
    d,
)| {
    Date::new(y, m, d)
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_parse_and_print() {
        assert_eq!("09:05".parse::<TimeOfDay>().map(|t| t.minutes()), Ok(545));
        assert_eq!("9:05".parse::<TimeOfDay>().map(|t| t.minutes()), Ok(545));
        assert_eq!("24:00".parse::<TimeOfDay>(), Ok(TimeOfDay::END_OF_DAY));
        assert!(matches!(
            "25:00".parse::<TimeOfDay>(),
            Err(TimeError::TimeRange(_))
        ));
        assert!(matches!(
            "24:01".parse::<TimeOfDay>(),
            Err(TimeError::TimeRange(_))
        ));
        assert!(matches!(
            "12:60".parse::<TimeOfDay>(),
            Err(TimeError::TimeRange(_))
        ));
        assert!(matches!(
            "12.30".parse::<TimeOfDay>(),
            Err(TimeError::TimeSyntax(_))
        ));
        assert!(matches!(
            "+1:30".parse::<TimeOfDay>(),
            Err(TimeError::TimeSyntax(_))
        ));
        assert_eq!(TimeOfDay(545).to_string(), "09:05");
    }

    #[test]
    fn ranges_parse_and_know_when_they_cross_midnight() {
        let r: TimeRange = "22:00-06:00".parse().expect("range");
        assert!(r.crosses_midnight());
        assert_eq!(r.length_minutes(), 480);
        let r: TimeRange = "09:00-24:00".parse().expect("range");
        assert!(!r.crosses_midnight());
        let r: TimeRange = "18:00-00:00".parse().expect("range");
        assert!(r.crosses_midnight());
        assert!(matches!(
            "24:00-06:00".parse::<TimeRange>(),
            Err(TimeError::StartAtMidnightEnd(_))
        ));
        assert!(matches!(
            "0900".parse::<TimeRange>(),
            Err(TimeError::RangeSyntax(_))
        ));
    }

    #[test]
    fn dates_parse_and_know_whether_they_exist() {
        let d: Date = "2028-02-29".parse().expect("date");
        assert!(d.exists());
        assert!(!"2026-02-29".parse::<Date>().expect("syntax").exists());
        assert!(!"2026-04-31".parse::<Date>().expect("syntax").exists());
        assert!("2026-13-01".parse::<Date>().is_err());
        assert!("2026-1-01".parse::<Date>().is_err());
        assert!(is_leap_year(2000) && !is_leap_year(1900) && is_leap_year(2028));
    }

    #[test]
    fn binary_and_text_forms_round_trip() {
        let r: TimeRange = "22:00-06:00".parse().expect("range");
        let bin = postcard::to_allocvec(&r).expect("encode");
        assert!(bin.len() <= 4);
        assert_eq!(postcard::from_bytes::<TimeRange>(&bin).ok(), Some(r));
        let i: Instant = "2026-11-23T14:00:00+01:00".parse().expect("instant");
        assert_eq!(i.to_string(), "2026-11-23T13:00:00Z");
        let bin = postcard::to_allocvec(&i).expect("encode");
        assert_eq!(postcard::from_bytes::<Instant>(&bin).ok(), Some(i));
    }
}
