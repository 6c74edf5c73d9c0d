//! Generated offices of a chosen size, valid by construction: for benchmarks, load tests and
//! the store's crash tests.

use crate::bounded::{List, Table, Text};
use crate::config::Config;
use crate::default::{outbound, system};
use crate::employee::{Employee, Presence, SipDevice};
use crate::entry::{CrmOptions, Destination, EntryPoint, EntrySource, UnknownCaller};
use crate::group::{Distribution, QueueGroup, Unanswered};
use crate::number::{Extension, PhoneNumber};
use crate::schedule::{AfterHours, DaysOff, Holiday, Schedule, WeeklyHours};
use crate::time::{Date, TimeOfDay, TimeRange, Weekday};

/// The size of a generated office.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Employees (extensions 1000 up).
    pub employees: usize,
    /// Queue groups, each with up to 8 members (numbers 5000 up).
    pub groups: usize,
    /// Schedules, each used by one entry point.
    pub schedules: usize,
    /// Holidays spread over the schedules.
    pub holidays: usize,
}

/// The benchmark's office: 50 employees, 20 groups, 10 schedules, 30 holidays.
pub const BENCH: Size = Size {
    employees: 50,
    groups: 20,
    schedules: 10,
    holidays: 30,
};

/// A valid configuration of the given size; `seed` varies names and passwords.
pub fn office(size: Size, seed: u64) -> Config {
    let mut config = Config {
        system: system(),
        webhook: None,
        outbound: outbound(),
        storage: crate::storage::Storage::default(),
        employees: Table::new(),
        groups: Table::new(),
        schedules: Table::new(),
        entry_points: Table::new(),
        trunks: Table::new(),
        lines: Table::new(),
    };
    for i in 0..size.employees {
        let _ = config.employees.push(employee(i, seed));
    }
    for g in 0..size.groups.min(size.employees.max(1)) {
        let _ = config.groups.push(group(g, size.employees));
    }
    for s in 0..size.schedules {
        let holidays = (0..size.holidays)
            .filter(|h| h % size.schedules == s)
            .collect::<Vec<_>>();
        let _ = config.schedules.push(schedule(s, &holidays));
        let destination = match config.groups.get(s % size.groups.max(1)) {
            Some(g) => Destination::Group(g.name.clone()),
            None => Destination::Employee(ext(1000)),
        };
        let _ = config.entry_points.push(entry(s, destination));
    }
    config
}

fn employee(i: usize, seed: u64) -> Employee {
    let mut devices = List::new();
    let username = text(&format!("{}", 1000 + i));
    let password = text(&format!("pw{seed:016x}{i:04}"));
    let _ = devices.push(SipDevice { username, password });
    Employee {
        extension: ext(1000 + i),
        name: text(&format!("Employee {i} ({seed})")),
        mobile: PhoneNumber::parse(&format!("+48 600 {:03} {:03}", i / 1000, i % 1000), None).ok(),
        presence: [Presence::Available, Presence::OnBreak, Presence::Off][i % 3],
        devices,
    }
}

fn group(g: usize, employees: usize) -> QueueGroup {
    let mut members = List::new();
    for m in 0..8.min(employees) {
        let _ = members.push(ext(1000 + (g * 3 + m) % employees));
    }
    let distribution = [
        Distribution::InOrder,
        Distribution::Evenly,
        Distribution::Simultaneously,
    ][g % 3];
    let unanswered = match g % 4 {
        0 => Unanswered::WaitForAgent,
        1 => Unanswered::ForwardToLastMember,
        2 => Unanswered::ForwardToNumber(
            PhoneNumber::parse("+48 22 123 45 67", None).unwrap_or_else(|_| unreachable!()),
        ),
        _ => Unanswered::ForwardToGroup(text("group-0")),
    };
    QueueGroup {
        name: text(&format!("group-{g}")),
        number: ext(5000 + g),
        members,
        distribution,
        ring_time_secs: 15 + (g % 4) as u16 * 5,
        unanswered,
    }
}

fn schedule(s: usize, holidays: &[usize]) -> Schedule {
    let mut hours = WeeklyHours::default();
    let (open, close) = (tod(8 + (s % 3) as u16), tod(16 + (s % 3) as u16));
    for day in [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ] {
        let _ = hours.day_mut(day).push(TimeRange {
            start: open,
            end: close,
        });
    }
    let _ = hours.sat.push(TimeRange {
        start: tod(22),
        end: tod(2),
    });
    let mut list = List::new();
    for &h in holidays {
        let start = Date {
            year: 2026,
            month: (h % 12) as u8 + 1,
            day: (h % 28) as u8 + 1,
        };
        let end = (h % 2 == 0).then_some(Date {
            day: start.day.saturating_add(1).min(28),
            ..start
        });
        let _ = list.push(Holiday {
            name: text(&format!("Holiday {h}")),
            start,
            end,
            yearly: h % 3 == 0,
        });
    }
    Schedule {
        name: text(&format!("hours-{s}")),
        time_zone: text(["Europe/Warsaw", "America/New_York", "Europe/London"][s % 3]),
        days_off: if s.is_multiple_of(2) {
            DaysOff::OpenSevenDays
        } else {
            DaysOff::Days(List::from_slice(&[Weekday::Sun]).unwrap_or_default())
        },
        after_hours: [AfterHours::Voicemail, AfterHours::HangUp][s % 2].clone(),
        voicemail_greeting: None,
        night_switch: None,
        hours,
        holidays: list,
    }
}

fn entry(s: usize, destination: Destination) -> EntryPoint {
    EntryPoint {
        name: text(&format!("entry-{s}")),
        source: EntrySource::Internal(ext(7000 + s)),
        destination,
        schedule: Some(text(&format!("hours-{s}"))),
        hold_music: None,
        crm: CrmOptions {
            lookup: s.is_multiple_of(2),
            unknown_caller: UnknownCaller::CreateLead,
        },
    }
}

fn tod(h: u16) -> TimeOfDay {
    TimeOfDay::hm(h % 24, 0).unwrap_or(TimeOfDay::MIDNIGHT)
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap_or_default()
}

fn ext(n: usize) -> Extension {
    Extension::parse(&n.to_string())
        .unwrap_or_else(|_| unreachable!("generated extensions have 4 digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_offices_are_valid() {
        for size in [
            BENCH,
            Size {
                employees: 200,
                groups: 64,
                schedules: 32,
                holidays: 300,
            },
        ] {
            let config = office(size, 7);
            let problems = crate::validate::validate(&config);
            assert!(problems.is_empty(), "{problems:#?}");
            assert_eq!(config.employees.len(), size.employees);
        }
    }
}
