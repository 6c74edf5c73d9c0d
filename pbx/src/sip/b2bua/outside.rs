//! Calls out through a SIP trunk: an employee's outside call, and the router's forwards to a
//! number (an unanswered group's forward, an after-hours forward, an employee's mobile).
//!
//! The endpoint picks the trunk, checks the toll-fraud guard and hands over an
//! [`OutsideRoute`]; the B2BUA sends one INVITE (an outside fork) to the provider. The fork
//! answers the provider's digest challenge (401/407) once per nonce, three challenges at most;
//! the provider's ringing gives the caller Centrala's ringback; its answer connects the caller
//! at once (the router is done with the call); its failure ends the call with a status the
//! caller's phone shows.
//!
//! Caller ID: a forwarded outside caller's own number is presented in `From` (where the
//! provider permits it, the called mobile sees who is calling); an employee's call presents
//! the trunk's `caller_id` (the office number), else the trunk's user name; a withheld
//! number goes as `anonymous` with `Privacy: id` (RFC 3323).

use firmware_config::number::PhoneNumber;

use super::*;
use crate::sip::trunk::auth::{self, ClientAuth};

/// How many challenges one outside call answers: a provider that keeps sending new nonces
/// (or a stale flag) would otherwise be answered forever.
const MAX_CHALLENGES: usize = 3;

/// Which trunk an outside call goes through, and how to reach and authenticate to it.
#[derive(Clone)]
pub struct OutsideRoute {
    /// The trunk's name (for the log).
    pub trunk: String,
    /// The provider's address.
    pub addr: SocketAddr,
    /// The provider's host as configured (the Request-URI's and From's domain).
    pub host: String,
    /// The configured port (named in the Request-URI when not 5060).
    pub port: u16,
    /// Digest user name at the provider.
    pub username: String,
    /// Digest password at the provider.
    pub password: String,
    /// The number presented for employees' calls.
    pub caller_id: Option<PhoneNumber>,
}

/// Without the password.
impl std::fmt::Debug for OutsideRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutsideRoute")
            .field("trunk", &self.trunk)
            .field("addr", &self.addr)
            .field("host", &self.host)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What an outside fork keeps beyond any fork.
#[derive(Debug)]
pub struct OutsideLeg {
    /// The number called.
    pub number: PhoneNumber,
    /// The trunk.
    pub route: OutsideRoute,
    /// Our SDP offer, sent again with credentials.
    sdp: String,
    /// Headers of the first INVITE that every retry carries too.
    extra: Vec<(&'static str, String)>,
    /// Nonces already answered: the same one challenged again means wrong credentials.
    answered: Vec<String>,
}

impl B2bua {
    /// Sends call `id` out to `number` through `route`. The router is done with the call.
    pub fn dial_out(
        &mut self,
        now: DateTime<Utc>,
        id: CallId,
        number: PhoneNumber,
        route: OutsideRoute,
    ) {
        self.now = now;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.routed = true;
        if call.a.state == CallerState::Gone {
            return;
        }
        let forks: Vec<usize> = (0..call.forks.len()).collect();
        for i in forks {
            self.drop_fork(id, i);
        }
        if !self.ensure_b_media(id) {
            return self.end_caller(id, 503, "Service Unavailable", None);
        }
        self.send_outside_invite(id, number, route);
    }

    /// Refuses to send call `id` out (toll-fraud guard, no usable trunk): the caller gets
    /// `code` with `why` in a `Warning`, or a BYE when already answered.
    pub fn refuse_outside(&mut self, now: DateTime<Utc>, id: CallId, code: u16, why: &str) {
        self.now = now;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.routed = true;
        self.event(CallEvent::Failed {
            call: Some(id),
            why: format!("outside call refused: {why}"),
        });
        let warning = warning(399, why);
        let reason = match code {
            403 => "Forbidden",
            404 => "Not Found",
            _ => "Service Unavailable",
        };
        self.end_caller(id, code, reason, Some(&warning));
    }

    fn send_outside_invite(&mut self, id: CallId, number: PhoneNumber, route: OutsideRoute) {
        let transport = tx::Transport::Udp;
        let Some(via) = self.local.sip(transport) else {
            return self.end_caller(id, 503, "Service Unavailable", None);
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
        let (from, extra) = presented(&call.caller, &call.caller_name, &route);
        let uri = request_uri(&number, &route.host, route.port);
        let mut dialog = Dialog::as_uac(
            call_id,
            tag,
            from,
            format!("<{uri}>"),
            uri,
            Destination {
                addr: route.addr,
                transport,
            },
            via.to_string(),
            format!("sip:{}@{via}", route.username),
        );
        let bytes = dialog.invite(&branch, &sdp, &extra);
        let trunk = route.trunk.clone();
        let leg = OutsideLeg {
            number: number.clone(),
            route,
            sdp,
            extra,
            answered: Vec::new(),
        };
        self.send_fork(id, Party::Outside(Box::new(leg)), dialog, branch, bytes);
        self.event(CallEvent::Dialling {
            call: id,
            number,
            trunk,
        });
    }

    /// A 401/407 to an outside fork's INVITE: send it again with credentials, unless the
    /// nonce was answered already (wrong credentials) or the fork is being dropped.
    pub(super) fn outside_challenged(
        &mut self,
        id: CallId,
        i: usize,
        code: u16,
        response: &Parsed,
    ) {
        let header = if code == 401 {
            "WWW-Authenticate"
        } else {
            "Proxy-Authenticate"
        };
        let challenge = auth::pick(message::header_values(response, header));
        let cnonce = self.id("cnonce");
        let branch = self.branch();
        let gone = self
            .calls
            .get(&id)
            .is_none_or(|c| c.a.state == CallerState::Gone);
        let Some(fork) = self.calls.get_mut(&id).and_then(|c| c.forks.get_mut(i)) else {
            return;
        };
        let Party::Outside(leg) = &mut fork.party else {
            return;
        };
        let challenge = match challenge {
            Ok(_) if leg.answered.len() >= MAX_CHALLENGES => {
                return self.outside_refused_credentials(id, i)
            }
            Ok(c) if !leg.answered.contains(&c.nonce) || c.stale => c,
            Ok(_) => return self.outside_refused_credentials(id, i),
            Err(e) => {
                let why = format!("the provider's challenge cannot be answered: {e}");
                self.event(CallEvent::Failed {
                    call: Some(id),
                    why,
                });
                return self.fork_finished(id, i, 503);
            }
        };
        if fork.cancel_wanted || gone {
            return self.fork_finished(id, i, 487);
        }
        leg.answered.push(challenge.nonce.clone());
        let uri = fork.dialog.remote_target.clone();
        let request = auth::Request {
            method: "INVITE",
            uri: &uri,
            username: &leg.route.username,
            password: &leg.route.password,
        };
        let value = ClientAuth::new(challenge).authorize(&request, &cnonce);
        let name = if code == 401 {
            "Authorization"
        } else {
            "Proxy-Authorization"
        };
        let mut extra = leg.extra.clone();
        extra.push((name, value));
        let bytes = fork.dialog.invite_again(&branch, &leg.sdp, &extra);
        fork.branch = branch.clone();
        fork.state = ForkState::Calling;
        let to = fork.dialog.peer;
        self.track(branch.clone(), id, Purpose::Invite(i));
        self.act(Action::Send(tx::OutgoingRequest {
            key: ClientKey::new(branch, crate::sip::method::Method::Invite),
            to,
            bytes,
        }));
    }

    fn outside_refused_credentials(&mut self, id: CallId, i: usize) {
        let trunk = self
            .calls
            .get(&id)
            .and_then(|c| c.forks.get(i))
            .and_then(|f| match &f.party {
                Party::Outside(o) => Some(o.route.trunk.clone()),
                Party::Employee(_) => None,
            })
            .unwrap_or_default();
        self.event(CallEvent::Failed {
            call: Some(id),
            why: format!("trunk {trunk} refused our credentials for an outside call"),
        });
        self.fork_finished(id, i, 403);
    }

    /// The provider rang (a provisional response): the caller hears ringback.
    pub(super) fn outside_ringing(&mut self, id: CallId) {
        self.ringback(id);
    }

    /// The outside number answered: connect the caller at once.
    pub(super) fn outside_answered(&mut self, id: CallId, i: usize) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(fork) = call.forks.get_mut(i) else {
            return;
        };
        fork.state = ForkState::Connected;
        let number = match &fork.party {
            Party::Outside(o) => o.number.clone(),
            Party::Employee(_) => return,
        };
        call.callee_holds = false;
        let a = call.a.media.leg;
        let b = call.b_media.as_ref().map(|m| m.leg);
        self.answer_caller(id);
        if let Some(b) = b {
            self.media(Command::Bridge { a, b });
        }
        self.event(CallEvent::OutsideAnswered { call: id, number });
    }

    /// The outside call failed with `code` before it was answered: the call ends, with a
    /// status the caller's phone understands.
    pub(super) fn outside_failed(&mut self, id: CallId, code: u16) {
        let gone = self
            .calls
            .get(&id)
            .is_none_or(|c| c.a.state == CallerState::Gone);
        if !gone {
            self.event(CallEvent::Failed {
                call: Some(id),
                why: format!("the outside call failed with {code}"),
            });
            let (code, reason) = caller_status(code);
            self.end_caller(id, code, reason, None);
        }
        self.reap_if_gone(id);
    }
}

/// The Request-URI for `number` at the provider: E.164 with `+` as the user part.
fn request_uri(number: &PhoneNumber, host: &str, port: u16) -> String {
    if port == 5060 {
        format!("sip:{number}@{host}")
    } else {
        format!("sip:{number}@{host}:{port}")
    }
}

/// The `From` value and extra headers presenting `caller` on the trunk.
fn presented(
    caller: &Caller,
    name: &str,
    route: &OutsideRoute,
) -> (String, Vec<(&'static str, String)>) {
    let host = &route.host;
    let name = name.replace(['"', '\\'], "");
    match caller {
        Caller::Number(n) => (format!("<sip:{n}@{host}>"), Vec::new()),
        Caller::Extension(_) => {
            let user = route
                .caller_id
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_else(|| route.username.clone());
            (format!("\"{name}\" <sip:{user}@{host}>"), Vec::new())
        }
        Caller::Withheld => (
            "\"Anonymous\" <sip:anonymous@anonymous.invalid>".to_owned(),
            vec![("Privacy", "id".to_owned())],
        ),
    }
}

/// What the caller's phone is told when the outside call fails with `code`.
fn caller_status(code: u16) -> (u16, &'static str) {
    match code {
        486 | 600 => (486, "Busy Here"),
        603 => (603, "Decline"),
        404 | 484 | 604 => (404, "Not Found"),
        403 => (403, "Forbidden"),
        _ => (480, "Temporarily Unavailable"),
    }
}
