//! Schedules: working hours in a time zone, days off, holidays, after-hours handling and the
//! night switch (SPEC §4). The rules that read them live in the router; this is the data.

use serde::{Deserialize, Serialize};

use crate::bounded::{List, Text};
use crate::bounds::{KEY_LEN, MAX_HOLIDAYS_PER_SCHEDULE, MAX_RANGES_PER_DAY, NAME_LEN, PATH_LEN};
use crate::number::PhoneNumber;
use crate::time::{Date, Instant, TimeRange, Weekday};

/// The working-hour ranges that start on one weekday.
pub type DayRanges = List<TimeRange, MAX_RANGES_PER_DAY>;

/// A schedule that entry points refer to by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The schedule's name.
    pub name: Text<KEY_LEN>,
    /// IANA time zone (e.g. `Europe/Warsaw`) in which the hours are wall-clock times.
    pub time_zone: Text<KEY_LEN>,
    /// Which weekdays are closed, or explicitly none.
    pub days_off: DaysOff,
    /// What happens to calls outside working hours, on days off and holidays.
    pub after_hours: AfterHours,
    /// The admin's own voicemail greeting (a WAV file); the built-in one when absent.
    #[serde(default)]
    pub voicemail_greeting: Option<Text<PATH_LEN>>,
    /// Open or closed regardless of the schedule, until a moment (the "night switch").
    #[serde(default)]
    pub night_switch: Option<NightSwitch>,
    /// Ranges per weekday.
    pub hours: WeeklyHours,
    /// Named holidays.
    #[serde(default)]
    pub holidays: List<Holiday, MAX_HOLIDAYS_PER_SCHEDULE>,
}

/// Working-hour ranges for each weekday, each listed under the day it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// Monday.
    #[serde(default)]
    pub mon: DayRanges,
    /// Tuesday.
    #[serde(default)]
    pub tue: DayRanges,
    /// Wednesday.
    #[serde(default)]
    pub wed: DayRanges,
    /// Thursday.
    #[serde(default)]
    pub thu: DayRanges,
    /// Friday.
    #[serde(default)]
    pub fri: DayRanges,
    /// Saturday.
    #[serde(default)]
    pub sat: DayRanges,
    /// Sunday.
    #[serde(default)]
    pub sun: DayRanges,
}

impl WeeklyHours {
    /// The ranges that start on `day`.
    pub fn day(&self, day: Weekday) -> &DayRanges {
        match day {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    /// The ranges that start on `day`, mutably.
    pub fn day_mut(&mut self, day: Weekday) -> &mut DayRanges {
        match day {
            Weekday::Mon => &mut self.mon,
            Weekday::Tue => &mut self.tue,
            Weekday::Wed => &mut self.wed,
            Weekday::Thu => &mut self.thu,
            Weekday::Fri => &mut self.fri,
            Weekday::Sat => &mut self.sat,
            Weekday::Sun => &mut self.sun,
        }
    }
}

/// The closed weekdays. "Open seven days" is its own setting, not an empty list: an empty
/// `days` list is refused by validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DaysOff {
    /// No day off at all.
    OpenSevenDays,
    /// These weekdays are closed.
    Days(List<Weekday, 7>),
}

/// A named holiday: one date or an inclusive range, optionally every year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// What the holiday is called ("Boże Narodzenie").
    pub name: Text<NAME_LEN>,
    /// The first day.
    pub start: Date,
    /// The last day (inclusive); the same as `start` when absent. For a yearly holiday that
    /// runs over New Year, in the following year.
    #[serde(default)]
    pub end: Option<Date>,
    /// Repeats every year from `start`'s year on (29 February only in leap years).
    #[serde(default)]
    pub yearly: bool,
}

impl Holiday {
    /// The last day, inclusive.
    pub fn last_day(&self) -> Date {
        self.end.unwrap_or(self.start)
    }
}

/// What happens to a call outside working hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterHours {
    /// Play the greeting and record a message for the entry point's employees.
    Voicemail,
    /// Forward to an outside number in international form.
    ForwardToNumber(PhoneNumber),
    /// Reject without answering (a toll-free caller is not charged).
    HangUp,
}

/// A manual override of the schedule until a moment, after which the schedule applies again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NightSwitch {
    /// Forced open or forced closed.
    pub state: Forced,
    /// When the override ends by itself.
    pub until: Instant,
}

/// The state a night switch forces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forced {
    /// Open, whatever the hours say.
    Open,
    /// Closed, whatever the hours say.
    Closed,
}
