//! Schema version 3, kept to read slots written by it and migrate them.
//!
//! Version 3 differed from version 4 only in its analog lines: a line had no `outside_calls`
//! switch and no `health_check`. Everything else is decoded with today's types (version 4's
//! whole shape is frozen in `v4.rs`).

use serde::{Deserialize, Serialize};

use crate::bounded::{Table, Text};
use crate::bounds::{
    KEY_LEN, MAX_EMPLOYEES, MAX_ENTRY_POINTS, MAX_GROUPS, MAX_LINES, MAX_SCHEDULES, MAX_TRUNKS,
    PATH_LEN,
};
use crate::employee::Employee;
use crate::entry::EntryPoint;
use crate::group::QueueGroup;
use crate::line::Signalling;
use crate::number::PhoneNumber;
use crate::outbound::Outbound;
use crate::schedule::Schedule;
use crate::system::{System, ToneCountry, Webhook};
use crate::trunk::SipTrunk;

/// A version-3 configuration: today's, with version-3 lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub system: System,
    pub webhook: Option<Webhook>,
    pub outbound: Outbound,
    pub employees: Table<Employee, MAX_EMPLOYEES>,
    pub groups: Table<QueueGroup, MAX_GROUPS>,
    pub schedules: Table<Schedule, MAX_SCHEDULES>,
    pub entry_points: Table<EntryPoint, MAX_ENTRY_POINTS>,
    pub trunks: Table<SipTrunk, MAX_TRUNKS>,
    pub lines: Table<FxoLine, MAX_LINES>,
}

/// A version-3 analog line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FxoLine {
    pub name: Text<KEY_LEN>,
    pub capture_device: Text<PATH_LEN>,
    pub playback_device: Text<PATH_LEN>,
    pub signalling: Signalling,
    pub country: ToneCountry,
    pub rings_before_answer: u8,
    pub number: Option<PhoneNumber>,
}

/// Version 3 → 4: each line takes no outside calls and has no health check, as before.
pub fn migrate(old: Config) -> super::v4::Config {
    let mut lines = Table::default();
    for l in old.lines.iter() {
        let line = crate::line::FxoLine {
            name: l.name.clone(),
            capture_device: l.capture_device.clone(),
            playback_device: l.playback_device.clone(),
            signalling: l.signalling.clone(),
            country: l.country,
            rings_before_answer: l.rings_before_answer,
            number: l.number.clone(),
            outside_calls: false,
            health_check: None,
        };
        // Both tables hold MAX_LINES, so every old line fits.
        let _ = lines.push(line);
    }
    super::v4::Config {
        system: old.system,
        webhook: old.webhook,
        outbound: old.outbound,
        employees: old.employees,
        groups: old.groups,
        schedules: old.schedules,
        entry_points: old.entry_points,
        trunks: old.trunks,
        lines,
    }
}
