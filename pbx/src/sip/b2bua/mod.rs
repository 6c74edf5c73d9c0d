//! The back-to-back user agent: every call is two SIP legs with Centrala in the middle of
//! both signalling and media. Sans-IO, like the router and the transaction layer.
//!
//! The endpoint hands the B2BUA what concerns calls — a new authenticated INVITE, requests
//! inside a call's dialogs, ACKs, CANCELs, responses and failures of the requests the B2BUA
//! sent — and the router's decisions. The B2BUA answers with [`Action`]s: responses and
//! requests for the transaction layer, ACKs and 2xx retransmissions for the transport, inputs
//! for the router, and commands for the media engine.
//!
//! How a call goes:
//! 1. An INVITE with an SDP offer from an authenticated phone: a media leg is opened for the
//!    caller (its own RTP port), and the router gets [`routing::Input::Offer`].
//! 2. `Ringback`: 183 Session Progress with our SDP, and the caller hears Centrala's ringback
//!    tone (early media), whatever happens behind.
//! 3. `Ring`: an INVITE to every registered contact of the employee (forking), all offering
//!    the same callee-side media leg. A phone's 2xx is ACKed and reported `Answered`; its
//!    failure is reported `Declined` once all the employee's phones have failed (603/600 →
//!    rejected, 486 → busy, anything else → unreachable).
//! 4. `Connect`: the answered phone's leg and the caller's are bridged, the caller gets 200
//!    (unless it was answered for hold music already), and every other fork is cancelled.
//! 5. `HoldMusic`: the caller is answered and hears music; later rings and `Connect` work as
//!    above.
//! 6. BYE from either side is answered and passed on; CANCEL from the caller ends the INVITE
//!    with 487; re-INVITEs (hold and resume) are answered at once and passed to the other leg.
//! 7. `End` gives the caller the cause's status (486, 480, 404, 603, 482) or a BYE.
//!
//! Decisions:
//! - **Media is always anchored** (each side talks to its own Centrala port), so music can
//!   replace a party at any moment and the two phones may use different G.711 laws.
//! - **Early media for ringback**: the caller hears Centrala's ringback (or music) instead of
//!   relying on the phone's own tone, because calls wait in queues and move between members.
//! - **Re-INVITEs are answered at once** with our SDP (our port does not change) and passed
//!   to the other leg with the same direction; the other leg's answer only updates where we
//!   send. So a hold never waits on the other phone, and glare (RFC 3261 491) cannot arise
//!   from our side waiting.
//! - An INVITE without an SDP offer (late offer) is refused with 488: every phone we know
//!   sends one, and supporting late offer would double the offer/answer paths.
//! - `Voicemail` and `ForwardToNumber` are not served yet (voicemail and trunks are later
//!   work): the caller gets 480 with a `Warning` saying so.

mod call;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};
use firmware_config::number::Extension;
use firmware_config::system::{PortRange, ToneCountry};
use rsip::headers::{self as h, UntypedHeader};
use sha2::{Digest, Sha256};

use crate::media::g711::Law;
use crate::media::ports::PortPool;
use crate::media::{self, Command, LegId, Remote, Source};
use crate::routing::{self, CallId, Caller, Decline, EndCause, Target};
use crate::sip::dialog::Dialog;
use crate::sip::message::{self, Reply};
use crate::sip::registrar::Binding;
use crate::sip::sdp::{Direction, Sdp};
use crate::sip::transaction::{self as tx, Bytes, ClientKey, Destination, ServerKey};
use crate::sip::wire::Parsed;
use call::{Call, CallerLeg, CallerState, Fork, ForkState, MediaLeg, Unacked};

/// The laws Centrala offers and accepts, in preference order.
pub const LAWS: &[Law] = &[Law::Ulaw, Law::Alaw];
/// T1 (RFC 3261): the first 2xx retransmission interval.
const T1: TimeDelta = TimeDelta::milliseconds(500);
/// T2: the longest 2xx retransmission interval.
const T2: TimeDelta = TimeDelta::seconds(4);
/// How long a finished call may wait for its forks to settle before it is dropped.
const REAP_AFTER: TimeDelta = TimeDelta::seconds(40);
/// The `Warning` when the router sends a call to voicemail or outside, which is not served yet.
const NOT_SERVED_WARNING: &str =
    "399 centrala \"voicemail and outside forwarding are not available yet\"";

/// What the B2BUA asks the endpoint, the router and the media engine to do.
#[derive(Debug, Clone)]
pub enum Action {
    /// Answer a request on its server transaction.
    Respond {
        /// The transaction.
        key: ServerKey,
        /// The status code.
        code: u16,
        /// The whole response.
        bytes: Bytes,
    },
    /// Send a request through a new client transaction.
    Send(tx::OutgoingRequest),
    /// Send a message outside any transaction (ACK for a 2xx, a retransmitted 2xx).
    Transmit {
        /// Where.
        to: Destination,
        /// The whole message.
        bytes: Bytes,
    },
    /// Tell the router.
    Route(routing::Input),
    /// Command the media engine.
    Media(Command),
    /// Worth a log line.
    Event(CallEvent),
}

/// A call's progress, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// A phone called a number.
    Started {
        /// The call.
        call: CallId,
        /// The caller's extension.
        caller: Extension,
        /// What they dialled.
        dialled: String,
    },
    /// The phones of an employee are being rung.
    Ringing {
        /// The call.
        call: CallId,
        /// Whose phones.
        employee: Extension,
        /// How many contacts.
        contacts: usize,
    },
    /// A phone answered.
    Answered {
        /// The call.
        call: CallId,
        /// Whose.
        employee: Extension,
    },
    /// The caller and the employee talk.
    Connected {
        /// The call.
        call: CallId,
        /// Who answered.
        employee: Extension,
    },
    /// The call ended for the caller.
    Ended {
        /// The call.
        call: CallId,
        /// Why, in words.
        why: String,
    },
    /// Something was refused or failed.
    Failed {
        /// The call, if one exists.
        call: Option<CallId>,
        /// What.
        why: String,
    },
}

/// A new call: an authenticated INVITE outside a dialog for a number that exists.
#[derive(Debug)]
pub struct NewCall {
    /// Its server transaction.
    pub key: ServerKey,
    /// The INVITE.
    pub invite: Parsed,
    /// Where it came from and over what.
    pub source: Destination,
    /// Our To tag for the caller's dialog.
    pub tag: String,
    /// The calling employee.
    pub caller: Extension,
    /// Their display name.
    pub caller_name: String,
    /// The Request-URI's user part.
    pub dialled: String,
}

/// Our addresses: where we receive SIP on each transport, and the IP our SDP names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    /// The UDP listener, as phones reach it.
    pub udp: Option<SocketAddr>,
    /// The TCP listener, as phones reach it.
    pub tcp: Option<SocketAddr>,
    /// The IP in our SDP (where the media engine's sockets receive).
    pub media_ip: IpAddr,
}

impl Local {
    fn sip(&self, transport: tx::Transport) -> Option<SocketAddr> {
        match transport {
            tx::Transport::Udp => self.udp.or(self.tcp),
            tx::Transport::Tcp => self.tcp.or(self.udp),
        }
    }
}

/// Which side of a call a dialog is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Caller,
    Fork(usize),
}

/// What a client transaction of ours was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// The INVITE of a fork.
    Invite(usize),
    /// A CANCEL, BYE or re-INVITE whose answer matters little.
    Other(Side),
    /// A re-INVITE passing a hold or resume on.
    ReInvite(Side),
}

/// The B2BUA. See the module documentation.
#[derive(Debug)]
pub struct B2bua {
    secret: [u8; 32],
    counter: u64,
    ports: PortPool,
    tone_country: ToneCountry,
    data_dir: PathBuf,
    local: Local,
    now: DateTime<Utc>,
    calls: HashMap<CallId, Call>,
    by_invite: HashMap<ServerKey, CallId>,
    by_dialog: HashMap<(String, String), (CallId, Side)>,
    by_branch: HashMap<String, (CallId, Purpose)>,
    timers: BTreeSet<(DateTime<Utc>, CallId)>,
    next_call: u64,
    next_leg: u64,
    out: VecDeque<Action>,
}

impl B2bua {
    /// A B2BUA with RTP ports from `ports`, ringback of `tone_country`, relative music files
    /// under `data_dir`, and ids keyed with `secret`.
    pub fn new(
        ports: PortRange,
        tone_country: ToneCountry,
        data_dir: PathBuf,
        local: Local,
        secret: [u8; 32],
    ) -> B2bua {
        B2bua {
            secret,
            counter: 0,
            ports: PortPool::new(ports),
            tone_country,
            data_dir,
            local,
            now: DateTime::<Utc>::MIN_UTC,
            calls: HashMap::new(),
            by_invite: HashMap::new(),
            by_dialog: HashMap::new(),
            by_branch: HashMap::new(),
            timers: BTreeSet::new(),
            next_call: 1,
            next_leg: 1,
            out: VecDeque::new(),
        }
    }

    /// Changes our addresses (the shell learns them when the sockets are bound).
    pub fn set_local(&mut self, local: Local) {
        self.local = local;
    }

    /// Takes settings from a new configuration (ports, tones, data directory). Calls in
    /// progress keep their ports.
    pub fn configure(&mut self, ports: PortRange, tone_country: ToneCountry, data_dir: PathBuf) {
        self.tone_country = tone_country;
        self.data_dir = data_dir;
        let mut pool = PortPool::new(ports);
        for call in self.calls.values() {
            for m in std::iter::once(&call.a.media).chain(call.b_media.iter()) {
                pool.mark_bad(m.port);
            }
        }
        self.ports = pool;
    }

    /// The next action, until there is none.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.out.pop_front()
    }

    /// When [`B2bua::timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        self.timers.first().map(|(t, _)| *t)
    }

    /// The number of calls held.
    pub fn calls(&self) -> usize {
        self.calls.len()
    }

    /// Whether a server transaction is a call's INVITE.
    pub fn owns_invite(&self, key: &ServerKey) -> bool {
        self.by_invite.contains_key(key)
    }

    /// Whether a request (with a To tag) belongs to one of our calls.
    pub fn owns_dialog(&self, request: &Parsed) -> bool {
        let tag = request.head.to_tag.clone().unwrap_or_default();
        self.by_dialog
            .contains_key(&(request.head.call_id.clone(), tag))
    }

    fn act(&mut self, a: Action) {
        self.out.push_back(a);
    }

    fn event(&mut self, e: CallEvent) {
        self.act(Action::Event(e));
    }

    fn media(&mut self, c: Command) {
        self.act(Action::Media(c));
    }

    /// A fresh id: a keyed hash of a counter, as 16 hex digits.
    fn id(&mut self, label: &str) -> String {
        self.counter += 1;
        let mut hash = Sha256::new();
        hash.update(self.secret);
        hash.update(label.as_bytes());
        hash.update(self.counter.to_be_bytes());
        let d = hash.finalize();
        d[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn branch(&mut self) -> String {
        format!("{}{}", tx::MAGIC_COOKIE, self.id("branch"))
    }

    fn session_id(&mut self) -> u64 {
        let id = self.id("session");
        u64::from_str_radix(&id[..12], 16).unwrap_or(self.counter)
    }

    fn open_leg(&mut self) -> Option<MediaLeg> {
        let port = self.ports.allocate()?;
        let leg = LegId(self.next_leg);
        self.next_leg += 1;
        self.media(Command::Open { leg, port });
        let session = self.session_id();
        Some(MediaLeg::new(leg, port, session))
    }

    fn close_leg(&mut self, m: &MediaLeg) {
        self.media(Command::Close { leg: m.leg });
        self.ports.release(m.port);
    }

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
            caller_name: new.caller_name,
            a,
            b_media: None,
            forks: Vec::new(),
            ringing: Vec::new(),
            routed: false,
            reap_at: None,
        };
        self.calls.insert(id, call);
        self.event(CallEvent::Started {
            call: id,
            caller: new.caller.clone(),
            dialled: new.dialled.clone(),
        });
        let target = match Extension::parse(&new.dialled) {
            Ok(ext) => Target::Dialled(ext),
            Err(_) => {
                self.end_caller(id, 404, "Not Found", None);
                return None;
            }
        };
        self.act(Action::Route(routing::Input::Offer {
            call: id,
            caller: Caller::Extension(new.caller),
            target,
        }));
        None
    }

    /// Sends a final or provisional response on the caller's INVITE transaction.
    fn respond_caller(&mut self, id: CallId, reply: Reply) {
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
    fn caller_sdp(&self, id: CallId) -> Option<String> {
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
    fn answer_caller(&mut self, id: CallId) {
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
            .with(h::Allow::new(super::endpoint::ALLOW).into())
            .with_sdp(sdp);
        self.respond_caller(id, reply);
        if let Some(call) = self.calls.get_mut(&id) {
            call.a.state = CallerState::Answered;
        }
    }

    /// Ends the caller's side: a final response if unanswered, else BYE.
    fn end_caller(&mut self, id: CallId, code: u16, reason: &'static str, warning: Option<&str>) {
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

    /// Sends BYE on one side's dialog.
    fn send_bye(&mut self, id: CallId, side: Side) {
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
        self.by_branch
            .insert(branch.clone(), (id, Purpose::Other(side)));
        self.act(Action::Send(tx::OutgoingRequest {
            key: ClientKey::new(branch, crate::sip::method::Method::Bye),
            to,
            bytes,
        }));
    }

    /// After the caller is gone or the router is done: cancel or hang up every fork, stop
    /// the media, and drop the call once nothing is pending.
    fn wind_down(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.a.state != CallerState::Gone {
            return;
        }
        let forks: Vec<usize> = (0..call.forks.len()).collect();
        for i in forks {
            self.drop_fork(id, i);
        }
        self.reap(id);
    }

    /// Cancels a ringing fork, hangs up an answered one.
    fn drop_fork(&mut self, id: CallId, i: usize) {
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

    fn send_cancel(&mut self, id: CallId, i: usize) {
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

    /// Drops a finished call, or schedules dropping it.
    fn reap(&mut self, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if !call.is_finished() {
            if call.reap_at.is_none() {
                let at = self.now + REAP_AFTER;
                call.reap_at = Some(at);
                self.timers.insert((at, id));
            }
            return;
        }
        self.remove(id);
    }

    fn remove(&mut self, id: CallId) {
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        self.by_invite.remove(&call.a.key);
        self.by_dialog
            .remove(&(call.a.dialog.call_id.clone(), call.a.tag.clone()));
        for f in &call.forks {
            self.by_dialog
                .remove(&(f.dialog.call_id.clone(), f.dialog.local_tag.clone()));
        }
        self.by_branch.retain(|_, (c, _)| *c != id);
        self.timers.retain(|(_, c)| *c != id);
        self.close_leg(&call.a.media);
        if let Some(b) = &call.b_media {
            self.close_leg(b);
        }
        if !call.routed {
            // The router still holds it (a protocol failure ended it): tell it.
            let input = match call.connected() {
                Some(_) => routing::Input::CallEnded { call: id },
                None => routing::Input::CallerHungUp { call: id },
            };
            self.act(Action::Route(input));
        }
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
    fn caller_left(&mut self, id: CallId) {
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
                .with(h::Allow::new(super::endpoint::ALLOW).into()),
        }
    }

    fn dialog_mut(&mut self, id: CallId, side: Side) -> Option<&mut Dialog> {
        let call = self.calls.get_mut(&id)?;
        match side {
            Side::Caller => Some(&mut call.a.dialog),
            Side::Fork(i) => call.forks.get_mut(i).map(|f| &mut f.dialog),
        }
    }

    /// A BYE from one side: hang up the other.
    fn bye_from(&mut self, id: CallId, side: Side) {
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
    fn reinvite(&mut self, id: CallId, side: Side, request: &Parsed) -> Reply {
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
    fn pass_direction(&mut self, id: CallId, from: Side, direction: Direction) {
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
        self.by_branch
            .insert(branch.clone(), (id, Purpose::ReInvite(to_side)));
        self.act(Action::Send(tx::OutgoingRequest {
            key: ClientKey::new(branch, crate::sip::method::Method::Invite),
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
            Purpose::ReInvite(side) if key.method == Method::Invite && code >= 200 => {
                self.reinvite_answered(id, side, code, response)
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

    fn fork_response(&mut self, id: CallId, i: usize, code: u16, response: &Parsed) {
        let Some(fork) = self.calls.get(&id).and_then(|c| c.forks.get(i)) else {
            return;
        };
        let state = fork.state;
        match code {
            100 => {}
            101..=199 => {
                if state == ForkState::Calling {
                    let cancel = fork.cancel_wanted;
                    if let Some(f) = self.calls.get_mut(&id).and_then(|c| c.forks.get_mut(i)) {
                        f.state = ForkState::Ringing;
                    }
                    if cancel {
                        self.send_cancel(id, i);
                    }
                }
            }
            200..=299 => self.fork_answered(id, i, response),
            _ => self.fork_finished(id, i, code),
        }
    }

    /// A phone answered: ACK, and tell the router (or hang up if nobody wants it now).
    fn fork_answered(&mut self, id: CallId, i: usize, response: &Parsed) {
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
        let ack = fork.dialog.ack(1, &branch);
        fork.ack = Some(ack.clone());
        let to = fork.dialog.peer;
        let wanted = matches!(fork.state, ForkState::Calling | ForkState::Ringing)
            && !fork.cancel_wanted
            && call.a.state != CallerState::Gone
            && !call.routed;
        let employee = fork.employee.clone();
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
                    why: format!("{employee} answered without a usable SDP answer"),
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
        self.event(CallEvent::Answered {
            call: id,
            employee: employee.clone(),
        });
        self.act(Action::Route(routing::Input::Answered {
            call: id,
            employee,
        }));
    }

    fn reap_if_gone(&mut self, id: CallId) {
        if self
            .calls
            .get(&id)
            .is_some_and(|c| c.a.state == CallerState::Gone)
        {
            self.reap(id);
        }
    }

    /// A fork ended without being answered: when every phone of its employee has failed,
    /// the router hears why.
    fn fork_finished(&mut self, id: CallId, i: usize, code: u16) {
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
        let employee = fork.employee.clone();
        let still_ringing = call.ringing.contains(&employee);
        let all_failed = call
            .forks
            .iter()
            .filter(|f| f.employee == employee)
            .all(|f| f.state.is_done());
        if still_ringing && all_failed && !call.routed {
            call.ringing.retain(|e| e != &employee);
            let codes: Vec<u16> = call
                .forks
                .iter()
                .filter(|f| f.employee == employee)
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

    fn reinvite_answered(&mut self, id: CallId, side: Side, code: u16, response: &Parsed) {
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
            O::Voicemail { call, .. } | O::ForwardToNumber { call, .. } => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.routed = true;
                }
                let reason = "Temporarily Unavailable";
                self.end_caller(call, 480, reason, Some(NOT_SERVED_WARNING));
            }
            O::Record(_) | O::Notify(_) | O::Crm(_) => {}
        }
    }

    fn ringback(&mut self, id: CallId) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
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

    fn hold_music(&mut self, id: CallId, file: Option<String>) {
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
        if let Some(call) = self.calls.get(&id) {
            let leg = call.a.media.leg;
            self.media(Command::Play {
                leg,
                source: Source::HoldMusic(path),
            });
        }
    }

    fn ring(&mut self, id: CallId, employee: Extension, contacts: Vec<Binding>) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.a.state == CallerState::Gone {
            return;
        }
        if contacts.is_empty() {
            self.act(Action::Route(routing::Input::Declined {
                call: id,
                employee,
                why: Decline::Unreachable,
            }));
            return;
        }
        if call.b_media.is_none() {
            let Some(m) = self.open_leg() else {
                self.event(CallEvent::Failed {
                    call: Some(id),
                    why: "no free RTP port for the called side".into(),
                });
                self.act(Action::Route(routing::Input::Declined {
                    call: id,
                    employee,
                    why: Decline::Unreachable,
                }));
                return;
            };
            if let Some(c) = self.calls.get_mut(&id) {
                c.b_media = Some(m);
            }
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
    fn fork(&mut self, id: CallId, employee: &Extension, binding: &Binding) {
        let transport = match binding.transport {
            firmware_config::system::Transport::Udp => tx::Transport::Udp,
            firmware_config::system::Transport::Tcp => tx::Transport::Tcp,
        };
        let Some(via) = self.local.sip(transport) else {
            return;
        };
        let ip = self.local.media_ip;
        let call_id = format!("{}@centrala", self.id("call-id"));
        let tag = self.id("tag");
        let branch = self.branch();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(media) = call.b_media.as_ref() else {
            return;
        };
        let sdp = Sdp::offer(
            media.session,
            media.version,
            ip,
            media.port,
            LAWS,
            media.direction,
        );
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
        let bytes = dialog.invite(&branch, &sdp.to_string(), &[]);
        let to = dialog.peer;
        let i = call.forks.len();
        call.forks.push(Fork {
            employee: employee.clone(),
            branch: branch.clone(),
            dialog,
            state: ForkState::Calling,
            cancel_wanted: false,
            ack: None,
        });
        self.by_branch
            .insert(branch.clone(), (id, Purpose::Invite(i)));
        self.act(Action::Send(tx::OutgoingRequest {
            key: ClientKey::new(branch, crate::sip::method::Method::Invite),
            to,
            bytes,
        }));
    }

    fn stop_ringing(&mut self, id: CallId, employee: &Extension) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.ringing.retain(|e| e != employee);
        let forks: Vec<usize> = call
            .forks
            .iter()
            .enumerate()
            .filter(|(_, f)| &f.employee == employee && f.state != ForkState::Connected)
            .map(|(i, _)| i)
            .collect();
        for i in forks {
            self.drop_fork(id, i);
        }
    }

    fn connect(&mut self, id: CallId, employee: &Extension) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(i) = call
            .forks
            .iter()
            .position(|f| &f.employee == employee && f.state == ForkState::Answered)
        else {
            return;
        };
        call.ringing.clear();
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

    /// A media leg could not be opened: the call cannot carry audio, so it ends.
    pub fn media_event(&mut self, now: DateTime<Utc>, event: media::Event) {
        self.now = now;
        let media::Event::OpenFailed { leg, port, reason } = event;
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

    /// Time passed: 2xx retransmissions, unacknowledged answers, calls to drop.
    pub fn timeout(&mut self, now: DateTime<Utc>) {
        self.now = now;
        while let Some(&(at, id)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.pop_first();
            self.call_timer(id);
        }
    }

    fn call_timer(&mut self, id: CallId) {
        let now = self.now;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.reap_at.is_some_and(|t| t <= now) {
            self.remove(id);
            return;
        }
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

    /// Ends every call (SIGTERM): BYE to answered legs, 503 to unanswered callers, CANCEL to
    /// ringing phones.
    pub fn shutdown(&mut self, now: DateTime<Utc>) {
        self.now = now;
        let ids: Vec<CallId> = self.calls.keys().copied().collect();
        for id in ids {
            self.caller_left(id);
            self.end_caller(id, 503, "Service Unavailable", None);
        }
    }
}

/// 488 with a `Warning` naming what is wrong with the offer.
fn refuse_media(why: &str) -> Reply {
    let text = why.replace(['"', '\\'], "'");
    Reply::new(488, "Not Acceptable Here")
        .with(h::Warning::new(format!("305 centrala \"{text}\"")).into())
}

/// What the engine needs from a negotiation.
fn remote_of(n: &crate::sip::sdp::Negotiated) -> Remote {
    Remote {
        addr: n.remote.map(|(ip, port)| SocketAddr::new(ip, port)),
        law: n.law,
        telephone_event: n.telephone_event,
        direction: n.remote_direction,
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

#[cfg(test)]
mod tests;
