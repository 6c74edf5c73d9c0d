//! Requests inside a call's dialogs: BYE from either side, re-INVITEs (hold and resume)
//! answered at once — the other side hears hold music while one holds — and REFER
//! (`transfer.rs`).

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
            Method::Refer => self.refer(id, side, request),
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
                self.voicemail_caller_left(id);
                self.caller_left(id);
                self.event(CallEvent::Ended {
                    call: id,
                    why: "the caller hung up".into(),
                });
                self.wind_down(id);
            }
            Side::Fork(i) => {
                let done = self
                    .calls
                    .get(&id)
                    .and_then(|c| c.forks.get(i))
                    .is_none_or(|f| f.state.is_done());
                if done {
                    // A transferor hanging up after its transfer, or a BYE that crossed ours.
                    return;
                }
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
        let holding = matches!(
            negotiated.remote_direction,
            Direction::SendOnly | Direction::Inactive
        );
        self.hold_changed(id, side, holding);
        Reply::new(200, "OK")
            .with(h::Contact::new(format!("<{contact}>")).into())
            .with_sdp(answer.to_string())
    }

    /// A side put the call on hold or took it off hold: while either side holds, the other
    /// hears the entry point's hold music (SPEC §3: the caller waits with music while the
    /// employee consults a colleague); when neither does, the two are bridged again. The
    /// other phone is not re-INVITEd, so a hold never waits on it.
    pub(super) fn hold_changed(&mut self, id: CallId, side: Side, holding: bool) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        match side {
            Side::Caller => call.caller_holds = holding,
            Side::Fork(_) => call.callee_holds = holding,
        }
        if call.connected().is_none() {
            return;
        }
        let a = call.a.media.leg;
        let Some(b) = call.b_media.as_ref().map(|m| m.leg) else {
            return;
        };
        let music = call.music.clone();
        let play = |leg| Command::Play {
            leg,
            source: Source::HoldMusic(music.clone()),
        };
        match (call.caller_holds, call.callee_holds) {
            (false, false) => self.media(Command::Bridge { a, b }),
            (true, false) => self.media(play(b)),
            (false, true) => self.media(play(a)),
            (true, true) => {
                self.media(play(a));
                self.media(play(b));
            }
        }
    }
}
