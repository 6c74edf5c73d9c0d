//! Requests inside a call's dialogs: BYE from either side, and re-INVITEs (hold and resume)
//! answered at once and passed to the other phone.

use super::*;

impl B2bua {
    /// Sends BYE on one side's dialog.
    pub(super) fn send_bye(&mut self, id: CallId, side: Side) {
        let branch = self.branch();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let dialog = match side {
            Side::Caller => &mut call.a.dialog,
            Side::Fork(i) => match call.forks.get_mut(i) {
                Some(f) => {
                    f.state = ForkState::Done { code: 200 };
                    &mut f.dialog
                }
                None => return,
            },
        };
        let bytes = dialog.request("BYE", &branch, None);
        let to = dialog.peer;
        self.track(branch.clone(), id, Purpose::Other(side));
        self.act(Action::Send(tx::OutgoingRequest {
            key: ClientKey::new(branch, crate::sip::method::Method::Bye),
            to,
            bytes,
        }));
    }

    /// A request inside one of our dialogs (BYE, re-INVITE, INFO, …): the answer to send.
    pub fn in_dialog(&mut self, now: DateTime<Utc>, request: &Parsed) -> Reply {
        self.now = now;
        let tag = request.head.to_tag.clone().unwrap_or_default();
        let Some(&(id, side)) = self.by_dialog.get(&(request.head.call_id.clone(), tag)) else {
            return Reply::new(481, "Call/Transaction Does Not Exist");
        };
        let method = request.head.cseq_method.clone();
        if let Some(d) = self.dialog_mut(id, side) {
            if d.remote_cseq.is_some_and(|c| request.head.cseq < c) {
                return Reply::new(500, "Server Internal Error (CSeq out of order)");
            }
            d.remote_cseq = Some(request.head.cseq);
        }
        use crate::sip::method::Method;
        match method {
            Method::Bye => {
                self.bye_from(id, side);
                Reply::new(200, "OK")
            }
            Method::Invite => self.reinvite(id, side, request),
            Method::Info | Method::Notify => Reply::new(200, "OK"),
            _ => Reply::new(501, "Not Implemented")
                .with(h::Allow::new(crate::sip::endpoint::ALLOW).into()),
        }
    }

    pub(super) fn dialog_mut(&mut self, id: CallId, side: Side) -> Option<&mut Dialog> {
        let call = self.calls.get_mut(&id)?;
        match side {
            Side::Caller => Some(&mut call.a.dialog),
            Side::Fork(i) => call.forks.get_mut(i).map(|f| &mut f.dialog),
        }
    }

    /// A BYE from one side: hang up the other.
    pub(super) fn bye_from(&mut self, id: CallId, side: Side) {
        match side {
            Side::Caller => {
                if let Some(call) = self.calls.get_mut(&id) {
                    call.a.state = CallerState::Gone;
                    call.a.unacked = None;
                }
                self.caller_left(id);
                self.event(CallEvent::Ended {
                    call: id,
                    why: "the caller hung up".into(),
                });
                self.wind_down(id);
            }
            Side::Fork(i) => {
                let was_connected = self
                    .calls
                    .get(&id)
                    .and_then(|c| c.forks.get(i))
                    .is_some_and(|f| f.state == ForkState::Connected);
                if let Some(f) = self.calls.get_mut(&id).and_then(|c| c.forks.get_mut(i)) {
                    f.state = ForkState::Done { code: 200 };
                }
                if was_connected {
                    self.caller_left(id);
                    if let Some(c) = self.calls.get_mut(&id) {
                        c.routed = true;
                    }
                    let call_state = self.calls.get(&id).map(|c| c.a.state);
                    if call_state == Some(CallerState::Answered) {
                        self.send_bye(id, Side::Caller);
                    }
                    if let Some(call) = self.calls.get_mut(&id) {
                        call.a.state = CallerState::Gone;
                    }
                    self.event(CallEvent::Ended {
                        call: id,
                        why: "the called phone hung up".into(),
                    });
                    self.wind_down(id);
                } else {
                    self.fork_finished(id, i, 480);
                }
            }
        }
    }

    /// A re-INVITE: answer at once with our SDP for that leg, and pass the direction on.
    pub(super) fn reinvite(&mut self, id: CallId, side: Side, request: &Parsed) -> Reply {
        let Some(Ok(offer)) = message::sdp_body(request).map(Sdp::parse) else {
            return refuse_media("a re-INVITE needs an SDP offer");
        };
        let ip = self.local.media_ip;
        let Some(call) = self.calls.get_mut(&id) else {
            return Reply::new(481, "Call/Transaction Does Not Exist");
        };
        let leg = match side {
            Side::Caller => &mut call.a.media,
            Side::Fork(_) => match call.b_media.as_mut() {
                Some(m) => m,
                None => return Reply::new(481, "Call/Transaction Does Not Exist"),
            },
        };
        leg.next_version();
        let (answer, negotiated) = match leg.answer(&offer, ip, Direction::SendRecv) {
            Ok(x) => x,
            Err(e) => return refuse_media(&e.to_string()),
        };
        let remote = remote_of(&negotiated);
        leg.remote = Some(remote);
        let leg_id = leg.leg;
        let contact = match side {
            Side::Caller => call.a.dialog.contact.clone(),
            Side::Fork(i) => call
                .forks
                .get(i)
                .map(|f| f.dialog.contact.clone())
                .unwrap_or_default(),
        };
        self.media(Command::Remote {
            leg: leg_id,
            remote,
        });
        self.pass_direction(id, side, negotiated.remote_direction);
        Reply::new(200, "OK")
            .with(h::Contact::new(format!("<{contact}>")).into())
            .with_sdp(answer.to_string())
    }

    /// Offers `direction` to the other leg of a connected call (hold and resume pass through).
    pub(super) fn pass_direction(&mut self, id: CallId, from: Side, direction: Direction) {
        let ip = self.local.media_ip;
        let branch = self.branch();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(c) = call.connected() else {
            return;
        };
        let (to_side, media, dialog) = match from {
            Side::Caller => match (call.b_media.as_mut(), call.forks.get_mut(c)) {
                (Some(m), Some(f)) => (Side::Fork(c), m, &mut f.dialog),
                _ => return,
            },
            Side::Fork(_) => (Side::Caller, &mut call.a.media, &mut call.a.dialog),
        };
        if media.direction == direction {
            return;
        }
        media.direction = direction;
        let version = media.next_version();
        let sdp = Sdp::offer(media.session, version, ip, media.port, LAWS, direction);
        let bytes = dialog.request("INVITE", &branch, Some(&sdp.to_string()));
        let to = dialog.peer;
        self.track(branch.clone(), id, Purpose::ReInvite(to_side));
        self.act(Action::Send(tx::OutgoingRequest {
            key: ClientKey::new(branch, crate::sip::method::Method::Invite),
            to,
            bytes,
        }));
    }

    pub(super) fn reinvite_answered(
        &mut self,
        id: CallId,
        side: Side,
        code: u16,
        response: &Parsed,
    ) {
        let branch = self.branch();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (dialog, media) = match side {
            Side::Caller => (&mut call.a.dialog, Some(&mut call.a.media)),
            Side::Fork(i) => match call.forks.get_mut(i) {
                Some(f) => (&mut f.dialog, call.b_media.as_mut()),
                None => return,
            },
        };
        if (200..300).contains(&code) {
            let ack = dialog.ack(dialog.local_cseq, &branch);
            let to = dialog.peer;
            self.out.push_back(Action::Transmit { to, bytes: ack });
            let ip = self.local.media_ip;
            let negotiated = message::sdp_body(response)
                .and_then(|s| Sdp::parse(s).ok())
                .and_then(|sdp| sdp.answer(0, ip, 0, LAWS, Direction::SendRecv).ok());
            if let (Some((_, n)), Some(m)) = (negotiated, media) {
                let remote = remote_of(&n);
                m.remote = Some(remote);
                let leg = m.leg;
                self.media(Command::Remote { leg, remote });
            }
        }
    }
}
