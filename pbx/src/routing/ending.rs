//! How calls move on and end: answers, declines, hang-ups, time-outs, and the record and
//! statistics each call ends with.

use firmware_config::number::Extension;

use super::call::State;
use super::input::{CallId, Decline};
use super::output::{EndCause, MissedBecause, NotifyEvent, Output};
use super::record::{CallRecord, Outcome};
use super::Router;

impl Router {
    pub(super) fn answered(&mut self, id: CallId, employee: &Extension) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let ringing: Vec<Extension> = match &call.state {
            State::Direct { employee: e, .. } if e == employee => vec![e.clone()],
            State::Queued(q) if q.ringing.contains(employee) => q.ringing.clone(),
            State::Transferring { target, .. } if target == employee => {
                return self.transfer_answered(id);
            }
            _ => return, // Not ringing that employee (any more): nothing to connect.
        };
        let group = match &call.state {
            State::Queued(q) => Some((q.group.clone(), q.seq)),
            _ => None,
        };
        let old_deadline = call.deadline();
        let waited_ms = (self.now - call.offered_at).num_milliseconds();
        call.state = State::Connected {
            employee: employee.clone(),
            at: self.now,
            waited_ms,
            group: group.as_ref().map(|(g, _)| g.clone()),
        };
        call.first_answer = Some(employee.clone());
        self.set_deadline(id, old_deadline, None);
        for other in ringing.iter().filter(|e| *e != employee) {
            self.stop_ringing(id, other);
        }
        // On the call before the ringing stops: never free in between.
        self.staff.on_call(employee, id);
        self.staff.stop_ringing(employee, id);
        if let Some((g, seq)) = group {
            self.leave_queue(&g, seq);
            self.last_taker.insert(g, employee.clone());
        }
        self.emit(Output::Connect {
            call: id,
            employee: employee.clone(),
        });
    }

    pub(super) fn declined(&mut self, id: CallId, employee: &Extension, why: Decline) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        match &mut call.state {
            State::Direct { .. } => self.direct_declined(id, employee, why),
            State::Queued(q) => {
                let Some(pos) = q.ringing.iter().position(|e| e == employee) else {
                    return;
                };
                q.ringing.remove(pos);
                let group = q.group.clone();
                if q.ringing.is_empty() {
                    let old = q.deadline.take();
                    self.set_deadline(id, old, None);
                }
                self.staff.stop_ringing(employee, id);
                self.sync_pending(id);
                self.dirty.insert(group);
                self.member_changed(employee);
            }
            State::Transferring { target, .. } if target == employee => self.transfer_failed(id),
            State::Arriving | State::Connected { .. } | State::Transferring { .. } => {}
        }
    }

    pub(super) fn caller_hung_up(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if matches!(
            call.state,
            State::Connected { .. } | State::Transferring { .. }
        ) {
            return self.finish(id, Outcome::Answered, false);
        }
        let recipients = self.missed_recipients(id);
        let event = self.missed_event(id, MissedBecause::CallerHungUp);
        self.finish(id, Outcome::Missed, false);
        if let Some(event) = event {
            self.notify(recipients, event);
        }
    }

    pub(super) fn call_ended(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if !matches!(
            call.state,
            State::Connected { .. } | State::Transferring { .. }
        ) {
            return self.caller_hung_up(id);
        }
        self.finish(id, Outcome::Answered, false);
    }

    pub(super) fn deadline_reached(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        match &mut call.state {
            State::Direct { .. } => self.direct_timed_out(id),
            State::Queued(q) => {
                q.deadline = None;
                let ringing = std::mem::take(&mut q.ringing);
                let group = q.group.clone();
                self.sync_pending(id);
                for e in &ringing {
                    self.stop_ringing(id, e);
                }
                self.dirty.insert(group);
            }
            State::Transferring { .. } => self.transfer_failed(id),
            State::Arriving | State::Connected { .. } => {}
        }
    }

    /// Stops an employee's phones ringing for a call, and lets their groups serve again.
    pub(super) fn stop_ringing(&mut self, id: CallId, employee: &Extension) {
        self.staff.stop_ringing(employee, id);
        self.emit(Output::StopRinging {
            call: id,
            employee: employee.clone(),
        });
        self.member_changed(employee);
    }

    /// Ends a call that was not answered: the shell rejects (or hangs up) with `cause`.
    pub(super) fn end_unanswered(
        &mut self,
        id: CallId,
        cause: EndCause,
        outcome: Outcome,
        missed: Option<MissedBecause>,
    ) {
        let recipients = self.missed_recipients(id);
        let event = missed.and_then(|why| self.missed_event(id, why));
        self.emit(Output::End { call: id, cause });
        self.finish(id, outcome, false);
        if let Some(event) = event {
            self.notify(recipients, event);
        }
    }

    /// The router is done with a call: stop its ringing, take it out of its queue, free the
    /// people on it, count it, and write its record.
    pub(super) fn finish(&mut self, id: CallId, outcome: Outcome, after_hours: bool) {
        let Some(call) = self.calls.remove(&id).map(|c| *c) else {
            return;
        };
        self.set_deadline(id, call.deadline(), None);
        if let super::Caller::Extension(e) = &call.caller {
            self.staff.off_call(e, id);
            self.member_changed(e);
        }
        let (mut answered_by, mut answered_at, mut waited_ms, mut talk_ms) = (None, None, 0, 0);
        let mut group = None;
        match &call.state {
            State::Direct { employee, .. } => self.stop_ringing(id, employee),
            State::Queued(q) => {
                for e in &q.ringing {
                    self.stop_ringing(id, e);
                }
                self.leave_queue(&q.group, q.seq);
                group = Some((
                    q.group.clone(),
                    (self.now - q.entered_at).num_milliseconds(),
                ));
            }
            State::Connected {
                employee,
                at,
                waited_ms: w,
                group: g,
            } => {
                self.staff.off_call(employee, id);
                self.member_changed(employee);
                (answered_by, answered_at, waited_ms) = (Some(employee.clone()), Some(*at), *w);
                talk_ms = (self.now - *at).num_milliseconds();
                group = g.clone().map(|g| (g, *w));
            }
            State::Transferring {
                target,
                at,
                waited_ms: w,
                group: g,
                ..
            } => {
                self.stop_ringing(id, target);
                (answered_at, waited_ms) = (Some(*at), *w);
                talk_ms = (self.now - *at).num_milliseconds();
                group = g.clone().map(|g| (g, *w));
            }
            State::Arriving => {}
        }
        if answered_at.is_none() {
            waited_ms = (self.now - call.offered_at).num_milliseconds();
        }
        if call.first_answer.is_some() {
            answered_by = call.first_answer;
        }
        if let Some((g, wait)) = group {
            self.count(&g, &outcome, wait, talk_ms);
        }
        let record = CallRecord {
            call: id,
            caller: call.caller,
            entry: call.entry,
            offered_at: call.offered_at,
            groups: call.groups,
            offered_to: call.offered_to,
            answered_by,
            answered_at,
            ended_at: self.now,
            wait_ms: waited_ms,
            talk_ms,
            transfers: call.transfers,
            outcome,
            after_hours,
        };
        self.emit(Output::Record(record));
    }

    fn count(&mut self, group: &str, outcome: &Outcome, wait_ms: i64, talk_ms: i64) {
        if !self.stats.contains_key(group) {
            self.stats.insert(group.to_string(), Default::default());
        }
        let Some(s) = self.stats.get_mut(group) else {
            return;
        };
        match outcome {
            Outcome::Answered | Outcome::TransferFailed { .. } => {
                s.answered += 1;
                s.total_wait_ms += wait_ms;
                s.total_talk_ms += talk_ms;
            }
            Outcome::Forwarded { .. } => s.forwarded += 1,
            Outcome::Missed | Outcome::Voicemail | Outcome::Rejected { .. } => s.missed += 1,
        }
        s.longest_wait_ms = s.longest_wait_ms.max(wait_ms);
    }

    /// Who hears of a call missed in a queue or at one employee: the group's members, or that
    /// employee.
    fn missed_recipients(&self, id: CallId) -> Vec<Extension> {
        let Some(call) = self.calls.get(&id) else {
            return Vec::new();
        };
        match &call.state {
            State::Direct { employee, .. } => vec![employee.clone()],
            State::Queued(q) => q
                .rules(&self.config)
                .map(|g| g.members.to_vec())
                .unwrap_or_default(),
            State::Arriving | State::Connected { .. } | State::Transferring { .. } => Vec::new(),
        }
    }

    fn missed_event(&self, id: CallId, why: MissedBecause) -> Option<NotifyEvent> {
        let call = self.calls.get(&id)?;
        Some(NotifyEvent::MissedCall {
            call: id,
            caller: call.caller.clone(),
            entry: call.entry.clone(),
            at: self.now,
            why,
            crm: None,
        })
    }

    pub(super) fn notify(&mut self, employees: Vec<Extension>, event: NotifyEvent) {
        if !employees.is_empty() {
            self.emit(Output::Notify(super::Notification { employees, event }));
        }
    }
}
