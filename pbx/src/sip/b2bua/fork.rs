//! The called side: the INVITE forked to every registered phone of an employee, their
//! answers and failures reported to the router, and the losers cancelled.

use super::*;

impl B2bua {
    /// Cancels a ringing fork, hangs up an answered one.
    pub(super) fn drop_fork(&mut self, id: CallId, i: usize) {
        let Some(fork) = self.calls.get(&id).and_then(|c| c.forks.get(i)) else {
            return;
        };
        match fork.state {
            ForkState::Calling => {
                if let Some(f) = self.calls.get_mut(&id).and_then(|c| c.forks.get_mut(i)) {
                    f.cancel_wanted = true;
                }
            }
            ForkState::Ringing => self.send_cancel(id, i),
            ForkState::Answered | ForkState::Connected => self.send_bye(id, Side::Fork(i)),
            ForkState::Cancelling | ForkState::Done { .. } => {}
        }
    }

    pub(super) fn send_cancel(&mut self, id: CallId, i: usize) {
        let Some(fork) = self.calls.get_mut(&id).and_then(|c| c.forks.get_mut(i)) else {
            return;
        };
        fork.state = ForkState::Cancelling;
        fork.cancel_wanted = false;
        let bytes = fork.dialog.cancel(&fork.branch);
        let to = fork.dialog.peer;
        let branch = fork.branch.clone();
        self.act(Action::Send(tx::OutgoingRequest {
            key: ClientKey::new(branch, crate::sip::method::Method::Cancel),
            to,
            bytes,
        }));
    }

    /// A response to one of our requests.
    pub fn response(&mut self, now: DateTime<Utc>, key: &ClientKey, response: &Parsed) {
        self.now = now;
        let Some(&(id, purpose)) = self.by_branch.get(&key.branch) else {
            return;
        };
        let code = match &response.head.start {
            crate::sip::wire::StartLine::Response { code, .. } => *code,
            crate::sip::wire::StartLine::Request { .. } => return,
        };
        use crate::sip::method::Method;
        match purpose {
            Purpose::Invite(i) if key.method == Method::Invite => {
                self.fork_response(id, i, code, response)
            }
            _ => {}
        }
    }

    /// A fork's INVITE failed without a response (timeout 408, transport error 503).
    pub fn request_failed(&mut self, now: DateTime<Utc>, key: &ClientKey, code: u16) {
        self.now = now;
        let Some(&(id, purpose)) = self.by_branch.get(&key.branch) else {
            return;
        };
        if let (Purpose::Invite(i), crate::sip::method::Method::Invite) = (purpose, &key.method) {
            self.fork_finished(id, i, code);
        }
    }

    /// Timer C fired on a fork's INVITE: cancel it.
    pub fn invite_too_long(&mut self, now: DateTime<Utc>, key: &ClientKey) {
        self.now = now;
        if let Some(&(id, Purpose::Invite(i))) = self.by_branch.get(&key.branch) {
            self.send_cancel(id, i);
        }
    }

    pub(super) fn fork_response(&mut self, id: CallId, i: usize, code: u16, response: &Parsed) {
        let Some(fork) = self.calls.get(&id).and_then(|c| c.forks.get(i)) else {
            return;
        };
        let state = fork.state;
        let outside = fork.party.employee().is_none();
        match code {
            100 => {}
            401 | 407 if outside => self.outside_challenged(id, i, code, response),
            101..=199 if outside => {
                if state == ForkState::Calling {
                    self.outside_ringing(id);
                }
                self.fork_ringing(id, i);
            }
            101..=199 => self.fork_ringing(id, i),
            200..=299 => self.fork_answered(id, i, response),
            _ => self.fork_finished(id, i, code),
        }
    }

    /// A provisional response: the fork rings (and is cancelled now if that was wanted).
    fn fork_ringing(&mut self, id: CallId, i: usize) {
        let Some(fork) = self.calls.get(&id).and_then(|c| c.forks.get(i)) else {
            return;
        };
        if fork.state == ForkState::Calling {
            let cancel = fork.cancel_wanted;
            if let Some(f) = self.calls.get_mut(&id).and_then(|c| c.forks.get_mut(i)) {
                f.state = ForkState::Ringing;
            }
            if cancel {
                self.send_cancel(id, i);
            }
        }
    }

    /// A phone answered: ACK, and tell the router (or hang up if nobody wants it now).
    pub(super) fn fork_answered(&mut self, id: CallId, i: usize, response: &Parsed) {
        let branch = self.branch();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(fork) = call.forks.get_mut(i) else {
            return;
        };
        if let Some(ack) = &fork.ack {
            // A retransmitted 2xx: ACK it again.
            let to = fork.dialog.peer;
            let bytes = ack.clone();
            self.act(Action::Transmit { to, bytes });
            return;
        }
        fork.dialog.confirm(response);
        let ack = fork.dialog.ack(fork.dialog.invite_cseq, &branch);
        fork.ack = Some(ack.clone());
        let to = fork.dialog.peer;
        // The router is done with a call that went out, so an outside answer is wanted
        // whatever `routed` says.
        let outside = fork.party.employee().is_none();
        let wanted = matches!(fork.state, ForkState::Calling | ForkState::Ringing)
            && !fork.cancel_wanted
            && call.a.state != CallerState::Gone
            && (!call.routed || outside);
        let employee = fork.party.employee().cloned();
        let who = match &fork.party {
            Party::Employee(e) => e.to_string(),
            Party::Outside(o) => o.number.to_string(),
        };
        let dialog_key = (fork.dialog.call_id.clone(), fork.dialog.local_tag.clone());
        self.by_dialog.insert(dialog_key, (id, Side::Fork(i)));
        self.act(Action::Transmit { to, bytes: ack });
        let remote = message::sdp_body(response)
            .and_then(|s| Sdp::parse(s).ok())
            .and_then(|sdp| {
                let ip = self.local.media_ip;
                sdp.answer(0, ip, 0, LAWS, Direction::SendRecv).ok()
            })
            .map(|(_, n)| remote_of(&n));
        let Some(remote) = remote.filter(|_| wanted) else {
            if let Some(f) = self.calls.get_mut(&id).and_then(|c| c.forks.get_mut(i)) {
                f.state = ForkState::Answered;
            }
            self.send_bye(id, Side::Fork(i));
            if wanted {
                self.event(CallEvent::Failed {
                    call: Some(id),
                    why: format!("{who} answered without a usable SDP answer"),
                });
                self.fork_finished(id, i, 488);
            }
            self.reap_if_gone(id);
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(f) = call.forks.get_mut(i) {
            f.state = ForkState::Answered;
        }
        if let Some(b) = call.b_media.as_mut() {
            b.remote = Some(remote);
            let leg = b.leg;
            self.media(Command::Remote { leg, remote });
        }
        let Some(employee) = employee else {
            return self.outside_answered(id, i);
        };
        self.event(CallEvent::Answered {
            call: id,
            employee: employee.clone(),
        });
        self.act(Action::Route(routing::Input::Answered {
            call: id,
            employee,
        }));
    }

    /// A fork ended without being answered: when every phone of its employee has failed,
    /// the router hears why.
    pub(super) fn fork_finished(&mut self, id: CallId, i: usize, code: u16) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(fork) = call.forks.get_mut(i) else {
            return;
        };
        if fork.state.is_done() {
            return;
        }
        fork.state = ForkState::Done { code };
        let Some(employee) = fork.party.employee().cloned() else {
            return self.outside_failed(id, code);
        };
        let still_ringing = call.ringing.contains(&employee);
        let all_failed = call
            .forks
            .iter()
            .filter(|f| f.party.is(&employee))
            .all(|f| f.state.is_done());
        if still_ringing && all_failed && !call.routed {
            call.ringing.retain(|e| e != &employee);
            call.declined_at.retain(|(e, _)| e != &employee);
            call.declined_at.push((employee.clone(), self.now));
            let codes: Vec<u16> = call
                .forks
                .iter()
                .filter(|f| f.party.is(&employee))
                .filter_map(|f| match f.state {
                    ForkState::Done { code } => Some(code),
                    _ => None,
                })
                .collect();
            let why = decline_of(&codes);
            self.act(Action::Route(routing::Input::Declined {
                call: id,
                employee,
                why,
            }));
        }
        self.reap_if_gone(id);
    }

    /// Rings an employee's phones for a call — a moment later if they declined this very
    /// call within [`RETRY_PAUSE`]: a queue waiting for an agent offers the call again at
    /// once, and a phone that refuses at once (do not disturb, 486) would otherwise be sent
    /// INVITEs as fast as it can answer them.
    pub(super) fn ring(&mut self, id: CallId, employee: Extension, contacts: Vec<Binding>) {
        let now = self.now;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.a.state == CallerState::Gone {
            return;
        }
        let pause_until = call
            .declined_at
            .iter()
            .find(|(e, _)| *e == employee)
            .map(|(_, at)| *at + RETRY_PAUSE)
            .filter(|at| *at > now);
        if let Some(at) = pause_until {
            if !call.ringing.contains(&employee) {
                call.ringing.push(employee.clone());
            }
            call.deferred.push((employee, at, contacts));
            self.timers.insert((at, id));
            return;
        }
        self.start_ringing(id, employee, contacts);
    }

    /// The employee's phones cannot be rung for the call: the router hears so at once, and
    /// the employee counts as having declined (so a queue offering the call again at the
    /// same instant waits [`RETRY_PAUSE`] instead of looping).
    fn unreachable(&mut self, id: CallId, employee: Extension) {
        let now = self.now;
        if let Some(c) = self.calls.get_mut(&id) {
            c.ringing.retain(|e| e != &employee);
            c.declined_at.retain(|(e, _)| e != &employee);
            c.declined_at.push((employee.clone(), now));
        }
        self.act(Action::Route(routing::Input::Declined {
            call: id,
            employee,
            why: Decline::Unreachable,
        }));
    }

    /// Sends the INVITEs of [`B2bua::ring`].
    pub(super) fn start_ringing(
        &mut self,
        id: CallId,
        employee: Extension,
        contacts: Vec<Binding>,
    ) {
        let (contacts, unusable): (Vec<Binding>, Vec<Binding>) = contacts
            .into_iter()
            .partition(|b| usable_target(&b.contact));
        for b in &unusable {
            self.event(CallEvent::Failed {
                call: Some(id),
                why: format!(
                    "cannot call the contact {} (IPv6 or invalid URI)",
                    b.contact
                ),
            });
        }
        if contacts.is_empty() {
            return self.unreachable(id, employee);
        }
        if !self.ensure_b_media(id) {
            return self.unreachable(id, employee);
        }
        if let Some(c) = self.calls.get_mut(&id) {
            if !c.ringing.contains(&employee) {
                c.ringing.push(employee.clone());
            }
        }
        let n = contacts.len();
        for b in contacts {
            self.fork(id, &employee, &b);
        }
        self.event(CallEvent::Ringing {
            call: id,
            employee,
            contacts: n,
        });
    }

    /// Sends the INVITE to one phone.
    pub(super) fn fork(&mut self, id: CallId, employee: &Extension, binding: &Binding) {
        let transport = match binding.transport {
            firmware_config::system::Transport::Udp => tx::Transport::Udp,
            firmware_config::system::Transport::Tcp => tx::Transport::Tcp,
        };
        let Some(via) = self.local.sip(transport) else {
            return;
        };
        let Some(sdp) = self.b_offer(id) else {
            return;
        };
        let call_id = format!("{}@centrala", self.id("call-id"));
        let tag = self.id("tag");
        let branch = self.branch();
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let host = via.to_string();
        let name = call.caller_name.replace(['"', '\\'], "");
        let mut dialog = Dialog::as_uac(
            call_id,
            tag,
            format!("\"{name}\" <sip:{}@{host}>", call.caller),
            format!("<sip:{employee}@{host}>"),
            binding.contact.clone(),
            Destination {
                addr: binding.source,
                transport,
            },
            host.clone(),
            format!("sip:{}@{host}", call.caller),
        );
        let bytes = dialog.invite(&branch, &sdp, &[]);
        self.send_fork(id, Party::Employee(employee.clone()), dialog, branch, bytes);
    }

    /// The callee-side media leg, opened if the call has none yet; false when no port is free.
    pub(super) fn ensure_b_media(&mut self, id: CallId) -> bool {
        if self.calls.get(&id).is_some_and(|c| c.b_media.is_some()) {
            return true;
        }
        let Some(m) = self.open_leg() else {
            self.event(CallEvent::Failed {
                call: Some(id),
                why: "no free RTP port for the called side".into(),
            });
            return false;
        };
        if let Some(c) = self.calls.get_mut(&id) {
            c.b_media = Some(m);
        }
        true
    }

    /// Our SDP offer on the callee-side media leg (every fork offers the same).
    pub(super) fn b_offer(&self, id: CallId) -> Option<String> {
        let media = self.calls.get(&id)?.b_media.as_ref()?;
        let sdp = Sdp::offer(
            media.session,
            media.version,
            self.local.media_ip,
            media.port,
            LAWS,
            media.direction,
        );
        Some(sdp.to_string())
    }

    /// Adds a fork to `party` with its first INVITE (`bytes`, on `branch`) and sends it.
    pub(super) fn send_fork(
        &mut self,
        id: CallId,
        party: Party,
        dialog: Dialog,
        branch: String,
        bytes: Bytes,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let to = dialog.peer;
        let i = call.forks.len();
        call.forks.push(Fork {
            party,
            branch: branch.clone(),
            dialog,
            state: ForkState::Calling,
            cancel_wanted: false,
            ack: None,
        });
        self.track(branch.clone(), id, Purpose::Invite(i));
        self.act(Action::Send(tx::OutgoingRequest {
            key: ClientKey::new(branch, crate::sip::method::Method::Invite),
            to,
            bytes,
        }));
    }

    pub(super) fn stop_ringing(&mut self, id: CallId, employee: &Extension) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.ringing.retain(|e| e != employee);
        call.deferred.retain(|(e, _, _)| e != employee);
        let forks: Vec<usize> = call
            .forks
            .iter()
            .enumerate()
            .filter(|(_, f)| f.party.is(employee) && f.state != ForkState::Connected)
            .map(|(i, _)| i)
            .collect();
        for i in forks {
            self.drop_fork(id, i);
        }
    }

    pub(super) fn connect(&mut self, id: CallId, employee: &Extension) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(i) = call
            .forks
            .iter()
            .position(|f| f.party.is(employee) && f.state == ForkState::Answered)
        else {
            return;
        };
        call.ringing.clear();
        call.callee_holds = false;
        if let Some(f) = call.forks.get_mut(i) {
            f.state = ForkState::Connected;
        }
        let others: Vec<usize> = (0..call.forks.len()).filter(|&j| j != i).collect();
        let a = call.a.media.leg;
        let b = call.b_media.as_ref().map(|m| m.leg);
        for j in others {
            self.drop_fork(id, j);
        }
        self.answer_caller(id);
        if let Some(b) = b {
            self.media(Command::Bridge { a, b });
        }
        self.event(CallEvent::Connected {
            call: id,
            employee: employee.clone(),
        });
    }
}

/// Why an employee's phones did not take a call, from their final statuses.
fn decline_of(codes: &[u16]) -> Decline {
    if codes.iter().any(|c| matches!(c, 600 | 603)) {
        Decline::Rejected
    } else if codes.iter().any(|c| matches!(c, 486 | 600)) {
        Decline::Busy
    } else {
        Decline::Unreachable
    }
}
