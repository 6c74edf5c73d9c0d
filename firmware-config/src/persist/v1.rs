//! Schema version 1, kept to read slots written by it and migrate them.
//!
//! Version 1 differed from version 2 only in the employee: one SIP password, with the
//! extension as the user name. It migrates to version 2 ([`super::v2`]), which migrates on to
//! today's schema. Everything else is decoded with today's types, so if one of them changes in
//! a later schema, freeze a copy of its version-2 shape next to this file.

use serde::{Deserialize, Serialize};

use super::v3::FxoLine;
use crate::bounded::{List, Table, Text};
use crate::bounds::{
    MAX_EMPLOYEES, MAX_ENTRY_POINTS, MAX_GROUPS, MAX_LINES, MAX_SCHEDULES, MAX_TRUNKS, NAME_LEN,
    SECRET_LEN,
};
use crate::employee::{Presence, SipDevice};
use crate::entry::EntryPoint;
use crate::group::QueueGroup;
use crate::number::{Extension, PhoneNumber};
use crate::schedule::Schedule;
use crate::system::{System, Webhook};
use crate::trunk::SipTrunk;

/// A version-1 configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub system: System,
    pub webhook: Option<Webhook>,
    pub employees: Table<Employee, MAX_EMPLOYEES>,
    pub groups: Table<QueueGroup, MAX_GROUPS>,
    pub schedules: Table<Schedule, MAX_SCHEDULES>,
    pub entry_points: Table<EntryPoint, MAX_ENTRY_POINTS>,
    pub trunks: Table<SipTrunk, MAX_TRUNKS>,
    pub lines: Table<FxoLine, MAX_LINES>,
}

/// A version-1 employee: one phone, registering with the extension as user name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    pub extension: Extension,
    pub name: Text<NAME_LEN>,
    pub mobile: Option<PhoneNumber>,
    pub presence: Presence,
    pub password: Text<SECRET_LEN>,
}

/// Version 1 → 2: each employee's password becomes one device whose user name is the
/// extension (what version-1 phones registered with), so phones keep working unchanged.
pub fn migrate(old: Config) -> super::v2::Config {
    let employees = old.employees.iter().map(migrate_employee).collect();
    super::v2::Config {
        system: old.system,
        webhook: old.webhook,
        // Same bound as before, so this cannot overflow.
        employees: Table::from_vec(employees).unwrap_or_default(),
        groups: old.groups,
        schedules: old.schedules,
        entry_points: old.entry_points,
        trunks: old.trunks,
        lines: old.lines,
    }
}

fn migrate_employee(e: &Employee) -> crate::employee::Employee {
    let mut devices = List::new();
    if !e.password.is_empty() {
        let username = Text::new(e.extension.as_str()).unwrap_or_default();
        let _ = devices.push(SipDevice {
            username,
            password: e.password.clone(),
        });
    }
    crate::employee::Employee {
        extension: e.extension.clone(),
        name: e.name.clone(),
        mobile: e.mobile.clone(),
        presence: e.presence,
        devices,
    }
}
