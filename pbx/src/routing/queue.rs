//! Queue groups: passes through the members for each distribution, the unanswered-call
//! actions, and strict first-come-first-served service of waiting callers.
//!
//! Every call in a group is in the group's queue, in arrival order. Whenever something may
//! have freed a member (a ring timed out or was declined, a call ended, a presence changed, a
//! caller arrived) the group is marked dirty, and [`Router::dispatch`] walks its queue from the
//! longest-waiting caller down, giving each caller that is not ringing anyone the next member
//! its pass allows. So the longest waiting caller always gets the first member who is free.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::Duration;
use firmware_config::group::{Distribution, QueueGroup, Unanswered};
use firmware_config::number::Extension;

use super::call::{Queued, State};
use super::input::CallId;
use super::key::key;
use super::output::{EndCause, MissedBecause, Output};
use super::record::Outcome;
use super::Router;

/// The calls in one queue group.
#[derive(Debug, Default)]
pub(super) struct GroupQueue {
    /// Every call in the group, by arrival number.
    pub calls: BTreeMap<u64, CallId>,
    /// The arrival numbers of the calls that need a step when the group is served: those
    /// ringing nobody that are not parked waiting for an agent. While nobody can take a call,
    /// serving visits only these, not every parked caller.
    pub pending: BTreeSet<u64>,
    /// The staff's [version](super::staff::Staff::version) when none of the group's members
    /// could take a call: true as long as the version stays the same.
    pub busy_at: Option<u64>,
}

impl GroupQueue {
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }
}

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
        call.groups.reserve_exact(1); // Most calls visit one group.
        call.groups.push(group.to_string());
        let seq = self.next_seq;
        self.next_seq += 1;
        call.state = State::Queued(Queued {
            group: group.to_string(),
            seq,
            config,
            entered_at: self.now,
            tried: Vec::new(),
            ringing: Vec::new(),
            deadline: None,
            pass_start: 0,
            waiting: false,
        });
        // (The group's name is copied into each table only the first time.)
        if !self.stats.contains_key(group) {
            self.stats.insert(group.to_string(), Default::default());
        }
        if let Some(s) = self.stats.get_mut(group) {
            s.offered += 1;
        }
        if !self.queues.contains_key(group) {
            self.queues.insert(group.to_string(), GroupQueue::default());
        }
        if let Some(queue) = self.queues.get_mut(group) {
            queue.calls.insert(seq, id);
            queue.pending.insert(seq);
        }
        if !self.dirty.contains(group) {
            self.dirty.insert(group.to_string());
        }
    }

    /// Takes the call with arrival number `seq` out of a group's queue.
    pub(super) fn leave_queue(&mut self, group: &str, seq: u64) {
        if let Some(q) = self.queues.get_mut(group) {
            q.calls.remove(&seq);
            q.pending.remove(&seq);
        }
    }

    /// Brings a queued call's place among the group's pending calls up to date after its
    /// state changed.
    pub(super) fn sync_pending(&mut self, id: CallId) {
        let Some(State::Queued(q)) = self.calls.get(&id).map(|c| &c.state) else {
            return;
        };
        let Some(queue) = self.queues.get_mut(&q.group) else {
            return;
        };
        if q.ringing.is_empty() && !(q.waiting && q.tried.is_empty()) {
            queue.pending.insert(q.seq);
        } else {
            queue.pending.remove(&q.seq);
        }
    }

    /// True if none of the group's members could take a call when last looked at, and nobody
    /// has become free (or changed presence, or the configuration changed) since.
    fn known_busy(&self, group: &str) -> bool {
        self.queues
            .get(group)
            .is_some_and(|q| q.busy_at == Some(self.staff.version()))
    }

    /// True if some member of a group could be offered a call now.
    fn anyone_free(&self, group: &QueueGroup) -> bool {
        !self.known_busy(&group.name)
            && group
                .members
                .iter()
                .any(|m| self.staff.can_take_queue_call(&self.config, m))
    }

    /// Like [`Router::anyone_free`], for a group of today's configuration, noting the answer.
    fn look_for_free(&mut self, group: &QueueGroup) -> bool {
        let anyone = self.anyone_free(group);
        let version = self.staff.version();
        if let Some(q) = self.queues.get_mut(group.name.as_str()) {
            q.busy_at = (!anyone).then_some(version);
        }
        anyone
    }

    /// Serves every group that may have a free member for a waiting caller.
    pub(super) fn dispatch(&mut self) {
        while let Some(group) = self.dirty.pop_first() {
            self.serve(&group);
        }
    }

    /// Gives free members to idle callers, longest waiting first.
    fn serve(&mut self, group: &str) {
        // The calls in the queue now (nobody can join it while it is served).
        let end = self.next_seq;
        let config = self.config.clone();
        // A parked caller's pass that finds nobody free just parks it again, unseen, when the
        // group waits for an agent: while nobody is free, such callers need no visit.
        let parks = config.group(group).filter(|g| {
            g.unanswered == Unanswered::WaitForAgent
                && g.distribution != Distribution::Simultaneously
        });
        let mut nobody_free = parks.is_some_and(|g| !self.look_for_free(g));
        let mut from = 0;
        loop {
            let Some(queue) = self.queues.get(group) else {
                return;
            };
            let next = if nobody_free && parks.is_some() {
                queue.pending.range(from..end).next().copied()
            } else {
                queue.calls.range(from..end).next().map(|(seq, _)| *seq)
            };
            let Some(seq) = next else {
                return;
            };
            from = seq + 1;
            let Some(&id) = queue.calls.get(&seq) else {
                continue;
            };
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
            let step = self.advance(id);
            self.sync_pending(id);
            match step {
                Step::Parked => nobody_free = true,
                // The member it rings may have been the last one free.
                Step::Ringing => {
                    if let Some(g) = parks {
                        nobody_free = !self.look_for_free(g) || nobody_free;
                    }
                }
                Step::PassDone => {}
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
        let rules = q.rules_config(&config);
        let Some(group) = rules.as_ref().and_then(|r| r.group(&q.group)) else {
            return Step::PassDone;
        };
        let new_pass = q.tried.is_empty().then(|| self.pass_start(group));
        let all_busy = self.known_busy(&q.group);
        let Some(State::Queued(q)) = self.calls.get_mut(&id).map(|c| &mut c.state) else {
            return Step::Ringing;
        };
        if let Some(start) = new_pass {
            q.pass_start = start;
            q.tried.reserve_exact(group.members.len());
        }
        let order = rotated(&group.members, q.pass_start);
        let mut picked = Vec::new();
        let mut checked = 0;
        // Ringing everyone at once is one step: a step after it means the pass is over.
        let at_once_done =
            group.distribution == Distribution::Simultaneously && !q.tried.is_empty();
        for m in order {
            let k = key(m);
            if q.tried.contains(&k) {
                continue;
            }
            if at_once_done {
                break; // Everyone rung at once already had their turn: the pass is over.
            }
            q.tried.push(k);
            checked += 1;
            if !all_busy && self.staff.can_take_queue_call(&config, m) {
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
        // Every member was looked at just now: the ones not free then still are not, and those
        // rung are ringing. (Ringing someone does not change the staff's version.)
        let everyone = checked == group.members.len();
        if everyone && rules.as_ref().is_some_and(|r| Arc::ptr_eq(r, &config)) {
            let version = self.staff.version();
            if let Some(queue) = self.queues.get_mut(group.name.as_str()) {
                queue.busy_at = Some(version);
            }
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
        let rules = q.rules_config(&config);
        let Some(group) = rules.as_ref().and_then(|r| r.group(&q.group)) else {
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
            Unanswered::ForwardToGroup(next) => self.forward_to_group(id, group, next),
            Unanswered::WaitForAgent if group.distribution == Distribution::Simultaneously => {
                // SPEC §2: simultaneously + wait ends the call after one pass, missed.
                self.end_unanswered(
                    id,
                    EndCause::NoAnswer,
                    Outcome::Missed,
                    Some(MissedBecause::NoAnswer),
                );
            }
            Unanswered::WaitForAgent => return self.wait_for_agent(id, group),
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
            q.tried = Vec::new(); // A parked caller holds no memory for its next pass.
        }
        if first_time {
            self.emit(Output::HoldMusic {
                call: id,
                file: music,
            });
        }
        if !self.anyone_free(group) {
            return Step::Parked;
        }
        match self.step(id) {
            Step::Ringing => Step::Ringing,
            // Someone was free a moment ago but the pass found nobody: wait for a change.
            Step::PassDone | Step::Parked => {
                if let Some(State::Queued(q)) = self.calls.get_mut(&id).map(|c| &mut c.state) {
                    q.tried = Vec::new();
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
        if let Some(State::Queued(q)) = self.calls.get(&id).map(|c| &c.state) {
            self.leave_queue(&name, q.seq);
        }
        self.stats.entry(name).or_default().forwarded += 1;
        self.enter_group(id, to);
    }
}

/// The members starting at `start`, wrapping round.
fn rotated(members: &[Extension], start: usize) -> impl Iterator<Item = &Extension> {
    let (before, after) = members.split_at(start.checked_rem(members.len()).unwrap_or(0));
    after.iter().chain(before)
}
