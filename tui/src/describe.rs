//! Items in words: the lines the editors show and the difference a save makes.

use firmware_config::group::{Distribution, QueueGroup, Unanswered};
use firmware_config::schedule::{AfterHours, DaysOff, Forced, Holiday, NightSwitch, Schedule};
use firmware_config::time::Weekday;
use firmware_config::Config;

pub mod settings;

/// A presence in words.
pub fn presence(p: firmware_config::employee::Presence) -> &'static str {
    use firmware_config::employee::Presence;
    match p {
        Presence::Available => "available",
        Presence::OnBreak => "on a break",
        Presence::Off => "off work",
    }
}

/// How a distribution reads.
pub fn distribution(d: Distribution) -> &'static str {
    match d {
        Distribution::InOrder => "in order (first member first)",
        Distribution::Evenly => "evenly (round robin)",
        Distribution::Simultaneously => "all at once",
    }
}

/// How an unanswered-call action reads.
pub fn unanswered(u: &Unanswered) -> String {
    match u {
        Unanswered::ForwardToLastMember => "forward to the last member's mobile".into(),
        Unanswered::ForwardToEmployee(e) => format!("forward to {e}'s mobile"),
        Unanswered::ForwardToNumber(n) => format!("forward to {n}"),
        Unanswered::ForwardToGroup(g) => format!("go on to group '{g}'"),
        Unanswered::WaitForAgent => "keep waiting for a free member".into(),
    }
}

/// How an after-hours action reads.
pub fn after_hours(a: &AfterHours) -> String {
    match a {
        AfterHours::Voicemail => "voicemail".into(),
        AfterHours::ForwardToNumber(n) => format!("forward to {n}"),
        AfterHours::HangUp => "hang up".into(),
    }
}

/// How the days off read (`sat, sun`, or `none (open seven days)`).
pub fn days_off(d: &DaysOff) -> String {
    match d {
        DaysOff::OpenSevenDays => "none (open 7 days)".into(),
        DaysOff::Days(days) => join(days.iter().map(|d| d.short_name().to_string())),
    }
}

/// Whether `day` is a day off.
pub fn is_day_off(d: &DaysOff, day: Weekday) -> bool {
    matches!(d, DaysOff::Days(days) if days.contains(&day))
}

/// One weekday's ranges (`09:00-17:00, 18:00-20:00`, or `closed`).
pub fn hours(schedule: &Schedule, day: Weekday) -> String {
    let ranges = schedule.hours.day(day);
    if ranges.is_empty() {
        "closed".into()
    } else {
        join(ranges.iter().map(|r| r.to_string()))
    }
}

/// A holiday's dates (`2026-12-24..2026-12-26, every year`).
pub fn holiday_dates(h: &Holiday) -> String {
    let mut s = match h.end {
        Some(end) if end != h.start => format!("{}..{}", h.start, end),
        _ => h.start.to_string(),
    };
    if h.yearly {
        s.push_str(", every year");
    }
    s
}

/// A night switch in the schedule's zone (`closed until 05 Jan 14:00`, or `off`); in UTC
/// when the zone is unknown.
pub fn night_switch(n: Option<&NightSwitch>, zone: &str) -> String {
    let Some(n) = n else {
        return "off".into();
    };
    let state = match n.state {
        Forced::Open => "open",
        Forced::Closed => "closed",
    };
    let local = zone.parse::<chrono_tz::Tz>().ok().and_then(|tz| {
        chrono::DateTime::from_timestamp(n.until.0, 0)
            .map(|t| t.with_timezone(&tz).format("%d %b %H:%M").to_string())
    });
    match local {
        Some(at) => format!("{state} until {at}"),
        None => format!("{state} until {}", n.until),
    }
}

/// An employee by extension, with the name when known (`101 Anna`).
pub fn employee(config: &Config, ext: &firmware_config::number::Extension) -> String {
    match config.employee(ext) {
        Some(e) => format!("{ext} {}", e.name),
        None => format!("{ext} (unknown)"),
    }
}

/// An employee as labelled lines. Passwords are never shown: a short fingerprint says
/// whether one changed.
pub fn employee_item(e: &firmware_config::employee::Employee) -> Vec<(String, String)> {
    let mut out = vec![
        ("extension".into(), e.extension.to_string()),
        ("name".into(), e.name.to_string()),
        (
            "mobile".into(),
            e.mobile
                .as_ref()
                .map(|m| m.to_string())
                .unwrap_or_else(|| "none".into()),
        ),
        ("presence".into(), presence(e.presence).into()),
    ];
    for d in &e.devices {
        out.push((
            format!("phone '{}'", d.username),
            format!("password #{:04x}", fingerprint(&d.password)),
        ));
    }
    out
}

/// A 16-bit FNV-1a fingerprint: tells passwords apart without showing them.
pub fn fingerprint(s: &str) -> u16 {
    let h = s.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    (h ^ (h >> 16)) as u16
}

/// Where an entry point sends calls.
pub fn destination(d: &firmware_config::entry::Destination) -> String {
    match d {
        firmware_config::entry::Destination::Employee(x) => format!("employee {x}"),
        firmware_config::entry::Destination::Group(g) => format!("group {g}"),
    }
}

/// An entry point's CRM options in words: the lookup, and what happens to unknown numbers.
pub fn crm(c: &firmware_config::entry::CrmOptions) -> (String, String) {
    use firmware_config::entry::UnknownCaller;
    let lookup = if c.lookup { "on" } else { "off" };
    let unknown = match c.unknown_caller {
        UnknownCaller::CreateLead => "create a lead and notify",
        UnknownCaller::OfferToCreate => "notify, offering to create a record",
    };
    (lookup.into(), unknown.into())
}

/// Where an entry point's calls come from, in words.
pub fn source(s: &firmware_config::entry::EntrySource) -> String {
    use firmware_config::entry::EntrySource;
    match s {
        EntrySource::AnalogLine(l) => format!("analog line {l}"),
        EntrySource::TrunkDid(t) => format!("{} on trunk {}", t.did, t.trunk),
        EntrySource::Internal(x) => format!("internal number {x}"),
    }
}

/// An entry point as labelled lines.
pub fn entry(e: &firmware_config::entry::EntryPoint) -> Vec<(String, String)> {
    let (lookup, unknown) = crm(&e.crm);
    vec![
        ("comes from".into(), source(&e.source)),
        ("goes to".into(), destination(&e.destination)),
        (
            "schedule".into(),
            e.schedule
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "none: always open".into()),
        ),
        ("CRM lookup".into(), lookup),
        ("unknown caller".into(), unknown),
    ]
}

/// A group as labelled lines; each member also has a line of its own, so an added or removed
/// member is named in the difference.
pub fn group(g: &QueueGroup, config: &Config) -> Vec<(String, String)> {
    let members = if g.members.is_empty() {
        "none".to_string()
    } else {
        g.members
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    vec![
        ("number".into(), g.number.to_string()),
        ("distribution".into(), distribution(g.distribution).into()),
        ("ring time".into(), format!("{} s", g.ring_time_secs)),
        ("when unanswered".into(), unanswered(&g.unanswered)),
        ("members".into(), members),
    ]
    .into_iter()
    .chain(
        g.members
            .iter()
            .map(|m| (format!("member {m}"), employee(config, m))),
    )
    .collect()
}

/// A schedule as labelled lines.
pub fn schedule(s: &Schedule) -> Vec<(String, String)> {
    let mut out = vec![
        ("time zone".into(), s.time_zone.to_string()),
        ("days off".into(), days_off(&s.days_off)),
    ];
    for day in Weekday::ALL {
        out.push((format!("hours {day}"), hours(s, day)));
    }
    out.push(("after hours".into(), after_hours(&s.after_hours)));
    out.push((
        "night switch".into(),
        night_switch(s.night_switch.as_ref(), &s.time_zone),
    ));
    for h in &s.holidays {
        out.push((format!("holiday '{}'", h.name), holiday_dates(h)));
    }
    out
}

/// One line of a difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What changed.
    pub label: String,
    /// Before (none: added).
    pub old: Option<String>,
    /// After (none: removed).
    pub new: Option<String>,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.old, &self.new) {
            (Some(o), Some(n)) => write!(f, "{}: {o} → {n}", self.label),
            (None, Some(n)) => write!(f, "+ {}: {n}", self.label),
            (Some(o), None) => write!(f, "- {}: {o}", self.label),
            (None, None) => write!(f, "{}", self.label),
        }
    }
}

/// The lines that differ between two descriptions, in their order.
pub fn diff(old: &[(String, String)], new: &[(String, String)]) -> Vec<Change> {
    let find = |list: &[(String, String)], label: &str| {
        list.iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.clone())
    };
    let mut out = Vec::new();
    for (label, value) in old {
        match find(new, label) {
            Some(n) if &n == value => {}
            n => out.push(Change {
                label: label.clone(),
                old: Some(value.clone()),
                new: n,
            }),
        }
    }
    for (label, value) in new {
        if find(old, label).is_none() {
            out.push(Change {
                label: label.clone(),
                old: None,
                new: Some(value.clone()),
            });
        }
    }
    out
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn the_difference_names_changed_added_and_removed_lines() {
        let old = lines(&[("a", "1"), ("b", "2"), ("c", "3")]);
        let new = lines(&[("a", "1"), ("b", "5"), ("d", "4")]);
        let d: Vec<String> = diff(&old, &new).iter().map(|c| c.to_string()).collect();
        assert_eq!(d, ["b: 2 → 5", "- c: 3", "+ d: 4"]);
        assert!(diff(&old, &old).is_empty());
    }
}
