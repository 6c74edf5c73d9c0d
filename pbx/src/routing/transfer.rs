//! Transfers of answered calls from one employee to another (SPEC §3).
//!
//! - **Blind**: the employee on the call names a target and leaves. The caller hears ringback
//!   while the target rings for the ring time of the group the call came through (or
//!   [`DIRECT_RING_SECS`]); the target's answer connects them, and anything else — no answer,
//!   busy, declined — ends the call with [`Outcome::TransferFailed`] in its record.
//! - **Attended**: the employee has already talked to the target on a call of their own, so
//!   the SIP layer joins the two parties and reports it; the employee's consultation call is
//!   over, and the caller's call goes on with the target.

use chrono::Duration;
use firmware_config::number::Extension;

use super::call::State;
use super::input::CallId;
use super::output::{EndCause, Output};
use super::record::{Outcome, Transfer};
use super::{Router, DIRECT_RING_SECS};

impl Router {
    /// `by`, talking on `id`, hands the caller to `to` (blind transfer).
    pub(super) fn transfer(&mut self, id: CallId, by: &Extension, to: &Extension) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let State::Connected {
            employee,
            at,
            waited_ms,
            group,
        } = &call.state
        else {
            return;
        };
        if employee != by {
            return;
        }
        let (at, waited_ms, group) = (*at, *waited_ms, group.clone());
        let ring_secs = group
            .as_deref()
            .and_then(|g| self.config.group(g))
            .map_or(DIRECT_RING_SECS, |g| i64::from(g.ring_time_secs));
        let deadline = self.now + Duration::seconds(ring_secs);
        let step = Transfer {
            from: by.clone(),
            to: to.clone(),
            at: self.now,
            attended: false,
        };
        let reachable = self.config.employee(to).is_some() && !self.staff.is_occupied(to);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.transfers.push(step);
        if !reachable {
            // Not an employee, or busy: the blind transfer fails at once.
            return self.fail_transfer(id, to);
        }
        call.offered(to);
        call.state = State::Transferring {
            target: to.clone(),
            deadline,
            at,
            waited_ms,
            group,
        };
        self.staff.off_call(by, id);
        self.member_changed(by);
        self.set_deadline(id, None, Some(deadline));
        self.emit(Output::Ringback { call: id });
        self.staff.ringing(to, id);
        self.emit(Output::Ring {
            call: id,
            employee: to.clone(),
        });
    }

    /// The blind-transfer target answered: the caller talks to them now.
    pub(super) fn transfer_answered(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let State::Transferring {
            target,
            deadline,
            at,
            waited_ms,
            group,
        } = &call.state
        else {
            return;
        };
        let (target, deadline) = (target.clone(), *deadline);
        call.state = State::Connected {
            employee: target.clone(),
            at: *at,
            waited_ms: *waited_ms,
            group: group.clone(),
        };
        self.set_deadline(id, Some(deadline), None);
        self.staff.on_call(&target, id);
        self.staff.stop_ringing(&target, id);
        self.emit(Output::Connect {
            call: id,
            employee: target,
        });
    }

    /// The blind-transfer target did not answer in time, or declined: the call ends.
    pub(super) fn transfer_failed(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let State::Transferring { target, .. } = &call.state else {
            return;
        };
        let target = target.clone();
        self.fail_transfer(id, &target);
    }

    fn fail_transfer(&mut self, id: CallId, to: &Extension) {
        self.emit(Output::End {
            call: id,
            cause: EndCause::NoAnswer,
        });
        self.finish(id, Outcome::TransferFailed { to: to.clone() }, false);
    }

    /// `by` joined the caller of `id` to `to`, whom they were talking to on `replaced`
    /// (attended transfer): `replaced` is over, and `id` goes on with `to`.
    pub(super) fn transferred(
        &mut self,
        id: CallId,
        by: &Extension,
        to: &Extension,
        replaced: CallId,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let State::Connected {
            employee,
            at,
            waited_ms,
            group,
        } = &call.state
        else {
            return;
        };
        if employee != by || id == replaced {
            return;
        }
        call.state = State::Connected {
            employee: to.clone(),
            at: *at,
            waited_ms: *waited_ms,
            group: group.clone(),
        };
        call.transfers.push(Transfer {
            from: by.clone(),
            to: to.clone(),
            at: self.now,
            attended: true,
        });
        // On the caller's call before the consultation call ends: never free in between.
        self.staff.on_call(to, id);
        self.staff.off_call(by, id);
        self.member_changed(by);
        if self.calls.contains_key(&replaced) {
            self.finish(replaced, Outcome::Answered, false);
        }
    }
}
