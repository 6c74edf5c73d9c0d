//! Sequences of SIP messages from several sources, over UDP and TCP, with time passing, into
//! the whole sans-IO endpoint: rate limiter, wire layer, transactions, registrar, handlers.
//! The input format (records, control bits, `@AUTHn@` credentials) is described in
//! `firmware_config_fuzz::sip`.
//!
//! Invariants checked:
//! - nothing panics, and time handling makes progress (a timeout fed at its deadline does not
//!   ask to be fed again at or before that moment, over and over);
//! - every transmitted message is a response (the endpoint sends no requests yet), goes back
//!   to a source that sent us something over the same transport, frames as a datagram and
//!   parses again with `wire::parse` — except stateless error responses to a message the wire
//!   layer refused (`Event::Rejected`, other than 501), which echo its possibly malformed
//!   headers;
//! - at most one transaction per message delivered;
//! - after two idle hours of virtual time every transaction has ended, every binding has
//!   lapsed and nothing is scheduled any more (no state leaks).

#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, TimeDelta, Utc};
use firmware_config::system::Transport;
use firmware_config::Config;
use firmware_config_fuzz::fixed_default;
use firmware_config_fuzz::sip::{records, RECONFIGURE, TCP, TWICE};
use libfuzzer_sys::fuzz_target;
use pbx::sip::digest::{expected_response, Algorithm, Credentials, NonceCount, Qop, QopParams};
use pbx::sip::endpoint::{Endpoint, Event, Input, Output, REALM};
use pbx::sip::wire::{self, StartLine, StreamFramer};

/// Whether to print the conversation (`FUZZ_TRACE=1`, for reading a seed or a crash).
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some())
}

/// The first line of a message, for the trace.
fn first_line(bytes: &[u8]) -> String {
    let line = bytes.split(|&b| b == b'\r' || b == b'\n').next();
    String::from_utf8_lossy(line.unwrap_or_default()).into_owned()
}

/// Most timeouts fed at one instant before we call it a busy loop.
const MAX_TIMEOUTS_AT_ONCE: usize = 64;

struct Configs {
    /// The factory default with fixed passwords (`seedpasswordNNNN`).
    default: Arc<Config>,
    /// The same without employee 103 (and without 103 in the group).
    smaller: Arc<Config>,
    /// User name → password, for the `@AUTHn@` substitution.
    passwords: HashMap<String, String>,
}

fn configs() -> &'static Configs {
    static CONFIGS: OnceLock<Configs> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let default = fixed_default();
        let mut passwords = HashMap::new();
        for employee in default.employees.iter() {
            for device in &employee.devices {
                passwords.insert(
                    device.username.as_str().to_owned(),
                    device.password.as_str().to_owned(),
                );
            }
        }
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

/// The endpoint, a virtual clock and what the harness tracks around it.
struct Harness {
    ep: Endpoint,
    now: DateTime<Utc>,
    /// Which configuration is loaded (false: the default).
    smaller: bool,
    /// Sources and transports that sent us something.
    peers: Vec<(SocketAddr, Transport)>,
    /// One framer per TCP peer (dropped when its stream fails, as the transport closes it).
    framers: HashMap<SocketAddr, StreamFramer>,
    /// The latest nonce handed out in a challenge.
    nonce: Option<String>,
    /// The nonce count of the next substituted `Authorization`.
    nc: u32,
    /// Messages delivered to the endpoint.
    delivered: usize,
}

impl Harness {
    fn new() -> Harness {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        Harness {
            ep: Endpoint::new(configs().default.clone(), [0x5a; 32]),
            now: start,
            smaller: false,
            peers: Vec::new(),
            framers: HashMap::new(),
            nonce: None,
            nc: 0,
            delivered: 0,
        }
    }

    /// Moves the clock forward, feeding every deadline on the way.
    fn advance(&mut self, ms: u64) {
        let end = self.now + TimeDelta::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX));
        let mut at_once = 0;
        let mut last = None;
        while let Some(at) = self.ep.poll_timeout().filter(|&at| at <= end) {
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

    /// Feeds one input and checks every output. Every transmitted response must parse again,
    /// unless the endpoint reports that the wire layer refused the input (then it may echo
    /// the request's malformed headers); a 501 for a well-formed request must parse too.
    fn feed(&mut self, input: Input) {
        self.ep.handle_input(self.now, input);
        let outputs: Vec<Output> = std::iter::from_fn(|| self.ep.poll_output()).collect();
        let strict = !outputs.iter().any(
            |o| matches!(o, Output::Event(Event::Rejected { status, .. }) if *status != Some(501)),
        );
        for output in outputs {
            let Output::Transmit {
                to,
                transport,
                bytes,
            } = output
            else {
                continue;
            };
            if trace() {
                eprintln!(
                    "  {} -> {to} {transport:?}: {}",
                    self.now,
                    first_line(&bytes)
                );
            }
            assert!(
                self.peers.contains(&(to, transport)),
                "sent to {to} over {transport:?}, which never sent us anything"
            );
            self.check_response(&bytes, strict);
        }
        assert!(
            self.ep.transactions() <= self.delivered,
            "{} transactions after {} messages",
            self.ep.transactions(),
            self.delivered
        );
    }

    fn check_response(&mut self, bytes: &[u8], strict: bool) {
        let text = String::from_utf8_lossy(bytes);
        assert!(text.starts_with("SIP/2.0 "), "not a response:\n{text}");
        let framed = wire::frame_datagram(bytes)
            .unwrap_or_else(|e| panic!("our response does not frame ({e}):\n{text}"));
        assert_eq!(framed.len(), bytes.len(), "trailing bytes after:\n{text}");
        match wire::parse(bytes) {
            Ok(parsed) => assert!(
                matches!(parsed.head.start, StartLine::Response { .. }),
                "parsed as a request:\n{text}"
            ),
            Err(e) if strict => panic!("our response does not parse ({e}):\n{text}"),
            Err(_) => {}
        }
        for line in text.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if !name.trim().eq_ignore_ascii_case("WWW-Authenticate") {
                continue;
            }
            if let Some(nonce) = value
                .split_once("nonce=\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(nonce, _)| nonce.to_owned())
            {
                self.nonce = Some(nonce);
            }
        }
    }

    /// Delivers one message (or, over TCP, whatever the stream's bytes frame into).
    fn deliver(&mut self, from: SocketAddr, transport: Transport, bytes: Vec<u8>) {
        if !self.peers.contains(&(from, transport)) {
            self.peers.push((from, transport));
        }
        match transport {
            Transport::Udp => self.deliver_one(from, transport, bytes),
            Transport::Tcp => {
                let framer = self.framers.entry(from).or_default();
                let pushed = framer.push(&bytes);
                let mut messages = Vec::new();
                let mut failed = pushed.is_err();
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
        self.delivered += 1;
        if trace() {
            eprintln!(
                "{} {from} {transport:?} -> {}",
                self.now,
                first_line(&bytes)
            );
        }
        let input = Input::Received {
            from,
            transport,
            bytes,
        };
        self.feed(input);
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

    /// The bytes with every `@AUTHn@` / `@SHA256n@` replaced by credentials.
    fn substitute(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = bytes;
        while let Some(at) = rest.iter().position(|&b| b == b'@') {
            out.extend_from_slice(&rest[..at]);
            rest = &rest[at..];
            let token = [
                (&b"@AUTH"[..], Algorithm::Md5),
                (b"@SHA256", Algorithm::Sha256),
            ]
            .into_iter()
            .find_map(|(prefix, algorithm)| match rest.strip_prefix(prefix) {
                Some([digit @ b'0'..=b'9', b'@', ..]) => {
                    Some((prefix.len() + 2, *digit, algorithm))
                }
                _ => None,
            });
            match token {
                Some((len, digit, algorithm)) => {
                    let value = self.credentials(bytes, digit, algorithm);
                    out.extend_from_slice(value.as_bytes());
                    rest = &rest[len..];
                }
                None => {
                    out.push(b'@');
                    rest = &rest[1..];
                }
            }
        }
        out.extend_from_slice(rest);
        out
    }

    /// An `Authorization` value for the request in `message` (method and URI from its first
    /// line) as device `10<digit>`.
    fn credentials(&mut self, message: &[u8], digit: u8, algorithm: Algorithm) -> String {
        let first = message.split(|&b| b == b'\r' || b == b'\n').next();
        let first = String::from_utf8_lossy(first.unwrap_or_default());
        let mut words = first.split(' ');
        let method = words.next().unwrap_or_default().to_owned();
        let uri = words.next().unwrap_or_default().to_owned();
        let n = char::from(digit);
        let (username, password) = match digit {
            b'0' => ("101".to_owned(), "not-the-password".to_owned()),
            _ => {
                let username = format!("10{n}");
                let password = configs()
                    .passwords
                    .get(&username)
                    .cloned()
                    .unwrap_or_else(|| "no-such-user".to_owned());
                (username, password)
            }
        };
        self.nc = self.nc.wrapping_add(1);
        let mut creds = Credentials {
            username,
            realm: REALM.to_owned(),
            nonce: self
                .nonce
                .clone()
                .unwrap_or_else(|| "no-nonce-yet".to_owned()),
            uri,
            response: String::new(),
            algorithm,
            qop: Some(QopParams {
                qop: Qop::Auth,
                cnonce: "fuzzcnonce".to_owned(),
                nc: NonceCount::new(self.nc),
            }),
            opaque: None,
        };
        creds.response = expected_response(&creds, &method, &password);
        format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", \
             algorithm={}, qop=auth, nc={}, cnonce=\"fuzzcnonce\"",
            creds.username,
            creds.realm,
            creds.nonce,
            creds.uri,
            creds.response,
            algorithm.as_str(),
            NonceCount::new(self.nc).as_str(),
        )
    }

    /// Two idle hours: everything must have ended.
    fn wind_down(&mut self) {
        self.advance(2 * 3600 * 1000);
        assert_eq!(
            self.ep.transactions(),
            0,
            "transactions outlive their timers"
        );
        for username in configs().passwords.keys() {
            let left = self.ep.registrar().device_contacts(self.now, username);
            assert!(
                left.is_empty(),
                "bindings of {username} outlive expiry: {left:?}"
            );
        }
        assert_eq!(
            self.ep.poll_timeout(),
            None,
            "still scheduled after two idle hours"
        );
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
        // Substituted once: the second copy is an exact retransmission.
        let bytes = h.substitute(record.bytes);
        if record.control & TWICE != 0 {
            h.deliver(from, transport, bytes.clone());
        }
        h.deliver(from, transport, bytes);
    }
    h.wind_down();
});
