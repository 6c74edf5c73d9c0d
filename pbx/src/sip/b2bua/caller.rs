//! The caller's side of a call: the INVITE taken, answered with early media or 200, its
//! 2xx retransmitted until the ACK, cancelled, or ended with the router's cause.

use super::*;

impl B2bua {
    /// A new call. `Some` is the answer to send now (the call was refused); `None` means the
    /// B2BUA answers it later through [`Action::Respond`].
    pub fn invite(&mut self, now: DateTime<Utc>, new: NewCall) -> Option<Reply> {
        self.now = now;
        let offer = match message::sdp_body(&new.invite).map(Sdp::parse) {
            None => return Some(refuse_media("an SDP offer is required")),
            Some(Err(e)) => return Some(refuse_media(&e.to_string())),
            Some(Ok(offer)) => offer,
        };
        let Some(via) = self.local.sip(new.source.transport) else {
            return Some(Reply::new(500, "Server Internal Error (no local address)"));
        };
        let contact = format!("sip:{}@{}", new.dialled, via);
        let Some(dialog) = Dialog::as_uas(
            &new.invite,
            new.source,
            &new.tag,
            &via.to_string(),
            &contact,
        ) else {
            return Some(Reply::new(400, "Bad Request (no Contact)"));
        };
        if !usable_target(&dialog.remote_target) {
            return Some(Reply::new(400, "Bad Request (unusable Contact URI)"));
        }
        let Some(mut media) = self.open_leg() else {
            self.event(CallEvent::Failed {
                call: None,
                why: "no free RTP port".into(),
            });
            return Some(Reply::new(503, "Service Unavailable (no free RTP port)"));
        };
        let answer = media.answer(&offer, self.local.media_ip, Direction::SendRecv);
        let negotiated = match answer {
            Ok((_, n)) => n,
            Err(e) => {
                self.close_leg(&media);
                return Some(refuse_media(&e.to_string()));
            }
        };
        let remote = remote_of(&negotiated);
        media.remote = Some(remote);
        self.media(Command::Remote {
            leg: media.leg,
            remote,
        });
        let id = CallId(self.next_call);
        self.next_call += 1;
        let a = CallerLeg {
            key: new.key.clone(),
            invite: new.invite,
            source: new.source.addr,
            tag: new.tag.clone(),
            dialog,
            state: CallerState::Early { progress: false },
            media,
            unacked: None,
        };
        self.by_invite.insert(new.key, id);
        self.by_dialog
            .insert((a.dialog.call_id.clone(), new.tag), (id, Side::Caller));
        let call = Call {
            caller: new.caller.clone(),
            target: new.target.clone(),
            caller_name: new.caller_name,
            a,
            b_media: None,
            forks: Vec::new(),
            ringing: Vec::new(),
            routed: false,
            reap_at: None,
            branches: Vec::new(),
            declined_at: Vec::new(),
            deferred: Vec::new(),
            music: None,
            caller_holds: false,
            callee_holds: false,
        };
        self.calls.insert(id, call);
        self.event(CallEvent::Started {
            call: id,
            caller: new.caller.clone(),
            dialled: new.dialled.clone(),
        });
        if self.dialled_voicemail(id, &new.caller, &new.dialled) {
            return None;
        }
        let target = new.target;
        self.act(Action::Route(routing::Input::Offer {
            call: id,
            caller: new.caller,
            target,
        }));
        None
    }

    /// Sends a final or provisional response on the caller's INVITE transaction.
    pub(super) fn respond_caller(&mut self, id: CallId, reply: Reply) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let a = &call.a;
        let code = reply.code;
        let bytes = message::render_response(&a.invite, a.source, &a.tag, reply);
        let key = a.key.clone();
        if (200..300).contains(&code) {
            let at = self.now;
            if let Some(call) = self.calls.get_mut(&id) {
                call.a.unacked = Some(Unacked {
                    bytes: bytes.clone(),
                    next: at + T1,
                    interval: T1,
                    give_up: at + T1 * 64,
                });
            }
            self.timers.insert((at + T1, id));
        }
        self.act(Action::Respond { key, code, bytes });
    }

    /// Our SDP for the caller's leg (the answer to its offer).
    pub(super) fn caller_sdp(&self, id: CallId) -> Option<String> {
        let ip = self.local.media_ip;
        let call = self.calls.get(&id)?;
        let offer = Sdp::parse(message::sdp_body(&call.a.invite)?).ok()?;
        let (sdp, _) = call
            .a
            .media
            .answer(&offer, ip, call.a.media.direction)
            .ok()?;
        Some(sdp.to_string())
    }

    /// Answers the caller with 200 and our SDP, if not yet answered.
    pub(super) fn answer_caller(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if !matches!(call.a.state, CallerState::Early { .. }) {
            return;
        }
        let Some(sdp) = self.caller_sdp(id) else {
            return;
        };
        let contact = h::Contact::new(format!("<{}>", call.a.dialog.contact));
        let reply = Reply::new(200, "OK")
            .with(contact.into())
            .with(h::Allow::new(crate::sip::endpoint::ALLOW).into())
            .with_sdp(sdp);
        self.respond_caller(id, reply);
        if let Some(call) = self.calls.get_mut(&id) {
            call.a.state = CallerState::Answered;
        }
    }

    /// Ends the caller's side: a final response if unanswered, else BYE.
    pub(super) fn end_caller(
        &mut self,
        id: CallId,
        code: u16,
        reason: &'static str,
        warning: Option<&str>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let state = call.a.state;
        call.a.state = CallerState::Gone;
        call.a.unacked = None;
        match state {
            CallerState::Early { .. } => {
                let mut reply = Reply::new(code, reason);
                if let Some(w) = warning {
                    reply = reply.with(h::Warning::new(w).into());
                }
                self.respond_caller(id, reply);
            }
            CallerState::Answered => self.send_bye(id, Side::Caller),
            CallerState::Gone => return,
        }
        self.event(CallEvent::Ended {
            call: id,
            why: format!("{code} {reason}"),
        });
        self.wind_down(id);
    }

    /// The caller cancelled its INVITE (the endpoint answered the CANCEL with 200).
    pub fn cancel(&mut self, now: DateTime<Utc>, invite: &ServerKey) {
        self.now = now;
        let Some(&id) = self.by_invite.get(invite) else {
            return;
        };
        let early = self
            .calls
            .get(&id)
            .is_some_and(|c| matches!(c.a.state, CallerState::Early { .. }));
        if !early {
            return;
        }
        self.caller_left(id);
        self.end_caller(id, 487, "Request Terminated", None);
    }

    /// Tells the router the caller left (before or after being connected).
    pub(super) fn caller_left(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.routed {
            return;
        }
        call.routed = true;
        let input = match call.connected() {
            Some(_) => routing::Input::CallEnded { call: id },
            None => routing::Input::CallerHungUp { call: id },
        };
        self.act(Action::Route(input));
    }

    /// The ACK for a 2xx we sent.
    pub fn ack(&mut self, now: DateTime<Utc>, ack: &Parsed) {
        self.now = now;
        let tag = ack.head.to_tag.clone().unwrap_or_default();
        let Some(&(id, side)) = self.by_dialog.get(&(ack.head.call_id.clone(), tag)) else {
            return;
        };
        if side == Side::Caller {
            if let Some(call) = self.calls.get_mut(&id) {
                call.a.unacked = None;
            }
        }
    }

    pub(super) fn call_timer(&mut self, id: CallId) {
        let now = self.now;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.reap_at.is_some_and(|t| t <= now) {
            self.remove(id);
            return;
        }
        if call.deferred.iter().any(|(_, at, _)| *at <= now) {
            let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut call.deferred)
                .into_iter()
                .partition(|(_, at, _)| *at <= now);
            call.deferred = later;
            for (employee, _, contacts) in due {
                let wanted = self
                    .calls
                    .get(&id)
                    .is_some_and(|c| c.ringing.contains(&employee));
                if wanted {
                    self.start_ringing(id, employee, contacts);
                }
            }
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(u) = call.a.unacked.as_mut() else {
            return;
        };
        if u.next > now {
            let next = u.next;
            self.timers.insert((next, id));
            return;
        }
        if u.give_up <= now {
            call.a.unacked = None;
            self.event(CallEvent::Failed {
                call: Some(id),
                why: "the caller never acknowledged the answer".into(),
            });
            self.caller_left(id);
            self.end_caller(id, 408, "Request Timeout", None);
            return;
        }
        u.interval = (u.interval * 2).min(T2);
        u.next = now + u.interval;
        let next = u.next;
        let bytes = u.bytes.clone();
        let to = call.a.dialog.peer;
        self.timers.insert((next, id));
        self.act(Action::Transmit { to, bytes });
    }

    /// The caller's INVITE has waited minutes without a final response (a long ring
    /// through many members): answer it now, before the INVITE transaction gives up, and let
    /// the caller keep hearing the ringback tone.
    pub fn invite_unanswered(&mut self, now: DateTime<Utc>, key: &ServerKey) {
        self.now = now;
        let Some(&id) = self.by_invite.get(key) else {
            return;
        };
        let early = self
            .calls
            .get(&id)
            .is_some_and(|c| matches!(c.a.state, CallerState::Early { .. }));
        if early {
            self.answer_caller(id);
        }
    }
}
