//! Schema version 4, kept to read slots written by it and migrate them.
//!
//! Version 4 differed from version 5 only in having no `storage` limits. Everything else is
//! decoded with today's types, so if one of them changes in a later schema, freeze a copy of
//! its version-5 shape next to this file.

use serde::{Deserialize, Serialize};

use crate::bounded::Table;
use crate::bounds::{
    MAX_EMPLOYEES, MAX_ENTRY_POINTS, MAX_GROUPS, MAX_LINES, MAX_SCHEDULES, MAX_TRUNKS,
};
use crate::employee::Employee;
use crate::entry::EntryPoint;
use crate::group::QueueGroup;
use crate::line::FxoLine;
use crate::outbound::Outbound;
use crate::schedule::Schedule;
use crate::storage::Storage;
use crate::system::{System, Webhook};
use crate::trunk::SipTrunk;

/// A version-4 configuration: today's, without storage limits.
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

/// Version 4 → 5: the stores get the default limits (before, only the call records and the
/// outbox had fixed ones, and the default limits hold at least as much of both).
pub fn migrate(old: Config) -> crate::config::Config {
    crate::config::Config {
        system: old.system,
        webhook: old.webhook,
        outbound: old.outbound,
        storage: Storage::default(),
        employees: old.employees,
        groups: old.groups,
        schedules: old.schedules,
        entry_points: old.entry_points,
        trunks: old.trunks,
        lines: old.lines,
    }
}
