//! The calendar of one entry point: the next 14 days in its schedule's time zone, and the
//! explanation of a chosen moment (the text of `centrala explain`).
//!
//! Nothing here decides opening hours: the days come from [`schedule::stretches`] and the
//! explanation from [`explain`], the router's own functions.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use firmware_config::schedule::{Forced, Schedule};
use firmware_config::Config;
use pbx::routing::crm::Crm;
use pbx::routing::explain::explain;
use pbx::routing::schedule::{self, Reason, Stretch};

use super::{App, Command, Tone};
use crate::action::Action;

/// How many days the calendar shows, today first.
pub const DAYS: usize = 14;

/// Minutes in a day.
const DAY_MINUTES: u16 = 24 * 60;

/// The open calendar: which entry point, which moment is selected, what is typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// The entry point's name.
    pub entry: String,
    /// The selected day (0 = today).
    pub day: usize,
    /// The selected time, in minutes after the selected day's midnight.
    pub minute: u16,
    /// A time being typed (`14:3`).
    pub typed: String,
    /// The explanation of the selected moment, while its panel is shown.
    pub explanation: Option<String>,
}

/// An hour of a day, as the per-hour bar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hour {
    /// Open the whole hour.
    Open,
    /// Open part of the hour.
    Partly,
    /// Closed the whole hour.
    Closed,
    /// The clock skips this hour (a change to summer time).
    Skipped,
}

/// One day of the calendar, in words, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// The local date.
    pub date: NaiveDate,
    /// What kind of day: `working day`, `day off`, `holiday 'Easter'`, or while the night
    /// switch applies `switch: closed→14:00` (ends that day) or `switch: closed` (all day).
    pub kind: String,
    /// The open ranges as wall-clock times (`08:00–16:00`), empty when closed all day.
    pub open: Vec<String>,
    /// Each wall-clock hour.
    pub hours: [Hour; 24],
}

/// What the calendar screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The time zone the days are in (`Europe/Warsaw`, or `UTC` without a schedule).
    pub zone: String,
    /// Whether the entry point has a schedule.
    pub scheduled: bool,
    /// The days, today first.
    pub days: Vec<Day>,
    /// The selected moment on the schedule's clock (`Sun 25 Oct 14:00 CET`).
    pub moment: String,
    /// The status at the selected moment, in one sentence.
    pub status: String,
}

impl Calendar {
    /// The calendar of `entry` with the current time selected.
    pub fn new(config: &Config, entry: &str, now: DateTime<Utc>) -> Calendar {
        let wall = schedule::wall_clock(zone_of(config, entry), now);
        Calendar {
            entry: entry.to_string(),
            day: 0,
            minute: u16::try_from(wall.num_seconds_from_midnight() / 60).unwrap_or(0),
            typed: String::new(),
            explanation: None,
        }
    }

    /// The selected moment.
    pub fn moment(&self, config: &Config, now: DateTime<Utc>) -> DateTime<Utc> {
        let zone = zone_of(config, &self.entry);
        let local = first_day(zone, now)
            .checked_add_signed(Duration::days(self.day as i64))
            .and_then(|d| {
                d.and_hms_opt(u32::from(self.minute / 60), u32::from(self.minute % 60), 0)
            });
        local
            .and_then(|l| schedule::local_moment(zone, l))
            .unwrap_or(now)
    }

    /// What the screen shows, or `None` if the entry point no longer exists.
    pub fn view(&self, config: &Config, now: DateTime<Utc>) -> Option<View> {
        let entry = config.entry_point(&self.entry)?;
        let sched = entry.schedule.as_ref().and_then(|s| config.schedule(s));
        let zone = zone_of(config, &self.entry);
        let today = first_day(zone, now);
        let days = (0..DAYS as i64)
            .filter_map(|d| today.checked_add_signed(Duration::days(d)))
            .filter_map(|date| day(sched, zone, date))
            .collect();
        let at = self.moment(config, now);
        let tz: Tz = zone.parse().unwrap_or(Tz::UTC);
        Some(View {
            zone: zone.to_string(),
            scheduled: sched.is_some(),
            days,
            moment: at
                .with_timezone(&tz)
                .format("%a %d %b %H:%M %Z")
                .to_string(),
            status: schedule::status(sched, at).reason.describe(),
        })
    }

    fn explain(&self, config: &Config, now: DateTime<Utc>) -> String {
        let at = self.moment(config, now);
        match explain(config, &Crm::default(), &self.entry, at, None) {
            Ok(e) => e.to_text(),
            Err(e) => e.to_string(),
        }
    }

    fn earlier(&mut self) {
        if !self.minute.is_multiple_of(60) {
            self.minute -= self.minute % 60;
        } else if self.minute > 0 {
            self.minute -= 60;
        } else if self.day > 0 {
            self.day -= 1;
            self.minute = DAY_MINUTES - 60;
        }
    }

    fn later(&mut self) {
        let next = self.minute - self.minute % 60 + 60;
        if next < DAY_MINUTES {
            self.minute = next;
        } else if self.day + 1 < DAYS {
            self.day += 1;
            self.minute = 0;
        }
    }
}

impl App {
    /// Opens the calendar of the selected entry point.
    pub(super) fn open_calendar(&mut self) {
        let Some(config) = &self.config else { return };
        let Some(entry) = config.entry_points.get(self.selection()) else {
            return;
        };
        self.calendar = Some(Calendar::new(config, &entry.name, self.now));
    }

    /// Applies an action to the open calendar.
    pub(super) fn calendar_action(&mut self, action: Action) -> Vec<Command> {
        let (Some(cal), Some(config)) = (&mut self.calendar, &self.config) else {
            self.calendar = None;
            return Vec::new();
        };
        let mut explain = cal.explanation.is_some();
        match action {
            Action::Up => cal.day = cal.day.saturating_sub(1),
            Action::Down => cal.day = (cal.day + 1).min(DAYS - 1),
            Action::Earlier => cal.earlier(),
            Action::Later => cal.later(),
            Action::Char(c) if (c.is_ascii_digit() || c == ':') && cal.typed.len() < 5 => {
                cal.typed.push(c)
            }
            Action::Backspace => {
                cal.typed.pop();
            }
            Action::Enter => match take_typed(cal) {
                Ok(()) => explain = true,
                Err(bad) => {
                    let text = format!("'{bad}' is not a time of day: type HH:MM, 00:00 to 23:59");
                    self.say(Tone::Bad, text);
                    return Vec::new();
                }
            },
            Action::Back if cal.explanation.is_some() => explain = false,
            Action::Back if !cal.typed.is_empty() => cal.typed.clear(),
            Action::Back => {
                self.calendar = None;
                return Vec::new();
            }
            Action::Reload => {
                return vec![Command::Send(pbx::control::protocol::Request::GetConfig)]
            }
            _ => {}
        }
        cal.explanation = explain.then(|| cal.explain(config, self.now));
        Vec::new()
    }
}

/// Moves the selection to the typed time, if any; the typed text if it is not a time.
fn take_typed(cal: &mut Calendar) -> Result<(), String> {
    if cal.typed.is_empty() {
        return Ok(());
    }
    let typed = std::mem::take(&mut cal.typed);
    cal.minute = parse_time(&typed).ok_or(typed)?;
    Ok(())
}

/// A typed time of day (`14:30`, `9:05`, `1430`, `14`) in minutes after midnight.
pub fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = match text.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return None,
        None if text.len() <= 2 => (text, "00"),
        None if text.len() <= 4 => text.split_at(text.len() - 2),
        None => return None,
    };
    let number = |s: &str| -> Option<u16> {
        let ok = !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| s.parse().ok()).flatten()
    };
    let (h, m) = (number(h)?, number(m)?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// The time zone of the entry point's schedule; UTC without one.
fn zone_of<'a>(config: &'a Config, entry: &str) -> &'a str {
    config
        .entry_point(entry)
        .and_then(|e| e.schedule.as_ref())
        .and_then(|s| config.schedule(s))
        .map_or("UTC", |s| s.time_zone.as_str())
}

/// Today on the zone's clock.
fn first_day(zone: &str, now: DateTime<Utc>) -> NaiveDate {
    schedule::wall_clock(zone, now).date()
}

/// One day: its stretches, read as a kind of day, open ranges and hours.
fn day(sched: Option<&Schedule>, zone: &str, date: NaiveDate) -> Option<Day> {
    let start = schedule::local_moment(zone, date.and_time(chrono::NaiveTime::MIN))?;
    let next = date.succ_opt()?.and_time(chrono::NaiveTime::MIN);
    let end = schedule::local_moment(zone, next)?;
    let stretches = schedule::stretches(sched, start, end);
    let hours = std::array::from_fn(|h| hour(&stretches, zone, date, h as u32));
    Some(Day {
        date,
        kind: kind(sched, zone, date, &stretches),
        open: open_ranges(&stretches, zone, end),
        hours,
    })
}

/// The kind of day: the night switch while it applies, else holiday, day off or working day.
fn kind(sched: Option<&Schedule>, zone: &str, date: NaiveDate, stretches: &[Stretch]) -> String {
    let Some(sched) = sched else {
        return "always open".into();
    };
    let switch = stretches.iter().find_map(|s| match &s.status.reason {
        Reason::NightSwitch { state, .. } => Some((*state, s.to)),
        _ => None,
    });
    if let Some((state, until)) = switch {
        let state = match state {
            Forced::Open => "open",
            Forced::Closed => "closed",
        };
        let wall = schedule::wall_clock(zone, until);
        return if wall.date() == date {
            format!("switch: {state}→{}", wall.format("%H:%M"))
        } else {
            format!("switch: {state}")
        };
    }
    match schedule::closure(sched, date) {
        Some(Reason::Holiday { name }) => format!("holiday '{name}'"),
        Some(_) => "day off".into(),
        None => "working day".into(),
    }
}

/// The open ranges of a day as wall-clock times; a range running to the day's end ends `24:00`.
fn open_ranges(stretches: &[Stretch], zone: &str, day_end: DateTime<Utc>) -> Vec<String> {
    let mut joined: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for s in stretches.iter().filter(|s| s.status.open) {
        match joined.last_mut() {
            Some(last) if last.1 == s.from => last.1 = s.to,
            _ => joined.push((s.from, s.to)),
        }
    }
    let clock = |t: DateTime<Utc>| schedule::wall_clock(zone, t);
    joined
        .into_iter()
        .map(|(from, to)| {
            let end = if to >= day_end {
                "24:00".to_string()
            } else {
                // The wall clock just before the end, plus that second: 03:00, not the 02:00
                // the clock shows again when summer time ends.
                let last: NaiveDateTime = clock(to - Duration::seconds(1));
                (last + Duration::seconds(1)).format("%H:%M").to_string()
            };
            format!("{}–{end}", clock(from).format("%H:%M"))
        })
        .collect()
}

/// How much of wall-clock hour `h` of `date` is open.
fn hour(stretches: &[Stretch], zone: &str, date: NaiveDate, h: u32) -> Hour {
    let at = |h: u32| {
        let local = match h {
            24 => date.succ_opt()?.and_hms_opt(0, 0, 0)?,
            _ => date.and_hms_opt(h, 0, 0)?,
        };
        schedule::local_moment(zone, local)
    };
    let (Some(from), Some(to)) = (at(h), at(h + 1)) else {
        return Hour::Closed;
    };
    if to <= from {
        return Hour::Skipped;
    }
    let open: i64 = stretches
        .iter()
        .filter(|s| s.status.open)
        .map(|s| (s.to.min(to) - s.from.max(from)).num_seconds().max(0))
        .sum();
    match open {
        0 => Hour::Closed,
        o if o >= (to - from).num_seconds() => Hour::Open,
        _ => Hour::Partly,
    }
}

#[cfg(test)]
mod tests;
