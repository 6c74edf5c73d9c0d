//! Arriving calls: what was dialled, the entry point's schedule, after-hours handling, and
//! calls that ring one employee directly.

use chrono::Duration;
use firmware_config::entry::{Destination, EntryPoint, EntrySource};
use firmware_config::number::Extension;
use firmware_config::schedule::AfterHours;

use super::call::{Call, State};
use super::crm::Activity;
use super::input::{CallId, Caller, Decline, Target};
use super::output::{EndCause, Mailbox, MissedBecause, NotifyEvent, Output};
use super::record::Outcome;
use super::schedule::status;
use super::{Router, DIRECT_RING_SECS};

impl Router {
    pub(super) fn offer(&mut self, id: CallId, caller: Caller, target: Target) {
        if self.calls.contains_key(&id) {
            return; // A repeated offer of a call already handled changes nothing.
        }
        let call = Call {
            caller: caller.clone(),
            entry: None,
            offered_at: self.now,
            hold_music: None,
            groups: Vec::new(),
            offered_to: Vec::new(),
            holding: false,
            first_answer: None,
            transfers: Vec::new(),
            state: State::Arriving,
        };
        self.calls.insert(id, Box::new(call));
        if let Caller::Extension(e) = &caller {
            self.staff.on_call(e, id);
        }
        match target {
            Target::Entry(name) => self.offer_at_entry(id, &name),
            Target::Dialled(number) => self.offer_dialled(id, &number),
            Target::Outside(number) => {
                // The router has nothing to decide: the call goes out, and its record says
                // where to.
                self.emit(Output::ForwardToNumber {
                    call: id,
                    number: number.clone(),
                });
                self.finish(id, Outcome::Forwarded { to: number }, false);
            }
        }
    }

    fn offer_dialled(&mut self, id: CallId, number: &Extension) {
        let config = self.config.clone();
        if config.employee(number).is_some() {
            self.emit(Output::Ringback { call: id });
            return self.ring_directly(id, number, Mailbox::Employee(number.clone()), false);
        }
        if let Some(g) = config.groups.iter().find(|g| &g.number == number) {
            self.emit(Output::Ringback { call: id });
            return self.enter_group(id, g.name.as_str());
        }
        let entry = config
            .entry_points
            .iter()
            .find(|e| matches!(&e.source, EntrySource::Internal(n) if n == number));
        match entry {
            Some(e) => self.offer_at_entry(id, e.name.as_str()),
            None => self.end_unanswered(
                id,
                EndCause::NotFound,
                Outcome::Rejected {
                    cause: EndCause::NotFound,
                },
                None,
            ),
        }
    }

    fn offer_at_entry(&mut self, id: CallId, name: &str) {
        let config = self.config.clone();
        let Some(entry) = config.entry_point(name) else {
            return self.end_unanswered(
                id,
                EndCause::NotFound,
                Outcome::Rejected {
                    cause: EndCause::NotFound,
                },
                None,
            );
        };
        if let Some(call) = self.calls.get_mut(&id) {
            call.entry = Some(name.to_string());
            call.hold_music = entry.hold_music.as_ref().map(|f| f.to_string());
        }
        let schedule = entry.schedule.as_ref().and_then(|s| config.schedule(s));
        if !status(schedule, self.now).open {
            // A schedule reference that does not resolve is refused by validation; with none
            // the entry point is always open, so `schedule` is Some here.
            if let Some(s) = schedule {
                return self.after_hours(
                    id,
                    entry,
                    &s.after_hours,
                    s.voicemail_greeting.as_ref().map(|g| g.to_string()),
                );
            }
        }
        self.emit(Output::Ringback { call: id });
        match &entry.destination {
            Destination::Group(g) => self.enter_group(id, g),
            Destination::Employee(e) => {
                self.ring_directly(id, e, Mailbox::Entry(name.to_string()), true)
            }
        }
    }

    fn after_hours(
        &mut self,
        id: CallId,
        entry: &EntryPoint,
        action: &AfterHours,
        greeting: Option<String>,
    ) {
        match action {
            AfterHours::ForwardToNumber(n) => {
                self.emit(Output::ForwardToNumber {
                    call: id,
                    number: n.clone(),
                });
                self.finish(id, Outcome::Forwarded { to: n.clone() }, true);
            }
            AfterHours::Voicemail => {
                self.missed_because_of_schedule(id, entry);
                let mailbox = Mailbox::Entry(entry.name.to_string());
                self.emit(Output::Voicemail {
                    call: id,
                    mailbox,
                    greeting,
                });
                self.finish(id, Outcome::Voicemail, true);
            }
            AfterHours::HangUp => {
                self.missed_because_of_schedule(id, entry);
                let cause = EndCause::ClosedHangUp;
                self.emit(Output::End { call: id, cause });
                self.finish(id, Outcome::Rejected { cause }, true);
            }
        }
    }

    /// SPEC §5: the CRM lookup and who is told about a call missed because of the schedule.
    fn missed_because_of_schedule(&mut self, id: CallId, entry: &EntryPoint) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let caller = call.caller.clone();
        let number = match &caller {
            super::Caller::Number(n) => Some(n.clone()),
            _ => None,
        };
        let activity = Activity {
            at: self.now,
            entry: Some(entry.name.to_string()),
            note: "call missed outside working hours".into(),
        };
        let queue = self.entry_employees(entry);
        let handling = self
            .crm
            .missed_after_hours(entry.crm, number.as_ref(), activity, queue);
        if let Some(event) = handling.event {
            self.emit(Output::Crm(event));
        }
        let event = NotifyEvent::MissedCall {
            call: id,
            caller,
            entry: Some(entry.name.to_string()),
            at: self.now,
            why: MissedBecause::Schedule,
            crm: Some(handling.case),
        };
        self.notify(handling.notify, event);
    }

    /// The employees of an entry point: its group's members, or its one employee.
    pub(super) fn entry_employees(&self, entry: &EntryPoint) -> Vec<Extension> {
        match &entry.destination {
            Destination::Employee(e) => vec![e.clone()],
            Destination::Group(g) => self
                .config
                .group(g)
                .map(|g| g.members.to_vec())
                .unwrap_or_default(),
        }
    }

    /// Rings one employee; when they cannot or do not answer, the call goes to `then`.
    /// `presence_counts`: an entry point's employee on break is not rung (a dialled one is).
    fn ring_directly(
        &mut self,
        id: CallId,
        employee: &Extension,
        then: Mailbox,
        presence_counts: bool,
    ) {
        let config = self.config.clone();
        let unavailable = if presence_counts {
            !self.staff.can_take_queue_call(&config, employee)
        } else {
            self.staff.is_occupied(employee)
        };
        if unavailable {
            return if presence_counts {
                self.send_to_voicemail(id, then)
            } else {
                self.busy(id)
            };
        }
        let deadline = self.now + Duration::seconds(DIRECT_RING_SECS);
        if let Some(call) = self.calls.get_mut(&id) {
            call.offered(employee);
            call.state = State::Direct {
                employee: employee.clone(),
                deadline,
                then,
            };
        }
        self.set_deadline(id, None, Some(deadline));
        self.staff.ringing(employee, id);
        self.emit(Output::Ring {
            call: id,
            employee: employee.clone(),
        });
    }

    fn busy(&mut self, id: CallId) {
        let cause = EndCause::Busy;
        self.end_unanswered(id, cause, Outcome::Rejected { cause }, None);
    }

    fn send_to_voicemail(&mut self, id: CallId, mailbox: Mailbox) {
        self.emit(Output::Voicemail {
            call: id,
            mailbox,
            greeting: None,
        });
        self.finish(id, Outcome::Voicemail, false);
    }

    /// The directly rung employee did not answer in time.
    pub(super) fn direct_timed_out(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let State::Direct { employee, then, .. } = &call.state else {
            return;
        };
        let (employee, then) = (employee.clone(), then.clone());
        call.state = State::Arriving; // the ringing is handled here, not again by `finish`
        self.stop_ringing(id, &employee);
        self.send_to_voicemail(id, then);
    }

    /// The directly rung employee's phones declined.
    pub(super) fn direct_declined(&mut self, id: CallId, employee: &Extension, _why: Decline) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let State::Direct {
            employee: rung,
            deadline,
            then,
        } = &call.state
        else {
            return;
        };
        if rung != employee {
            return;
        }
        let (deadline, then) = (*deadline, then.clone());
        self.set_deadline(id, Some(deadline), None);
        if let Some(call) = self.calls.get_mut(&id) {
            call.state = State::Arriving; // the phones declined: nothing left to stop
        }
        self.staff.stop_ringing(employee, id);
        self.member_changed(employee);
        self.send_to_voicemail(id, then);
    }
}
