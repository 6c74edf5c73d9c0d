//! One trunk's registration at its provider, sans-IO: fed [`Input`]s with the current time,
//! it yields REGISTER requests for the transaction layer and state changes for the log
//! ([`Output`]), and names the next moment it must be woken ([`Registration::poll_timeout`]).
//! It never reads a clock, a socket or a random source: identifiers (Call-ID, tags, branches,
//! client nonces) are keyed hashes of a seed given at construction and a counter.
//!
//! Every REGISTER of one registration has the same Call-ID and From tag and a CSeq one higher
//! than the last (RFC 3261 §10.2.4); a new branch each. From and To are `sip:username@host`,
//! the Request-URI `sip:host[:port]`, the Contact our own SIP address.
//!
//! Decisions:
//! - **Challenges** (401 with `WWW-Authenticate`, 407 with `Proxy-Authenticate`): the first
//!   challenge Centrala supports is answered ([`auth::pick`]), **once per nonce**: a challenge
//!   answering a request that already carried credentials for the same nonce, without
//!   `stale=true`, means the credentials are wrong, and so does a fourth challenge in a row
//!   without success (servers that issue a new nonce with every challenge). Both are failures.
//! - **Credentials are reused** for refreshes and the final unregistration (the next `nc` of the
//!   last nonce), saving a round trip; a provider that no longer accepts the nonce challenges
//!   again with a new one (or `stale=true`), which is answered. After a failure the next attempt
//!   starts without credentials.
//! - **Granted lifetime**: the `expires` parameter of our own Contact in the 200, else its
//!   `Expires` header, else what we asked. **Refresh at half of it.** For the usual lifetimes
//!   (60 s to 1 h) that is always before "expiry − 30 s", leaves as much margin as was used —
//!   room for a lost request's whole transaction timeout (32 s), a challenge round and a 423
//!   retry — and costs one REGISTER per half lifetime, which no provider minds. For very short
//!   grants (under a minute) half is the only margin that stays positive.
//! - **423 Interval Too Brief**: asked again at once with `Min-Expires` (kept for later
//!   refreshes), provided it is larger than what was asked and at most one day.
//! - **Failures** (any other final response, a transaction timeout, a transport error):
//!   [`State::Failed`] and a new attempt after a back-off of [`FIRST_BACKOFF`], doubling up to
//!   [`MAX_BACKOFF`], reset by a success. A `Retry-After` longer than the back-off is honoured
//!   (up to [`MAX_BACKOFF`]). A registration that is still valid stays so at the provider until
//!   it lapses; the log says when the attempts failed.
//! - **Stop** (trunk removed, daemon shutdown): when a registration may be live (granted and
//!   not lapsed, or a REGISTER in flight), one REGISTER with `Expires: 0` is sent, best effort;
//!   [`State::Unregistered`] comes with its final response or failure (or at once when nothing
//!   was registered).

use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::net::{IpAddr, SocketAddr};

use chrono::{DateTime, TimeDelta, Utc};
use firmware_config::trunk::SipTrunk;
use sha2::{Digest, Sha256};

use super::auth::{self, ClientAuth};
use crate::sip::address::{address_params, address_uri, split_params};
use crate::sip::message::{self, parse_seconds, RequestWriter};
use crate::sip::method::Method;
use crate::sip::transaction::{self as tx, ClientKey, Destination, MAGIC_COOKIE};
use crate::sip::wire::{Parsed, StartLine};

/// The first pause after a failure.
pub const FIRST_BACKOFF: TimeDelta = TimeDelta::seconds(30);
/// The longest pause between attempts.
pub const MAX_BACKOFF: TimeDelta = TimeDelta::minutes(10);
/// Challenges answered in a row without success before the credentials count as refused.
pub const MAX_CHALLENGES: u32 = 3;
/// The largest `Min-Expires` followed after a 423.
pub const MAX_MIN_EXPIRES: u32 = 86_400;

/// What a registration needs to know about its trunk.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The trunk's name (for the log).
    pub trunk: String,
    /// The provider's host as configured: the domain of our address of record.
    pub host: String,
    /// The provider's port (in the Request-URI when not 5060).
    pub port: u16,
    /// The user name at the provider (address of record and digest).
    pub username: String,
    /// The password at the provider.
    pub password: String,
    /// The lifetime asked for, in seconds.
    pub expires: u32,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("trunk", &self.trunk)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// The settings of a configured trunk.
    pub fn from_trunk(trunk: &SipTrunk) -> Settings {
        Settings {
            trunk: trunk.name.to_string(),
            host: trunk.host.to_string(),
            port: trunk.port,
            username: trunk.username.to_string(),
            password: trunk.password.to_string(),
            expires: trunk.register_expiry_secs,
        }
    }

    /// The host as a URI writes it (an IPv6 address in brackets).
    fn uri_host(&self) -> String {
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
            _ => self.host.clone(),
        }
    }

    /// The Request-URI: `sip:host`, with `:port` when it is not 5060.
    pub fn request_uri(&self) -> String {
        match self.port {
            5060 => format!("sip:{}", self.uri_host()),
            port => format!("sip:{}:{port}", self.uri_host()),
        }
    }

    /// The address of record: `sip:username@host`.
    pub fn aor(&self) -> String {
        format!("sip:{}@{}", self.username, self.uri_host())
    }
}

/// What a registration is fed.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Register (again, from scratch) at `provider`, with `contact` as our SIP address.
    Start {
        /// The provider's resolved address and the transport to it.
        provider: Destination,
        /// Where the provider reaches us (the Contact and Via).
        contact: SocketAddr,
    },
    /// A response to one of its REGISTERs.
    Response {
        /// The status code.
        code: u16,
        /// The parsed response.
        message: &'a Parsed,
    },
    /// One of its REGISTER transactions failed without a final response.
    Failed {
        /// The request's branch.
        branch: &'a str,
        /// How.
        why: TxFailure,
    },
    /// Time reached [`Registration::poll_timeout`].
    Timeout,
    /// Unregister (best effort) and stop.
    Stop,
}

/// How a client transaction failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxFailure {
    /// No final response in time (timer F): 408.
    Timeout,
    /// The transport could not send it: 503.
    Transport,
}

/// What a registration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send this REGISTER through a new client transaction.
    Send(tx::OutgoingRequest),
    /// The registration's state changed (for the log).
    State(State),
}

/// A registration's state, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// A first REGISTER (or one after a failure) is under way.
    Registering,
    /// The provider accepted the registration until `until` (a refresh is due at half).
    Registered {
        /// When it lapses unless refreshed.
        until: DateTime<Utc>,
    },
    /// An attempt failed.
    Failed {
        /// What happened.
        why: String,
        /// When the next attempt is made, if any.
        retry_at: Option<DateTime<Utc>>,
    },
    /// Stopped: unregistered, or nothing was registered.
    Unregistered,
}

/// A REGISTER waiting for its final response.
#[derive(Debug, Clone)]
struct InFlight {
    branch: String,
    /// The nonce its credentials answered, if it carried any.
    nonce: Option<String>,
    /// The `Expires` it asked for.
    expires: u32,
}

#[derive(Debug, Clone)]
enum Phase {
    /// Not started.
    Idle,
    /// A REGISTER is out.
    Sending(InFlight),
    /// The next REGISTER goes at this moment (a refresh or a retry).
    Waiting(DateTime<Utc>),
    /// The final REGISTER with `Expires: 0` is out.
    Unregistering(InFlight),
    /// Done.
    Stopped,
}

/// The challenge being answered and whether it came from a proxy (407).
#[derive(Debug, Clone)]
struct Auth {
    client: ClientAuth,
    proxy: bool,
}

/// One trunk's registration. See the module documentation.
#[derive(Debug)]
pub struct Registration {
    settings: Settings,
    seed: [u8; 32],
    counter: u64,
    call_id: String,
    from_tag: String,
    cseq: u32,
    provider: Option<Destination>,
    contact: Option<SocketAddr>,
    /// The lifetime asked for now (raised by a 423).
    expires: u32,
    phase: Phase,
    registered_until: Option<DateTime<Utc>>,
    backoff: TimeDelta,
    challenges: u32,
    auth: Option<Auth>,
    /// The last state reported.
    state: Option<State>,
    out: VecDeque<Output>,
}

impl Registration {
    /// A registration for `settings`, its identifiers derived from `seed` (unique per
    /// registration: a random secret hashed with the trunk and a generation).
    pub fn new(settings: Settings, seed: [u8; 32]) -> Registration {
        let expires = settings.expires;
        let mut r = Registration {
            settings,
            seed,
            counter: 0,
            call_id: String::new(),
            from_tag: String::new(),
            cseq: 0,
            provider: None,
            contact: None,
            expires,
            phase: Phase::Idle,
            registered_until: None,
            backoff: FIRST_BACKOFF,
            challenges: 0,
            auth: None,
            state: None,
            out: VecDeque::new(),
        };
        r.call_id = r.next_id("call-id");
        r.from_tag = r.next_id("from-tag");
        r
    }

    /// The settings it registers with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// When the registration granted last lapses, if one was granted (and not unregistered).
    pub fn registered_until(&self) -> Option<DateTime<Utc>> {
        self.registered_until
    }

    /// Whether it has stopped (after [`Input::Stop`] and its unregistration).
    pub fn is_stopped(&self) -> bool {
        matches!(self.phase, Phase::Stopped)
    }

    /// Whether the REGISTER with this branch is the one it waits for.
    pub fn owns(&self, branch: &str) -> bool {
        match &self.phase {
            Phase::Sending(f) | Phase::Unregistering(f) => f.branch == branch,
            _ => false,
        }
    }

    /// Feeds one input at `now`.
    pub fn handle_input(&mut self, now: DateTime<Utc>, input: Input<'_>) {
        match input {
            Input::Start { provider, contact } => self.start(provider, contact),
            Input::Response { code, message } => {
                let branch = message.head.vias.first().and_then(|v| v.branch.as_deref());
                if branch.is_some_and(|b| self.owns(b)) {
                    self.on_response(now, code, message);
                }
            }
            Input::Failed { branch, why } => {
                if self.owns(branch) {
                    self.on_failure(now, why);
                }
            }
            Input::Timeout => self.on_timeout(now),
            Input::Stop => self.stop(now),
        }
    }

    /// The next output, until there is none.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When to feed [`Input::Timeout`] next.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        match self.phase {
            Phase::Waiting(at) => Some(at),
            _ => None,
        }
    }

    fn start(&mut self, provider: Destination, contact: SocketAddr) {
        if matches!(self.phase, Phase::Unregistering(_) | Phase::Stopped) {
            return;
        }
        self.provider = Some(provider);
        self.contact = Some(contact);
        self.report(State::Registering);
        self.send(self.expires, Phase::Sending);
    }

    fn on_timeout(&mut self, now: DateTime<Utc>) {
        let Phase::Waiting(at) = self.phase else {
            return;
        };
        if now < at {
            return;
        }
        if self.registered_until.is_none_or(|until| until <= now) {
            self.report(State::Registering);
        }
        self.send(self.expires, Phase::Sending);
    }

    fn on_response(&mut self, now: DateTime<Utc>, code: u16, message: &Parsed) {
        if code < 200 {
            return;
        }
        let phase = std::mem::replace(&mut self.phase, Phase::Idle);
        match phase {
            Phase::Sending(f) => self.registering_answered(now, code, message, f),
            Phase::Unregistering(f) => {
                let challenged = matches!(code, 401 | 407);
                if challenged && self.take_challenge(code, message, &f).is_ok() {
                    self.send(0, Phase::Unregistering);
                } else {
                    self.finish();
                }
            }
            other => self.phase = other,
        }
    }

    fn registering_answered(&mut self, now: DateTime<Utc>, code: u16, m: &Parsed, f: InFlight) {
        match code {
            200..=299 => self.registered(now, m, &f),
            401 | 407 => match self.take_challenge(code, m, &f) {
                Ok(()) => self.send(f.expires, Phase::Sending),
                Err(why) => self.fail(now, why, None),
            },
            423 => {
                let min = message::header(m, "Min-Expires").and_then(parse_seconds);
                match min {
                    Some(min) if min > f.expires && min <= MAX_MIN_EXPIRES => {
                        self.expires = min;
                        self.send(min, Phase::Sending);
                    }
                    _ => {
                        let why = "423 Interval Too Brief without a usable Min-Expires";
                        self.fail(now, why.to_owned(), None)
                    }
                }
            }
            _ => {
                let retry_after = message::header(m, "Retry-After").and_then(leading_seconds);
                self.fail(now, status_text(code, m), retry_after);
            }
        }
    }

    /// Takes a challenge to answer with the next request, or says why it cannot be.
    fn take_challenge(&mut self, code: u16, m: &Parsed, f: &InFlight) -> Result<(), String> {
        let header = if code == 407 {
            "Proxy-Authenticate"
        } else {
            "WWW-Authenticate"
        };
        let challenge = auth::pick(message::header_values(m, header))
            .map_err(|e| format!("{}: cannot answer the challenge: {e}", status_text(code, m)))?;
        let refused = || {
            format!(
                "{}: the provider refused the credentials of user {:?} (realm {:?})",
                status_text(code, m),
                self.settings.username,
                challenge.realm
            )
        };
        if f.nonce.as_deref() == Some(challenge.nonce.as_str()) && !challenge.stale {
            return Err(refused());
        }
        if self.challenges >= MAX_CHALLENGES {
            return Err(refused());
        }
        self.challenges += 1;
        self.auth = Some(Auth {
            client: ClientAuth::new(challenge),
            proxy: code == 407,
        });
        Ok(())
    }

    fn registered(&mut self, now: DateTime<Utc>, m: &Parsed, f: &InFlight) {
        let granted = self.granted(m, f.expires);
        if granted == 0 {
            let why = "the provider accepted the REGISTER but granted 0 seconds";
            return self.fail(now, why.to_owned(), None);
        }
        let until = now + TimeDelta::seconds(i64::from(granted));
        self.registered_until = Some(until);
        self.backoff = FIRST_BACKOFF;
        self.challenges = 0;
        self.phase = Phase::Waiting(now + TimeDelta::milliseconds(i64::from(granted) * 500));
        self.report(State::Registered { until });
    }

    /// The lifetime granted by a 200: our Contact's `expires`, else `Expires`, else `asked`.
    fn granted(&self, m: &Parsed, asked: u32) -> u32 {
        let ours = self.contact_uri();
        let from_contact = message::header_values(m, "Contact")
            .filter(|c| same_uri(address_uri(c), &ours))
            .find_map(|c| {
                split_params(address_params(c)).skip(1).find_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    let is_expires = name.trim().eq_ignore_ascii_case("expires");
                    is_expires.then(|| parse_seconds(value.trim().trim_matches('"')))?
                })
            });
        from_contact
            .or_else(|| message::header(m, "Expires").and_then(parse_seconds))
            .unwrap_or(asked)
    }

    fn on_failure(&mut self, now: DateTime<Utc>, why: TxFailure) {
        match self.phase {
            Phase::Sending(_) => {
                let why = match why {
                    TxFailure::Timeout => "no response from the provider",
                    TxFailure::Transport => "the REGISTER could not be sent",
                };
                self.fail(now, why.to_owned(), None);
            }
            Phase::Unregistering(_) => self.finish(),
            _ => {}
        }
    }

    fn fail(&mut self, now: DateTime<Utc>, why: String, retry_after: Option<u32>) {
        let asked = retry_after.map_or(TimeDelta::zero(), |s| TimeDelta::seconds(i64::from(s)));
        let wait = self.backoff.max(asked.min(MAX_BACKOFF));
        let retry_at = now + wait;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        self.auth = None;
        self.challenges = 0;
        self.phase = Phase::Waiting(retry_at);
        let retry_at = Some(retry_at);
        self.report(State::Failed { why, retry_at });
    }

    fn stop(&mut self, now: DateTime<Utc>) {
        let in_flight = match &self.phase {
            Phase::Unregistering(_) | Phase::Stopped => return,
            Phase::Sending(_) => true,
            Phase::Idle | Phase::Waiting(_) => false,
        };
        let live = in_flight || self.registered_until.is_some_and(|until| until > now);
        if live && self.provider.is_some() {
            self.send(0, Phase::Unregistering);
        } else {
            self.finish();
        }
    }

    fn finish(&mut self) {
        self.phase = Phase::Stopped;
        self.registered_until = None;
        self.report(State::Unregistered);
    }

    fn report(&mut self, state: State) {
        let repeated = self.state.as_ref() == Some(&state);
        if !repeated {
            self.state = Some(state.clone());
            self.out.push_back(Output::State(state));
        }
    }

    /// Our Contact URI: `sip:username@ip:port` (`;transport=tcp` over TCP).
    fn contact_uri(&self) -> String {
        let Some(contact) = self.contact else {
            return String::new();
        };
        let tcp = self
            .provider
            .is_some_and(|p| p.transport == tx::Transport::Tcp);
        let transport = if tcp { ";transport=tcp" } else { "" };
        format!("sip:{}@{contact}{transport}", self.settings.username)
    }

    /// Writes and queues the next REGISTER asking for `expires`; `phase` wraps it.
    fn send(&mut self, expires: u32, phase: fn(InFlight) -> Phase) {
        let (Some(provider), Some(contact)) = (self.provider, self.contact) else {
            return;
        };
        let branch = format!("{MAGIC_COOKIE}{}", self.next_id("branch"));
        self.cseq = self.cseq.saturating_add(1);
        let transport = match provider.transport {
            tx::Transport::Udp => "UDP",
            tx::Transport::Tcp => "TCP",
        };
        let uri = self.settings.request_uri();
        let aor = self.settings.aor();
        let mut w = RequestWriter::new("REGISTER", &uri)
            .header(
                "Via",
                &format!("SIP/2.0/{transport} {contact};branch={branch};rport"),
            )
            .header("From", &format!("<{aor}>;tag={}", self.from_tag))
            .header("To", &format!("<{aor}>"))
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("{} REGISTER", self.cseq))
            .header("Contact", &format!("<{}>", self.contact_uri()))
            .header("Expires", &expires.to_string());
        let mut nonce = None;
        let cnonce = self.next_id("cnonce");
        if let Some(a) = &mut self.auth {
            let request = auth::Request {
                method: "REGISTER",
                uri: &uri,
                username: &self.settings.username,
                password: &self.settings.password,
            };
            let value = a.client.authorize(&request, &cnonce);
            let name = if a.proxy {
                "Proxy-Authorization"
            } else {
                "Authorization"
            };
            w = w.header(name, &value);
            nonce = Some(a.client.challenge().nonce.clone());
        }
        let bytes = w.finish(None);
        let key = ClientKey::new(branch.clone(), Method::Register);
        let to = provider;
        self.out
            .push_back(Output::Send(tx::OutgoingRequest { key, to, bytes }));
        self.phase = phase(InFlight {
            branch,
            nonce,
            expires,
        });
    }

    /// A fresh identifier: 24 hex digits of a keyed hash of the seed, `label` and a counter.
    fn next_id(&mut self, label: &str) -> String {
        self.counter += 1;
        let mut hash = Sha256::new();
        hash.update(self.seed);
        hash.update(label.as_bytes());
        hash.update([0]);
        hash.update(self.counter.to_be_bytes());
        let digest = hash.finalize();
        digest[..12].iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

/// `code reason` of a response.
fn status_text(code: u16, m: &Parsed) -> String {
    match &m.head.start {
        StartLine::Response { reason, .. } if !reason.is_empty() => format!("{code} {reason}"),
        _ => code.to_string(),
    }
}

/// Whether two SIP URIs name the same user, host and port (scheme, case and URI parameters
/// ignored).
fn same_uri(a: &str, b: &str) -> bool {
    let core = |u: &str| {
        let u = u.trim();
        let u = u
            .get(..4)
            .filter(|s| s.eq_ignore_ascii_case("sip:"))
            .map_or(u, |_| &u[4..]);
        u.split(';').next().unwrap_or_default().to_ascii_lowercase()
    };
    core(a) == core(b)
}

/// The delta-seconds at the start of a `Retry-After` value (`120 (busy);duration=60`).
fn leading_seconds(value: &str) -> Option<u32> {
    let value = value.trim_start();
    let end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    parse_seconds(&value[..end])
}

#[cfg(test)]
mod tests;
