//! Schedules: time zones, ranges, days off and holidays that make sense.

use super::identity::{at, push};
use super::problem::{Problem, ProblemKind, Section};
use super::references::check_outside;
use crate::config::Config;
use crate::schedule::{AfterHours, DaysOff, Holiday, Schedule};
use crate::time::{days_in_month, Date, TimeRange, Weekday};

const WEEK_MINUTES: u32 = 7 * 1440;

pub(super) fn check(config: &Config, out: &mut Vec<Problem>) {
    for (i, s) in config.schedules.iter().enumerate() {
        let loc = |f: &str| at(Section::Schedules, i, &s.name, f);
        if s.time_zone.parse::<chrono_tz::Tz>().is_err() {
            push(
                out,
                loc("time_zone"),
                ProblemKind::UnknownTimeZone(s.time_zone.to_string()),
            );
        }
        check_ranges(s, &loc, out);
        check_days_off(s, &loc, out);
        for (h, holiday) in s.holidays.iter().enumerate() {
            check_holiday(holiday, &|f| loc(&format!("holidays[{h}].{f}")), out);
        }
        if let AfterHours::ForwardToNumber(n) = &s.after_hours {
            check_outside(config, n, loc("after_hours.forward_to_number"), out);
        }
        if let Some(p) = &s.voicemail_greeting {
            if !p.starts_with('/') {
                push(
                    out,
                    loc("voicemail_greeting"),
                    ProblemKind::RelativePath(p.to_string()),
                );
            }
        }
    }
}

/// A range placed on the week: minutes from Monday 00:00, and its length.
struct Placed {
    day: Weekday,
    index: usize,
    range: TimeRange,
    from: u32,
    len: u32,
}

impl Placed {
    fn label(&self) -> String {
        format!("{} {}", self.day, self.range)
    }
    /// True if the two intervals share a minute on the circular week.
    fn overlaps(&self, other: &Placed) -> bool {
        let starts_inside =
            |a: &Placed, b: &Placed| (b.from + WEEK_MINUTES - a.from) % WEEK_MINUTES < a.len;
        starts_inside(self, other) || starts_inside(other, self)
    }
}

fn check_ranges(s: &Schedule, loc: &dyn Fn(&str) -> super::Location, out: &mut Vec<Problem>) {
    let mut placed: Vec<Placed> = Vec::new();
    for day in Weekday::ALL {
        for (index, range) in s.hours.day(day).iter().enumerate() {
            let field = format!("hours.{day}[{index}]");
            let len = u32::from(range.length_minutes());
            if len == 0 {
                push(out, loc(&field), ProblemKind::EmptyRange(range.to_string()));
                continue;
            }
            let from = day.index() as u32 * 1440 + u32::from(range.start.minutes());
            let this = Placed {
                day,
                index,
                range: *range,
                from,
                len,
            };
            if let Some(other) = placed.iter().find(|p| p.overlaps(&this)) {
                let kind = ProblemKind::OverlappingRanges {
                    first: other.label(),
                    second: this.label(),
                };
                push(
                    out,
                    loc(&format!("hours.{}[{}]", this.day, this.index)),
                    kind,
                );
            }
            placed.push(this);
        }
    }
}

fn check_days_off(s: &Schedule, loc: &dyn Fn(&str) -> super::Location, out: &mut Vec<Problem>) {
    if let DaysOff::Days(days) = &s.days_off {
        if days.is_empty() {
            push(out, loc("days_off"), ProblemKind::EmptyDaysOff);
        }
        for (i, d) in days.iter().enumerate() {
            if days[..i].contains(d) {
                push(
                    out,
                    loc(&format!("days_off.days[{i}]")),
                    ProblemKind::DuplicateDay(d.to_string()),
                );
            }
        }
    }
}

fn check_holiday(h: &Holiday, loc: &dyn Fn(&str) -> super::Location, out: &mut Vec<Problem>) {
    if h.name.trim().is_empty() {
        push(out, loc("name"), ProblemKind::Empty);
    }
    let mut dates_exist = true;
    for (field, date) in [("start", Some(h.start)), ("end", h.end)] {
        if let Some(d) = date {
            if !d.exists() {
                dates_exist = false;
                push(out, loc(field), ProblemKind::ImpossibleDate(d.to_string()));
            }
        }
    }
    let end = h.last_day();
    if dates_exist && end < h.start {
        let kind = ProblemKind::EndsBeforeStart {
            start: h.start.to_string(),
            end: end.to_string(),
        };
        push(out, loc("end"), kind);
    } else if dates_exist && h.yearly && spans_a_year(h.start, end) {
        push(out, loc("end"), ProblemKind::YearlyTooLong);
    }
}

/// True if the inclusive range `start..=end` is a year or longer: it reaches the day before
/// the same day a year later, so a yearly holiday would close every day of every year. For
/// 29 February that day is 28 February of the next year.
fn spans_a_year(start: Date, end: Date) -> bool {
    let year = start.year.saturating_add(1);
    let day_before_anniversary = if start.day > 1 {
        Date {
            year,
            month: start.month,
            day: start.day - 1,
        }
    } else if start.month == 1 {
        Date {
            year: start.year,
            month: 12,
            day: 31,
        }
    } else {
        Date {
            year,
            month: start.month - 1,
            day: days_in_month(year, start.month - 1),
        }
    };
    end >= day_before_anniversary
}
