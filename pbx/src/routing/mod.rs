//! Call routing, sans-IO: entry points, schedules, queue groups, forwarding, call records and
//! CRM lookup.
//!
//! The [`Router`] has one way in and one way out (as str0m's and quinn-proto's machines do):
//! feed one [`Input`] with the current time through [`Router::handle_input`], then drain
//! [`Router::poll_output`] until it is empty, and call again with [`Input::Timeout`] at
//! [`Router::poll_timeout`]. It never reads a clock, a socket or a file, so every rule is
//! tested in virtual time.

mod call;
pub mod crm;
mod ending;
mod entry;
pub mod explain;
pub mod input;
mod key;
pub mod output;
mod queue;
pub mod record;
pub mod schedule;
mod staff;
pub mod toll;
mod transfer;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use firmware_config::number::Extension;
use firmware_config::Config;

use call::{Call, State};
pub use crm::Crm;
pub use input::{CallId, Caller, Decline, Input, Target};
pub use output::{EndCause, Mailbox, MissedBecause, Notification, NotifyEvent, Output};
pub use record::{CallRecord, GroupStats, Outcome, Statistics, Transfer};
use staff::Staff;

/// How long a directly dialled employee rings before the call goes to their voicemail.
pub const DIRECT_RING_SECS: i64 = 30;

/// A call as the router sees it, in words (see [`Router::call_summaries`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSummary {
    /// The call.
    pub id: CallId,
    /// Who calls.
    pub caller: String,
    /// Where it stands: `arriving`, `ringing 101`, `waiting in sales`, `talking to 102`…
    pub state: String,
    /// Since when it is in that state.
    pub since: DateTime<Utc>,
}

fn summary(id: CallId, call: &Call) -> CallSummary {
    let list = |v: &[Extension]| {
        v.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (state, since) = match &call.state {
        State::Arriving => ("arriving".to_owned(), call.offered_at),
        State::Direct { employee, .. } => (format!("ringing {employee}"), call.offered_at),
        State::Queued(q) if q.ringing.is_empty() => {
            (format!("waiting in {}", q.group), q.entered_at)
        }
        State::Queued(q) => (
            format!("ringing {} in {}", list(&q.ringing), q.group),
            q.entered_at,
        ),
        State::Connected { employee, at, .. } => (format!("talking to {employee}"), *at),
        State::Transferring { target, .. } => {
            (format!("transferring to {target}"), call.offered_at)
        }
    };
    CallSummary {
        id,
        caller: call.caller.to_string(),
        state,
        since,
    }
}

/// The call-routing state machine.
#[derive(Debug)]
pub struct Router {
    config: Arc<Config>,
    now: DateTime<Utc>,
    /// Boxed: the table then holds a pointer per call, not a whole call, in each of the spare
    /// slots a hash table keeps.
    calls: key::KeyMap<CallId, Box<Call>>,
    /// Calls in each queue group, in arrival order.
    queues: BTreeMap<String, queue::GroupQueue>,
    /// The arrival number the next call entering a group gets.
    next_seq: u64,
    /// Deadlines of the calls' current steps.
    timers: BTreeSet<(DateTime<Utc>, CallId)>,
    /// Groups whose waiting calls may now be served.
    dirty: BTreeSet<String>,
    /// For `evenly`: who took each group's previous call.
    last_taker: HashMap<String, Extension>,
    staff: Staff,
    stats: Statistics,
    crm: Crm,
    out: VecDeque<Output>,
}

impl Router {
    /// A router for a configuration and a CRM, starting at `now`.
    pub fn new(config: Arc<Config>, crm: Crm, now: DateTime<Utc>) -> Router {
        Router {
            config,
            now,
            calls: Default::default(),
            queues: BTreeMap::new(),
            next_seq: 0,
            timers: BTreeSet::new(),
            dirty: BTreeSet::new(),
            last_taker: HashMap::new(),
            staff: Staff::default(),
            stats: Statistics::new(),
            crm,
            out: VecDeque::new(),
        }
    }

    /// Feeds one input at `now` (time never runs backwards: an earlier `now` counts as the
    /// latest seen).
    pub fn handle_input(&mut self, now: DateTime<Utc>, input: Input) {
        self.now = self.now.max(now);
        match input {
            Input::Offer {
                call,
                caller,
                target,
            } => self.offer(call, caller, target),
            Input::Answered { call, employee } => self.answered(call, &employee),
            Input::Declined {
                call,
                employee,
                why,
            } => self.declined(call, &employee, why),
            Input::CallerHungUp { call } => self.caller_hung_up(call),
            Input::CallEnded { call } => self.call_ended(call),
            Input::EmployeeBusy { employee } => self.staff.external_busy(&employee),
            Input::EmployeeFree { employee } => {
                self.staff.external_free(&employee);
                self.member_changed(&employee);
            }
            Input::Presence { employee, presence } => {
                self.staff.set_presence(&employee, presence);
                self.member_changed(&employee);
            }
            Input::Reachable {
                employee,
                reachable,
            } => {
                self.staff.set_reachable(&employee, reachable);
                if reachable {
                    self.member_changed(&employee);
                }
            }
            Input::Transfer { call, by, to } => self.transfer(call, &by, &to),
            Input::Transferred {
                call,
                by,
                to,
                replaced,
            } => self.transferred(call, &by, &to, replaced),
            Input::Timeout => self.timeout(),
            Input::Config(config) => self.replace_config(config),
            Input::Contact(contact) => self.crm.upsert_contact(contact),
        }
        self.dispatch();
    }

    /// The next action for the shell, until there is none.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When the router next needs [`Input::Timeout`].
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        self.timers.first().map(|(t, _)| *t)
    }

    /// The configuration decisions are made with.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// Statistics per queue group.
    pub fn statistics(&self) -> &Statistics {
        &self.stats
    }

    /// The CRM.
    pub fn crm(&self) -> &Crm {
        &self.crm
    }

    /// Changes the CRM from outside (the control socket), checked against the running
    /// configuration; what changed comes out as [`Output::Crm`] for the shell to journal.
    pub fn edit_crm(&mut self, now: DateTime<Utc>, edit: crm::CrmEdit) -> crm::CrmEdited {
        self.now = self.now.max(now);
        let config = Arc::clone(&self.config);
        let (edited, events) = self.crm.edit(edit, &config);
        for e in events {
            self.emit(Output::Crm(e));
        }
        edited
    }

    /// Calls waiting in a group (ringing members or on hold), in arrival order, with when each
    /// entered the group.
    pub fn waiting(&self, group: &str) -> Vec<(CallId, DateTime<Utc>)> {
        let Some(q) = self.queues.get(group) else {
            return Vec::new();
        };
        q.calls
            .values()
            .filter_map(|id| match &self.calls.get(id)?.state {
                State::Queued(q) => Some((*id, q.entered_at)),
                _ => None,
            })
            .collect()
    }

    /// An employee's presence now (run-time changes included).
    pub fn presence(&self, employee: &Extension) -> Option<firmware_config::employee::Presence> {
        self.staff.presence(&self.config, employee)
    }

    /// The number of calls the router is handling.
    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// Every call the router is handling, for a status display, oldest first.
    pub fn call_summaries(&self) -> Vec<CallSummary> {
        let mut out: Vec<CallSummary> = self
            .calls
            .iter()
            .map(|(id, call)| summary(*id, call))
            .collect();
        out.sort_by_key(|c| (c.since, c.id));
        out
    }

    fn emit(&mut self, o: Output) {
        self.out.push_back(o);
    }

    fn timeout(&mut self) {
        while let Some(&(at, id)) = self.timers.first() {
            if at > self.now {
                break;
            }
            self.timers.pop_first();
            self.deadline_reached(id);
        }
    }

    fn set_deadline(&mut self, id: CallId, old: Option<DateTime<Utc>>, new: Option<DateTime<Utc>>) {
        if let Some(t) = old {
            self.timers.remove(&(t, id));
        }
        if let Some(t) = new {
            self.timers.insert((t, id));
        }
    }

    fn replace_config(&mut self, config: Arc<Config>) {
        self.staff.config_replaced(&self.config, &config);
        self.config = config;
        let groups: Vec<String> = self.queues.keys().cloned().collect();
        self.dirty.extend(groups);
    }

    /// An employee may have become free or available: every group they are in may serve.
    fn member_changed(&mut self, employee: &Extension) {
        let config = self.config.clone();
        let k = key::key(employee);
        for g in config.groups.iter() {
            if !g.members.iter().any(|m| key::key(m) == k) {
                continue;
            }
            let name = g.name.as_str();
            if self.queues.get(name).is_some_and(|q| !q.is_empty()) && !self.dirty.contains(name) {
                self.dirty.insert(name.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests;
