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
//!    with 487; re-INVITEs (hold and resume) are answered at once, and while one side holds
//!    the other hears hold music; REFER transfers the call (`transfer.rs`).
//! 7. `End` gives the caller the cause's status (486, 480, 404, 603, 482) or a BYE.
//!
//! Decisions:
//! - **Media is always anchored** (each side talks to its own Centrala port), so music can
//!   replace a party at any moment and the two phones may use different G.711 laws.
//! - **Early media for ringback**: the caller hears Centrala's ringback (or music) instead of
//!   relying on the phone's own tone, because calls wait in queues and move between members.
//! - **Re-INVITEs are answered at once** with our SDP (our port does not change) and are not
//!   passed on: a hold plays music to the other side instead (what a PBX caller expects),
//!   so a hold never waits on the other phone, and glare (RFC 3261 491) cannot arise from
//!   our side waiting.
//! - An INVITE without an SDP offer (late offer) is refused with 488: every phone we know
//!   sends one, and supporting late offer would double the offer/answer paths.
//! - `Voicemail` (`voicemail.rs`): the caller is answered, hears the greeting and the beep,
//!   and is recorded; the shell is asked to save the message ([`Action::Voicemail`]). An
//!   employee dialling `system.voicemail_number` is answered and listens to their messages
//!   with DTMF (1 next, 2 again, 7 delete); that number never reaches the router.
//! - `ForwardToNumber` (`outside.rs`): the endpoint picks the trunk and checks the toll-fraud
//!   guard, then the call goes out as one INVITE to the provider (answering its digest
//!   challenge); its answer connects the caller at once, its failure ends the call.
//! - A provider's INVITE to a DID arrives like any new call, with an outside caller and the
//!   DID's entry point as its target (the endpoint recognises the provider by address).

mod call;
mod caller;
mod fork;
mod in_dialog;
mod outside;
mod route;
mod transfer;
mod voicemail;

pub use voicemail::{RECORD_LIMIT, RECORD_SILENCE};

pub use outside::OutsideRoute;

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
use call::{Call, CallerLeg, CallerState, Fork, ForkState, MediaLeg, Party, Unacked};

/// The laws Centrala offers and accepts, in preference order.
pub const LAWS: &[Law] = &[Law::Ulaw, Law::Alaw];
/// T1 (RFC 3261): the first 2xx retransmission interval.
const T1: TimeDelta = TimeDelta::milliseconds(500);
/// T2: the longest 2xx retransmission interval.
const T2: TimeDelta = TimeDelta::seconds(4);
/// How long an employee whose phones declined a call is not rung again for it.
pub const RETRY_PAUSE: TimeDelta = TimeDelta::seconds(5);
/// How long a finished call may wait for its forks to settle before it is dropped.
const REAP_AFTER: TimeDelta = TimeDelta::seconds(40);

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
    /// Change the voicemail store (the shell does the filesystem work).
    Voicemail(crate::voicemail::Change),
    /// The call is gone: whatever was counted for it (an outside call's place in the
    /// toll-fraud limits) is free again.
    Released {
        /// The call.
        call: CallId,
    },
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
        /// Who calls.
        caller: Caller,
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
    /// The call is being sent out through a trunk.
    Dialling {
        /// The call.
        call: CallId,
        /// The outside number.
        number: firmware_config::number::PhoneNumber,
        /// The trunk's name.
        trunk: String,
    },
    /// The outside number answered: the caller talks to it.
    OutsideAnswered {
        /// The call.
        call: CallId,
        /// The outside number.
        number: firmware_config::number::PhoneNumber,
    },
    /// An employee handed the call on.
    Transferred {
        /// The call.
        call: CallId,
        /// Who transferred it.
        by: Extension,
        /// To whom.
        to: Extension,
        /// Attended (the target had answered a consultation call) or blind.
        attended: bool,
    },
    /// The call ended for the caller.
    Ended {
        /// The call.
        call: CallId,
        /// Why, in words.
        why: String,
    },
    /// A step of voicemail: a greeting, a message kept, an employee listening.
    Voicemail {
        /// The call.
        call: CallId,
        /// What, in words.
        what: String,
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
    /// Who calls: an authenticated employee, or an outside number (a trunk's caller).
    pub caller: Caller,
    /// Their display name.
    pub caller_name: String,
    /// The Request-URI's user part.
    pub dialled: String,
    /// Where the call goes: what the endpoint made of the dialled number (an extension, an
    /// outside number, or a trunk DID's entry point).
    pub target: Target,
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
    /// Our SIP address for `transport` (the other transport's when we do not listen on it).
    pub fn sip(&self, transport: tx::Transport) -> Option<SocketAddr> {
        match transport {
            tx::Transport::Udp => self.udp.or(self.tcp),
            tx::Transport::Tcp => self.tcp.or(self.udp),
        }
    }
}

/// Which side of a call a dialog is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Caller,
    Fork(usize),
}

/// What a client transaction of ours was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// The INVITE of a fork.
    Invite(usize),
    /// A CANCEL, BYE or re-INVITE whose answer matters little.
    Other(Side),
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
    vm: voicemail::Voicemail,
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
            vm: voicemail::Voicemail::default(),
            out: VecDeque::new(),
        }
    }

    /// Our addresses.
    pub fn local(&self) -> Local {
        self.local
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

    /// The employee who dialled call `id` to an outside number themselves (not a forward of
    /// the router's), if it is such a call.
    pub fn dialled_out_by(&self, id: CallId) -> Option<&Extension> {
        let call = self.calls.get(&id)?;
        match (&call.caller, &call.target) {
            (Caller::Extension(e), Target::Outside(_)) => Some(e),
            _ => None,
        }
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

    pub(super) fn act(&mut self, a: Action) {
        self.out.push_back(a);
    }

    pub(super) fn event(&mut self, e: CallEvent) {
        self.act(Action::Event(e));
    }

    pub(super) fn media(&mut self, c: Command) {
        self.act(Action::Media(c));
    }

    /// Remembers what a request we sent was for, so its responses find the call.
    pub(super) fn track(&mut self, branch: String, id: CallId, purpose: Purpose) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.branches.push(branch.clone());
            self.by_branch.insert(branch, (id, purpose));
        }
    }

    /// A fresh id: a keyed hash of a counter, as 16 hex digits.
    pub(super) fn id(&mut self, label: &str) -> String {
        self.counter += 1;
        let mut hash = Sha256::new();
        hash.update(self.secret);
        hash.update(label.as_bytes());
        hash.update(self.counter.to_be_bytes());
        let d = hash.finalize();
        d[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(super) fn branch(&mut self) -> String {
        format!("{}{}", tx::MAGIC_COOKIE, self.id("branch"))
    }

    pub(super) fn session_id(&mut self) -> u64 {
        let id = self.id("session");
        u64::from_str_radix(&id[..12], 16).unwrap_or(self.counter)
    }

    pub(super) fn open_leg(&mut self) -> Option<MediaLeg> {
        let port = self.ports.allocate()?;
        let leg = LegId(self.next_leg);
        self.next_leg += 1;
        self.media(Command::Open { leg, port });
        let session = self.session_id();
        Some(MediaLeg::new(leg, port, session))
    }

    pub(super) fn close_leg(&mut self, m: &MediaLeg) {
        self.media(Command::Close { leg: m.leg });
        self.ports.release(m.port);
    }

    /// After the caller is gone or the router is done: cancel or hang up every fork, stop
    /// the media, and drop the call once nothing is pending.
    pub(super) fn wind_down(&mut self, id: CallId) {
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

    /// Drops a finished call, or schedules dropping it.
    pub(super) fn reap(&mut self, id: CallId) {
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

    pub(super) fn remove(&mut self, id: CallId) {
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        self.voicemail_removed(id);
        self.act(Action::Released { call: id });
        self.by_invite.remove(&call.a.key);
        self.by_dialog
            .remove(&(call.a.dialog.call_id.clone(), call.a.tag.clone()));
        // A fork moved to another call by an attended transfer is that call's now.
        for f in &call.forks {
            let key = (f.dialog.call_id.clone(), f.dialog.local_tag.clone());
            if self.by_dialog.get(&key).is_some_and(|(c, _)| *c == id) {
                self.by_dialog.remove(&key);
            }
        }
        for b in &call.branches {
            if self.by_branch.get(b).is_some_and(|(c, _)| *c == id) {
                self.by_branch.remove(b);
            }
        }
        // Its timer entries stay and find no call when they fire: cheaper than a search.
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

    pub(super) fn reap_if_gone(&mut self, id: CallId) {
        if self
            .calls
            .get(&id)
            .is_some_and(|c| c.a.state == CallerState::Gone)
        {
            self.reap(id);
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

/// Whether Centrala can write `uri` as a Request-URI that it (and rsip) reads back: a
/// `sip:`/`sips:` URI with a valid port. IPv6 literals are not (rsip cannot read them), so
/// phones reached only over IPv6 cannot take part in calls yet.
pub(super) fn usable_target(uri: &str) -> bool {
    rsip::Uri::try_from(uri).is_ok()
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

/// 488 with a `Warning` naming what is wrong with the offer.
pub(super) fn refuse_media(why: &str) -> Reply {
    Reply::new(488, "Not Acceptable Here").with(h::Warning::new(warning(305, why)).into())
}

/// A `Warning` header value (RFC 3261 §20.43) from Centrala with `code` and `why` as its
/// text (quotes and control characters replaced).
pub(super) fn warning(code: u16, why: &str) -> String {
    let text: String = why
        .chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("{code} centrala \"{text}\"")
}
