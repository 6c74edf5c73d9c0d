//! The router's decisions carried out on a call: ringback, ringing, connecting, hold music
//! and ending; and media failures.

use super::*;

impl B2bua {
    /// One of the router's decisions. For `Ring`, `contacts` are the employee's registered
    /// phones (the endpoint looks them up).
    pub fn route(&mut self, now: DateTime<Utc>, output: routing::Output, contacts: Vec<Binding>) {
        self.now = now;
        use routing::Output as O;
        match output {
            O::Ringback { call } => self.ringback(call),
            O::Ring { call, employee } => self.ring(call, employee, contacts),
            O::StopRinging { call, employee } => self.stop_ringing(call, &employee),
            O::Connect { call, employee } => self.connect(call, &employee),
            O::HoldMusic { call, file } => self.hold_music(call, file),
            O::End { call, cause } => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.routed = true;
                }
                let (code, reason) = status_of(cause);
                self.end_caller(call, code, reason, None);
            }
            O::Voicemail {
                call,
                mailbox,
                greeting,
            } => self.leave_message(call, mailbox, greeting),
            O::ForwardToNumber { call, .. } => {
                // The endpoint sends these out itself (`dial_out`: it knows the trunks and the
                // toll-fraud limits); one that reaches the B2BUA had no trunk to go through.
                self.refuse_outside(now, call, 503, "no SIP trunk to send the call out through");
            }
            O::Record(_) | O::Notify(_) | O::Crm(_) => {}
        }
    }

    pub(super) fn ringback(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.a.state == CallerState::Answered {
            // A blind transfer: the answered caller hears ringback while the target rings.
            let (leg, country) = (call.a.media.leg, self.tone_country);
            self.media(Command::Play {
                leg,
                source: Source::Ringback(country),
            });
            return;
        }
        if call.a.state != (CallerState::Early { progress: false }) {
            return;
        }
        let Some(sdp) = self.caller_sdp(id) else {
            return;
        };
        let reply = Reply::new(183, "Session Progress")
            .with(h::Contact::new(format!("<{}>", call.a.dialog.contact)).into())
            .with_sdp(sdp);
        self.respond_caller(id, reply);
        let country = self.tone_country;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.a.state = CallerState::Early { progress: true };
        let leg = call.a.media.leg;
        if call.connected().is_none() {
            self.media(Command::Play {
                leg,
                source: Source::Ringback(country),
            });
        }
    }

    pub(super) fn hold_music(&mut self, id: CallId, file: Option<String>) {
        if !self.calls.contains_key(&id) {
            return;
        }
        self.answer_caller(id);
        let path = file.map(|f| {
            let p = PathBuf::from(f);
            if p.is_absolute() {
                p
            } else {
                self.data_dir.join(p)
            }
        });
        if let Some(call) = self.calls.get_mut(&id) {
            call.music = path.clone();
            let leg = call.a.media.leg;
            self.media(Command::Play {
                leg,
                source: Source::HoldMusic(path),
            });
        }
    }

    /// What the media engine reports: voicemail's events (played, recorded, DTMF) go to
    /// `voicemail.rs`; a media leg that could not be opened ends its call (it cannot carry
    /// audio).
    pub fn media_event(&mut self, now: DateTime<Utc>, event: media::Event) {
        self.now = now;
        let media::Event::OpenFailed { leg, port, reason } = event else {
            return self.voicemail_media(event);
        };
        self.ports.mark_bad(port);
        let id = self.calls.iter().find_map(|(id, c)| {
            let on_a = c.a.media.leg == leg;
            let on_b = c.b_media.as_ref().is_some_and(|m| m.leg == leg);
            (on_a || on_b).then_some(*id)
        });
        self.event(CallEvent::Failed {
            call: id,
            why: format!("RTP port {port} could not be opened: {reason}"),
        });
        if let Some(id) = id {
            self.caller_left(id);
            self.end_caller(id, 503, "Service Unavailable", None);
        }
    }
}

/// The status a router's end cause gives an unanswered caller.
fn status_of(cause: EndCause) -> (u16, &'static str) {
    match cause {
        EndCause::Busy => (486, "Busy Here"),
        EndCause::NotFound => (404, "Not Found"),
        EndCause::ClosedHangUp => (603, "Decline"),
        EndCause::ForwardLoop => (482, "Loop Detected"),
        EndCause::NoAnswer | EndCause::NoForwardTarget => (480, "Temporarily Unavailable"),
    }
}
