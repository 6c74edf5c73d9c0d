//! Field input read and checked locally, before anything is sent: each parser returns the
//! value or the reason, in words, that the editor shows under the field. The daemon checks the
//! whole configuration again on save.

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use firmware_config::bounded::Text;
use firmware_config::bounds::{
    KEY_LEN, MAX_RANGES_PER_DAY, NAME_LEN, RING_TIME_MAX_SECS, RING_TIME_MIN_SECS,
};
use firmware_config::number::{CountryCode, Extension, PhoneNumber};
use firmware_config::schedule::{DayRanges, DaysOff, Forced, NightSwitch};
use firmware_config::time::{Date, Instant, TimeRange, Weekday};

pub mod settings;

/// An internal extension (2–6 digits).
pub fn extension(s: &str) -> Result<Extension, String> {
    Extension::parse(s.trim()).map_err(|e| format!("'{}': {e}", s.trim()))
}

/// A group's ring time in seconds, within the product's bounds.
pub fn ring_time(s: &str) -> Result<u16, String> {
    let s = s.trim();
    let secs: u16 = s
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(RING_TIME_MIN_SECS..=RING_TIME_MAX_SECS).contains(&secs) {
        return Err(format!(
            "{secs} s is out of range: between {RING_TIME_MIN_SECS} and {RING_TIME_MAX_SECS} s"
        ));
    }
    Ok(secs)
}

/// An outside number; a national one is completed with the office's country code.
pub fn phone_number(s: &str, country: CountryCode) -> Result<PhoneNumber, String> {
    PhoneNumber::parse(s.trim(), Some(country)).map_err(|e| format!("'{}': {e}", s.trim()))
}

/// An item's name (a group's, a schedule's, an entry point's), by which other items refer to
/// it: letters, digits, `-`, `_` and `.`.
pub fn key(s: &str) -> Result<Text<KEY_LEN>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("the name is empty".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-_.".contains(*c)))
    {
        return Err(format!(
            "'{c}' is not allowed in a name: letters, digits, - _ . only"
        ));
    }
    Text::new(s).map_err(|e| format!("the name {e}"))
}

/// A display name (a holiday's, an employee's): not empty, and short enough.
pub fn name(s: &str) -> Result<Text<NAME_LEN>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("the name is empty".into());
    }
    Text::new(s).map_err(|e| format!("the name {e}"))
}

/// One weekday's working hours: `09:00-12:00, 13:00-17:00`; empty for closed.
pub fn day_ranges(s: &str) -> Result<DayRanges, String> {
    let mut out = DayRanges::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let range: TimeRange = part.parse().map_err(|e| format!("{e}"))?;
        if range.length_minutes() == 0 {
            return Err(format!("'{part}' opens and closes at the same time"));
        }
        out.push(range)
            .map_err(|_| format!("at most {MAX_RANGES_PER_DAY} ranges a day"))?;
    }
    Ok(out)
}

/// A weekday by its English name or first three letters.
pub fn weekday(s: &str) -> Result<Weekday, String> {
    let lower = s.trim().to_lowercase();
    Weekday::ALL
        .into_iter()
        .find(|d| lower.len() >= 3 && d.short_name() == &lower[..3.min(lower.len())])
        .filter(|d| full_name(*d).starts_with(&lower))
        .ok_or_else(|| format!("'{}' is not a weekday (mon, tue, … sun)", s.trim()))
}

fn full_name(d: Weekday) -> &'static str {
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ][d.index()]
}

/// The days off: `sat, sun`; `none` (or empty) for open seven days.
pub fn days_off(s: &str) -> Result<DaysOff, String> {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("none") || s.to_lowercase().starts_with("open") {
        return Ok(DaysOff::OpenSevenDays);
    }
    let mut days = firmware_config::bounded::List::<Weekday, 7>::new();
    for word in s.split([',', ' ']).filter(|w| !w.is_empty()) {
        let day = weekday(word)?;
        if !days.contains(&day) {
            let _ = days.push(day);
        }
    }
    if days.len() == 7 {
        return Err("every day is off: the schedule would never open".into());
    }
    days.sort();
    Ok(DaysOff::Days(days))
}

/// A holiday's date or inclusive range: `2026-12-24` or `2026-12-24..2026-12-26`.
pub fn holiday_dates(s: &str) -> Result<(Date, Option<Date>), String> {
    let s = s.trim();
    let (a, b) = match s.split_once("..") {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let start = date(a)?;
    let Some(b) = b else {
        return Ok((start, None));
    };
    let end = date(b)?;
    if end < start {
        return Err(format!("the range ends ({end}) before it starts ({start})"));
    }
    Ok((start, (end != start).then_some(end)))
}

fn date(s: &str) -> Result<Date, String> {
    let d: Date = s.trim().parse().map_err(|e| format!("{e}"))?;
    if !d.exists() {
        return Err(format!("{d} does not exist"));
    }
    Ok(d)
}

/// Yes or no.
pub fn yes_no(s: &str) -> Result<bool, String> {
    match s.trim().to_lowercase().as_str() {
        "y" | "yes" => Ok(true),
        "n" | "no" | "" => Ok(false),
        other => Err(format!("'{other}': answer y or n")),
    }
}

/// A known IANA time zone.
pub fn time_zone(s: &str) -> Result<Tz, String> {
    s.trim()
        .parse::<Tz>()
        .map_err(|_| format!("'{}' is not a known time zone", s.trim()))
}

/// Every time zone name, for the picker.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

/// A night switch typed as `HH:MM` (closed until then), `open HH:MM` (open until then), or
/// empty / `off` (back to the schedule). The time is the next such wall-clock time in the
/// schedule's zone after `now`.
pub fn night_switch(
    s: &str,
    zone: &str,
    now: DateTime<Utc>,
) -> Result<Option<NightSwitch>, String> {
    let s = s.trim().to_lowercase();
    if s.is_empty() || s == "off" || s == "clear" {
        return Ok(None);
    }
    let (state, time) = match s.split_once(' ') {
        Some(("open", t)) => (Forced::Open, t.trim()),
        Some(("closed", t)) => (Forced::Closed, t.trim()),
        Some((w, _)) => return Err(format!("'{w}': write open HH:MM, closed HH:MM or HH:MM")),
        None => (Forced::Closed, s.as_str()),
    };
    let tod: firmware_config::time::TimeOfDay = time.parse().map_err(|e| format!("{e}"))?;
    let tz = time_zone(zone)?;
    let until = next_wall_clock(tz, now, tod.minutes())
        .ok_or_else(|| format!("{time} does not exist in {zone} today (clock change)"))?;
    Ok(Some(NightSwitch {
        state,
        until: Instant(until.timestamp()),
    }))
}

/// The next moment after `now` whose wall-clock time in `tz` is `minutes` after midnight.
fn next_wall_clock(tz: Tz, now: DateTime<Utc>, minutes: u16) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&tz);
    let time = NaiveTime::from_hms_opt(u32::from(minutes / 60) % 24, u32::from(minutes % 60), 0)?;
    let mut day = local.date_naive();
    if minutes >= 1440 {
        day = day.checked_add_days(Days::new(1))?;
    }
    for _ in 0..2 {
        let at = tz.from_local_datetime(&day.and_time(time)).earliest()?;
        if at > local {
            return Some(at.with_timezone(&Utc));
        }
        day = day.checked_add_days(Days::new(1))?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        assert!(day_ranges("25:00-17:00").unwrap_err().contains("25:00"));
        assert!(day_ranges("09:00-09:00").unwrap_err().contains("same time"));
        assert!(ring_time("abc").unwrap_err().contains("not a number"));
        assert!(ring_time("500").unwrap_err().contains("out of range"));
        assert!(name("   ").unwrap_err().contains("empty"));
        assert!(time_zone("Mars/Olympus")
            .unwrap_err()
            .contains("not a known"));
        assert!(holiday_dates("2026-02-30")
            .unwrap_err()
            .contains("does not exist"));
        assert!(holiday_dates("2026-12-26..2026-12-24")
            .unwrap_err()
            .contains("before"));
        assert!(days_off("sat, funday").unwrap_err().contains("funday"));
        assert!(extension("1a").is_err());
    }

    #[test]
    fn good_input_reads_as_meant() {
        let r = day_ranges("09:00-12:00, 13:00-17:00").expect("ranges");
        assert_eq!(r.len(), 2);
        assert!(day_ranges("").expect("closed").is_empty());
        assert_eq!(ring_time(" 20 "), Ok(20));
        assert_eq!(days_off("none"), Ok(DaysOff::OpenSevenDays));
        match days_off("Sunday sat") {
            Ok(DaysOff::Days(d)) => assert_eq!(d.as_slice(), &[Weekday::Sat, Weekday::Sun]),
            other => panic!("{other:?}"),
        }
        let (s, e) = holiday_dates("2026-12-24..2026-12-26").expect("range");
        assert_eq!(
            (s.to_string(), e.map(|d| d.to_string())),
            ("2026-12-24".into(), Some("2026-12-26".into()))
        );
        assert_eq!(yes_no("Y"), Ok(true));
    }

    #[test]
    fn a_night_switch_ends_at_the_next_such_time_in_the_schedules_zone() {
        // 10:00 in Warsaw (winter, UTC+1).
        let now = "2026-01-05T09:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time");
        let closed = night_switch("14:00", "Europe/Warsaw", now).expect("valid");
        let n = closed.expect("set");
        assert_eq!(n.state, Forced::Closed);
        assert_eq!(n.until.to_string(), "2026-01-05T13:00:00Z");
        // 08:00 has passed today: tomorrow.
        let open = night_switch("open 08:00", "Europe/Warsaw", now).expect("valid");
        assert_eq!(open.expect("set").until.to_string(), "2026-01-06T07:00:00Z");
        assert_eq!(night_switch("", "Europe/Warsaw", now), Ok(None));
        assert!(night_switch("25:00", "Europe/Warsaw", now).is_err());
    }
}
