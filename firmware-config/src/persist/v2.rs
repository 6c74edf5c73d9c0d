//! Schema version 2, kept to read slots written by it and migrate them.
//!
//! Version 2 differed from version 3 only in the configuration itself: it had no outbound
//! limits (`outbound`). Its lines are version 3's ([`super::v3::FxoLine`]); everything else
//! is decoded with today's types.

use serde::{Deserialize, Serialize};

use super::v3::FxoLine;
use crate::bounded::Table;
use crate::bounds::{
    MAX_EMPLOYEES, MAX_ENTRY_POINTS, MAX_GROUPS, MAX_LINES, MAX_SCHEDULES, MAX_TRUNKS,
};
use crate::employee::Employee;
use crate::entry::EntryPoint;
use crate::group::QueueGroup;
use crate::outbound::Outbound;
use crate::schedule::Schedule;
use crate::system::{System, Webhook};
use crate::trunk::SipTrunk;

/// A version-2 configuration: today's, without the outbound limits.
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

/// Version 2 → 3: the office gets the default outbound limits and no blocked prefix (the
/// country it is in is not known here); everything else is kept as it was.
pub fn migrate(old: Config) -> super::v3::Config {
    super::v3::Config {
        system: old.system,
        webhook: old.webhook,
        outbound: Outbound::default(),
        employees: old.employees,
        groups: old.groups,
        schedules: old.schedules,
        entry_points: old.entry_points,
        trunks: old.trunks,
        lines: old.lines,
    }
}
