//! The SIP endpoint: the transaction user, sans-IO. It answers registrations, OPTIONS and
//! errors itself and hands everything about calls to the [`B2bua`].
//!
//! [`Endpoint`] has one way in and one way out, like the router and the transaction layer:
//! feed one [`Input`] with the current time through [`Endpoint::handle_input`], drain
//! [`Endpoint::poll_output`] until it is empty, and feed [`Input::Timeout`] at
//! [`Endpoint::poll_timeout`]. It never reads a clock, a socket or a random source. The
//! router's decisions come in as [`Input::Route`]; what the router and the media engine must
//! hear goes out as [`Output::Route`] and [`Output::Media`] (`crate::switch` connects them).
//!
//! Every message goes: rate limiter → [`wire`] (framing, normalisation; a malformed request is
//! answered statelessly with [`wire::error_response`] or dropped) → the [`Transactions`] layer
//! (one server transaction per request, so a retransmission is answered from the transaction
//! and never reaches a handler twice) → the handlers below → a response built from the
//! request. Responses go through the transaction layer to the B2BUA's client transactions.
//!
//! What it answers:
//! - `REGISTER`: the [`Registrar`] (digest authentication in realm [`REALM`]); 200 lists the
//!   device's contacts with their `expires` and carries a `Date`.
//! - `OPTIONS`: 200 with `Allow` ([`ALLOW`]) and `Accept: application/sdp`, with or without
//!   credentials (phones and load balancers use it as a ping).
//! - `INVITE` outside a dialog: authenticated first (401 challenge, 403 for wrong credentials,
//!   never a call); 404 when the Request-URI's user leads nowhere; otherwise a new call for
//!   the B2BUA (which answers 488 when there is no usable SDP offer).
//! - `MESSAGE` outside a dialog: authenticated, then 404 or `480` with a `Warning` (message
//!   delivery is not served yet).
//! - `CANCEL`: 200 if its INVITE transaction still exists (the B2BUA then ends the call with
//!   487), else 481.
//! - Requests with a To tag: the B2BUA's when they belong to one of its dialogs (BYE,
//!   re-INVITE, INFO), else 481. `BYE`, `REFER`, `NOTIFY`, `INFO` without a dialog: 481.
//! - `SUBSCRIBE` to `message-summary`: message-waiting indication (`endpoint/mwi.rs`); other
//!   event packages get 489.
//! - `UPDATE`: 405 with `Allow`. `PRACK`, `PUBLISH` and unknown methods: 501.
//! - `Max-Forwards: 0` on anything but OPTIONS: 483.
//! - ACKs for our 2xx go to the B2BUA; ACKs for our failures are absorbed by the transaction.
//!
//! What it sends itself: REGISTERs to the SIP trunk providers configured with `register`
//! (`endpoint/trunk.rs`, [`super::trunk`]); what the transaction layer reports about REGISTER
//! client transactions goes to those registrations, never to the B2BUA.
//!
//! Decisions:
//! - **Where responses go**: always back to the source address and port of the request (for
//!   TCP, the same connection), whether or not the request asked for `rport`. This is what
//!   Asterisk (`force_rport`) and most PBXs do, since phones behind NAT often do not ask. The
//!   top Via gets `received` (RFC 3261 §18.2.1: when the sent-by host differs from the source,
//!   or always when `rport` is asked for) and `rport=<source port>` when the request asked for
//!   it (RFC 3581).
//! - **Rate limiting** ([`super::rate`]): every message from a source that has no live
//!   registration is counted per source IP before it is even parsed; over the limit it is
//!   dropped without an answer and [`Event::RateLimited`] is emitted at most once per source
//!   per 10 s. **The exemption is per source address *and port* of a live binding** (the
//!   address the phone's REGISTER came from): a registered phone keeps working while another
//!   port on the same IP floods — e.g. a scanner behind the office NAT, or a second, not yet
//!   registered phone there, which is limited with the scanner until the flood stops. An
//!   exemption by IP alone would let anything behind a registered phone's NAT flood freely.
//! - **Digest**: realm [`REALM`], **MD5 only by default** ([`DigestChoice`]); SHA-256
//!   (RFC 8760) alone or both (MD5 first) on request (`centrala --digest`). Measured: baresip
//!   1.0 (libre) gives up with ENOSYS as soon as a 401 carries any non-MD5 challenge, in either
//!   order, and SIPp and many desk phones read only the first challenge and know only MD5. So
//!   offering SHA-256 by default would lock real phones out; Asterisk and FreeSWITCH also
//!   default to MD5. Credentials are checked in whichever offered algorithm they use.
//! - **To tag**: derived from a keyed hash of the Call-ID and From tag, so a response sent again
//!   after its transaction ended still carries the same tag, without state.
//! - A request the transaction layer refuses because too many transactions exist gets a
//!   stateless 503, and [`Event::Overloaded`] at most once per 10 s.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use firmware_config::entry::EntrySource;
use firmware_config::number::Extension;
use firmware_config::system::Transport;
use firmware_config::Config;
use rsip::headers::{self as h, UntypedHeader};
use rsip::{Header, SipMessage};
use sha2::{Digest, Sha256};

use super::address::{address_params, address_uri, split_params, uri_user};
use super::b2bua::{Action, B2bua, CallEvent, Local, NewCall};
use super::digest::{Algorithm, Credentials, DigestAuth};
use super::message::{self, Reply};
use super::method::Method;
use super::rate::{Limits, RateLimiter, Verdict};
use super::registrar::{
    AuthFailure, Authenticated, Binding, ContactEntry, RegisterOutcome, RegisterRequest, Registrar,
};
use super::transaction::{self as tx, Bytes, Destination, ServerKey, Transactions};
use super::wire::{self, Parsed, StartLine, WireError};
use crate::{media, routing};

/// The digest realm of every challenge.
pub const REALM: &str = "centrala";
/// The `Server` header of every response.
pub use super::message::SERVER;
/// The methods listed in `Allow`.
pub const ALLOW: &str =
    "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, REFER, NOTIFY, MESSAGE, INFO, SUBSCRIBE";
/// The `Warning` of a 480 to a MESSAGE for a number that exists.
const MESSAGE_NOT_CONNECTED_WARNING: &str =
    "399 centrala \"message delivery over SIP is not connected yet\"";
/// Shortest time between two [`Event::Overloaded`].
const OVERLOAD_WARN_INTERVAL: TimeDelta = TimeDelta::seconds(10);

/// What the endpoint is fed.
#[derive(Debug, Clone)]
pub enum Input {
    /// A message arrived: one UDP datagram, or one message framed from a TCP stream.
    Received {
        /// The peer's address (for TCP, the connection's).
        from: SocketAddr,
        /// The transport it came over.
        transport: Transport,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Time has reached [`Endpoint::poll_timeout`].
    Timeout,
    /// A new configuration: accounts, numbers.
    Config(Arc<Config>),
    /// A decision of the router about a call.
    Route(routing::Output),
    /// Something the media engine reports.
    Media(media::Event),
    /// The daemon stops: end every call.
    Shutdown,
    /// The shell resolved a SIP trunk provider's host name.
    TrunkResolved(super::trunk::Resolved),
    /// An analog line's gateway reported where it is and its line's state.
    Line(crate::line::gateway::LineNotice),
    /// Employees are to be told something: a SIP MESSAGE to each of their phones.
    Notify(routing::Notification),
    /// Every mailbox's messages, read from the voicemail store (at start and after every
    /// [`Output::Voicemail`]): for message-waiting indication and listening.
    Mailboxes(Arc<crate::voicemail::Mailboxes>),
}

/// What the endpoint asks of the shell.
#[derive(Debug, Clone)]
pub enum Output {
    /// Send these bytes (for TCP: on the connection from that peer).
    Transmit {
        /// Where.
        to: SocketAddr,
        /// Over what.
        transport: Transport,
        /// The whole message.
        bytes: Bytes,
    },
    /// Something worth a log line.
    Event(Event),
    /// Tell the router.
    Route(routing::Input),
    /// Command the media engine.
    Media(media::Command),
    /// Change the voicemail store; then feed [`Input::Mailboxes`].
    Voicemail(crate::voicemail::Change),
}

/// Something that happened, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A device registered a new contact.
    Registered {
        /// The device's user name.
        user: String,
        /// The contact URI.
        contact: String,
        /// Where the REGISTER came from.
        source: SocketAddr,
        /// Seconds granted.
        expires: u32,
    },
    /// A device removed a contact (expires 0 or `Contact: *`), or a new one displaced it.
    Unregistered {
        /// The device's user name.
        user: String,
        /// The contact URI.
        contact: String,
    },
    /// A binding lapsed without a refresh.
    Expired {
        /// The device's user name.
        user: String,
        /// The contact URI.
        contact: String,
    },
    /// Credentials were wrong (403), or named an unknown user.
    AuthFailed {
        /// The request's method.
        method: Method,
        /// The user name the credentials gave, if they could be read.
        user: Option<String>,
        /// Where the request came from.
        source: SocketAddr,
    },
    /// A source's messages are being dropped (at most once per source per 10 s).
    RateLimited {
        /// The source (for IPv6, its /64).
        source: IpAddr,
    },
    /// Too many transactions: requests are refused with 503 (at most once per 10 s).
    Overloaded {
        /// The source of the request that was refused.
        source: SocketAddr,
    },
    /// A request was refused before any handler saw it (malformed: 400, unknown method: 501,
    /// …), or a malformed message was dropped (`status` is `None`).
    Rejected {
        /// Where it came from.
        source: SocketAddr,
        /// The status answered, if any.
        status: Option<u16>,
        /// What was wrong.
        reason: String,
    },
    /// A call's progress.
    Call(CallEvent),
    /// An authenticated INVITE or MESSAGE was answered without a call: 404 (no such number)
    /// or 480 (a MESSAGE: delivery over SIP is not connected yet).
    NotConnected {
        /// INVITE or MESSAGE.
        method: Method,
        /// The authenticated device's user name.
        user: String,
        /// The Request-URI's user part (the dialled number).
        target: String,
        /// 404 or 480.
        status: u16,
    },
    /// A call to an outside number was refused before reaching a trunk: its sender had not
    /// authenticated (it is challenged) or gave wrong credentials, or the toll-fraud guard
    /// refused it.
    OutsideRefused {
        /// Where the INVITE came from, for a refusal before authentication.
        source: Option<SocketAddr>,
        /// The employee who dialled, for an authenticated employee's call.
        by: Option<Extension>,
        /// The dialled number.
        target: String,
        /// Why, in words.
        why: String,
    },
    /// A notification went out as SIP MESSAGE.
    Notified {
        /// Who was told.
        employees: Vec<Extension>,
        /// To how many registered phones a MESSAGE was sent.
        phones: usize,
        /// The text.
        text: String,
    },
    /// A phone answered a notification's MESSAGE (or did not: 408 on timeout, 503 when it
    /// could not be sent).
    NoticeAnswered {
        /// Whose phone.
        employee: Extension,
        /// Its contact.
        contact: String,
        /// The final status.
        status: u16,
    },
    /// A SIP trunk's registration at its provider changed state.
    Trunk {
        /// The trunk's name.
        trunk: String,
        /// The new state.
        state: super::trunk::State,
    },
}

/// Builds the messages the transaction layer writes itself.
#[derive(Debug, Clone, Copy, Default)]
struct Builder;

impl tx::MessageBuilder for Builder {
    fn ack(&self, invite: &[u8], response: &[u8]) -> Option<Bytes> {
        message::non_2xx_ack(invite, response)
    }

    fn trying(&self, invite: &[u8]) -> Option<Bytes> {
        wire::error_response(invite, 100, "Trying").map(Bytes::from)
    }
}

/// The request being handled: what the transaction layer hands back as
/// [`tx::Output::Request`] is always the one just fed.
struct Pending {
    parsed: Parsed,
    from: SocketAddr,
    transport: Transport,
}

impl Pending {
    fn request(&self) -> Option<&rsip::Request> {
        match &self.parsed.message {
            SipMessage::Request(r) => Some(r),
            SipMessage::Response(_) => None,
        }
    }

    fn method(&self) -> &Method {
        &self.parsed.head.cseq_method
    }

    /// The first header of a kind, by its untyped value.
    fn header<'a>(&'a self, pick: impl Fn(&'a Header) -> Option<&'a str>) -> Option<&'a str> {
        self.request()?.headers.iter().find_map(pick)
    }
}

/// Which digest algorithms the endpoint challenges with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DigestChoice {
    /// MD5 only: what every phone understands (the default; see the module documentation).
    #[default]
    Md5,
    /// SHA-256 only (RFC 8760), for offices whose phones all support it.
    Sha256,
    /// Both challenges, MD5 first.
    Both,
}

impl DigestChoice {
    /// The algorithms, in the order they are offered.
    pub fn algorithms(self) -> &'static [Algorithm] {
        match self {
            DigestChoice::Md5 => &[Algorithm::Md5],
            DigestChoice::Sha256 => &[Algorithm::Sha256],
            DigestChoice::Both => &[Algorithm::Md5, Algorithm::Sha256],
        }
    }
}

/// How the endpoint treats what it is sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Per-source rate limits.
    pub limits: Limits,
    /// The digest challenges.
    pub digest: DigestChoice,
}

/// The transaction user for registration, OPTIONS and error responses. See the module
/// documentation.
pub struct Endpoint {
    config: Arc<Config>,
    secret: [u8; 32],
    registrar: Registrar,
    transactions: Transactions<Builder>,
    limiter: RateLimiter,
    /// Source addresses of live bindings, with when the last of them lapses.
    exempt: HashMap<SocketAddr, DateTime<Utc>>,
    /// The moment the transaction layer's clock counts from (the first input's).
    origin: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    pending: Option<Pending>,
    /// The response being fed to the transaction layer (see `passed_up`).
    received: Option<Parsed>,
    /// The INVITE whose CANCEL was just answered: the B2BUA ends it next.
    cancelled: Option<ServerKey>,
    b2bua: B2bua,
    /// What the router was last told about each employee's reachability.
    reachable: HashMap<Extension, bool>,
    /// Whether every employee's reachability was reported once.
    reported: bool,
    overload_warned: Option<DateTime<Utc>>,
    /// Registrations at SIP trunk providers.
    trunks: trunk::Trunks,
    /// Analog lines' gateways by line name, as they last reported.
    lines: HashMap<String, lines::KnownLine>,
    /// Counts the identifiers of requests the endpoint itself sends (MESSAGE).
    counter: u64,
    /// Notification MESSAGEs waiting for their answer: by branch, whose phone and its contact.
    notices: HashMap<String, (Extension, String)>,
    /// Message-waiting subscriptions.
    mwi: mwi::Mwi,
    /// Limits on outside calls.
    toll: crate::routing::toll::TollGuard,
    out: VecDeque<Output>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("registrar", &self.registrar)
            .field("transactions", &self.transactions.len())
            .field("rate_sources", &self.limiter.len())
            .field("exempt", &self.exempt.len())
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint for `config`, keying nonces and tags with `secret` (random per start),
    /// with the default [`Options`].
    pub fn new(config: Arc<Config>, secret: [u8; 32]) -> Endpoint {
        Endpoint::with_options(config, secret, Options::default())
    }

    /// [`Endpoint::new`] with other rate limits or digest algorithms.
    pub fn with_options(config: Arc<Config>, secret: [u8; 32], options: Options) -> Endpoint {
        let Options { limits, digest } = options;
        let toll = crate::routing::toll::TollGuard::new(&config);
        let digest = DigestAuth::new(REALM, secret).with_algorithms(digest.algorithms());
        let b2bua = B2bua::new(
            config.system.rtp_ports,
            config.system.tone_country,
            PathBuf::from(config.system.data_dir.as_str()),
            default_local(&config),
            secret,
        );
        let trunks = trunk::Trunks::new(default_local(&config).udp);
        let mut mwi = mwi::Mwi::default();
        mwi.configure(&config);
        let mut b2bua = b2bua;
        b2bua.set_voicemail(
            config.system.voicemail_number.clone(),
            crate::voicemail::access(&config),
        );
        Endpoint {
            registrar: Registrar::with_digest(&config, digest),
            config,
            secret,
            transactions: Transactions::new(tx::Config::default(), Builder),
            limiter: RateLimiter::new(limits),
            exempt: HashMap::new(),
            origin: None,
            now: DateTime::<Utc>::MIN_UTC,
            pending: None,
            received: None,
            cancelled: None,
            b2bua,
            reachable: HashMap::new(),
            reported: false,
            overload_warned: None,
            trunks,
            lines: HashMap::new(),
            counter: 0,
            notices: HashMap::new(),
            mwi,
            toll,
            out: VecDeque::new(),
        }
    }

    /// The registrar (to look up where an employee's phones are).
    pub fn registrar(&self) -> &Registrar {
        &self.registrar
    }

    /// Tells the B2BUA where phones reach us (the shell knows once the sockets are bound).
    pub fn set_local(&mut self, local: Local) {
        self.b2bua.set_local(local);
        self.trunks.set_contact(local.udp);
    }

    /// The number of calls in progress.
    pub fn calls(&self) -> usize {
        self.b2bua.calls()
    }

    /// The number of voicemail recordings whose end the media engine has not reported yet
    /// (the shell waits for them at shutdown, so their messages are saved).
    pub fn recordings(&self) -> usize {
        self.b2bua.recordings()
    }

    /// The number of live transactions.
    pub fn transactions(&self) -> usize {
        self.transactions.len()
    }

    /// Feeds one input at `now`.
    pub fn handle_input(&mut self, now: DateTime<Utc>, input: Input) {
        self.now = now;
        if !self.reported {
            self.reported = true;
            self.report_all_reachable();
        }
        match input {
            Input::Received {
                from,
                transport,
                bytes,
            } => self.on_received(from, transport, &bytes),
            Input::Timeout => self.on_timeout(),
            Input::Config(config) => {
                self.registrar.replace_config(&config);
                let s = &config.system;
                let dir = PathBuf::from(s.data_dir.as_str());
                self.b2bua.configure(s.rtp_ports, s.tone_country, dir);
                let access = crate::voicemail::access(&config);
                self.b2bua.set_voicemail(s.voicemail_number.clone(), access);
                self.mwi.configure(&config);
                self.toll.configure(&config);
                self.config = config;
                self.mwi_flush();
                self.refresh_exempt();
                self.report_all_reachable();
                self.trunks_sync();
            }
            Input::Route(routing::Output::ForwardToNumber { call, number }) => {
                self.dial_out(call, number);
                self.pump();
            }
            Input::Route(output) => {
                let contacts = match &output {
                    routing::Output::Ring { employee, .. } => {
                        self.registrar.contacts_of(self.now, employee)
                    }
                    _ => Vec::new(),
                };
                self.b2bua.route(now, output, contacts);
                self.pump();
            }
            Input::Media(event) => {
                self.b2bua.media_event(now, event);
                self.pump();
            }
            Input::Shutdown => {
                self.b2bua.shutdown(now);
                self.trunks_shutdown();
                self.pump();
            }
            Input::TrunkResolved(resolved) => self.trunk_resolved(resolved),
            Input::Line(notice) => self.line_notice(notice),
            Input::Notify(notification) => self.notify_phones(&notification),
            Input::Mailboxes(mailboxes) => self.mailboxes_changed(mailboxes),
        }
    }

    /// The next output, until there is none.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When to feed [`Input::Timeout`] next.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        let tx = self.transactions.poll_timeout().and_then(|d| {
            let origin = self.origin?;
            let d = TimeDelta::from_std(d).ok()?;
            origin.checked_add_signed(d)
        });
        let reg = self.registrar.poll_timeout();
        let calls = self.b2bua.poll_timeout();
        let trunks = self.trunks.poll_timeout();
        let mwi = self.mwi.poll_timeout();
        [tx, reg, calls, trunks, mwi].into_iter().flatten().min()
    }

    /// `now` on the transaction layer's clock.
    fn tx_now(&mut self) -> Duration {
        let origin = *self.origin.get_or_insert(self.now);
        (self.now - origin).to_std().unwrap_or_default()
    }

    fn emit(&mut self, event: Event) {
        self.out.push_back(Output::Event(event));
    }

    fn transmit(&mut self, to: SocketAddr, transport: Transport, bytes: Bytes) {
        self.out.push_back(Output::Transmit {
            to,
            transport,
            bytes,
        });
    }

    fn on_timeout(&mut self) {
        let now = self.tx_now();
        let _ = self.transactions.handle_input(now, tx::Input::Timeout);
        self.drain();
        self.trunks_timeout();
        self.b2bua.timeout(self.now);
        self.pump();
        self.mwi_flush();
        let gone = self.registrar.expire(self.now);
        if !gone.is_empty() {
            for b in gone {
                self.report_reachable(&b.extension);
                self.emit(Event::Expired {
                    user: b.username,
                    contact: b.contact,
                });
            }
            self.refresh_exempt();
        }
    }

    fn is_exempt(&self, from: SocketAddr) -> bool {
        let from = SocketAddr::new(from.ip().to_canonical(), from.port());
        let bound = self
            .exempt
            .get(&from)
            .is_some_and(|&until| until > self.now);
        bound || self.trunk_at(from).is_some() || self.line_at(from).is_some()
    }

    fn on_received(&mut self, from: SocketAddr, transport: Transport, bytes: &[u8]) {
        if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            return; // keep-alive
        }
        if !self.is_exempt(from) {
            if let Verdict::Drop { warn } = self.limiter.check(self.now, from.ip()) {
                if warn {
                    let source = super::rate::source_key(from.ip());
                    self.emit(Event::RateLimited { source });
                }
                return;
            }
        }
        let framed = match transport {
            Transport::Udp => wire::frame_datagram(bytes),
            Transport::Tcp => Ok(bytes),
        };
        let parsed = match framed.and_then(wire::parse) {
            Ok(parsed) => parsed,
            Err(e) => return self.reject(from, transport, bytes, &e),
        };
        let method = match &parsed.head.start {
            StartLine::Request { method, .. } => method.clone(),
            StartLine::Response { code, .. } => return self.on_response(*code, parsed),
        };
        let Some(top) = parsed.head.vias.first() else {
            return;
        };
        let request = tx::ReceivedRequest {
            method,
            branch: top.branch.clone(),
            sent_by: top.sent_by.clone(),
            reply_to: Destination {
                addr: from,
                transport: tx_transport(transport),
            },
            bytes: Bytes::from(parsed.bytes.as_slice()),
        };
        self.pending = Some(Pending {
            parsed,
            from,
            transport,
        });
        let now = self.tx_now();
        let _ = self
            .transactions
            .handle_input(now, tx::Input::Request(request));
        self.pump();
        // Not passed up (a retransmission, an ACK): nothing more to do with it.
        self.pending = None;
        // A SUBSCRIBE was answered: its NOTIFY follows the 200.
        self.mwi_flush();
    }

    /// A message the wire layer refused: answer statelessly when a response can be formed.
    fn reject(&mut self, from: SocketAddr, transport: Transport, bytes: &[u8], e: &WireError) {
        let Some((code, reason)) = e.status() else {
            if !matches!(e, WireError::KeepAlive) {
                let reason = e.to_string();
                self.emit(Event::Rejected {
                    source: from,
                    status: None,
                    reason,
                });
            }
            return;
        };
        let answered = wire::error_response(bytes, code, reason);
        let status = answered.as_ref().map(|_| code);
        if let Some(response) = answered {
            self.transmit(from, transport, Bytes::from(response));
        }
        let reason = e.to_string();
        self.emit(Event::Rejected {
            source: from,
            status,
            reason,
        });
    }

    /// Moves the transaction layer's outputs out, handling requests passed up.
    fn drain(&mut self) {
        while let Some(output) = self.transactions.poll_output() {
            match output {
                tx::Output::Transmit { to, bytes, .. } => {
                    self.transmit(to.addr, config_transport(to.transport), bytes)
                }
                tx::Output::Request { key, .. } => {
                    let Some(pending) = self.pending.take() else {
                        continue;
                    };
                    let Some(reply) = self.answer(&key, pending) else {
                        continue;
                    };
                    let (reply, pending) = reply;
                    let bytes = self.render(&pending, reply);
                    let now = self.tx_now();
                    let (code, bytes) = bytes;
                    let respond = tx::Input::Respond { key, code, bytes };
                    let _ = self.transactions.handle_input(now, respond);
                }
                tx::Output::Refused {
                    reply_to, bytes, ..
                } => self.refuse(reply_to, &bytes),
                other => {
                    if let Some(other) = self.mwi_claim(other) {
                        self.pass_to_b2bua(other);
                    }
                }
            }
        }
    }

    /// Too many transactions: a stateless 503, except for a request inside one of our calls
    /// (a BYE above all), which is answered statelessly as if it had its transaction: a
    /// hang-up refused would leave the other phone in the call.
    fn refuse(&mut self, reply_to: Destination, bytes: &[u8]) {
        if let Ok(parsed) = wire::parse(bytes) {
            let is_ack = parsed.head.cseq_method == Method::Ack;
            if !is_ack && parsed.head.to_tag.is_some() && self.b2bua.owns_dialog(&parsed) {
                let reply = self.b2bua.in_dialog(self.now, &parsed);
                let response = message::render_response(&parsed, reply_to.addr, "", reply);
                self.transmit(
                    reply_to.addr,
                    config_transport(reply_to.transport),
                    response,
                );
                return;
            }
        }
        let transport = config_transport(reply_to.transport);
        if let Some(response) = wire::error_response(bytes, 503, "Service Unavailable") {
            self.transmit(reply_to.addr, transport, Bytes::from(response));
        }
        let warn = self
            .overload_warned
            .is_none_or(|at| self.now - at >= OVERLOAD_WARN_INTERVAL || self.now < at);
        if warn {
            self.overload_warned = Some(self.now);
            let source = reply_to.addr;
            self.emit(Event::Overloaded { source });
        }
    }

    /// The answer to a new request; `None` when the B2BUA took it and answers it later.
    fn answer(&mut self, key: &ServerKey, p: Pending) -> Option<(Reply, Pending)> {
        let method = p.method().clone();
        if p.parsed.head.max_forwards == Some(0) && method != Method::Options {
            return Some((Reply::new(483, "Too Many Hops"), p));
        }
        let in_dialog = p.parsed.head.to_tag.is_some();
        let reply = match method {
            Method::Register => self.register(&p),
            Method::Options => Reply::new(200, "OK")
                .with(h::Allow::new(ALLOW).into())
                .with(h::Accept::new("application/sdp").into()),
            Method::Cancel => self.cancel(key),
            Method::Ack => return None,
            Method::Subscribe => self.subscribe(&p),
            _ if in_dialog && self.b2bua.owns_dialog(&p.parsed) => {
                self.b2bua.in_dialog(self.now, &p.parsed)
            }
            Method::Invite | Method::Message if in_dialog => no_dialog(),
            Method::Invite => return self.new_call(key, p),
            Method::Message => self.unconnected(&p),
            Method::Bye | Method::Refer | Method::Notify | Method::Info => no_dialog(),
            Method::Update => {
                Reply::new(405, "Method Not Allowed").with(h::Allow::new(ALLOW).into())
            }
            Method::Prack | Method::Publish | Method::Other(_) => {
                Reply::new(501, "Not Implemented").with(h::Allow::new(ALLOW).into())
            }
        };
        Some((reply, p))
    }

    /// The response's bytes, with our To tag.
    fn render(&self, p: &Pending, reply: Reply) -> (u16, Bytes) {
        let code = reply.code;
        let tag = self.tag(&p.parsed.head);
        (
            code,
            message::render_response(&p.parsed, p.from, &tag, reply),
        )
    }

    /// Our To tag for a request: a keyed hash of its Call-ID and From tag.
    fn tag(&self, head: &wire::Head) -> String {
        let mut hash = Sha256::new();
        hash.update(self.secret);
        hash.update(b"to-tag\0");
        hash.update(head.call_id.as_bytes());
        hash.update([0]);
        hash.update(head.from_tag.as_deref().unwrap_or_default().as_bytes());
        let digest = hash.finalize();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// 481 Call/Transaction Does Not Exist.
fn no_dialog() -> Reply {
    Reply::new(481, "Call/Transaction Does Not Exist")
}

/// 401 with one `WWW-Authenticate` per challenge, in order.
fn challenge(www_authenticate: Vec<String>) -> Reply {
    let mut reply = Reply::new(401, "Unauthorized");
    for value in www_authenticate {
        reply = reply.with(h::WwwAuthenticate::new(value).into());
    }
    reply
}

fn tx_transport(t: Transport) -> tx::Transport {
    match t {
        Transport::Udp => tx::Transport::Udp,
        Transport::Tcp => tx::Transport::Tcp,
    }
}

fn config_transport(t: tx::Transport) -> Transport {
    match t {
        tx::Transport::Udp => Transport::Udp,
        tx::Transport::Tcp => Transport::Tcp,
    }
}

/// Whether a dialled number leads anywhere: an employee's extension, a queue group's number,
/// an internal entry point, the voicemail number, or an outside number (after the outbound
/// prefix) when a trunk exists.
pub fn leads_somewhere(config: &Config, number: &str) -> bool {
    if let Ok(ext) = Extension::parse(number) {
        let internal = config.employee(&ext).is_some()
            || config.groups.iter().any(|g| g.number == ext)
            || config
                .entry_points
                .iter()
                .any(|e| matches!(&e.source, EntrySource::Internal(n) if *n == ext))
            || config.system.voicemail_number.as_ref() == Some(&ext);
        if internal {
            return true;
        }
    }
    let outside = config
        .system
        .outbound_prefix
        .as_ref()
        .and_then(|p| number.strip_prefix(p.as_str()))
        .is_some_and(|rest| {
            let rest = rest.strip_prefix('+').unwrap_or(rest);
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
        });
    outside && (!config.trunks.is_empty() || config.lines.iter().any(|l| l.outside_calls))
}

mod calls;
mod lines;
mod mwi;
mod notice;
mod outside;
mod register;
#[cfg(test)]
mod tests;
mod trunk;

/// Our addresses as the configuration names them, until the shell says which it bound
/// (an unspecified listen address advertises 127.0.0.1 until then).
fn default_local(config: &Config) -> Local {
    let pick = |t: Transport| {
        config
            .system
            .sip_listen
            .iter()
            .find(|l| l.transport == t)
            .map(|l| l.address)
    };
    let udp = pick(Transport::Udp);
    let tcp = pick(Transport::Tcp);
    let ip = udp
        .or(tcp)
        .map(|a| a.ip())
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    Local {
        udp,
        tcp,
        media_ip: ip,
    }
}
