//! Call history, notifications, statistics and voicemail for the control socket, sans-IO.
//!
//! [`History`] keeps the most recent call records ([`HISTORY_KEPT`]) and notifications
//! ([`NOTIFICATIONS_KEPT`]) in memory, oldest first; [`answer`] decides the reply to the
//! read-only requests [`Request::History`], [`Request::Statistics`], [`Request::Voicemail`] and
//! [`Request::Notifications`] from it and the switch's state. The files behind the history are
//! the shell's ([`super::journal`]).
//!
//! A call record is stored as the router's [`CallRecord`] in JSON (one line) and read back as a
//! [`RecordView`] through [`parse_record`]; a live record takes the same way
//! ([`record_line`] then [`parse_record`]), so a record looks the same before and after a
//! restart.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use firmware_config::number::Extension;
use firmware_config::Config;
use serde::Deserialize;
use serde_json::Value;

use super::protocol::{
    GroupStats, NotificationView, RecordView, Reply, Request, VoicemailView, HISTORY_KEPT,
    NOTIFICATIONS_KEPT,
};
use crate::routing::{CallRecord, Mailbox, Statistics};
use crate::voicemail::{mailboxes_of, Mailboxes};

/// The recent call records and notifications.
#[derive(Debug, Clone)]
pub struct History {
    records: VecDeque<RecordView>,
    notifications: VecDeque<NotificationView>,
}

impl Default for History {
    fn default() -> History {
        History::new()
    }
}

impl History {
    /// Nothing yet (allocates nothing until something is added).
    pub fn new() -> History {
        History {
            records: VecDeque::new(),
            notifications: VecDeque::new(),
        }
    }

    /// Adds a finished call (the oldest is forgotten beyond [`HISTORY_KEPT`]).
    pub fn add_record(&mut self, record: RecordView) {
        push_bounded(&mut self.records, record, HISTORY_KEPT);
    }

    /// Adds a notification (the oldest is forgotten beyond [`NOTIFICATIONS_KEPT`]).
    pub fn add_notification(&mut self, notification: NotificationView) {
        push_bounded(&mut self.notifications, notification, NOTIFICATIONS_KEPT);
    }

    /// How many call records are kept.
    pub fn records_kept(&self) -> usize {
        self.records.len()
    }

    /// How many notifications are kept.
    pub fn notifications_kept(&self) -> usize {
        self.notifications.len()
    }

    /// At most `limit` records, newest first, only missed ones when `missed_only`, only those
    /// through `group` when given.
    pub fn records(&self, limit: usize, missed_only: bool, group: Option<&str>) -> Vec<RecordView> {
        self.records
            .iter()
            .rev()
            .filter(|r| !missed_only || r.missed)
            .filter(|r| group.is_none_or(|g| r.groups.iter().any(|x| x == g)))
            .take(limit)
            .cloned()
            .collect()
    }

    /// At most `limit` notifications, newest first.
    pub fn notifications(&self, limit: usize) -> Vec<NotificationView> {
        self.notifications
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect()
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, bound: usize) {
    queue.push_back(item);
    while queue.len() > bound {
        queue.pop_front();
    }
}

/// What [`answer`] reads besides the history.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The router's statistics.
    pub statistics: &'a Statistics,
    /// The running configuration (its groups, employees, entry points).
    pub config: &'a Config,
    /// Every mailbox's messages as last read (none when voicemail is not kept).
    pub mailboxes: Option<&'a Mailboxes>,
}

/// The reply to one of the history requests; `None` for any other request.
pub fn answer(request: &Request, history: &History, sources: Sources<'_>) -> Option<Reply> {
    Some(match request {
        Request::History {
            limit,
            missed_only,
            group,
        } => Reply::History {
            records: history.records(*limit, *missed_only, group.as_deref()),
        },
        Request::Notifications { limit } => Reply::Notifications {
            notifications: history.notifications(*limit),
        },
        Request::Statistics => Reply::Statistics {
            groups: statistics(sources.statistics, sources.config),
        },
        Request::Voicemail { employee } => voicemail(sources, employee.as_ref()),
        _ => return None,
    })
}

/// One row per configured group (zeros when no call came), in the configuration's order,
/// then groups with statistics that are no longer configured, by name.
pub fn statistics(statistics: &Statistics, config: &Config) -> Vec<GroupStats> {
    let configured = config.groups.iter().map(|g| g.name.to_string());
    let gone = statistics
        .keys()
        .filter(|name| config.group(name).is_none())
        .cloned();
    configured
        .chain(gone)
        .map(|group| {
            let s = statistics.get(&group).cloned().unwrap_or_default();
            GroupStats {
                offered: s.offered,
                answered: s.answered,
                missed: s.missed,
                average_wait_s: seconds(s.average_wait_ms()),
                longest_wait_s: seconds(s.longest_wait_ms),
                average_talk_s: seconds(s.average_talk_ms()),
                group,
            }
        })
        .collect()
}

/// Milliseconds as whole seconds, rounded to the nearest (negative counts as none).
fn seconds(ms: i64) -> u64 {
    u64::try_from(ms.max(0).saturating_add(500) / 1000).unwrap_or(0)
}

/// The messages of `employee`'s mailboxes, or of every mailbox, newest first.
fn voicemail(sources: Sources<'_>, employee: Option<&Extension>) -> Reply {
    let config = sources.config;
    let boxes: Vec<Mailbox> = match employee {
        Some(e) if config.employee(e).is_none() => {
            return Reply::Error {
                message: format!("there is no employee {e}"),
            }
        }
        Some(e) => mailboxes_of(config, e),
        None => config
            .employees
            .iter()
            .map(|e| Mailbox::Employee(e.extension.clone()))
            .chain(
                config
                    .entry_points
                    .iter()
                    .map(|p| Mailbox::Entry(p.name.to_string())),
            )
            .collect(),
    };
    let Some(all) = sources.mailboxes else {
        return Reply::Voicemail {
            messages: Vec::new(),
        };
    };
    let mut messages: Vec<VoicemailView> = boxes
        .iter()
        .flat_map(|b| all.messages(b))
        .map(|m| VoicemailView {
            mailbox: mailbox_text(&m.mailbox),
            id: m.id.clone(),
            caller: m.caller.clone(),
            entry: m.entry.clone(),
            received_at: m.received_at,
            duration_s: seconds(i64::from(m.duration_ms)),
            heard: m.heard,
        })
        .collect();
    messages.sort_by(|a, b| b.received_at.cmp(&a.received_at).then(a.id.cmp(&b.id)));
    Reply::Voicemail { messages }
}

/// A mailbox in words: the extension, or `entry 'name'`.
pub fn mailbox_text(mailbox: &Mailbox) -> String {
    match mailbox {
        Mailbox::Employee(e) => e.to_string(),
        Mailbox::Entry(name) => format!("entry '{name}'"),
    }
}

/// A call record as one line of JSON (without the newline).
pub fn record_line(record: &CallRecord) -> Result<String, serde_json::Error> {
    serde_json::to_string(record)
}

/// What [`parse_record`] reads of a stored [`CallRecord`] (other fields are ignored, so
/// records written by a later version still read).
#[derive(Debug, Deserialize)]
struct Stored {
    call: u64,
    caller: Value,
    entry: Option<String>,
    offered_at: DateTime<Utc>,
    #[serde(default)]
    groups: Vec<String>,
    answered_by: Option<String>,
    wait_ms: i64,
    talk_ms: i64,
    outcome: Value,
    #[serde(default)]
    after_hours: bool,
}

/// Reads one stored call record.
pub fn parse_record(line: &str) -> Result<RecordView, RecordError> {
    let s: Stored = serde_json::from_str(line).map_err(|e| RecordError(e.to_string()))?;
    let answered_by = match s.answered_by {
        Some(e) => Some(
            e.parse::<Extension>()
                .map_err(|_| RecordError(format!("answered_by {e:?} is not an extension")))?,
        ),
        None => None,
    };
    let (outcome, missed) = outcome(&s.outcome)?;
    Ok(RecordView {
        call: s.call,
        at: s.offered_at,
        caller: caller(&s.caller)?,
        entry: s.entry,
        groups: s.groups,
        answered_by,
        wait_s: seconds(s.wait_ms),
        talk_s: seconds(s.talk_ms),
        outcome,
        missed,
        after_hours: s.after_hours,
    })
}

/// A stored call record that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a call record: {0}")]
pub struct RecordError(String);

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a str, RecordError> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| RecordError(format!("no {name} in {v}")))
}

/// The caller in words (as the dashboard writes it).
fn caller(v: &Value) -> Result<String, RecordError> {
    Ok(match field(v, "kind")? {
        "number" | "extension" => field(v, "value")?.to_owned(),
        "withheld" => "withheld".to_owned(),
        other => return Err(RecordError(format!("unknown caller kind {other:?}"))),
    })
}

/// The outcome in words, and whether the call counts as missed.
fn outcome(v: &Value) -> Result<(String, bool), RecordError> {
    Ok(match field(v, "kind")? {
        "answered" => ("answered".to_owned(), false),
        "missed" => ("missed".to_owned(), true),
        "voicemail" => ("voicemail".to_owned(), true),
        "forwarded" => (format!("forwarded to {}", field(v, "to")?), false),
        "transfer_failed" => (format!("transfer to {} failed", field(v, "to")?), false),
        "rejected" => {
            let cause = field(v, "cause")?;
            let missed = cause != "not_found";
            (format!("rejected ({})", cause.replace('_', " ")), missed)
        }
        other => return Err(RecordError(format!("unknown outcome {other:?}"))),
    })
}

#[cfg(test)]
mod tests;
