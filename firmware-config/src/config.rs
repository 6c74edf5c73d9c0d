//! The whole configuration of one appliance, and lookups across its tables.

use serde::{Deserialize, Serialize};

use crate::bounded::Table;
use crate::bounds::{
    MAX_EMPLOYEES, MAX_ENTRY_POINTS, MAX_GROUPS, MAX_LINES, MAX_SCHEDULES, MAX_TRUNKS,
};
use crate::employee::Employee;
use crate::entry::EntryPoint;
use crate::group::QueueGroup;
use crate::line::FxoLine;
use crate::number::Extension;
use crate::outbound::Outbound;
use crate::schedule::Schedule;
use crate::storage::Storage;
use crate::system::{System, Webhook};
use crate::trunk::SipTrunk;

/// Everything an administrator configures. Items refer to each other by extension (employees)
/// or by name (everything else); [`crate::validate`] checks that every reference resolves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Appliance-wide settings.
    pub system: System,
    /// The optional outgoing webhook.
    #[serde(default)]
    pub webhook: Option<Webhook>,
    /// Limits on outside calls (the toll-fraud guard); a small office's when absent.
    #[serde(default)]
    pub outbound: Outbound,
    /// Size limits of the call records, audit log, voicemail and webhook outbox (schema 5);
    /// the defaults when absent.
    #[serde(default)]
    pub storage: Storage,
    /// Employees.
    #[serde(default)]
    pub employees: Table<Employee, MAX_EMPLOYEES>,
    /// Queue groups.
    #[serde(default)]
    pub groups: Table<QueueGroup, MAX_GROUPS>,
    /// Schedules.
    #[serde(default)]
    pub schedules: Table<Schedule, MAX_SCHEDULES>,
    /// Entry points.
    #[serde(default)]
    pub entry_points: Table<EntryPoint, MAX_ENTRY_POINTS>,
    /// SIP trunks.
    #[serde(default)]
    pub trunks: Table<SipTrunk, MAX_TRUNKS>,
    /// Analog FXO lines.
    #[serde(default)]
    pub lines: Table<FxoLine, MAX_LINES>,
}

impl Config {
    /// The employee with this extension.
    pub fn employee(&self, extension: &Extension) -> Option<&Employee> {
        self.employees.iter().find(|e| &e.extension == extension)
    }

    /// The queue group with this name.
    pub fn group(&self, name: &str) -> Option<&QueueGroup> {
        self.groups.iter().find(|g| g.name.as_str() == name)
    }

    /// The schedule with this name.
    pub fn schedule(&self, name: &str) -> Option<&Schedule> {
        self.schedules.iter().find(|s| s.name.as_str() == name)
    }

    /// The entry point with this name.
    pub fn entry_point(&self, name: &str) -> Option<&EntryPoint> {
        self.entry_points.iter().find(|e| e.name.as_str() == name)
    }

    /// What an internal number already reaches, in words ("employee 101", "group 'office'",
    /// "entry point 'reception'", "the voicemail number"), if anything.
    pub fn number_owner(&self, number: &Extension) -> Option<String> {
        if self.employee(number).is_some() {
            return Some(format!("employee {number}"));
        }
        if let Some(g) = self.groups.iter().find(|g| &g.number == number) {
            return Some(format!("group '{}'", g.name));
        }
        let internal = |e: &&EntryPoint| matches!(&e.source, crate::entry::EntrySource::Internal(n) if n == number);
        if let Some(e) = self.entry_points.iter().find(internal) {
            return Some(format!("entry point '{}'", e.name));
        }
        (self.system.voicemail_number.as_ref() == Some(number))
            .then(|| "the voicemail number".to_string())
    }

    /// The trunk with this name.
    pub fn trunk(&self, name: &str) -> Option<&SipTrunk> {
        self.trunks.iter().find(|t| t.name.as_str() == name)
    }

    /// The FXO line with this name.
    pub fn line(&self, name: &str) -> Option<&FxoLine> {
        self.lines.iter().find(|l| l.name.as_str() == name)
    }
}
