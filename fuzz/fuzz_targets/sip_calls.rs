//! Whole calls through the switch (SIP endpoint, B2BUA and router together) with the factory
//! default office (fixed passwords): phones register, call each other, the group, the entry
//! point and numbers that do not exist, and answer, cancel, hang up and hold, in virtual time.
//! The input format — raw messages with `@AUTHn@` credentials, and generated records that
//! answer what we sent or speak inside our dialogs — is described in
//! `firmware_config_fuzz::calls`.
//!
//! Invariants checked:
//! - nothing panics, and a timeout fed at its deadline does not ask to be fed again at that
//!   moment, over and over;
//! - every transmitted message frames as a datagram and parses again with `wire::parse`
//!   (except stateless error responses to a message the wire layer refused, which echo its
//!   headers); a response goes to a source that sent us something, a request to one that sent
//!   us a request (a REGISTER, or a call's), over the same transport. Requests of the two
//!   known findings in `fuzz/regressions/` are let through unless `FUZZ_STRICT` is set
//!   (`firmware_config_fuzz::sip::known_unparsable`);
//! - every media `Open` names a port in the configured RTP range that is not open already,
//!   and every `Close` a leg that is open (or whose opening failed); a call holds at most two
//!   legs;
//! - after the records and two idle hours of virtual time, every transaction has ended, every
//!   binding has lapsed, and no call is left that the caller's side did not answer: the calls
//!   left are at most the caller dialogs we answered with a 2xx that the fuzzer ACKed (a
//!   connected call, or a caller hearing hold music in the queue, lives on while nobody hangs
//!   up, as there is no RTP timeout yet). The router holds no call the B2BUA has forgotten,
//!   and with no call left nothing is scheduled in the endpoint.

#![no_main]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, TimeDelta, Utc};
use firmware_config::system::Transport;
use firmware_config::Config;
use firmware_config_fuzz::calls::{
    ACK, ANSWER, ANSWER_TO, CALL, CALLEE_REQUEST, CANCEL, EXPIRES, FLIP_SDP, GENERATED, HOLD,
    IN_DIALOG, IN_DIALOG_METHODS, KINDS, NO_CODEC, NO_SDP, OPEN_FAILED, OTHER_TAG, PCMU, REGISTER,
    STATUSES, TARGETS,
};
use firmware_config_fuzz::fixed_default;
use firmware_config_fuzz::sip::{
    self as sip, known_unparsable, passwords, records, Auth, RECONFIGURE, TCP, TWICE,
};
use libfuzzer_sys::fuzz_target;
use pbx::media::{self, Command, LegId};
use pbx::routing::{Crm, Router};
use pbx::sip::b2bua::Local;
use pbx::sip::digest::Algorithm;
use pbx::sip::endpoint::{self, Endpoint, Event, Input};
use pbx::sip::message;
use pbx::sip::wire::{self, Parsed, StartLine, StreamFramer};
use pbx::switch::{Output, Switch};

/// Whether to print the conversation (`FUZZ_TRACE=1`, for reading a seed or a crash).
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

/// What the trace shows of a message: its first line, or all of it with `FUZZ_TRACE=full`.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if std::env::var_os("FUZZ_TRACE").is_some_and(|v| v == "full") {
        return format!("\n{text}");
    }
    text.split(['\r', '\n'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Most timeouts fed at one instant before we call it a busy loop.
const MAX_TIMEOUTS_AT_ONCE: usize = 64;
/// Where the switch listens, as the phones reach it.
const LOCAL: &str = "127.0.0.1:5060";

struct Configs {
    /// The factory default with fixed passwords.
    default: Arc<Config>,
    /// The same without employee 103.
    smaller: Arc<Config>,
    passwords: HashMap<String, String>,
}

fn configs() -> &'static Configs {
    static CONFIGS: OnceLock<Configs> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let default = fixed_default();
        let passwords = passwords(&default);
        let mut smaller = default.clone();
        smaller.employees.retain(|e| e.extension.as_str() != "103");
        for group in smaller.groups.as_mut_slice() {
            group.members.retain(|m| m.as_str() != "103");
        }
        let problems = firmware_config::validate::validate(&smaller);
        assert!(
            problems.is_empty(),
            "the smaller office is invalid: {problems:?}"
        );
        Configs {
            default: Arc::new(default),
            smaller: Arc::new(smaller),
            passwords,
        }
    })
}

fn via_transport(transport: Transport) -> &'static str {
    match transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
    }
}

/// The URI inside a `Contact` (or `From`/`To`) value.
fn uri_of(value: &str) -> String {
    match value.split_once('<').and_then(|(_, r)| r.split_once('>')) {
        Some((uri, _)) => uri.to_owned(),
        None => value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// Every `Via` line of a message, as header lines.
fn via_lines(p: &Parsed) -> String {
    message::header_values(p, "Via")
        .map(|v| format!("Via: {v}\r\n"))
        .collect()
}

/// `extra` as header lines (ending in CRLF).
fn extra_lines(extra: &[u8]) -> String {
    let text = String::from_utf8_lossy(extra).into_owned();
    if text.is_empty() || text.ends_with("\r\n") {
        text
    } else {
        text + "\r\n"
    }
}

/// Appends `Content-Type` (with a body), the extra lines, `Content-Length` and the body.
fn finish(mut head: String, extra: &[u8], body: Option<&str>) -> Vec<u8> {
    let body = body.unwrap_or_default();
    if !body.is_empty() {
        head.push_str("Content-Type: application/sdp\r\n");
    }
    head.push_str(&extra_lines(extra));
    head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    head.into_bytes()
}

/// An SDP from a phone at `at`: audio on a port of its own, `codecs` the payload types.
fn sdp(at: SocketAddr, version: u32, codecs: &str, direction: &str) -> String {
    let (family, ip) = match at {
        SocketAddr::V4(a) => ("IP4", a.ip().to_string()),
        SocketAddr::V6(a) => ("IP6", a.ip().to_string()),
    };
    let port = 4000 + at.port() % 1000 * 2;
    format!(
        "v=0\r\no=- 7 {version} IN {family} {ip}\r\ns=-\r\nc=IN {family} {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP {codecs}\r\na=rtpmap:101 telephone-event/8000\r\n\
         a={direction}\r\n"
    )
}

/// The switch, a virtual clock and what the harness tracks around it.
struct Harness {
    sw: Switch,
    now: DateTime<Utc>,
    smaller: bool,
    /// Sources and transports that sent us something.
    peers: HashSet<(SocketAddr, Transport)>,
    /// Sources and transports that sent us a request.
    requesters: HashSet<(SocketAddr, Transport)>,
    framers: HashMap<SocketAddr, StreamFramer>,
    auth: Auth,
    /// Open media legs and their ports.
    open: HashMap<u64, u16>,
    /// Legs whose opening we reported failed (their `Close` is still to come).
    failed: HashSet<u64>,
    /// The leg opened last.
    last_opened: Option<u64>,
    /// The last request we sent to an address, per method ("" for any method).
    sent: HashMap<(SocketAddr, String), Parsed>,
    /// The last 18x/2xx with a To tag we sent to an address for its INVITE.
    early_or_ok: HashMap<SocketAddr, Parsed>,
    /// The last final response we sent to an address for its INVITE.
    finals: HashMap<SocketAddr, Parsed>,
    /// The last INVITE an address sent us (without a To tag).
    invites_in: HashMap<SocketAddr, Parsed>,
    /// Call-IDs we answered an INVITE in with a 2xx.
    answered: HashSet<String>,
    /// Of those, the ones the fuzzer ACKed afterwards.
    acked: HashSet<String>,
    /// Addresses we challenged (401/407) during the last delivery.
    challenged: HashSet<SocketAddr>,
    /// A counter for branches, CSeqs and Call-IDs of generated requests.
    seq: u32,
}

impl Harness {
    fn new() -> Harness {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let config = configs().default.clone();
        let mut ep = Endpoint::new(config.clone(), [0x5a; 32]);
        ep.set_local(Local {
            udp: LOCAL.parse().ok(),
            tcp: LOCAL.parse().ok(),
            media_ip: [127, 0, 0, 1].into(),
        });
        let router = Router::new(config, Crm::default(), start);
        Harness {
            sw: Switch::new(ep, router),
            now: start,
            smaller: false,
            peers: HashSet::new(),
            requesters: HashSet::new(),
            framers: HashMap::new(),
            auth: Auth::default(),
            open: HashMap::new(),
            failed: HashSet::new(),
            last_opened: None,
            sent: HashMap::new(),
            early_or_ok: HashMap::new(),
            finals: HashMap::new(),
            invites_in: HashMap::new(),
            answered: HashSet::new(),
            acked: HashSet::new(),
            challenged: HashSet::new(),
            seq: 0,
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    fn config(&self) -> &'static Config {
        if self.smaller {
            &configs().smaller
        } else {
            &configs().default
        }
    }

    /// Moves the clock forward, feeding every deadline on the way.
    fn advance(&mut self, ms: u64) {
        let end = self.now + TimeDelta::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX));
        let mut at_once = 0;
        let mut last = None;
        while let Some(at) = self.sw.poll_timeout().filter(|&at| at <= end) {
            let at = at.max(self.now);
            if last == Some(at) {
                at_once += 1;
                assert!(
                    at_once < MAX_TIMEOUTS_AT_ONCE,
                    "poll_timeout keeps asking for {at} after being fed a timeout then"
                );
            } else {
                at_once = 0;
            }
            last = Some(at);
            self.now = at;
            self.feed(Input::Timeout);
        }
        self.now = end;
        self.feed(Input::Timeout);
    }

    /// Feeds one input and checks every output.
    fn feed(&mut self, input: Input) {
        self.sw.handle_input(self.now, input);
        let outputs: Vec<Output> = std::iter::from_fn(|| self.sw.poll_output()).collect();
        let strict = !outputs.iter().any(|o| {
            matches!(o, Output::Sip(endpoint::Output::Event(Event::Rejected { status, .. }))
                if *status != Some(501))
        });
        for output in outputs {
            match output {
                Output::Sip(endpoint::Output::Transmit {
                    to,
                    transport,
                    bytes,
                }) => self.transmitted(to, transport, &bytes, strict),
                Output::Media(command) => self.media(command),
                _ => {}
            }
        }
        let calls = self.sw.endpoint().calls();
        assert!(
            self.open.len() <= 2 * calls,
            "{} media legs open for {calls} calls: {:?}",
            self.open.len(),
            self.open
        );
    }

    fn transmitted(&mut self, to: SocketAddr, transport: Transport, bytes: &[u8], strict: bool) {
        if trace() {
            eprintln!("  {} -> {to} {transport:?}: {}", self.now, shown(bytes));
        }
        let text = String::from_utf8_lossy(bytes);
        let response = bytes.starts_with(b"SIP/2.0 ");
        if response {
            assert!(
                self.peers.contains(&(to, transport)),
                "response to {to} over {transport:?}, which never sent us anything:\n{text}"
            );
        } else {
            assert!(
                self.requesters.contains(&(to, transport)),
                "request to {to} over {transport:?}, which never sent us a request:\n{text}"
            );
        }
        let framed = wire::frame_datagram(bytes)
            .unwrap_or_else(|e| panic!("what we sent does not frame ({e}):\n{text}"));
        assert_eq!(framed.len(), bytes.len(), "trailing bytes after:\n{text}");
        let parsed = match wire::parse(bytes) {
            Ok(parsed) => parsed,
            Err(_) if !sip::strict() && known_unparsable(bytes).is_some() => return,
            Err(e) if strict || !response => {
                panic!("what we sent does not parse ({e}):\n{text}")
            }
            Err(_) => return,
        };
        self.auth.learn(bytes);
        match &parsed.head.start {
            StartLine::Request { method, .. } => {
                assert!(!response, "parsed as a request:\n{text}");
                let method = method.as_str().to_owned();
                self.sent.insert((to, method), parsed.clone());
                self.sent.insert((to, String::new()), parsed);
            }
            StartLine::Response { code, .. } => {
                assert!(response, "parsed as a response:\n{text}");
                let code = *code;
                if code == 401 || code == 407 {
                    self.challenged.insert(to);
                }
                if parsed.head.cseq_method.as_str() != "INVITE" {
                    return;
                }
                if (200..300).contains(&code) {
                    self.answered.insert(parsed.head.call_id.clone());
                }
                if code > 100 && code < 300 && parsed.head.to_tag.is_some() {
                    self.early_or_ok.insert(to, parsed.clone());
                }
                if code >= 200 {
                    self.finals.insert(to, parsed);
                }
            }
        }
    }

    fn media(&mut self, command: Command) {
        match command {
            Command::Open { leg, port } => {
                let range = self.config().system.rtp_ports;
                assert!(
                    (range.first..=range.last).contains(&port),
                    "leg {leg:?} opened on port {port}, outside {}-{}",
                    range.first,
                    range.last
                );
                assert!(
                    !self.open.values().any(|&p| p == port),
                    "port {port} opened for {leg:?} while open for another leg: {:?}",
                    self.open
                );
                assert!(
                    self.open.insert(leg.0, port).is_none() && !self.failed.contains(&leg.0),
                    "leg {leg:?} opened twice"
                );
                self.last_opened = Some(leg.0);
            }
            Command::Close { leg } => {
                let was_open = self.open.remove(&leg.0).is_some() || self.failed.remove(&leg.0);
                assert!(was_open, "close of {leg:?}, which is not open");
            }
            _ => {}
        }
    }

    /// Delivers bytes from a source (over TCP, whatever the stream frames into).
    fn deliver(&mut self, from: SocketAddr, transport: Transport, bytes: Vec<u8>) {
        self.peers.insert((from, transport));
        match transport {
            Transport::Udp => self.deliver_one(from, transport, bytes),
            Transport::Tcp => {
                let framer = self.framers.entry(from).or_default();
                let mut failed = framer.push(&bytes).is_err();
                let mut messages = Vec::new();
                while let Some(message) = framer.next_message() {
                    match message {
                        Ok(message) => messages.push(message),
                        Err(_) => {
                            failed = true;
                            break;
                        }
                    }
                }
                if failed {
                    self.framers.remove(&from);
                }
                for message in messages {
                    self.deliver_one(from, transport, message);
                }
            }
        }
    }

    fn deliver_one(&mut self, from: SocketAddr, transport: Transport, bytes: Vec<u8>) {
        if trace() {
            eprintln!("{} {from} {transport:?} -> {}", self.now, shown(&bytes));
        }
        if !bytes.starts_with(b"SIP/2.0 ") {
            self.requesters.insert((from, transport));
            if let Ok(p) = wire::parse(&bytes) {
                let method = p.head.cseq_method.as_str();
                if method == "INVITE" && p.head.to_tag.is_none() {
                    self.invites_in.insert(from, p);
                } else if method == "ACK" && self.answered.contains(&p.head.call_id) {
                    self.acked.insert(p.head.call_id.clone());
                }
            }
        }
        self.feed(Input::Received {
            from,
            transport,
            bytes,
        });
    }

    fn reconfigure(&mut self) {
        self.smaller = !self.smaller;
        let config = if self.smaller {
            configs().smaller.clone()
        } else {
            configs().default.clone()
        };
        self.feed(Input::Config(config));
    }

    /// Runs one generated record.
    fn generated(&mut self, from: SocketAddr, transport: Transport, twice: bool, bytes: &[u8]) {
        let kind = bytes.first().copied().unwrap_or(0) % KINDS;
        let a = bytes.get(1).copied().unwrap_or(0);
        let b = bytes.get(2).copied().unwrap_or(0);
        let extra = bytes.get(3..).unwrap_or_default();
        let send = |h: &mut Harness, message: Vec<u8>| {
            if twice {
                h.deliver(from, transport, message.clone());
            }
            h.deliver(from, transport, message);
        };
        match kind {
            REGISTER | CALL => self.authenticated(kind, from, transport, twice, a, b, extra),
            ANSWER => {
                if let Some(m) = self.answer(from, a, b, extra) {
                    send(self, m);
                }
            }
            ACK => {
                if let Some(m) = self.ack(from, transport, extra) {
                    send(self, m);
                }
            }
            IN_DIALOG => {
                if let Some(m) = self.in_dialog(from, transport, a, b, extra) {
                    send(self, m);
                }
            }
            CANCEL => {
                if let Some(m) = self.cancel(from, extra) {
                    send(self, m);
                }
            }
            CALLEE_REQUEST => {
                if let Some(m) = self.callee_request(from, transport, a, b, extra) {
                    send(self, m);
                }
            }
            OPEN_FAILED => self.open_failed(a),
            _ => {}
        }
    }

    /// A REGISTER or a new INVITE, with credentials once a challenge was seen, and again
    /// (with a new nonce) if challenged.
    #[allow(clippy::too_many_arguments)]
    fn authenticated(
        &mut self,
        kind: u8,
        from: SocketAddr,
        transport: Transport,
        twice: bool,
        a: u8,
        b: u8,
        extra: &[u8],
    ) {
        let digit = b'0' + a % 5;
        let user = format!("10{}", char::from(digit));
        let call = self.next_seq();
        for attempt in 0..2 {
            let with_auth = self.auth.has_nonce();
            let seq = self.next_seq();
            let message = match kind {
                REGISTER => self.register(from, transport, &user, digit, with_auth, seq, b, extra),
                _ => self.invite(
                    from,
                    transport,
                    &user,
                    digit,
                    with_auth,
                    (call, seq),
                    b,
                    extra,
                ),
            };
            self.challenged.clear();
            if twice {
                self.deliver(from, transport, message.clone());
            }
            self.deliver(from, transport, message);
            if !self.challenged.contains(&from) {
                break;
            }
            // A phone ACKs the challenge to its INVITE, then tries again.
            if kind == CALL {
                if let Some(ack) = self.ack(from, transport, &[]) {
                    self.deliver(from, transport, ack);
                }
            }
            if attempt == 1 {
                break;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn register(
        &mut self,
        from: SocketAddr,
        transport: Transport,
        user: &str,
        digit: u8,
        with_auth: bool,
        seq: u32,
        b: u8,
        extra: &[u8],
    ) -> Vec<u8> {
        let uri = format!("sip:{LOCAL}");
        let auth = if with_auth {
            let value = self.auth.authorization(
                "REGISTER",
                &uri,
                digit,
                Algorithm::Md5,
                &configs().passwords,
            );
            format!("Authorization: {value}\r\n")
        } else {
            String::new()
        };
        let param = match transport {
            Transport::Udp => "",
            Transport::Tcp => ";transport=tcp",
        };
        let head = format!(
            "REGISTER {uri} SIP/2.0\r\nVia: SIP/2.0/{t} {from};branch=z9hG4bK-r{seq};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{user}@127.0.0.1>;tag=r{user}\r\n\
             To: <sip:{user}@127.0.0.1>\r\nCall-ID: reg-{user}-{port}@fuzz\r\n\
             CSeq: {seq} REGISTER\r\nContact: <sip:{user}@{from}{param}>\r\nExpires: {e}\r\n{auth}",
            t = via_transport(transport),
            port = from.port(),
            e = EXPIRES[usize::from(b % 4)],
        );
        finish(head, extra, None)
    }

    #[allow(clippy::too_many_arguments)]
    fn invite(
        &mut self,
        from: SocketAddr,
        transport: Transport,
        user: &str,
        digit: u8,
        with_auth: bool,
        (call, seq): (u32, u32),
        b: u8,
        extra: &[u8],
    ) -> Vec<u8> {
        let target = TARGETS[usize::from(b % 8)];
        let uri = format!("sip:{target}@{LOCAL}");
        let auth = if with_auth {
            let value = self.auth.authorization(
                "INVITE",
                &uri,
                digit,
                Algorithm::Md5,
                &configs().passwords,
            );
            format!("Authorization: {value}\r\n")
        } else {
            String::new()
        };
        let codecs = if b & NO_CODEC != 0 { "18" } else { "8 0 101" };
        let direction = if b & HOLD != 0 {
            "sendonly"
        } else {
            "sendrecv"
        };
        let body = (b & NO_SDP == 0).then(|| sdp(from, 1, codecs, direction));
        let head = format!(
            "INVITE {uri} SIP/2.0\r\nVia: SIP/2.0/{t} {from};branch=z9hG4bK-i{seq};rport\r\n\
             Max-Forwards: 70\r\nFrom: \"Fuzz {user}\" <sip:{user}@127.0.0.1>;tag=f{call}\r\n\
             To: <sip:{target}@127.0.0.1>\r\nCall-ID: call-{call}@fuzz\r\n\
             CSeq: {seq} INVITE\r\nContact: <sip:{user}@{from}>\r\n{auth}",
            t = via_transport(transport),
        );
        finish(head, extra, body.as_deref())
    }

    /// Our To tag as the phone at `from` (`other`: a second one).
    fn tag(from: SocketAddr, other: bool) -> String {
        let digits: String = from
            .to_string()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        format!("{}{digits}", if other { "u" } else { "t" })
    }

    /// A response from `from` to the last request of a method we sent it.
    fn answer(&mut self, from: SocketAddr, a: u8, b: u8, extra: &[u8]) -> Option<Vec<u8>> {
        let method = ANSWER_TO[usize::from(a % 4)];
        let req = self.sent.get(&(from, method.to_owned()))?;
        let code = STATUSES[usize::from(b % 16)];
        let tag = if req.head.to_tag.is_none() && code > 100 {
            format!(";tag={}", Harness::tag(from, b & OTHER_TAG != 0))
        } else {
            String::new()
        };
        let invite = req.head.cseq_method.as_str() == "INVITE";
        let usual = invite && ((200..300).contains(&code) || code == 183);
        let body = (invite && usual != (b & FLIP_SDP != 0)).then(|| {
            let codecs = if b & PCMU != 0 { "0 101" } else { "8 101" };
            let direction = if b & HOLD != 0 {
                "recvonly"
            } else {
                "sendrecv"
            };
            sdp(from, req.head.cseq, codecs, direction)
        });
        let head = format!(
            "SIP/2.0 {code} Fuzz\r\n{via}From: {f}\r\nTo: {t}{tag}\r\nCall-ID: {cid}\r\n\
             CSeq: {cseq} {m}\r\nContact: <sip:phone@{from}>\r\n",
            via = via_lines(req),
            f = message::header(req, "From").unwrap_or_default(),
            t = message::header(req, "To").unwrap_or_default(),
            cid = req.head.call_id,
            cseq = req.head.cseq,
            m = req.head.cseq_method.as_str(),
        );
        Some(finish(head, extra, body.as_deref()))
    }

    /// The caller's ACK for our last final response to its INVITE.
    fn ack(&mut self, from: SocketAddr, transport: Transport, extra: &[u8]) -> Option<Vec<u8>> {
        let seq = self.next_seq();
        let resp = self.finals.get(&from)?;
        let code = match resp.head.start {
            StartLine::Response { code, .. } => code,
            StartLine::Request { .. } => return None,
        };
        let (uri, via) = if (200..300).contains(&code) {
            let contact = message::header(resp, "Contact").map(uri_of);
            let via = format!(
                "Via: SIP/2.0/{} {from};branch=z9hG4bK-a{seq};rport\r\n",
                via_transport(transport)
            );
            (contact.unwrap_or_else(|| format!("sip:{LOCAL}")), via)
        } else {
            let uri = self
                .invites_in
                .get(&from)
                .filter(|inv| inv.head.call_id == resp.head.call_id)
                .and_then(message::request_uri)
                .map_or_else(|| format!("sip:{LOCAL}"), str::to_owned);
            let via = message::header(resp, "Via").unwrap_or_default();
            (uri, format!("Via: {via}\r\n"))
        };
        let head = format!(
            "ACK {uri} SIP/2.0\r\n{via}Max-Forwards: 70\r\nFrom: {f}\r\nTo: {t}\r\n\
             Call-ID: {cid}\r\nCSeq: {cseq} ACK\r\n",
            f = message::header(resp, "From").unwrap_or_default(),
            t = message::header(resp, "To").unwrap_or_default(),
            cid = resp.head.call_id,
            cseq = resp.head.cseq,
        );
        Some(finish(head, extra, None))
    }

    /// A request from the caller in the dialog of our last 18x/2xx to it.
    fn in_dialog(
        &mut self,
        from: SocketAddr,
        transport: Transport,
        a: u8,
        b: u8,
        extra: &[u8],
    ) -> Option<Vec<u8>> {
        let seq = self.next_seq();
        let resp = self.early_or_ok.get(&from)?;
        let method = IN_DIALOG_METHODS[usize::from(a % 4)];
        let uri = message::header(resp, "Contact")
            .map(uri_of)
            .unwrap_or_else(|| format!("sip:{LOCAL}"));
        let direction = if b & HOLD != 0 {
            "sendonly"
        } else {
            "sendrecv"
        };
        let body = (method == "INVITE").then(|| sdp(from, seq, "8 0 101", direction));
        let head = format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{t} {from};branch=z9hG4bK-d{seq};rport\r\n\
             Max-Forwards: 70\r\nFrom: {f}\r\nTo: {to}\r\nCall-ID: {cid}\r\n\
             CSeq: {seq} {method}\r\nContact: <sip:caller@{from}>\r\n",
            t = via_transport(transport),
            f = message::header(resp, "From").unwrap_or_default(),
            to = message::header(resp, "To").unwrap_or_default(),
            cid = resp.head.call_id,
        );
        Some(finish(head, extra, body.as_deref()))
    }

    /// A CANCEL for the last INVITE the source sent.
    fn cancel(&mut self, from: SocketAddr, extra: &[u8]) -> Option<Vec<u8>> {
        let inv = self.invites_in.get(&from)?;
        let head = format!(
            "CANCEL {uri} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\nFrom: {f}\r\nTo: {t}\r\n\
             Call-ID: {cid}\r\nCSeq: {cseq} CANCEL\r\n",
            uri = message::request_uri(inv).unwrap_or_default(),
            via = message::header(inv, "Via").unwrap_or_default(),
            f = message::header(inv, "From").unwrap_or_default(),
            t = message::header(inv, "To").unwrap_or_default(),
            cid = inv.head.call_id,
            cseq = inv.head.cseq,
        );
        Some(finish(head, extra, None))
    }

    /// A request from the callee in the dialog of the last INVITE we sent it.
    fn callee_request(
        &mut self,
        from: SocketAddr,
        transport: Transport,
        a: u8,
        b: u8,
        extra: &[u8],
    ) -> Option<Vec<u8>> {
        let seq = self.next_seq();
        let inv = self.sent.get(&(from, "INVITE".to_owned()))?;
        let method = IN_DIALOG_METHODS[usize::from(a % 4)];
        let to = message::header(inv, "To").unwrap_or_default();
        let local = if inv.head.to_tag.is_some() {
            to.to_owned()
        } else {
            format!("{to};tag={}", Harness::tag(from, b & OTHER_TAG != 0))
        };
        let uri = message::header(inv, "Contact")
            .map(uri_of)
            .unwrap_or_else(|| format!("sip:{LOCAL}"));
        let direction = if b & HOLD != 0 {
            "sendonly"
        } else {
            "sendrecv"
        };
        let body = (method == "INVITE").then(|| sdp(from, seq, "8 101", direction));
        // Above any CSeq the INVITE's side could have used.
        let cseq = 1000 + seq;
        let head = format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{t} {from};branch=z9hG4bK-e{seq};rport\r\n\
             Max-Forwards: 70\r\nFrom: {local}\r\nTo: {remote}\r\nCall-ID: {cid}\r\n\
             CSeq: {cseq} {method}\r\nContact: <sip:phone@{from}>\r\n",
            t = via_transport(transport),
            remote = message::header(inv, "From").unwrap_or_default(),
            cid = inv.head.call_id,
        );
        Some(finish(head, extra, body.as_deref()))
    }

    /// The media engine could not bind a leg's port.
    fn open_failed(&mut self, a: u8) {
        let leg = if a.is_multiple_of(2) {
            self.last_opened.filter(|leg| self.open.contains_key(leg))
        } else {
            let mut legs: Vec<u64> = self.open.keys().copied().collect();
            legs.sort_unstable();
            (!legs.is_empty()).then(|| legs[usize::from(a / 2) % legs.len()])
        };
        let Some(leg) = leg else {
            return;
        };
        let Some(port) = self.open.remove(&leg) else {
            return;
        };
        self.failed.insert(leg);
        if trace() {
            eprintln!("{} media: port {port} of leg {leg} failed", self.now);
        }
        self.feed(Input::Media(media::Event::OpenFailed {
            leg: LegId(leg),
            port,
            reason: "fuzzed".to_owned(),
        }));
    }

    /// Two idle hours: only calls the caller's side answered may be left.
    fn wind_down(&mut self) {
        self.advance(2 * 3600 * 1000);
        let ep = self.sw.endpoint();
        assert_eq!(ep.transactions(), 0, "transactions outlive their timers");
        for username in configs().passwords.keys() {
            let left = ep.registrar().device_contacts(self.now, username);
            assert!(
                left.is_empty(),
                "bindings of {username} outlive expiry: {left:?}"
            );
        }
        let calls = ep.calls();
        assert!(
            calls <= self.acked.len(),
            "{calls} calls left after two idle hours, but only {} answered and ACKed callers",
            self.acked.len()
        );
        assert!(
            self.sw.router().active_calls() <= calls,
            "the router holds {} calls, the B2BUA {calls}",
            self.sw.router().active_calls()
        );
        if calls == 0 {
            assert!(self.open.is_empty(), "legs left open: {:?}", self.open);
            assert_eq!(ep.poll_timeout(), None, "still scheduled with no call left");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::new();
    for record in records(data) {
        h.advance(record.step_ms());
        if record.control & RECONFIGURE != 0 {
            h.reconfigure();
        }
        let Some(from) = record.from else {
            continue;
        };
        let transport = if record.control & TCP != 0 {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        let twice = record.control & TWICE != 0;
        if record.control & GENERATED != 0 {
            h.generated(from, transport, twice, record.bytes);
            continue;
        }
        let bytes = h.auth.substitute(record.bytes, &configs().passwords);
        if twice {
            h.deliver(from, transport, bytes.clone());
        }
        h.deliver(from, transport, bytes);
    }
    h.wind_down();
});
