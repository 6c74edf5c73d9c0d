//! The hand-over to the B2BUA: new calls, CANCELs, responses to its requests, and carrying
//! out its actions on the transaction layer until both are quiet.

use super::*;

impl Endpoint {
    /// A response: to a request the B2BUA sent, through its client transaction.
    pub(super) fn on_response(&mut self, code: u16, parsed: Parsed) {
        let Some(top) = parsed.head.vias.first() else {
            return;
        };
        let response = tx::ReceivedResponse {
            method: parsed.head.cseq_method.clone(),
            branch: top.branch.clone(),
            code,
            bytes: Bytes::from(parsed.bytes.as_slice()),
        };
        self.received = Some(parsed);
        let now = self.tx_now();
        let _ = self
            .transactions
            .handle_input(now, tx::Input::Response(response));
        self.pump();
        self.received = None;
    }

    /// The message the transaction layer passed up, parsed: the one just received when it
    /// is that one (the usual case, so it is not parsed twice), else parsed again (a 2xx
    /// the layer kept).
    fn passed_up(&mut self, bytes: &[u8]) -> Option<Parsed> {
        if let Some(p) = self.received.take() {
            if p.bytes == bytes {
                return Some(p);
            }
        }
        if let Some(p) = self.pending.as_ref().filter(|p| p.parsed.bytes == bytes) {
            return Some(p.parsed.clone());
        }
        wire::parse(bytes).ok()
    }

    /// Moves outputs between the transaction layer and the B2BUA until both are quiet.
    pub(super) fn pump(&mut self) {
        loop {
            self.drain();
            if let Some(key) = self.cancelled.take() {
                self.b2bua.cancel(self.now, &key);
            }
            let mut acted = false;
            while let Some(action) = self.b2bua.poll_action() {
                acted = true;
                self.apply(action);
            }
            if !acted {
                break;
            }
        }
    }

    /// Carries out one action of the B2BUA.
    pub(super) fn apply(&mut self, action: Action) {
        let now = self.tx_now();
        match action {
            Action::Respond { key, code, bytes } => {
                let _ = self
                    .transactions
                    .handle_input(now, tx::Input::Respond { key, code, bytes });
            }
            Action::Send(request) => {
                let _ = self
                    .transactions
                    .handle_input(now, tx::Input::Send(request));
            }
            Action::Transmit { to, bytes } => {
                self.transmit(to.addr, config_transport(to.transport), bytes)
            }
            Action::Route(input) => self.out.push_back(Output::Route(input)),
            Action::Media(command) => self.out.push_back(Output::Media(command)),
            Action::Voicemail(change) => self.out.push_back(Output::Voicemail(change)),
            Action::Released { call } => self.toll.release(call),
            Action::Event(event) => self.emit(Event::Call(event)),
        }
    }

    /// What the transaction layer reports about the B2BUA's requests and ACKs.
    pub(super) fn pass_to_b2bua(&mut self, output: tx::Output) {
        let Some(output) = self.trunk_claim(output) else {
            return; // a trunk registration's
        };
        let Some(output) = self.notice_claim(output) else {
            return; // a notification's MESSAGE
        };
        let now = self.now;
        match output {
            tx::Output::Ack { bytes, .. } => {
                if let Some(ack) = self.passed_up(&bytes) {
                    self.b2bua.ack(now, &ack);
                }
            }
            tx::Output::Response { key, bytes, .. } => {
                if let Some(response) = self.passed_up(&bytes) {
                    self.b2bua.response(now, &key, &response);
                }
            }
            tx::Output::Timeout {
                key: tx::Key::Server(key),
                cause: tx::TimeoutCause::Unanswered,
            } => self.b2bua.invite_unanswered(now, &key),
            tx::Output::Timeout {
                key: tx::Key::Client(key),
                cause,
            } => match cause {
                tx::TimeoutCause::NoFinalResponse => self.b2bua.invite_too_long(now, &key),
                _ => self.b2bua.request_failed(now, &key, 408),
            },
            tx::Output::TransportError {
                key: tx::Key::Client(key),
            } => self.b2bua.request_failed(now, &key, 503),
            _ => {}
        }
    }

    /// A CANCEL: 200 if its INVITE transaction exists (the B2BUA then ends the call with
    /// 487), else 481.
    pub(super) fn cancel(&mut self, key: &ServerKey) -> Reply {
        let invite = key.invite();
        if self
            .transactions
            .state(&tx::Key::Server(invite.clone()))
            .is_none()
        {
            return no_dialog();
        }
        if self.b2bua.owns_invite(&invite) {
            self.cancelled = Some(invite);
        }
        Reply::new(200, "OK")
    }

    /// An INVITE outside a dialog: from a trunk's provider, a call to a DID; else
    /// authenticate, find the number, and hand it to the B2BUA.
    pub(super) fn new_call(&mut self, key: &ServerKey, p: Pending) -> Option<(Reply, Pending)> {
        if let Some(trunk) = self.trunk_at(p.from) {
            let trunk = trunk.name.to_string();
            return self.inbound_call(key, p, trunk);
        }
        if let Some(line) = self.line_at(p.from) {
            let line = line.to_owned();
            return self.line_call(key, p, line);
        }
        let dialled = p
            .request()
            .and_then(|r| r.uri.user())
            .unwrap_or_default()
            .to_owned();
        let who = match self.authenticate(&p) {
            Ok(who) => who,
            Err(reply) => {
                self.outside_unauthenticated(&p, &dialled, reply.code);
                return Some((reply, p));
            }
        };
        let Some(target) = self.dialled_target(&dialled) else {
            self.emit(Event::NotConnected {
                method: Method::Invite,
                user: who.username,
                target: dialled,
                status: 404,
            });
            return Some((Reply::new(404, "Not Found"), p));
        };
        let caller_name = self
            .config
            .employee(&who.extension)
            .map(|e| e.name.to_string())
            .unwrap_or_default();
        let new = NewCall {
            key: key.clone(),
            invite: p.parsed.clone(),
            source: Destination {
                addr: p.from,
                transport: tx_transport(p.transport),
            },
            tag: self.tag(&p.parsed.head),
            caller: crate::routing::Caller::Extension(who.extension),
            caller_name,
            dialled,
            target,
        };
        let reply = self.b2bua.invite(self.now, new)?;
        Some((reply, p))
    }
}
