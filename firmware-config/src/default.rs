//! The factory default: a small demo office the appliance starts with when nothing is stored.

use crate::bounded::{List, Table, Text};
use crate::bounds::{KEY_LEN, MIN_PASSWORD_LEN};
use crate::config::Config;
use crate::employee::{Employee, Presence, SipDevice};
use crate::entry::{CrmOptions, Destination, EntryPoint, EntrySource, UnknownCaller};
use crate::group::{Distribution, QueueGroup, Unanswered};
use crate::number::{CountryCode, Extension};
use crate::outbound::{NumberPrefix, Outbound};
use crate::schedule::{AfterHours, DaysOff, Schedule, WeeklyHours};
use crate::system::{Listen, PortRange, System, ToneCountry, Transport};
use crate::time::{TimeOfDay, TimeRange, Weekday};

/// Where the appliance keeps its data unless told otherwise.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/centrala";
/// Where the daemon's control socket is unless told otherwise.
pub const DEFAULT_CONTROL_SOCKET: &str = "/run/centrala/control.sock";

/// A SIP password given to an employee's device when the default was created; shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedPassword {
    /// The device's user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// Could not create the factory default (the system's random source failed).
#[derive(Debug, thiserror::Error)]
#[error("cannot generate SIP passwords: the system's random source failed: {0}")]
pub struct NoRandomness(String);

/// The demo office: employees 101–103 in one queue group "office" on internal number 100,
/// office hours Mon–Fri 09:00–17:00 Europe/Warsaw, voicemail after hours, a small office's
/// outside-call limits with premium-rate numbers blocked. Each employee's
/// phone gets a fresh random password; the caller must show them to the admin once.
pub fn factory_default() -> Result<(Config, Vec<GeneratedPassword>), NoRandomness> {
    let people = [
        ("101", "Anna Nowak"),
        ("102", "Piotr Kowalski"),
        ("103", "Ewa Wiśniewska"),
    ];
    let mut employees = Table::new();
    let mut passwords = Vec::new();
    for (ext, name) in people {
        let password = random_password(16)?;
        passwords.push(GeneratedPassword {
            username: ext.into(),
            password: password.clone(),
        });
        let _ = employees.push(employee(ext, name, &password));
    }
    let config = Config {
        system: system(),
        webhook: None,
        outbound: outbound(),
        storage: crate::storage::Storage::default(),
        employees,
        groups: one(office_group()),
        schedules: one(office_hours()),
        entry_points: one(office_entry()),
        trunks: Table::new(),
        lines: Table::new(),
    };
    Ok((config, passwords))
}

/// Appliance settings for the default: Poland, SIP on UDP and TCP 5060.
pub fn system() -> System {
    let mut sip_listen = List::new();
    for transport in [Transport::Udp, Transport::Tcp] {
        let address = ([0, 0, 0, 0], 5060).into();
        let _ = sip_listen.push(Listen { transport, address });
    }
    System {
        name: text("Centrala demo office"),
        default_country_code: CountryCode::new(48).unwrap_or_else(|_| unreachable!()),
        tone_country: ToneCountry::PL,
        sip_listen,
        rtp_ports: PortRange {
            first: 10000,
            last: 10999,
        },
        control_socket: text(DEFAULT_CONTROL_SOCKET),
        data_dir: text(DEFAULT_DATA_DIR),
        outbound_prefix: None,
        voicemail_number: Some(ext("800")),
        allowed_country_codes: List::new(),
    }
}

/// Outside-call limits for the default: a small office's ([`Outbound::default`]), and Polish
/// premium-rate numbers (+48 70x) blocked.
pub fn outbound() -> Outbound {
    let mut blocked_prefixes = List::new();
    let premium = NumberPrefix::parse("+4870").unwrap_or_else(|_| unreachable!());
    let _ = blocked_prefixes.push(premium);
    Outbound {
        blocked_prefixes,
        ..Outbound::default()
    }
}

fn employee(extension: &str, name: &str, password: &str) -> Employee {
    let mut devices = List::new();
    let _ = devices.push(SipDevice {
        username: text(extension),
        password: text(password),
    });
    Employee {
        extension: ext(extension),
        name: text(name),
        mobile: None,
        presence: Presence::Available,
        devices,
    }
}

/// A new, empty queue group as the console starts it: no members yet, in order, 20 s of
/// ringing, callers keep waiting when nobody answers.
pub fn new_group(name: Text<KEY_LEN>, number: Extension) -> QueueGroup {
    QueueGroup {
        name,
        number,
        members: List::new(),
        ..office_group()
    }
}

/// A new schedule as the console starts it: the factory office hours (Mon–Fri 09:00–17:00,
/// voicemail after hours) in `time_zone`.
pub fn new_schedule(name: Text<KEY_LEN>, time_zone: Text<KEY_LEN>) -> Schedule {
    Schedule {
        name,
        time_zone,
        ..office_hours()
    }
}

/// A new entry point as the console starts it: calls from `source` go to `destination`, with
/// no schedule (always open) and the factory CRM options.
pub fn new_entry(name: Text<KEY_LEN>, source: EntrySource, destination: Destination) -> EntryPoint {
    EntryPoint {
        name,
        source,
        destination,
        schedule: None,
        ..office_entry()
    }
}

fn office_group() -> QueueGroup {
    let mut members = List::new();
    for e in ["101", "102", "103"] {
        let _ = members.push(ext(e));
    }
    QueueGroup {
        name: text("office"),
        number: ext("100"),
        members,
        distribution: Distribution::InOrder,
        ring_time_secs: 20,
        unanswered: Unanswered::WaitForAgent,
    }
}

fn office_hours() -> Schedule {
    let mut hours = WeeklyHours::default();
    let nine_to_five = TimeRange::new(hm(9, 0), hm(17, 0)).unwrap_or_else(|| unreachable!());
    for day in [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ] {
        let _ = hours.day_mut(day).push(nine_to_five);
    }
    let mut off = List::new();
    let _ = off.push(Weekday::Sat);
    let _ = off.push(Weekday::Sun);
    Schedule {
        name: text("office-hours"),
        time_zone: text("Europe/Warsaw"),
        days_off: DaysOff::Days(off),
        after_hours: AfterHours::Voicemail,
        voicemail_greeting: None,
        night_switch: None,
        hours,
        holidays: List::new(),
    }
}

fn office_entry() -> EntryPoint {
    EntryPoint {
        name: text("reception"),
        source: EntrySource::Internal(ext("200")),
        destination: Destination::Group(text("office")),
        schedule: Some(text("office-hours")),
        hold_music: None,
        crm: CrmOptions {
            lookup: true,
            unknown_caller: UnknownCaller::CreateLead,
        },
    }
}

fn one<T, const N: usize>(item: T) -> Table<T, N> {
    let mut t = Table::new();
    let _ = t.push(item);
    t
}

fn hm(h: u16, m: u16) -> TimeOfDay {
    TimeOfDay::hm(h, m).unwrap_or_else(|| unreachable!())
}

// The literals below are compile-time constants of this file, all within their bounds.
fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap_or_else(|_| unreachable!("default text {s:?} fits"))
}

fn ext(s: &str) -> Extension {
    Extension::parse(s).unwrap_or_else(|_| unreachable!("default extension {s:?} is valid"))
}

/// A password of `len` characters from an alphabet without look-alikes (no 0/O, 1/l/I).
pub fn random_password(len: usize) -> Result<String, NoRandomness> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let len = len.max(MIN_PASSWORD_LEN);
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 1];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|e| NoRandomness(e.to_string()))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % ALPHABET.len());
        if usize::from(buf[0]) < limit {
            out.push(char::from(ALPHABET[usize::from(buf[0]) % ALPHABET.len()]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_office_is_valid_and_passwords_differ() {
        let (config, passwords) = factory_default().expect("randomness");
        let problems = crate::validate::validate(&config);
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(passwords.len(), 3);
        assert_ne!(passwords[0].password, passwords[1].password);
        let (again, _) = factory_default().expect("randomness");
        assert_ne!(
            config.employees[0].devices[0],
            again.employees[0].devices[0]
        );
    }

    #[test]
    fn passwords_use_the_safe_alphabet() {
        let p = random_password(32).expect("randomness");
        assert_eq!(p.len(), 32);
        assert!(p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() && !"0O1lI".contains(c)));
    }
}
