//! The RFC 3261 §17 transaction layer, with RFC 6026's `Accepted` states, as a sans-IO machine.
//!
//! [`Transactions`] has one way in and one way out: feed one [`Input`] with the current time
//! through [`Transactions::handle_input`], then drain [`Transactions::poll_output`] until it is
//! empty, and call again with [`Input::Timeout`] at [`Transactions::poll_timeout`]. Time is a
//! [`Duration`] since an origin the caller chooses; nothing here reads a clock or a socket.
//!
//! The layer does not parse SIP. The wire layer hands it, for each message, the method (CSeq
//! method for responses), the top Via's branch and sent-by, the status code and the raw bytes;
//! the few messages the layer must write itself come from a [`MessageBuilder`] the shell
//! supplies.
//!
//! Decisions:
//! - **ACK for a non-2xx final response** to an INVITE is built by
//!   [`MessageBuilder::ack`] from the INVITE and the response, sent by the client transaction
//!   and re-sent for each retransmission of that response (which is not passed up again). The
//!   ACK for a 2xx is not part of any transaction: the TU sends it through the transport
//!   itself, and [`Input::Send`] refuses an ACK ([`Error::Ack`]).
//! - **100 (Trying)**: an INVITE server transaction sends [`MessageBuilder::trying`] when the TU
//!   has not responded within [`Timers::trying`] (200 ms by default, `None` turns it off, zero
//!   sends it at once). A retransmitted INVITE that finds no response yet gets it at once
//!   (unless it is turned off). If the builder returns `None`, no 100 is sent.
//! - **Stray responses** (no matching client transaction) are dropped silently, as RFC 6026
//!   §8.9 requires of everything but a stateless proxy: the `Accepted` state keeps the INVITE
//!   client transaction alive for the 2xx retransmissions the TU must still see.
//! - **Requests without an RFC 3261 branch** (`z9hG4bK…`, i.e. RFC 2543 peers): every arrival
//!   is a new server transaction with a [`Branch::Legacy`] key, so a retransmission reaches
//!   the TU again (it can tell by CSeq) rather than a distinct request being swallowed; such
//!   an ACK is passed up like an ACK to a 2xx. Responses are matched by branch only.
//! - **Guards** (ours, not the RFC's): an INVITE left in `Proceeding` (client: no final
//!   response; server: the TU never answered) for [`Timers::c`] (3 minutes, as proxies' timer
//!   C) yields [`Output::Timeout`] once; the TU should send CANCEL or a final response. If
//!   nothing final happens within 64·T1 more, the transaction ends. A non-INVITE server
//!   transaction the TU leaves unanswered does the same after 64·T1 (the client's timer F has
//!   fired by then). So every transaction ends by itself and memory cannot leak.
//! - **Flood cap**: at most [`Config::max_transactions`] server transactions; a new request
//!   beyond it comes back as [`Output::Refused`] (answer 503 statelessly or drop it). Client
//!   transactions are bounded by the TU that creates them.
//! - **Transport errors** follow the RFC figures: client transactions and non-INVITE server
//!   transactions end and tell the TU; an INVITE server transaction tells the TU and stays
//!   (RFC 6026 Figure 7), to keep absorbing retransmissions.

use core::time::Duration;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use super::method::Method;

/// A whole SIP message as bytes, shared cheaply between retransmissions.
pub type Bytes = Arc<[u8]>;

/// The RFC 3261 magic cookie that starts every branch this layer matches on.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// How many times a firing timer may be handled in one [`Input::Timeout`] per transaction.
const MAX_FIRINGS: usize = 16;

/// The smallest T1 and T2 accepted, so no retransmission timer spins at zero.
const MIN_TICK: Duration = Duration::from_millis(1);

/// Timer values (RFC 3261 §17 and Table 4 of Appendix A, RFC 6026 for L and M).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// T1, the round-trip estimate: first retransmission interval; 64·T1 is timers B, F, H, J
    /// (unreliable), L and M.
    pub t1: Duration,
    /// T2, the longest retransmission interval for non-INVITE requests and INVITE responses.
    pub t2: Duration,
    /// T4, how long a message may stay in the network: timers I and K (unreliable).
    pub t4: Duration,
    /// Timer D: how long an INVITE client transaction absorbs retransmitted non-2xx final
    /// responses on an unreliable transport ("at least 32 s").
    pub d: Duration,
    /// How long an INVITE server transaction waits for the TU before sending 100 (Trying)
    /// itself; `None` never sends it.
    pub trying: Option<Duration>,
    /// How long an INVITE may stay in `Proceeding` before the TU is told (see the module
    /// documentation on guards).
    pub c: Duration,
}

impl Default for Timers {
    fn default() -> Timers {
        Timers {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            d: Duration::from_secs(32),
            trying: Some(Duration::from_millis(200)),
            c: Duration::from_secs(180),
        }
    }
}

impl Timers {
    /// 64·T1: timers B, F, H, L, M and J on unreliable transports.
    pub fn t1x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// These timers with T1 and T2 raised to at least 1 ms and T2 to at least T1.
    fn sane(mut self) -> Timers {
        self.t1 = self.t1.max(MIN_TICK);
        self.t2 = self.t2.max(self.t1);
        self
    }
}

/// How the transaction layer is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Timer values.
    pub timers: Timers,
    /// The most server transactions kept at once; new requests beyond it are refused.
    /// Finished transactions linger 32 s (64·T1) to absorb retransmissions, and a call
    /// leaves about three, so the default of 30,000 sustains some 300 calls per second; at
    /// about 2 KB each it bounds the table near 60 MB under a flood from many addresses
    /// (each address alone is rate-limited first).
    pub max_transactions: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            timers: Timers::default(),
            max_transactions: 30_000,
        }
    }
}

/// The transport a transaction's messages travel over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP: unreliable, so the transaction layer retransmits.
    Udp,
    /// TCP: reliable, so it does not.
    Tcp,
}

impl Transport {
    /// True for transports that deliver reliably (RFC 3261 timers A, E, G unused; D, I, J, K
    /// zero).
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Tcp)
    }
}

/// Where a transaction's messages go: a client transaction's next hop, or where a server
/// transaction's responses are sent (RFC 3261 §18.2.2, worked out by the shell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Destination {
    /// The peer's address.
    pub addr: SocketAddr,
    /// The transport to it.
    pub transport: Transport,
}

/// The branch part of a server transaction's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Branch {
    /// An RFC 3261 branch (starting with [`MAGIC_COOKIE`]), as received.
    Cookie(String),
    /// A request without an RFC 3261 branch: a number unique to this arrival.
    Legacy(u64),
}

/// A client transaction's key: the branch it put in its Via and its CSeq method
/// (RFC 3261 §17.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The branch parameter of the request's top Via.
    pub branch: String,
    /// The request's method (a CANCEL has its own transaction on the same branch).
    pub method: Method,
}

impl ClientKey {
    /// The key of a request sent with `branch` in its top Via.
    pub fn new(branch: impl Into<String>, method: Method) -> ClientKey {
        ClientKey {
            branch: branch.into(),
            method,
        }
    }
}

/// A server transaction's key: top Via branch, sent-by and method, with ACK matching the
/// INVITE and CANCEL its own transaction (RFC 3261 §17.2.3, §9.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerKey {
    /// The top Via's branch.
    pub branch: Branch,
    /// The top Via's sent-by (host and port), in lower case.
    pub sent_by: String,
    /// The request's method (never ACK).
    pub method: Method,
}

impl ServerKey {
    /// The key of the INVITE transaction a CANCEL with this key cancels (RFC 3261 §9.2).
    pub fn invite(&self) -> ServerKey {
        ServerKey {
            method: Method::Invite,
            ..self.clone()
        }
    }
}

/// Either kind of transaction key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A client transaction (a request we sent).
    Client(ClientKey),
    /// A server transaction (a request we received).
    Server(ServerKey),
}

/// A request from the network, as the wire layer describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// The request method.
    pub method: Method,
    /// The top Via's branch parameter, if any.
    pub branch: Option<String>,
    /// The top Via's sent-by (host and optional port).
    pub sent_by: String,
    /// Where responses to it go (RFC 3261 §18.2.2).
    pub reply_to: Destination,
    /// The whole message.
    pub bytes: Bytes,
}

/// A response from the network, as the wire layer describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedResponse {
    /// The CSeq method.
    pub method: Method,
    /// The top Via's branch parameter, if any.
    pub branch: Option<String>,
    /// The status code.
    pub code: u16,
    /// The whole message.
    pub bytes: Bytes,
}

/// A request the TU sends, starting a client transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    /// Its key: the branch the TU wrote in the top Via and the method.
    pub key: ClientKey,
    /// The next hop.
    pub to: Destination,
    /// The whole message.
    pub bytes: Bytes,
}

/// What the transaction layer is fed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A request arrived.
    Request(ReceivedRequest),
    /// A response arrived.
    Response(ReceivedResponse),
    /// The TU sends a request: a new client transaction with the request's key.
    Send(OutgoingRequest),
    /// The TU sends a response on a server transaction.
    Respond {
        /// The server transaction.
        key: ServerKey,
        /// The response's status code.
        code: u16,
        /// The whole response.
        bytes: Bytes,
    },
    /// The transport could not send a transaction's message.
    TransportError {
        /// The transaction whose message failed.
        key: Key,
    },
    /// Time has reached [`Transactions::poll_timeout`].
    Timeout,
}

/// Why a transaction timed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeoutCause {
    /// Timer B or F: no response at all; the TU treats it as 408 (Request Timeout).
    NoResponse,
    /// An INVITE we sent got a provisional but no final response within [`Timers::c`]; the
    /// TU should CANCEL it. The transaction stays for 64·T1 to take the final response.
    NoFinalResponse,
    /// Timer H: the ACK for our non-2xx final response never came.
    NoAck,
    /// The TU never gave a final response to a request we received; it should now (an
    /// INVITE's transaction waits 64·T1 more).
    Unanswered,
}

/// What the transaction layer asks of the shell and the TU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes to `to`.
    Transmit {
        /// The transaction sending them.
        key: Key,
        /// Where they go.
        to: Destination,
        /// The whole message.
        bytes: Bytes,
    },
    /// A new request for the TU; answer it with [`Input::Respond`] and `key`.
    Request {
        /// The server transaction created for it.
        key: ServerKey,
        /// The whole request.
        bytes: Bytes,
    },
    /// An ACK for the TU: one to a 2xx (a transaction of its own, matching nothing here, so
    /// `key` is `None`), or one matching an INVITE server transaction in `Accepted`
    /// (RFC 6026 §7.1, `key` is that transaction's).
    Ack {
        /// The INVITE server transaction it matched, if any.
        key: Option<ServerKey>,
        /// The whole ACK.
        bytes: Bytes,
    },
    /// A response for the TU. Retransmitted final responses are not passed up again, except
    /// 2xx responses to an INVITE (RFC 6026), which the TU must ACK each time.
    Response {
        /// The client transaction it answers.
        key: ClientKey,
        /// Its status code.
        code: u16,
        /// The whole response.
        bytes: Bytes,
    },
    /// A transaction timed out.
    Timeout {
        /// The transaction.
        key: Key,
        /// Which timer fired, and so what the TU should do.
        cause: TimeoutCause,
    },
    /// The transport failed for this transaction; a client transaction's TU treats it as
    /// 503 (Service Unavailable) (RFC 3261 §8.1.3.1).
    TransportError {
        /// The transaction.
        key: Key,
    },
    /// A new request was refused because [`Config::max_transactions`] server transactions
    /// exist; answer 503 statelessly or drop it.
    Refused {
        /// The key it would have had.
        key: ServerKey,
        /// Where a response would go.
        reply_to: Destination,
        /// The whole request.
        bytes: Bytes,
    },
    /// The transaction ended and was forgotten.
    Terminated {
        /// The transaction.
        key: Key,
    },
}

/// Why the TU's input was refused. Messages from the network never cause an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A client transaction with this key already exists.
    #[error("a client transaction with this branch and method already exists")]
    Exists,
    /// The branch does not start with the magic cookie.
    #[error("the branch does not start with the RFC 3261 magic cookie z9hG4bK")]
    Branch,
    /// ACK is not sent through a client transaction.
    #[error("an ACK to a 2xx is sent by the TU through the transport, not a transaction")]
    Ack,
    /// No transaction has this key (it may have ended).
    #[error("no such transaction")]
    Unknown,
    /// The transaction cannot send this response in its state.
    #[error("the transaction cannot send that response in its current state")]
    WrongState,
    /// The status code is outside 100–699.
    #[error("{0} is not a SIP status code")]
    InvalidStatus(u16),
}

/// Builds the messages the transaction layer writes itself. The wire layer implements it; it
/// must be a pure function of its arguments.
pub trait MessageBuilder {
    /// The ACK for a non-2xx final `response` to `invite` (RFC 3261 §17.1.1.3): the INVITE's
    /// Request-URI, Call-ID, From, top Via and Route, CSeq number with method ACK, the
    /// response's To. `None` if it cannot be built (then no ACK is sent).
    fn ack(&self, invite: &[u8], response: &[u8]) -> Option<Bytes>;

    /// A 100 (Trying) answering `invite` (RFC 3261 §8.2.6.1, no To tag per §17.2.1). `None`
    /// if it cannot be built.
    fn trying(&self, invite: &[u8]) -> Option<Bytes>;
}

/// A transaction's state, as [`Transactions::state`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// INVITE client: sent, nothing heard.
    Calling,
    /// Non-INVITE: sent or received, no response yet.
    Trying,
    /// A provisional response was received or sent (an INVITE server starts here).
    Proceeding,
    /// A final (non-2xx for INVITE) response was received or sent.
    Completed,
    /// INVITE server: the ACK to the non-2xx response arrived.
    Confirmed,
    /// INVITE: a 2xx was received or sent (RFC 6026).
    Accepted,
}

/// The class of a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// 1xx.
    Provisional,
    /// 2xx.
    Success,
    /// 3xx–6xx.
    Failure,
}

impl Class {
    fn of(code: u16) -> Option<Class> {
        match code {
            100..=199 => Some(Class::Provisional),
            200..=299 => Some(Class::Success),
            300..=699 => Some(Class::Failure),
            _ => None,
        }
    }
}

/// What a machine's handlers see: the time, the timers, the builder and the output queue.
struct Cx<'a> {
    now: Duration,
    timers: &'a Timers,
    builder: &'a dyn MessageBuilder,
    out: &'a mut VecDeque<Output>,
}

impl Cx<'_> {
    fn after(&self, d: Duration) -> Duration {
        self.now.saturating_add(d)
    }

    fn transmit(&mut self, key: Key, to: Destination, bytes: &Bytes) {
        self.out.push_back(Output::Transmit {
            key,
            to,
            bytes: bytes.clone(),
        });
    }

    fn emit(&mut self, output: Output) {
        self.out.push_back(output);
    }
}

/// A retransmission timer (A, E or G): when it fires next and the interval it was set with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Resend {
    at: Duration,
    interval: Duration,
}

impl Resend {
    /// Starts at T1 on unreliable transports; reliable ones do not retransmit.
    fn start(cx: &Cx<'_>, to: Destination) -> Option<Resend> {
        (!to.transport.is_reliable()).then(|| Resend {
            at: cx.after(cx.timers.t1),
            interval: cx.timers.t1,
        })
    }

    fn due(this: Option<Resend>, now: Duration) -> bool {
        this.is_some_and(|r| r.at <= now)
    }

    /// Re-arms with twice the interval, capped at `cap` if given (A uncapped; E, G at T2).
    fn double(&mut self, now: Duration, cap: Option<Duration>) {
        let doubled = self.interval.saturating_mul(2);
        self.interval = cap.map_or(doubled, |c| doubled.min(c));
        self.at = now.saturating_add(self.interval);
    }
}

/// A guard timer (see the module documentation): warns once, then gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Guard {
    at: Duration,
    warned: bool,
}

impl Guard {
    fn new(at: Duration) -> Guard {
        Guard { at, warned: false }
    }

    /// Fires: true the first time (warn, then wait `grace` more), false the second (give up).
    fn fire(&mut self, now: Duration, grace: Duration) -> bool {
        if self.warned {
            return false;
        }
        self.warned = true;
        self.at = now.saturating_add(grace);
        true
    }
}

/// The earliest of some optional deadlines.
fn earliest(deadlines: &[Option<Duration>]) -> Option<Duration> {
    deadlines.iter().flatten().min().copied()
}

/// States of an INVITE client transaction (RFC 3261 Figure 5, RFC 6026 Figure 5).
#[derive(Debug)]
enum InviteClientState {
    /// Timers A (unreliable only) and B.
    Calling {
        resend: Option<Resend>,
        give_up: Duration,
    },
    /// Our guard for a final response.
    Proceeding {
        guard: Guard,
    },
    /// Timer D; the ACK to re-send.
    Completed {
        ack: Option<Bytes>,
        until: Duration,
    },
    /// Timer M.
    Accepted {
        until: Duration,
    },
    Terminated,
}

/// An INVITE client transaction.
#[derive(Debug)]
struct InviteClient {
    key: ClientKey,
    to: Destination,
    request: Bytes,
    state: InviteClientState,
}

impl InviteClient {
    fn start(cx: &mut Cx<'_>, req: OutgoingRequest) -> InviteClient {
        cx.transmit(Key::Client(req.key.clone()), req.to, &req.bytes);
        let state = InviteClientState::Calling {
            resend: Resend::start(cx, req.to),
            give_up: cx.after(cx.timers.t1x64()),
        };
        InviteClient {
            key: req.key,
            to: req.to,
            request: req.bytes,
            state,
        }
    }

    fn state(&self) -> Option<State> {
        match self.state {
            InviteClientState::Calling { .. } => Some(State::Calling),
            InviteClientState::Proceeding { .. } => Some(State::Proceeding),
            InviteClientState::Completed { .. } => Some(State::Completed),
            InviteClientState::Accepted { .. } => Some(State::Accepted),
            InviteClientState::Terminated => None,
        }
    }

    fn deadline(&self) -> Option<Duration> {
        match &self.state {
            InviteClientState::Calling { resend, give_up } => {
                earliest(&[resend.map(|r| r.at), Some(*give_up)])
            }
            InviteClientState::Proceeding { guard } => Some(guard.at),
            InviteClientState::Completed { until, .. } | InviteClientState::Accepted { until } => {
                Some(*until)
            }
            InviteClientState::Terminated => None,
        }
    }

    fn waiting_for_final(&self) -> bool {
        matches!(
            self.state,
            InviteClientState::Calling { .. } | InviteClientState::Proceeding { .. }
        )
    }

    fn pass_up(&self, cx: &mut Cx<'_>, code: u16, bytes: Bytes) {
        let key = self.key.clone();
        cx.emit(Output::Response { key, code, bytes });
    }

    fn on_response(&mut self, cx: &mut Cx<'_>, class: Class, code: u16, bytes: Bytes) {
        if self.waiting_for_final() {
            self.first_response(cx, class, code, bytes);
            return;
        }
        match (&self.state, class) {
            (InviteClientState::Completed { ack: Some(ack), .. }, Class::Failure) => {
                let ack = ack.clone();
                cx.transmit(Key::Client(self.key.clone()), self.to, &ack);
            }
            (InviteClientState::Accepted { .. }, Class::Success) => self.pass_up(cx, code, bytes),
            _ => {}
        }
    }

    /// A response in `Calling` or `Proceeding`.
    fn first_response(&mut self, cx: &mut Cx<'_>, class: Class, code: u16, bytes: Bytes) {
        match class {
            Class::Provisional => {
                if let InviteClientState::Calling { .. } = self.state {
                    let guard = Guard::new(cx.after(cx.timers.c));
                    self.state = InviteClientState::Proceeding { guard };
                }
            }
            Class::Success => {
                let until = cx.after(cx.timers.t1x64());
                self.state = InviteClientState::Accepted { until };
            }
            Class::Failure => self.complete(cx, &bytes),
        }
        self.pass_up(cx, code, bytes);
    }

    /// A non-2xx final response: ACK it and wait out its retransmissions (timer D).
    fn complete(&mut self, cx: &mut Cx<'_>, response: &[u8]) {
        let ack = cx.builder.ack(&self.request, response);
        if let Some(ack) = &ack {
            cx.transmit(Key::Client(self.key.clone()), self.to, ack);
        }
        self.state = if self.to.transport.is_reliable() {
            InviteClientState::Terminated
        } else {
            let until = cx.after(cx.timers.d);
            InviteClientState::Completed { ack, until }
        };
    }

    fn on_timer(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now;
        match &mut self.state {
            InviteClientState::Calling { give_up, .. } if *give_up <= now => {
                self.time_out(cx, TimeoutCause::NoResponse);
            }
            InviteClientState::Calling {
                resend: Some(r), ..
            } if r.at <= now => {
                r.double(now, None);
                cx.transmit(Key::Client(self.key.clone()), self.to, &self.request);
            }
            InviteClientState::Proceeding { guard } if guard.at <= now => {
                if guard.fire(now, cx.timers.t1x64()) {
                    let key = Key::Client(self.key.clone());
                    let cause = TimeoutCause::NoFinalResponse;
                    cx.emit(Output::Timeout { key, cause });
                } else {
                    self.state = InviteClientState::Terminated;
                }
            }
            InviteClientState::Completed { until, .. } | InviteClientState::Accepted { until }
                if *until <= now =>
            {
                self.state = InviteClientState::Terminated;
            }
            _ => {}
        }
    }

    fn time_out(&mut self, cx: &mut Cx<'_>, cause: TimeoutCause) {
        let key = Key::Client(self.key.clone());
        cx.emit(Output::Timeout { key, cause });
        self.state = InviteClientState::Terminated;
    }

    fn on_transport_error(&mut self, cx: &mut Cx<'_>) {
        if let InviteClientState::Accepted { .. } | InviteClientState::Terminated = self.state {
            return;
        }
        let key = Key::Client(self.key.clone());
        cx.emit(Output::TransportError { key });
        self.state = InviteClientState::Terminated;
    }
}

/// States of a non-INVITE client transaction (RFC 3261 Figure 6).
#[derive(Debug)]
enum NonInviteClientState {
    /// Timers E (unreliable only) and F.
    Trying {
        resend: Option<Resend>,
        give_up: Duration,
    },
    /// Timers E (now at T2) and F.
    Proceeding {
        resend: Option<Resend>,
        give_up: Duration,
    },
    /// Timer K.
    Completed {
        until: Duration,
    },
    Terminated,
}

/// A non-INVITE client transaction.
#[derive(Debug)]
struct NonInviteClient {
    key: ClientKey,
    to: Destination,
    request: Bytes,
    state: NonInviteClientState,
}

impl NonInviteClient {
    fn start(cx: &mut Cx<'_>, req: OutgoingRequest) -> NonInviteClient {
        cx.transmit(Key::Client(req.key.clone()), req.to, &req.bytes);
        let state = NonInviteClientState::Trying {
            resend: Resend::start(cx, req.to),
            give_up: cx.after(cx.timers.t1x64()),
        };
        NonInviteClient {
            key: req.key,
            to: req.to,
            request: req.bytes,
            state,
        }
    }

    fn state(&self) -> Option<State> {
        match self.state {
            NonInviteClientState::Trying { .. } => Some(State::Trying),
            NonInviteClientState::Proceeding { .. } => Some(State::Proceeding),
            NonInviteClientState::Completed { .. } => Some(State::Completed),
            NonInviteClientState::Terminated => None,
        }
    }

    fn deadline(&self) -> Option<Duration> {
        match &self.state {
            NonInviteClientState::Trying { resend, give_up }
            | NonInviteClientState::Proceeding { resend, give_up } => {
                earliest(&[resend.map(|r| r.at), Some(*give_up)])
            }
            NonInviteClientState::Completed { until } => Some(*until),
            NonInviteClientState::Terminated => None,
        }
    }

    fn on_response(&mut self, cx: &mut Cx<'_>, class: Class, code: u16, bytes: Bytes) {
        let (resend, give_up) = match self.state {
            NonInviteClientState::Trying { resend, give_up }
            | NonInviteClientState::Proceeding { resend, give_up } => (resend, give_up),
            NonInviteClientState::Completed { .. } | NonInviteClientState::Terminated => return,
        };
        self.state = match class {
            Class::Provisional => NonInviteClientState::Proceeding { resend, give_up },
            Class::Success | Class::Failure if self.to.transport.is_reliable() => {
                NonInviteClientState::Terminated
            }
            Class::Success | Class::Failure => NonInviteClientState::Completed {
                until: cx.after(cx.timers.t4),
            },
        };
        let key = self.key.clone();
        cx.emit(Output::Response { key, code, bytes });
    }

    fn on_timer(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now;
        let t2 = cx.timers.t2;
        match &mut self.state {
            NonInviteClientState::Trying { give_up, .. }
            | NonInviteClientState::Proceeding { give_up, .. }
                if *give_up <= now =>
            {
                let key = Key::Client(self.key.clone());
                let cause = TimeoutCause::NoResponse;
                cx.emit(Output::Timeout { key, cause });
                self.state = NonInviteClientState::Terminated;
            }
            NonInviteClientState::Trying {
                resend: Some(r), ..
            } if r.at <= now => {
                r.double(now, Some(t2));
                cx.transmit(Key::Client(self.key.clone()), self.to, &self.request);
            }
            NonInviteClientState::Proceeding {
                resend: Some(r), ..
            } if r.at <= now => {
                *r = Resend {
                    at: now.saturating_add(t2),
                    interval: t2,
                };
                cx.transmit(Key::Client(self.key.clone()), self.to, &self.request);
            }
            NonInviteClientState::Completed { until } if *until <= now => {
                self.state = NonInviteClientState::Terminated;
            }
            _ => {}
        }
    }

    fn on_transport_error(&mut self, cx: &mut Cx<'_>) {
        if let NonInviteClientState::Trying { .. } | NonInviteClientState::Proceeding { .. } =
            self.state
        {
            let key = Key::Client(self.key.clone());
            cx.emit(Output::TransportError { key });
            self.state = NonInviteClientState::Terminated;
        }
    }
}

/// States of an INVITE server transaction (RFC 6026 Figure 7).
#[derive(Debug)]
enum InviteServerState {
    /// The automatic 100 (Trying) timer and our guard for the TU's final response.
    Proceeding {
        trying: Option<Duration>,
        guard: Guard,
    },
    /// Timers G (unreliable only) and H.
    Completed {
        resend: Option<Resend>,
        give_up: Duration,
    },
    /// Timer I.
    Confirmed {
        until: Duration,
    },
    /// Timer L.
    Accepted {
        until: Duration,
    },
    Terminated,
}

/// An INVITE server transaction.
#[derive(Debug)]
struct InviteServer {
    key: ServerKey,
    to: Destination,
    /// The INVITE, kept until a response is sent, to build a 100 (Trying) from.
    request: Option<Bytes>,
    /// The last response sent, for retransmitted INVITEs and timer G.
    last: Option<Bytes>,
    state: InviteServerState,
}

impl InviteServer {
    fn start(cx: &mut Cx<'_>, key: ServerKey, to: Destination, bytes: Bytes) -> InviteServer {
        let immediate = cx.timers.trying == Some(Duration::ZERO);
        let state = InviteServerState::Proceeding {
            trying: cx.timers.trying.map(|d| cx.after(d)),
            guard: Guard::new(cx.after(cx.timers.c)),
        };
        cx.emit(Output::Request {
            key: key.clone(),
            bytes: bytes.clone(),
        });
        let mut server = InviteServer {
            key,
            to,
            request: Some(bytes),
            last: None,
            state,
        };
        if immediate {
            server.send_trying(cx);
        }
        server
    }

    fn state(&self) -> Option<State> {
        match self.state {
            InviteServerState::Proceeding { .. } => Some(State::Proceeding),
            InviteServerState::Completed { .. } => Some(State::Completed),
            InviteServerState::Confirmed { .. } => Some(State::Confirmed),
            InviteServerState::Accepted { .. } => Some(State::Accepted),
            InviteServerState::Terminated => None,
        }
    }

    fn deadline(&self) -> Option<Duration> {
        match &self.state {
            InviteServerState::Proceeding { trying, guard } => earliest(&[*trying, Some(guard.at)]),
            InviteServerState::Completed { resend, give_up } => {
                earliest(&[resend.map(|r| r.at), Some(*give_up)])
            }
            InviteServerState::Confirmed { until } | InviteServerState::Accepted { until } => {
                Some(*until)
            }
            InviteServerState::Terminated => None,
        }
    }

    fn send(&mut self, cx: &mut Cx<'_>, bytes: Bytes) {
        cx.transmit(Key::Server(self.key.clone()), self.to, &bytes);
        self.last = Some(bytes);
        self.request = None;
        if let InviteServerState::Proceeding { trying, .. } = &mut self.state {
            *trying = None;
        }
    }

    /// Sends 100 (Trying) if it can be built; either way, it is not tried again.
    fn send_trying(&mut self, cx: &mut Cx<'_>) {
        let built = self.request.take().and_then(|r| cx.builder.trying(&r));
        if let InviteServerState::Proceeding { trying, .. } = &mut self.state {
            *trying = None;
        }
        if let Some(trying) = built {
            self.send(cx, trying);
        }
    }

    fn resend_last(&self, cx: &mut Cx<'_>) {
        if let Some(last) = &self.last {
            cx.transmit(Key::Server(self.key.clone()), self.to, last);
        }
    }

    /// A retransmitted INVITE (RFC 3261 §17.2.1; absorbed in `Accepted` per RFC 6026).
    fn on_invite(&mut self, cx: &mut Cx<'_>) {
        match self.state {
            InviteServerState::Proceeding { .. }
                if self.last.is_none() && cx.timers.trying.is_some() =>
            {
                self.send_trying(cx);
            }
            InviteServerState::Proceeding { .. } | InviteServerState::Completed { .. } => {
                self.resend_last(cx);
            }
            _ => {}
        }
    }

    fn on_ack(&mut self, cx: &mut Cx<'_>, bytes: Bytes) {
        match self.state {
            InviteServerState::Completed { .. } if self.to.transport.is_reliable() => {
                self.state = InviteServerState::Terminated;
            }
            InviteServerState::Completed { .. } => {
                let until = cx.after(cx.timers.t4);
                self.state = InviteServerState::Confirmed { until };
            }
            InviteServerState::Accepted { .. } => {
                let key = Some(self.key.clone());
                cx.emit(Output::Ack { key, bytes });
            }
            _ => {}
        }
    }

    fn respond(&mut self, cx: &mut Cx<'_>, class: Class, bytes: Bytes) -> Result<(), Error> {
        match (&self.state, class) {
            (InviteServerState::Proceeding { .. }, Class::Provisional) => self.send(cx, bytes),
            (InviteServerState::Proceeding { .. }, Class::Success) => {
                self.send(cx, bytes);
                let until = cx.after(cx.timers.t1x64());
                self.state = InviteServerState::Accepted { until };
            }
            (InviteServerState::Proceeding { .. }, Class::Failure) => {
                self.send(cx, bytes);
                self.state = InviteServerState::Completed {
                    resend: Resend::start(cx, self.to),
                    give_up: cx.after(cx.timers.t1x64()),
                };
            }
            (InviteServerState::Accepted { .. }, Class::Success) => {
                cx.transmit(Key::Server(self.key.clone()), self.to, &bytes);
            }
            _ => return Err(Error::WrongState),
        }
        Ok(())
    }

    fn on_timer(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now;
        match &mut self.state {
            InviteServerState::Proceeding {
                trying: Some(at), ..
            } if *at <= now => self.send_trying(cx),
            InviteServerState::Proceeding { guard, .. } if guard.at <= now => {
                if guard.fire(now, cx.timers.t1x64()) {
                    self.time_out(cx, TimeoutCause::Unanswered);
                } else {
                    self.state = InviteServerState::Terminated;
                }
            }
            InviteServerState::Completed { give_up, .. } if *give_up <= now => {
                self.time_out(cx, TimeoutCause::NoAck);
                self.state = InviteServerState::Terminated;
            }
            InviteServerState::Completed { resend, .. } if Resend::due(*resend, now) => {
                if let Some(r) = resend {
                    r.double(now, Some(cx.timers.t2));
                }
                self.resend_last(cx);
            }
            InviteServerState::Confirmed { until } | InviteServerState::Accepted { until }
                if *until <= now =>
            {
                self.state = InviteServerState::Terminated;
            }
            _ => {}
        }
    }

    fn time_out(&self, cx: &mut Cx<'_>, cause: TimeoutCause) {
        let key = Key::Server(self.key.clone());
        cx.emit(Output::Timeout { key, cause });
    }

    /// RFC 6026 Figure 7: tell the TU and stay, to keep absorbing retransmissions.
    fn on_transport_error(&mut self, cx: &mut Cx<'_>) {
        if let InviteServerState::Proceeding { .. }
        | InviteServerState::Completed { .. }
        | InviteServerState::Accepted { .. } = self.state
        {
            let key = Key::Server(self.key.clone());
            cx.emit(Output::TransportError { key });
        }
    }
}

/// States of a non-INVITE server transaction (RFC 3261 Figure 8).
#[derive(Debug)]
enum NonInviteServerState {
    /// Our guard for the TU's final response.
    Trying {
        guard: Guard,
    },
    /// The same guard.
    Proceeding {
        guard: Guard,
    },
    /// Timer J.
    Completed {
        until: Duration,
    },
    Terminated,
}

/// A non-INVITE server transaction.
#[derive(Debug)]
struct NonInviteServer {
    key: ServerKey,
    to: Destination,
    /// The last response sent, for retransmitted requests.
    last: Option<Bytes>,
    state: NonInviteServerState,
}

impl NonInviteServer {
    fn start(cx: &mut Cx<'_>, key: ServerKey, to: Destination, bytes: Bytes) -> NonInviteServer {
        cx.emit(Output::Request {
            key: key.clone(),
            bytes,
        });
        let guard = Guard::new(cx.after(cx.timers.t1x64()));
        NonInviteServer {
            key,
            to,
            last: None,
            state: NonInviteServerState::Trying { guard },
        }
    }

    fn state(&self) -> Option<State> {
        match self.state {
            NonInviteServerState::Trying { .. } => Some(State::Trying),
            NonInviteServerState::Proceeding { .. } => Some(State::Proceeding),
            NonInviteServerState::Completed { .. } => Some(State::Completed),
            NonInviteServerState::Terminated => None,
        }
    }

    fn deadline(&self) -> Option<Duration> {
        match &self.state {
            NonInviteServerState::Trying { guard } | NonInviteServerState::Proceeding { guard } => {
                Some(guard.at)
            }
            NonInviteServerState::Completed { until } => Some(*until),
            NonInviteServerState::Terminated => None,
        }
    }

    /// A retransmitted request: absorbed in `Trying`, else answered with the last response.
    fn on_request(&self, cx: &mut Cx<'_>) {
        if let Some(last) = &self.last {
            cx.transmit(Key::Server(self.key.clone()), self.to, last);
        }
    }

    fn respond(&mut self, cx: &mut Cx<'_>, class: Class, bytes: Bytes) -> Result<(), Error> {
        let guard = match self.state {
            NonInviteServerState::Trying { guard } | NonInviteServerState::Proceeding { guard } => {
                guard
            }
            NonInviteServerState::Completed { .. } | NonInviteServerState::Terminated => {
                return Err(Error::WrongState)
            }
        };
        cx.transmit(Key::Server(self.key.clone()), self.to, &bytes);
        self.last = Some(bytes);
        self.state = match class {
            Class::Provisional => NonInviteServerState::Proceeding { guard },
            _ if self.to.transport.is_reliable() => NonInviteServerState::Terminated,
            _ => NonInviteServerState::Completed {
                until: cx.after(cx.timers.t1x64()),
            },
        };
        Ok(())
    }

    fn on_timer(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now;
        match &mut self.state {
            NonInviteServerState::Trying { guard } | NonInviteServerState::Proceeding { guard }
                if guard.at <= now =>
            {
                if guard.fire(now, cx.timers.t1x64()) {
                    let key = Key::Server(self.key.clone());
                    let cause = TimeoutCause::Unanswered;
                    cx.emit(Output::Timeout { key, cause });
                } else {
                    self.state = NonInviteServerState::Terminated;
                }
            }
            NonInviteServerState::Completed { until } if *until <= now => {
                self.state = NonInviteServerState::Terminated;
            }
            _ => {}
        }
    }

    fn on_transport_error(&mut self, cx: &mut Cx<'_>) {
        if let NonInviteServerState::Proceeding { .. } | NonInviteServerState::Completed { .. } =
            self.state
        {
            let key = Key::Server(self.key.clone());
            cx.emit(Output::TransportError { key });
            self.state = NonInviteServerState::Terminated;
        }
    }
}

/// One transaction of any kind.
#[derive(Debug)]
enum Machine {
    InviteClient(InviteClient),
    NonInviteClient(NonInviteClient),
    InviteServer(InviteServer),
    NonInviteServer(NonInviteServer),
}

impl Machine {
    fn key(&self) -> Key {
        match self {
            Machine::InviteClient(m) => Key::Client(m.key.clone()),
            Machine::NonInviteClient(m) => Key::Client(m.key.clone()),
            Machine::InviteServer(m) => Key::Server(m.key.clone()),
            Machine::NonInviteServer(m) => Key::Server(m.key.clone()),
        }
    }

    /// The state, or `None` once terminated.
    fn state(&self) -> Option<State> {
        match self {
            Machine::InviteClient(m) => m.state(),
            Machine::NonInviteClient(m) => m.state(),
            Machine::InviteServer(m) => m.state(),
            Machine::NonInviteServer(m) => m.state(),
        }
    }

    fn deadline(&self) -> Option<Duration> {
        match self {
            Machine::InviteClient(m) => m.deadline(),
            Machine::NonInviteClient(m) => m.deadline(),
            Machine::InviteServer(m) => m.deadline(),
            Machine::NonInviteServer(m) => m.deadline(),
        }
    }

    fn on_timer(&mut self, cx: &mut Cx<'_>) {
        match self {
            Machine::InviteClient(m) => m.on_timer(cx),
            Machine::NonInviteClient(m) => m.on_timer(cx),
            Machine::InviteServer(m) => m.on_timer(cx),
            Machine::NonInviteServer(m) => m.on_timer(cx),
        }
    }

    fn on_transport_error(&mut self, cx: &mut Cx<'_>) {
        match self {
            Machine::InviteClient(m) => m.on_transport_error(cx),
            Machine::NonInviteClient(m) => m.on_transport_error(cx),
            Machine::InviteServer(m) => m.on_transport_error(cx),
            Machine::NonInviteServer(m) => m.on_transport_error(cx),
        }
    }
}

/// A transaction and the deadline it is filed under.
#[derive(Debug)]
struct Entry {
    deadline: Option<Duration>,
    machine: Machine,
}

/// The transaction layer: every client and server transaction, their timers and outputs.
#[derive(Debug)]
pub struct Transactions<B> {
    config: Config,
    builder: B,
    now: Duration,
    entries: HashMap<u64, Entry>,
    clients: HashMap<ClientKey, u64>,
    servers: HashMap<ServerKey, u64>,
    timers: BTreeSet<(Duration, u64)>,
    next_id: u64,
    next_legacy: u64,
    out: VecDeque<Output>,
}

impl<B: MessageBuilder> Transactions<B> {
    /// An empty transaction layer; T1 and T2 are raised to at least 1 ms.
    pub fn new(mut config: Config, builder: B) -> Transactions<B> {
        config.timers = config.timers.sane();
        Transactions {
            config,
            builder,
            now: Duration::ZERO,
            entries: HashMap::new(),
            clients: HashMap::new(),
            servers: HashMap::new(),
            timers: BTreeSet::new(),
            next_id: 0,
            next_legacy: 0,
            out: VecDeque::new(),
        }
    }

    /// Feeds one input at `now` (an earlier `now` than seen before counts as the latest).
    /// Only the TU's inputs ([`Input::Send`], [`Input::Respond`]) can fail.
    pub fn handle_input(&mut self, now: Duration, input: Input) -> Result<(), Error> {
        self.now = self.now.max(now);
        match input {
            Input::Request(r) => self.on_request(r),
            Input::Response(r) => self.on_response(r),
            Input::Send(r) => return self.send(r),
            Input::Respond { key, code, bytes } => return self.respond(&key, code, bytes),
            Input::TransportError { key } => self.on_transport_error(&key),
            Input::Timeout => self.on_timeout(),
        }
        Ok(())
    }

    /// The next thing to do, until there is none.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When the layer next needs [`Input::Timeout`].
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.timers.first().map(|(at, _)| *at)
    }

    /// A transaction's state, or `None` if there is no such transaction.
    pub fn state(&self, key: &Key) -> Option<State> {
        let id = match key {
            Key::Client(k) => self.clients.get(k),
            Key::Server(k) => self.servers.get(k),
        }?;
        self.entries.get(id)?.machine.state()
    }

    /// The number of live transactions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The configuration in force (T1 and T2 as raised by [`Transactions::new`]).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Runs `f` on transaction `id` with a handler context, then refiles or removes it.
    /// `None` if there is no such transaction.
    fn with_machine<R>(
        &mut self,
        id: u64,
        f: impl FnOnce(&mut Machine, &mut Cx<'_>) -> R,
    ) -> Option<R> {
        let entry = self.entries.get_mut(&id)?;
        let mut cx = Cx {
            now: self.now,
            timers: &self.config.timers,
            builder: &self.builder,
            out: &mut self.out,
        };
        let result = f(&mut entry.machine, &mut cx);
        self.settle(id);
        Some(result)
    }

    /// Adds a new transaction built by `start`.
    fn insert(&mut self, start: impl FnOnce(&mut Cx<'_>) -> Machine) {
        let mut cx = Cx {
            now: self.now,
            timers: &self.config.timers,
            builder: &self.builder,
            out: &mut self.out,
        };
        let machine = start(&mut cx);
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        match machine.key() {
            Key::Client(k) => self.clients.insert(k, id),
            Key::Server(k) => self.servers.insert(k, id),
        };
        let deadline = None;
        self.entries.insert(id, Entry { deadline, machine });
        self.settle(id);
    }

    /// Refiles transaction `id` under its current deadline, or forgets it if it terminated.
    fn settle(&mut self, id: u64) {
        let Some(entry) = self.entries.get_mut(&id) else {
            return;
        };
        if let Some(old) = entry.deadline.take() {
            self.timers.remove(&(old, id));
        }
        if entry.machine.state().is_none() {
            self.remove(id);
            return;
        }
        entry.deadline = entry.machine.deadline();
        if let Some(at) = entry.deadline {
            self.timers.insert((at, id));
        }
    }

    fn remove(&mut self, id: u64) {
        let Some(entry) = self.entries.remove(&id) else {
            return;
        };
        let key = entry.machine.key();
        match &key {
            Key::Client(k) => self.clients.remove(k),
            Key::Server(k) => self.servers.remove(k),
        };
        self.out.push_back(Output::Terminated { key });
    }

    fn on_timeout(&mut self) {
        let due: Vec<u64> = self
            .timers
            .range(..=(self.now, u64::MAX))
            .map(|(_, id)| *id)
            .collect();
        for id in due {
            for _ in 0..MAX_FIRINGS {
                let deadline = self.entries.get(&id).and_then(|e| e.deadline);
                if deadline.is_none_or(|at| at > self.now) {
                    break;
                }
                self.with_machine(id, |m, cx| m.on_timer(cx));
            }
        }
    }

    fn on_request(&mut self, r: ReceivedRequest) {
        let Some(branch) = r.branch.as_deref().filter(|b| b.starts_with(MAGIC_COOKIE)) else {
            return self.on_legacy_request(r);
        };
        let key = ServerKey {
            branch: Branch::Cookie(branch.to_string()),
            sent_by: r.sent_by.to_ascii_lowercase(),
            method: match r.method {
                Method::Ack => Method::Invite,
                ref m => m.clone(),
            },
        };
        let is_ack = r.method == Method::Ack;
        match self.servers.get(&key).copied() {
            Some(id) if is_ack => {
                self.with_machine(id, |m, cx| {
                    if let Machine::InviteServer(s) = m {
                        s.on_ack(cx, r.bytes);
                    }
                });
            }
            None if is_ack => self.out.push_back(Output::Ack {
                key: None,
                bytes: r.bytes,
            }),
            Some(id) => {
                self.with_machine(id, |m, cx| match m {
                    Machine::InviteServer(s) => s.on_invite(cx),
                    Machine::NonInviteServer(s) => s.on_request(cx),
                    _ => {}
                });
            }
            None => self.new_server(key, r),
        }
    }

    /// A request without an RFC 3261 branch: a new transaction each time (ACK: passed up).
    fn on_legacy_request(&mut self, r: ReceivedRequest) {
        if r.method == Method::Ack {
            let bytes = r.bytes;
            self.out.push_back(Output::Ack { key: None, bytes });
            return;
        }
        let key = ServerKey {
            branch: Branch::Legacy(self.next_legacy),
            sent_by: r.sent_by.to_ascii_lowercase(),
            method: r.method.clone(),
        };
        self.next_legacy = self.next_legacy.wrapping_add(1);
        self.new_server(key, r);
    }

    fn new_server(&mut self, key: ServerKey, r: ReceivedRequest) {
        if self.servers.len() >= self.config.max_transactions {
            let (reply_to, bytes) = (r.reply_to, r.bytes);
            self.out.push_back(Output::Refused {
                key,
                reply_to,
                bytes,
            });
            return;
        }
        let (to, bytes) = (r.reply_to, r.bytes);
        if key.method == Method::Invite {
            self.insert(|cx| Machine::InviteServer(InviteServer::start(cx, key, to, bytes)));
        } else {
            self.insert(|cx| Machine::NonInviteServer(NonInviteServer::start(cx, key, to, bytes)));
        }
    }

    /// A response: to its client transaction, or dropped (RFC 6026 §8.9).
    fn on_response(&mut self, r: ReceivedResponse) {
        let (Some(branch), Some(class)) = (r.branch, Class::of(r.code)) else {
            return;
        };
        let key = ClientKey::new(branch, r.method);
        let Some(id) = self.clients.get(&key).copied() else {
            return;
        };
        self.with_machine(id, |m, cx| match m {
            Machine::InviteClient(c) => c.on_response(cx, class, r.code, r.bytes),
            Machine::NonInviteClient(c) => c.on_response(cx, class, r.code, r.bytes),
            _ => {}
        });
    }

    fn send(&mut self, r: OutgoingRequest) -> Result<(), Error> {
        if r.key.method == Method::Ack {
            return Err(Error::Ack);
        }
        if !r.key.branch.starts_with(MAGIC_COOKIE) {
            return Err(Error::Branch);
        }
        if self.clients.contains_key(&r.key) {
            return Err(Error::Exists);
        }
        if r.key.method == Method::Invite {
            self.insert(|cx| Machine::InviteClient(InviteClient::start(cx, r)));
        } else {
            self.insert(|cx| Machine::NonInviteClient(NonInviteClient::start(cx, r)));
        }
        Ok(())
    }

    fn respond(&mut self, key: &ServerKey, code: u16, bytes: Bytes) -> Result<(), Error> {
        let class = Class::of(code).ok_or(Error::InvalidStatus(code))?;
        let id = *self.servers.get(key).ok_or(Error::Unknown)?;
        self.with_machine(id, |m, cx| match m {
            Machine::InviteServer(s) => s.respond(cx, class, bytes),
            Machine::NonInviteServer(s) => s.respond(cx, class, bytes),
            _ => Err(Error::Unknown),
        })
        .unwrap_or(Err(Error::Unknown))
    }

    fn on_transport_error(&mut self, key: &Key) {
        let id = match key {
            Key::Client(k) => self.clients.get(k),
            Key::Server(k) => self.servers.get(k),
        };
        if let Some(id) = id.copied() {
            self.with_machine(id, |m, cx| m.on_transport_error(cx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Builds "ACK(<response>)" and "100(<invite>)", or nothing when it `fails`.
    #[derive(Debug, Default)]
    struct FakeBuilder {
        fails: bool,
    }

    impl MessageBuilder for FakeBuilder {
        fn ack(&self, _invite: &[u8], response: &[u8]) -> Option<Bytes> {
            let text = String::from_utf8_lossy(response);
            (!self.fails).then(|| bytes(&format!("ACK({text})")))
        }

        fn trying(&self, invite: &[u8]) -> Option<Bytes> {
            let text = String::from_utf8_lossy(invite);
            (!self.fails).then(|| bytes(&format!("100({text})")))
        }
    }

    fn bytes(s: &str) -> Bytes {
        Arc::from(s.as_bytes())
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn dest(transport: Transport) -> Destination {
        Destination {
            addr: SocketAddr::from(([192, 0, 2, 1], 5060)),
            transport,
        }
    }

    const UDP: Transport = Transport::Udp;
    const TCP: Transport = Transport::Tcp;

    /// A transaction layer driven in virtual time, recording outputs with their time.
    struct Harness {
        tx: Transactions<FakeBuilder>,
        now: Duration,
    }

    impl Harness {
        fn new() -> Harness {
            Harness::with(Config::default())
        }

        fn with(config: Config) -> Harness {
            Harness::built(config, FakeBuilder::default())
        }

        fn built(config: Config, builder: FakeBuilder) -> Harness {
            Harness {
                tx: Transactions::new(config, builder),
                now: Duration::ZERO,
            }
        }

        fn drain(&mut self) -> Vec<Output> {
            std::iter::from_fn(|| self.tx.poll_output()).collect()
        }

        fn feed(&mut self, at: Duration, input: Input) -> Result<Vec<Output>, Error> {
            self.now = self.now.max(at);
            let result = self.tx.handle_input(self.now, input);
            let out = self.drain();
            result.map(|()| out)
        }

        fn input(&mut self, at: Duration, input: Input) -> Vec<Output> {
            self.feed(at, input).unwrap_or_default()
        }

        /// Fires every timer up to `until`, returning outputs with the time they came out.
        fn run_until(&mut self, until: Duration) -> Vec<(Duration, Output)> {
            let mut all = Vec::new();
            while let Some(at) = self.tx.poll_timeout().filter(|at| *at <= until) {
                assert!(
                    at >= self.now,
                    "deadline {at:?} is before now {:?}",
                    self.now
                );
                for o in self.input(at, Input::Timeout) {
                    all.push((at, o));
                }
                let next = self.tx.poll_timeout();
                assert!(
                    next.is_none_or(|t| t > at),
                    "a timer due at {at:?} stayed due"
                );
            }
            self.now = self.now.max(until);
            all
        }

        fn send(&mut self, at: Duration, branch: &str, method: Method, t: Transport) -> ClientKey {
            let key = ClientKey::new(branch, method);
            let req = OutgoingRequest {
                key: key.clone(),
                to: dest(t),
                bytes: bytes(&format!("{} {branch}", key.method)),
            };
            let out = self.input(at, Input::Send(req));
            assert!(matches!(out.as_slice(), [Output::Transmit { .. }]));
            key
        }

        fn response(&mut self, at: Duration, key: &ClientKey, code: u16) -> Vec<Output> {
            let r = ReceivedResponse {
                method: key.method.clone(),
                branch: Some(key.branch.clone()),
                code,
                bytes: bytes(&code.to_string()),
            };
            self.input(at, Input::Response(r))
        }

        fn request(
            &mut self,
            at: Duration,
            branch: &str,
            method: Method,
            t: Transport,
        ) -> Vec<Output> {
            let r = ReceivedRequest {
                method: method.clone(),
                branch: Some(branch.to_string()),
                sent_by: "Phone.example:5060".to_string(),
                reply_to: dest(t),
                bytes: bytes(&format!("{method} {branch}")),
            };
            self.input(at, Input::Request(r))
        }

        /// Receives a new request and returns its server key.
        fn incoming(
            &mut self,
            at: Duration,
            branch: &str,
            method: Method,
            t: Transport,
        ) -> ServerKey {
            let out = self.request(at, branch, method, t);
            match out.first() {
                Some(Output::Request { key, .. }) => key.clone(),
                other => panic!("expected a request, got {other:?}"),
            }
        }

        fn respond(
            &mut self,
            at: Duration,
            key: &ServerKey,
            code: u16,
        ) -> Result<Vec<Output>, Error> {
            let input = Input::Respond {
                key: key.clone(),
                code,
                bytes: bytes(&code.to_string()),
            };
            self.feed(at, input)
        }
    }

    fn transmits(outs: &[(Duration, Output)]) -> Vec<u64> {
        outs.iter()
            .filter(|(_, o)| matches!(o, Output::Transmit { .. }))
            .map(|(at, _)| at.as_millis() as u64)
            .collect()
    }

    fn kinds(outs: &[Output]) -> Vec<&'static str> {
        outs.iter()
            .map(|o| match o {
                Output::Transmit { .. } => "transmit",
                Output::Request { .. } => "request",
                Output::Ack { .. } => "ack",
                Output::Response { .. } => "response",
                Output::Timeout { .. } => "timeout",
                Output::TransportError { .. } => "transport-error",
                Output::Refused { .. } => "refused",
                Output::Terminated { .. } => "terminated",
            })
            .collect()
    }

    fn only_outputs(outs: Vec<(Duration, Output)>) -> Vec<Output> {
        outs.into_iter().map(|(_, o)| o).collect()
    }

    fn transmitted(out: &[Output]) -> Vec<String> {
        out.iter()
            .filter_map(|o| match o {
                Output::Transmit { bytes, .. } => Some(String::from_utf8_lossy(bytes).into_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn invite_client_retransmits_on_udp_until_timer_b() {
        let mut h = Harness::new();
        let key = h.send(ms(0), "z9hG4bK1", Method::Invite, UDP);
        let outs = h.run_until(ms(40_000));
        assert_eq!(transmits(&outs), [500, 1500, 3500, 7500, 15500, 31500]);
        let tail: Vec<_> = outs
            .iter()
            .filter(|(_, o)| !matches!(o, Output::Transmit { .. }))
            .collect();
        let k = Key::Client(key);
        assert_eq!(
            tail,
            [
                &(
                    ms(32_000),
                    Output::Timeout {
                        key: k.clone(),
                        cause: TimeoutCause::NoResponse
                    }
                ),
                &(ms(32_000), Output::Terminated { key: k }),
            ]
        );
        assert!(h.tx.is_empty());
    }

    #[test]
    fn invite_client_on_tcp_never_retransmits() {
        let mut h = Harness::new();
        h.send(ms(0), "z9hG4bK1", Method::Invite, TCP);
        assert_eq!(h.tx.poll_timeout(), Some(ms(32_000)));
        let outs = h.run_until(ms(40_000));
        assert_eq!(kinds(&only_outputs(outs)), ["timeout", "terminated"]);
    }

    #[test]
    fn provisional_stops_timer_a_and_the_guard_ends_it() {
        let mut h = Harness::new();
        let key = h.send(ms(0), "z9hG4bK1", Method::Invite, UDP);
        h.run_until(ms(600));
        let out = h.response(ms(700), &key, 180);
        assert_eq!(kinds(&out), ["response"]);
        assert_eq!(
            h.tx.state(&Key::Client(key.clone())),
            Some(State::Proceeding)
        );
        assert_eq!(h.response(ms(800), &key, 183).len(), 1, "every 1xx goes up");
        let outs = h.run_until(ms(180_699));
        assert!(
            outs.is_empty(),
            "no retransmission or timer B in Proceeding: {outs:?}"
        );
        let outs = h.run_until(ms(180_700));
        let cause = TimeoutCause::NoFinalResponse;
        assert_eq!(
            only_outputs(outs),
            [Output::Timeout {
                key: Key::Client(key.clone()),
                cause
            }]
        );
        let outs = h.run_until(ms(212_700));
        assert_eq!(
            only_outputs(outs),
            [Output::Terminated {
                key: Key::Client(key)
            }]
        );
    }

    #[test]
    fn non_2xx_final_is_acked_and_its_retransmissions_absorbed() {
        let mut h = Harness::new();
        let key = h.send(ms(0), "z9hG4bK1", Method::Invite, UDP);
        h.response(ms(100), &key, 180);
        let out = h.response(ms(2000), &key, 486);
        assert_eq!(kinds(&out), ["transmit", "response"]);
        assert_eq!(transmitted(&out), ["ACK(486)"]);
        assert_eq!(
            h.tx.state(&Key::Client(key.clone())),
            Some(State::Completed)
        );
        let out = h.response(ms(2500), &key, 486);
        assert_eq!(
            transmitted(&out),
            ["ACK(486)"],
            "ACK re-sent, response not passed up"
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            h.tx.poll_timeout(),
            Some(ms(34_000)),
            "timer D is 32 s on UDP"
        );
        let outs = h.run_until(ms(34_000));
        assert_eq!(
            only_outputs(outs),
            [Output::Terminated {
                key: Key::Client(key)
            }]
        );
    }

    #[test]
    fn non_2xx_final_on_tcp_ends_at_once() {
        let mut h = Harness::new();
        let key = h.send(ms(0), "z9hG4bK1", Method::Invite, TCP);
        let out = h.response(ms(100), &key, 503);
        assert_eq!(kinds(&out), ["transmit", "response", "terminated"]);
        assert!(h.tx.is_empty(), "timer D is zero on TCP");
    }

    #[test]
    fn invite_client_2xx_is_accepted_and_retransmissions_passed_up() {
        let mut h = Harness::new();
        let key = h.send(ms(0), "z9hG4bK1", Method::Invite, UDP);
        let out = h.response(ms(300), &key, 200);
        assert_eq!(
            kinds(&out),
            ["response"],
            "no ACK from the transaction for a 2xx"
        );
        assert_eq!(h.tx.state(&Key::Client(key.clone())), Some(State::Accepted));
        assert!(
            h.run_until(ms(5000)).is_empty(),
            "no retransmission in Accepted"
        );
        assert_eq!(kinds(&h.response(ms(5000), &key, 200)), ["response"]);
        assert!(h.response(ms(5100), &key, 486).is_empty());
        assert!(h.response(ms(5200), &key, 180).is_empty());
        let outs = h.run_until(ms(32_300));
        assert_eq!(
            only_outputs(outs),
            [Output::Terminated {
                key: Key::Client(key.clone())
            }]
        );
        assert!(
            h.response(ms(33_000), &key, 200).is_empty(),
            "stray: dropped"
        );
    }

    #[test]
    fn non_invite_client_timer_e_doubles_to_t2_then_stays_at_t2_in_proceeding() {
        let mut h = Harness::new();
        h.send(ms(0), "z9hG4bK1", Method::Options, UDP);
        let outs = h.run_until(ms(20_000));
        assert_eq!(
            transmits(&outs),
            [500, 1500, 3500, 7500, 11_500, 15_500, 19_500]
        );

        let mut h = Harness::new();
        let key = h.send(ms(0), "z9hG4bK2", Method::Register, UDP);
        h.run_until(ms(600));
        assert_eq!(kinds(&h.response(ms(600), &key, 100)), ["response"]);
        let outs = h.run_until(ms(14_000));
        assert_eq!(transmits(&outs), [1500, 5500, 9500, 13_500]);
    }

    #[test]
    fn non_invite_client_timer_f_times_out() {
        let mut h = Harness::new();
        let key = h.send(ms(0), "z9hG4bK1", Method::Bye, UDP);
        h.response(ms(100), &key, 100);
        let outs = only_outputs(h.run_until(ms(40_000)));
        let k = Key::Client(key);
        let tail = &outs[outs.len() - 2..];
        let cause = TimeoutCause::NoResponse;
        assert_eq!(
            tail,
            [
                Output::Timeout {
                    key: k.clone(),
                    cause
                },
                Output::Terminated { key: k }
            ]
        );
        assert!(h.tx.is_empty());
    }

    #[test]
    fn non_invite_client_timer_k() {
        let mut h = Harness::new();
        let key = h.send(ms(0), "z9hG4bK1", Method::Options, UDP);
        assert_eq!(kinds(&h.response(ms(1000), &key, 200)), ["response"]);
        assert!(
            h.response(ms(1100), &key, 200).is_empty(),
            "retransmission absorbed"
        );
        assert_eq!(h.tx.poll_timeout(), Some(ms(6000)), "K = T4");
        assert!(transmits(&h.run_until(ms(5999))).is_empty());
        assert_eq!(kinds(&only_outputs(h.run_until(ms(6000)))), ["terminated"]);

        let key = h.send(ms(7000), "z9hG4bK2", Method::Options, TCP);
        assert_eq!(
            kinds(&h.response(ms(7100), &key, 404)),
            ["response", "terminated"]
        );
        assert!(h.tx.is_empty());
    }

    #[test]
    fn invite_server_sends_100_trying_after_200_ms() {
        let mut h = Harness::new();
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        assert_eq!(h.tx.poll_timeout(), Some(ms(200)));
        let outs = h.run_until(ms(200));
        assert_eq!(transmitted(&only_outputs(outs)), ["100(INVITE z9hG4bKa)"]);
        assert_eq!(h.tx.state(&Key::Server(key)), Some(State::Proceeding));

        // The TU answering first means no automatic 100.
        let key = h.incoming(ms(1000), "z9hG4bKb", Method::Invite, UDP);
        h.respond(ms(1100), &key, 180).ok();
        assert!(h.run_until(ms(2000)).is_empty());

        // Turned off: none.
        let mut config = Config::default();
        config.timers.trying = None;
        let mut h = Harness::with(config);
        h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        assert!(h.run_until(ms(5000)).is_empty());
    }

    #[test]
    fn retransmitted_invite_gets_the_last_provisional_response() {
        let mut h = Harness::new();
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        assert_eq!(
            h.respond(ms(50), &key, 180).map(|o| transmitted(&o)),
            Ok(vec!["180".into()])
        );
        let out = h.request(ms(500), "z9hG4bKa", Method::Invite, UDP);
        assert_eq!(transmitted(&out), ["180"]);
        assert_eq!(out.len(), 1, "not passed to the TU again");
        assert_eq!(h.tx.len(), 1);
    }

    #[test]
    fn server_matching_uses_sent_by_case_insensitively() {
        let mut h = Harness::new();
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Bye, UDP);
        h.respond(ms(10), &key, 200).ok();
        let again = |sent_by: &str| {
            Input::Request(ReceivedRequest {
                method: Method::Bye,
                branch: Some("z9hG4bKa".into()),
                sent_by: sent_by.into(),
                reply_to: dest(UDP),
                bytes: bytes("BYE again"),
            })
        };
        let out = h.input(ms(500), again("PHONE.EXAMPLE:5060"));
        assert_eq!(transmitted(&out), ["200"], "same transaction");
        let out = h.input(ms(600), again("other.example:5060"));
        assert_eq!(
            kinds(&out),
            ["request"],
            "another sender: another transaction"
        );
        assert_eq!(h.tx.len(), 2);
    }

    #[test]
    fn a_builder_that_fails_sends_nothing_and_stalls_nothing() {
        let mut tx = Transactions::new(Config::default(), FakeBuilder { fails: true });
        let invite = |branch: &str| {
            Input::Request(ReceivedRequest {
                method: Method::Invite,
                branch: Some(branch.into()),
                sent_by: "phone".into(),
                reply_to: dest(UDP),
                bytes: bytes("INVITE"),
            })
        };
        tx.handle_input(ms(0), invite("z9hG4bKa")).ok();
        tx.handle_input(ms(100), invite("z9hG4bKa")).ok();
        tx.handle_input(ms(200), Input::Timeout).ok();
        assert_eq!(
            tx.poll_timeout(),
            Some(ms(180_000)),
            "only the guard is left"
        );
        let key = ClientKey::new("z9hG4bK1", Method::Invite);
        let to = dest(UDP);
        let send = Input::Send(OutgoingRequest {
            key: key.clone(),
            to,
            bytes: bytes("INVITE"),
        });
        tx.handle_input(ms(300), send).ok();
        let response = Input::Response(ReceivedResponse {
            method: Method::Invite,
            branch: Some(key.branch.clone()),
            code: 404,
            bytes: bytes("404"),
        });
        tx.handle_input(ms(400), response).ok();
        let out: Vec<_> = std::iter::from_fn(|| tx.poll_output()).collect();
        assert_eq!(
            kinds(&out),
            ["request", "transmit", "response"],
            "no 100, no ACK"
        );
        assert_eq!(tx.state(&Key::Client(key)), Some(State::Completed));
    }

    #[test]
    fn retransmitted_invite_before_any_response_gets_100_at_once() {
        let mut config = Config::default();
        config.timers.trying = Some(ms(5000));
        let mut h = Harness::with(config);
        h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        let out = h.request(ms(500), "z9hG4bKa", Method::Invite, UDP);
        assert_eq!(transmitted(&out), ["100(INVITE z9hG4bKa)"]);
    }

    #[test]
    fn invite_server_non_2xx_retransmitted_by_g_until_h() {
        let mut h = Harness::new();
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        h.respond(ms(0), &key, 486).ok();
        assert_eq!(
            h.tx.state(&Key::Server(key.clone())),
            Some(State::Completed)
        );
        let outs = h.run_until(ms(40_000));
        assert_eq!(
            transmits(&outs),
            [500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]
        );
        let k = Key::Server(key);
        let cause = TimeoutCause::NoAck;
        let tail: Vec<_> = only_outputs(outs).into_iter().rev().take(2).collect();
        assert_eq!(
            tail,
            [
                Output::Terminated { key: k.clone() },
                Output::Timeout { key: k, cause }
            ]
        );
        assert!(h.tx.is_empty());
    }

    #[test]
    fn invite_server_retransmitted_invite_in_completed_gets_the_final() {
        let mut h = Harness::new();
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        h.respond(ms(10), &key, 404).ok();
        assert_eq!(
            transmitted(&h.request(ms(100), "z9hG4bKa", Method::Invite, UDP)),
            ["404"]
        );
        assert_eq!(h.respond(ms(200), &key, 500), Err(Error::WrongState));
    }

    #[test]
    fn ack_confirms_then_timer_i_ends_it() {
        let mut h = Harness::new();
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        h.respond(ms(0), &key, 486).ok();
        h.run_until(ms(600));
        assert!(
            h.request(ms(700), "z9hG4bKa", Method::Ack, UDP).is_empty(),
            "ACK absorbed"
        );
        assert_eq!(
            h.tx.state(&Key::Server(key.clone())),
            Some(State::Confirmed)
        );
        assert!(h.request(ms(800), "z9hG4bKa", Method::Ack, UDP).is_empty());
        assert!(h
            .request(ms(900), "z9hG4bKa", Method::Invite, UDP)
            .is_empty());
        let outs = h.run_until(ms(20_000));
        assert_eq!(
            outs,
            [(
                ms(5700),
                Output::Terminated {
                    key: Key::Server(key)
                }
            )]
        );

        let key = h.incoming(ms(30_000), "z9hG4bKb", Method::Invite, TCP);
        h.respond(ms(30_000), &key, 486).ok();
        assert_eq!(
            h.tx.poll_timeout(),
            Some(ms(62_000)),
            "no timer G on TCP, only H"
        );
        let out = h.request(ms(30_100), "z9hG4bKb", Method::Ack, TCP);
        assert_eq!(kinds(&out), ["terminated"], "timer I is zero on TCP");
    }

    #[test]
    fn invite_server_2xx_is_accepted_until_timer_l() {
        let mut h = Harness::new();
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        assert_eq!(
            h.respond(ms(100), &key, 200).map(|o| transmitted(&o)),
            Ok(vec!["200".into()])
        );
        assert_eq!(h.tx.state(&Key::Server(key.clone())), Some(State::Accepted));
        assert!(
            h.request(ms(500), "z9hG4bKa", Method::Invite, UDP)
                .is_empty(),
            "absorbed"
        );
        assert!(
            h.run_until(ms(4000)).is_empty(),
            "the TU retransmits 2xx, not us"
        );
        assert_eq!(
            h.respond(ms(4000), &key, 200).map(|o| transmitted(&o)),
            Ok(vec!["200".into()])
        );
        assert_eq!(h.respond(ms(4100), &key, 486), Err(Error::WrongState));
        let out = h.request(ms(5000), "z9hG4bKa", Method::Ack, UDP);
        let ack = bytes("ACK z9hG4bKa");
        assert_eq!(
            out,
            [Output::Ack {
                key: Some(key.clone()),
                bytes: ack
            }]
        );
        let out = h.request(ms(5100), "z9hG4bKnew", Method::Ack, UDP);
        let ack = bytes("ACK z9hG4bKnew");
        assert_eq!(
            out,
            [Output::Ack {
                key: None,
                bytes: ack
            }],
            "the usual 2xx ACK"
        );
        let outs = h.run_until(ms(40_000));
        assert_eq!(
            outs,
            [(
                ms(32_100),
                Output::Terminated {
                    key: Key::Server(key)
                }
            )]
        );
    }

    #[test]
    fn unanswered_invite_is_reported_then_forgotten() {
        let mut h = Harness::new();
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        let outs = only_outputs(h.run_until(ms(300_000)));
        let k = Key::Server(key);
        let cause = TimeoutCause::Unanswered;
        assert_eq!(kinds(&outs), ["transmit", "timeout", "terminated"]);
        assert_eq!(outs[1], Output::Timeout { key: k, cause });
        assert!(h.tx.is_empty());
    }

    #[test]
    fn non_invite_server_answers_retransmissions_with_the_last_response() {
        let mut h = Harness::new();
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Options, UDP);
        assert!(
            h.request(ms(500), "z9hG4bKa", Method::Options, UDP)
                .is_empty(),
            "Trying"
        );
        h.respond(ms(600), &key, 100).ok();
        assert_eq!(
            transmitted(&h.request(ms(700), "z9hG4bKa", Method::Options, UDP)),
            ["100"]
        );
        h.respond(ms(800), &key, 200).ok();
        let out = h.request(ms(1500), "z9hG4bKa", Method::Options, UDP);
        assert_eq!(transmitted(&out), ["200"]);
        assert_eq!(out.len(), 1);
        assert_eq!(h.respond(ms(1600), &key, 500), Err(Error::WrongState));
        assert_eq!(h.tx.poll_timeout(), Some(ms(32_800)), "J = 64*T1 on UDP");
        let outs = h.run_until(ms(32_800));
        assert_eq!(
            only_outputs(outs),
            [Output::Terminated {
                key: Key::Server(key)
            }]
        );

        let key = h.incoming(ms(40_000), "z9hG4bKb", Method::Register, TCP);
        let out = h.respond(ms(40_000), &key, 401);
        assert_eq!(
            out.map(|o| kinds(&o)),
            Ok(vec!["transmit", "terminated"]),
            "J = 0 on TCP"
        );
    }

    #[test]
    fn cancel_has_its_own_transaction() {
        let mut h = Harness::new();
        let invite = h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        h.respond(ms(10), &invite, 180).ok();
        let cancel = h.incoming(ms(100), "z9hG4bKa", Method::Cancel, UDP);
        assert_eq!(cancel.method, Method::Cancel);
        assert_eq!(cancel.invite(), invite);
        assert_eq!(h.tx.len(), 2);
        h.respond(ms(110), &cancel, 200).ok();
        h.respond(ms(120), &invite, 487).ok();
        assert_eq!(h.tx.state(&Key::Server(cancel)), Some(State::Completed));
        assert_eq!(h.tx.state(&Key::Server(invite)), Some(State::Completed));

        // Client side: same branch, responses told apart by CSeq method.
        let inv = h.send(ms(0), "z9hG4bKc", Method::Invite, UDP);
        h.response(ms(100), &inv, 180);
        let can = h.send(ms(200), "z9hG4bKc", Method::Cancel, UDP);
        assert_eq!(kinds(&h.response(ms(300), &can, 200)), ["response"]);
        assert_eq!(
            h.tx.state(&Key::Client(inv.clone())),
            Some(State::Proceeding)
        );
        assert_eq!(
            kinds(&h.response(ms(400), &inv, 487)),
            ["transmit", "response"]
        );
    }

    #[test]
    fn stray_responses_are_dropped() {
        let mut h = Harness::new();
        let stray = ClientKey::new("z9hG4bKnobody", Method::Invite);
        assert!(h.response(ms(0), &stray, 200).is_empty());
        let r = ReceivedResponse {
            method: Method::Invite,
            branch: None,
            code: 200,
            bytes: bytes("200"),
        };
        assert!(h.input(ms(0), Input::Response(r)).is_empty());
        let key = h.send(ms(0), "z9hG4bK1", Method::Invite, UDP);
        assert!(h.response(ms(10), &key, 99).is_empty(), "not a status code");
        assert!(h.response(ms(10), &key, 700).is_empty());
        assert_eq!(h.tx.state(&Key::Client(key)), Some(State::Calling));
    }

    #[test]
    fn requests_without_a_magic_cookie_are_new_each_time() {
        let mut h = Harness::new();
        let a = h.incoming(ms(0), "1234", Method::Options, UDP);
        let b = h.incoming(ms(500), "1234", Method::Options, UDP);
        assert_ne!(a, b);
        assert!(matches!(a.branch, Branch::Legacy(_)));
        let r = ReceivedRequest {
            method: Method::Bye,
            branch: None,
            sent_by: "x".into(),
            reply_to: dest(UDP),
            bytes: bytes("BYE"),
        };
        assert_eq!(
            kinds(&h.input(ms(600), Input::Request(r.clone()))),
            ["request"]
        );
        let ack = ReceivedRequest {
            method: Method::Ack,
            ..r
        };
        assert_eq!(kinds(&h.input(ms(700), Input::Request(ack))), ["ack"]);
        assert_eq!(h.tx.len(), 3);
    }

    #[test]
    fn transport_errors() {
        let mut h = Harness::new();
        let key = h.send(ms(0), "z9hG4bK1", Method::Invite, UDP);
        let k = Key::Client(key);
        let out = h.input(ms(10), Input::TransportError { key: k.clone() });
        assert_eq!(
            out,
            [
                Output::TransportError { key: k.clone() },
                Output::Terminated { key: k }
            ]
        );

        let key = h.incoming(ms(20), "z9hG4bKa", Method::Invite, UDP);
        let k = Key::Server(key);
        let out = h.input(ms(30), Input::TransportError { key: k.clone() });
        assert_eq!(
            out,
            [Output::TransportError { key: k.clone() }],
            "RFC 6026: stays"
        );
        assert_eq!(h.tx.state(&k), Some(State::Proceeding));

        let key = h.incoming(ms(40), "z9hG4bKb", Method::Bye, UDP);
        h.respond(ms(50), &key, 200).ok();
        let k = Key::Server(key);
        assert_eq!(
            kinds(&h.input(ms(60), Input::TransportError { key: k })),
            ["transport-error", "terminated"]
        );
        let gone = Key::Client(ClientKey::new("z9hG4bKgone", Method::Bye));
        assert!(h
            .input(ms(70), Input::TransportError { key: gone })
            .is_empty());
    }

    #[test]
    fn tu_mistakes_are_errors() {
        let mut h = Harness::new();
        let send = |key: ClientKey| {
            Input::Send(OutgoingRequest {
                key,
                to: dest(UDP),
                bytes: bytes("x"),
            })
        };
        let ack = send(ClientKey::new("z9hG4bK1", Method::Ack));
        assert_eq!(h.feed(ms(0), ack), Err(Error::Ack));
        let legacy = send(ClientKey::new("abc", Method::Bye));
        assert_eq!(h.feed(ms(0), legacy), Err(Error::Branch));
        h.send(ms(0), "z9hG4bK1", Method::Bye, UDP);
        let dup = send(ClientKey::new("z9hG4bK1", Method::Bye));
        assert_eq!(h.feed(ms(0), dup), Err(Error::Exists));
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Bye, UDP);
        assert_eq!(h.respond(ms(0), &key, 99), Err(Error::InvalidStatus(99)));
        let other = ServerKey {
            method: Method::Options,
            ..key
        };
        assert_eq!(h.respond(ms(0), &other, 200), Err(Error::Unknown));
    }

    #[test]
    fn new_server_transactions_beyond_the_cap_are_refused() {
        let config = Config {
            max_transactions: 2,
            ..Config::default()
        };
        let mut h = Harness::with(config);
        let a = h.incoming(ms(0), "z9hG4bKa", Method::Options, TCP);
        h.incoming(ms(0), "z9hG4bKb", Method::Invite, TCP);
        let out = h.request(ms(0), "z9hG4bKc", Method::Options, TCP);
        assert_eq!(kinds(&out), ["refused"]);
        assert_eq!(h.tx.len(), 2);
        h.request(ms(0), "z9hG4bKb", Method::Invite, TCP);
        assert_eq!(h.tx.len(), 2, "retransmissions still handled");
        h.send(ms(0), "z9hG4bK1", Method::Options, UDP);
        assert_eq!(h.tx.len(), 3, "client transactions are not capped");
        h.respond(ms(10), &a, 200).ok();
        assert_eq!(
            kinds(&h.request(ms(20), "z9hG4bKc", Method::Options, TCP)),
            ["request"]
        );
    }

    #[test]
    fn ten_thousand_completed_transactions_leave_nothing_behind() {
        let mut h = Harness::new();
        for i in 0..2500 {
            let inv = h.send(ms(0), &format!("z9hG4bKi{i}"), Method::Invite, UDP);
            h.response(ms(0), &inv, if i % 2 == 0 { 200 } else { 486 });
            let opt = h.send(ms(0), &format!("z9hG4bKo{i}"), Method::Options, UDP);
            h.response(ms(0), &opt, 200);
            let sinv = h.incoming(ms(0), &format!("z9hG4bKsi{i}"), Method::Invite, UDP);
            h.respond(ms(0), &sinv, if i % 2 == 0 { 200 } else { 603 })
                .ok();
            let sopt = h.incoming(ms(0), &format!("z9hG4bKso{i}"), Method::Register, UDP);
            h.respond(ms(0), &sopt, 200).ok();
        }
        assert_eq!(h.tx.len(), 10_000);
        h.run_until(ms(100_000));
        assert!(h.tx.is_empty());
        assert!(h.tx.clients.is_empty() && h.tx.servers.is_empty() && h.tx.timers.is_empty());
        assert_eq!(h.tx.poll_timeout(), None);
    }

    #[test]
    fn a_late_timeout_leaves_no_deadline_in_the_past() {
        let mut h = Harness::new();
        h.send(ms(0), "z9hG4bK1", Method::Options, UDP);
        let key = h.incoming(ms(0), "z9hG4bKa", Method::Invite, UDP);
        h.respond(ms(0), &key, 500).ok();
        h.input(ms(9_000), Input::Timeout);
        assert!(h.tx.poll_timeout().is_some_and(|t| t > ms(9_000)));
    }

    /// One step of a random session.
    #[derive(Debug, Clone)]
    enum Step {
        Request {
            method: usize,
            branch: usize,
            reliable: bool,
        },
        Response {
            method: usize,
            branch: usize,
            code: u16,
        },
        Send {
            method: usize,
            branch: usize,
            reliable: bool,
        },
        Respond {
            which: usize,
            code: u16,
        },
        TransportError {
            which: usize,
            client: bool,
        },
        Advance {
            ms: u64,
        },
    }

    const METHODS: [Method; 5] = [
        Method::Invite,
        Method::Ack,
        Method::Bye,
        Method::Cancel,
        Method::Options,
    ];
    const BRANCHES: [&str; 5] = ["z9hG4bKa", "z9hG4bKb", "z9hG4bKc", "legacy", ""];
    const CODES: [u16; 9] = [0, 100, 180, 200, 202, 302, 486, 503, 999];

    fn step() -> impl Strategy<Value = Step> {
        let m = 0..METHODS.len();
        let b = 0..BRANCHES.len();
        let c = (0..CODES.len()).prop_map(|i| CODES[i]);
        prop_oneof![
            (m.clone(), b.clone(), any::<bool>()).prop_map(|(method, branch, reliable)| {
                Step::Request {
                    method,
                    branch,
                    reliable,
                }
            }),
            (m.clone(), b.clone(), c.clone()).prop_map(|(method, branch, code)| Step::Response {
                method,
                branch,
                code
            }),
            (m, b, any::<bool>()).prop_map(|(method, branch, reliable)| Step::Send {
                method,
                branch,
                reliable
            }),
            (0..8usize, c).prop_map(|(which, code)| Step::Respond { which, code }),
            (0..8usize, any::<bool>())
                .prop_map(|(which, client)| Step::TransportError { which, client }),
            (0..40_000u64).prop_map(|ms| Step::Advance { ms }),
        ]
    }

    fn transport(reliable: bool) -> Transport {
        if reliable {
            TCP
        } else {
            UDP
        }
    }

    /// The keys a random session has seen, to respond on and fail.
    #[derive(Default)]
    struct Seen {
        servers: Vec<ServerKey>,
        clients: Vec<ClientKey>,
    }

    fn apply(h: &mut Harness, seen: &mut Seen, step: Step) {
        let branch = |i: usize| (!BRANCHES[i].is_empty()).then(|| BRANCHES[i].to_string());
        let now = h.now;
        let input = match step {
            Step::Request {
                method,
                branch: b,
                reliable,
            } => Input::Request(ReceivedRequest {
                method: METHODS[method].clone(),
                branch: branch(b),
                sent_by: "phone".into(),
                reply_to: dest(transport(reliable)),
                bytes: bytes("req"),
            }),
            Step::Response {
                method,
                branch: b,
                code,
            } => Input::Response(ReceivedResponse {
                method: METHODS[method].clone(),
                branch: branch(b),
                code,
                bytes: bytes("resp"),
            }),
            Step::Send {
                method,
                branch: b,
                reliable,
            } => {
                let key = ClientKey::new(BRANCHES[b], METHODS[method].clone());
                seen.clients.push(key.clone());
                Input::Send(OutgoingRequest {
                    key,
                    to: dest(transport(reliable)),
                    bytes: bytes("out"),
                })
            }
            Step::Respond { which, code } => match seen.servers.get(which) {
                Some(key) => Input::Respond {
                    key: key.clone(),
                    code,
                    bytes: bytes("answer"),
                },
                None => return,
            },
            Step::TransportError { which, client } => {
                let key = if client {
                    seen.clients.get(which).cloned().map(Key::Client)
                } else {
                    seen.servers.get(which).cloned().map(Key::Server)
                };
                match key {
                    Some(key) => Input::TransportError { key },
                    None => return,
                }
            }
            Step::Advance { ms: d } => {
                let at = now + ms(d);
                h.now = at;
                Input::Timeout
            }
        };
        let timeout = matches!(input, Input::Timeout);
        for o in h.feed(h.now, input).unwrap_or_default() {
            if let Output::Request { key, .. } = o {
                seen.servers.push(key);
            }
        }
        if timeout {
            assert!(h.tx.poll_timeout().is_none_or(|t| t >= h.now));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_sessions_never_panic_and_always_drain(
            steps in prop::collection::vec(step(), 0..60),
            fails in any::<bool>(),
            t1 in 1..1000u64,
            trying in prop_oneof![Just(None), Just(Some(0)), Just(Some(200)), Just(Some(5000))],
        ) {
            let mut config = Config::default();
            config.timers.t1 = ms(t1);
            config.timers.trying = trying.map(ms);
            let mut h = Harness::built(config, FakeBuilder { fails });
            let mut seen = Seen::default();
            for s in steps {
                apply(&mut h, &mut seen, s);
            }
            let end = h.now + Duration::from_secs(300);
            h.run_until(end);
            prop_assert!(h.tx.is_empty(), "left: {:?}", h.tx.entries);
            prop_assert!(h.tx.timers.is_empty());
            prop_assert!(h.tx.clients.is_empty() && h.tx.servers.is_empty());
        }
    }
}
