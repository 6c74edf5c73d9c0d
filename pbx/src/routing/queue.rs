//! Queue groups: passes through the members for each distribution, the unanswered-call
//! actions, and strict first-come-first-served service of waiting callers.
//!
//! Every call in a group is in the group's queue, in arrival order. Whenever something may
//! have freed a member (a ring timed out or was declined, a call ended, a presence changed, a
//! caller arrived) the group is marked dirty, and [`Router::dispatch`] walks its queue from the
//! longest-waiting caller down, giving each caller that is not ringing anyone the next member
//! its pass allows. So the longest waiting caller always gets the first member who is free.

use chrono::Duration;
use firmware_config::group::{Distribution, QueueGroup, Unanswered};
use firmware_config::number::Extension;

use super::call::{Queued, State};
use super::input::CallId;
use super::output::{EndCause, MissedBecause, Output};
use super::record::Outcome;
use super::Router;

/// What one step of a pass did.
enum Step {
    /// Members are ringing.
    Ringing,
    /// The pass is over without an answer.
    PassDone,
    /// The call is waiting for an agent and nobody can take it now.
    Parked,
}

impl Router {
    /// Puts a call in a group's queue (SPEC §2), or ends it if the group was already visited:
    /// the run-time guard against forwarding loops that slipped past validation.
    pub(super) fn enter_group(&mut self, id: CallId, group: &str) {
        let config = self.config.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.groups.iter().any(|g| g == group) || config.group(group).is_none() {
            let cause = if config.group(group).is_none() {
                EndCause::NotFound
            } else {
                EndCause::ForwardLoop
            };
            // The group it came from already counted it as forwarded; it is in no group now.
            call.state = State::Arriving;
            return self.end_unanswered(id, cause, Outcome::Missed, Some(MissedBecause::NoAnswer));
        }
        call.groups.push(group.to_string());
        call.state = State::Queued(Queued {
            group: group.to_string(),
            config,
            entered_at: self.now,
            tried: Vec::new(),
            ringing: Vec::new(),
            deadline: None,
            pass_start: 0,
            waiting: false,
        });
        self.stats.entry(group.to_string()).or_default().offered += 1;
        self.queues
            .entry(group.to_string())
            .or_default()
            .push_back(id);
        self.dirty.insert(group.to_string());
    }

    pub(super) fn leave_queue(&mut self, group: &str, id: CallId) {
        if let Some(q) = self.queues.get_mut(group) {
            q.retain(|c| *c != id);
        }
    }

    /// Serves every group that may have a free member for a waiting caller.
    pub(super) fn dispatch(&mut self) {
        while let Some(group) = self.dirty.pop_first() {
            self.serve(&group);
        }
    }

    /// Gives free members to idle callers, longest waiting first.
    fn serve(&mut self, group: &str) {
        let Some(queue) = self.queues.get(group) else {
            return;
        };
        let ids: Vec<CallId> = queue.iter().copied().collect();
        let mut nobody_free = false;
        for id in ids {
            let Some(call) = self.calls.get(&id) else {
                continue;
            };
            let State::Queued(q) = &call.state else {
                continue;
            };
            if !q.ringing.is_empty() || q.group != group {
                continue;
            }
            // A parked caller starts a fresh pass; if the previous one found nobody, neither
            // will this one, since a fresh pass does not depend on the caller.
            let fresh = q.waiting && q.tried.is_empty();
            if fresh && nobody_free {
                continue;
            }
            if let Step::Parked = self.advance(id) {
                nobody_free = true;
            }
        }
    }

    /// Takes the next step of a call's pass through its group.
    fn advance(&mut self, id: CallId) -> Step {
        let step = self.step(id);
        match step {
            Step::PassDone => self.pass_done(id),
            other => other,
        }
    }

    fn step(&mut self, id: CallId) -> Step {
        let config = self.config.clone();
        let Some(State::Queued(q)) = self.calls.get(&id).map(|c| &c.state) else {
            return Step::Ringing;
        };
        let Some(group) = q.rules(&config).cloned() else {
            return Step::PassDone;
        };
        let new_pass = q.tried.is_empty().then(|| self.pass_start(&group));
        let Some(State::Queued(q)) = self.calls.get_mut(&id).map(|c| &mut c.state) else {
            return Step::Ringing;
        };
        if let Some(start) = new_pass {
            q.pass_start = start;
        }
        let order = rotated(&group.members, q.pass_start);
        let mut picked = Vec::new();
        for m in order {
            if q.tried.contains(m) {
                continue;
            }
            if group.distribution == Distribution::Simultaneously
                && !q.tried.is_empty()
                && picked.is_empty()
            {
                break; // Everyone rung at once already had their turn: the pass is over.
            }
            q.tried.push(m.clone());
            if self.staff.can_take_queue_call(&config, m) {
                picked.push(m.clone());
                if group.distribution != Distribution::Simultaneously {
                    break;
                }
            }
        }
        if picked.is_empty() {
            return Step::PassDone;
        }
        let deadline = self.now + Duration::seconds(i64::from(group.ring_time_secs));
        q.deadline = Some(deadline);
        q.ringing = picked.clone();
        self.set_deadline(id, None, Some(deadline));
        for m in &picked {
            self.ring(id, m);
        }
        Step::Ringing
    }

    /// Where a new pass starts: the top of the list, or for `evenly` after the member who
    /// took the group's previous call.
    fn pass_start(&self, group: &QueueGroup) -> usize {
        if group.distribution != Distribution::Evenly {
            return 0;
        }
        let last = self.last_taker.get(group.name.as_str());
        match last.and_then(|l| group.members.iter().position(|m| m == l)) {
            Some(i) => (i + 1) % group.members.len().max(1),
            None => 0,
        }
    }

    fn ring(&mut self, id: CallId, member: &Extension) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.offered(member);
        }
        self.staff.ringing(member, id);
        self.emit(Output::Ring {
            call: id,
            employee: member.clone(),
        });
    }

    /// A pass went unanswered: the group's unanswered-call action (SPEC §2).
    fn pass_done(&mut self, id: CallId) -> Step {
        let config = self.config.clone();
        let Some(call) = self.calls.get_mut(&id) else {
            return Step::PassDone;
        };
        let State::Queued(q) = &mut call.state else {
            return Step::PassDone;
        };
        let Some(group) = q.rules(&config).cloned() else {
            self.end_unanswered(
                id,
                EndCause::NoAnswer,
                Outcome::Missed,
                Some(MissedBecause::NoAnswer),
            );
            return Step::PassDone;
        };
        match &group.unanswered {
            Unanswered::ForwardToLastMember => self.forward_to_employee(id, group.members.last()),
            Unanswered::ForwardToEmployee(e) => self.forward_to_employee(id, Some(e)),
            Unanswered::ForwardToNumber(n) => {
                self.emit(Output::ForwardToNumber {
                    call: id,
                    number: n.clone(),
                });
                self.finish(id, Outcome::Forwarded { to: n.clone() }, false);
            }
            Unanswered::ForwardToGroup(next) => self.forward_to_group(id, &group, next),
            Unanswered::WaitForAgent if group.distribution == Distribution::Simultaneously => {
                // SPEC §2: simultaneously + wait ends the call after one pass, missed.
                self.end_unanswered(
                    id,
                    EndCause::NoAnswer,
                    Outcome::Missed,
                    Some(MissedBecause::NoAnswer),
                );
            }
            Unanswered::WaitForAgent => return self.wait_for_agent(id, &group),
        }
        Step::PassDone
    }

    /// The caller stays, hearing hold music, and the group is tried again and again.
    fn wait_for_agent(&mut self, id: CallId, group: &QueueGroup) -> Step {
        let Some(call) = self.calls.get_mut(&id) else {
            return Step::PassDone;
        };
        let first_time = !call.holding;
        call.holding = true;
        let music = call.hold_music.clone();
        if let State::Queued(q) = &mut call.state {
            q.waiting = true;
            q.tried.clear();
        }
        if first_time {
            self.emit(Output::HoldMusic {
                call: id,
                file: music,
            });
        }
        let anyone = group
            .members
            .iter()
            .any(|m| self.staff.can_take_queue_call(&self.config, m));
        if !anyone {
            return Step::Parked;
        }
        match self.step(id) {
            Step::Ringing => Step::Ringing,
            // Someone was free a moment ago but the pass found nobody: wait for a change.
            Step::PassDone | Step::Parked => {
                if let Some(State::Queued(q)) = self.calls.get_mut(&id).map(|c| &mut c.state) {
                    q.tried.clear();
                }
                Step::Parked
            }
        }
    }

    fn forward_to_employee(&mut self, id: CallId, employee: Option<&Extension>) {
        let number = employee
            .and_then(|e| self.config.employee(e))
            .and_then(|e| e.mobile.clone());
        match number {
            Some(n) => {
                self.emit(Output::ForwardToNumber {
                    call: id,
                    number: n.clone(),
                });
                self.finish(id, Outcome::Forwarded { to: n }, false);
            }
            None => {
                let cause = EndCause::NoForwardTarget;
                self.end_unanswered(id, cause, Outcome::Missed, Some(MissedBecause::NoAnswer));
            }
        }
    }

    fn forward_to_group(&mut self, id: CallId, from: &QueueGroup, to: &str) {
        let name = from.name.to_string();
        self.leave_queue(&name, id);
        self.stats.entry(name).or_default().forwarded += 1;
        self.enter_group(id, to);
    }
}

/// The members starting at `start`, wrapping round.
fn rotated(members: &[Extension], start: usize) -> impl Iterator<Item = &Extension> {
    let n = members.len();
    (0..n).map(move |i| &members[(start + i) % n])
}
