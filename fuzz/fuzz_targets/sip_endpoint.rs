//! Sequences of SIP messages from several sources, over UDP and TCP, with time passing, into
//! the whole sans-IO endpoint: rate limiter, wire layer, transactions, registrar, handlers.
//! The input format (records, control bits, `@AUTHn@` credentials) is described in
//! `firmware_config_fuzz::sip`.
//!
//! Invariants checked:
//! - nothing panics, and time handling makes progress (a timeout fed at its deadline does not
//!   ask to be fed again at or before that moment, over and over);
//! - every transmitted message frames as a datagram and parses again with `wire::parse` —
//!   except stateless error responses to a message the wire layer refused (`Event::Rejected`,
//!   other than 501), which echo its possibly malformed headers; a response goes back to a
//!   source that sent us something, a request (the B2BUA's BYE for a 2xx never ACKed, say) to
//!   one that sent us a request, each over the same transport (requests of the known findings
//!   in `fuzz/regressions/` are let through unless `FUZZ_STRICT` is set);
//! - at most one transaction per message delivered or request sent;
//! - after two idle hours of virtual time every transaction has ended and every binding has
//!   lapsed, and, once no call is left, nothing is scheduled any more (no state leaks). There
//!   is no router here, so an authenticated INVITE waits until the B2BUA answers it itself
//!   (for hold music); a caller that ACKs that keeps its call, as no RTP timeout exists yet.
//!
//! The endpoint challenges with MD5 and SHA-256 (`DigestChoice::Both`), so both kinds of
//! credentials are exercised.

#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, TimeDelta, Utc};
use firmware_config::system::Transport;
use firmware_config::Config;
use firmware_config_fuzz::fixed_default;
use firmware_config_fuzz::sip::{
    self as sip, known_unparsable, passwords, records, Auth, RECONFIGURE, TCP, TWICE,
};
use libfuzzer_sys::fuzz_target;
use pbx::sip::b2bua::Local;
use pbx::sip::endpoint::{DigestChoice, Endpoint, Event, Input, Options, Output};
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

/// The endpoint, a virtual clock and what the harness tracks around it.
struct Harness {
    ep: Endpoint,
    now: DateTime<Utc>,
    /// Which configuration is loaded (false: the default).
    smaller: bool,
    /// Sources and transports that sent us something.
    peers: Vec<(SocketAddr, Transport)>,
    /// Sources and transports that sent us a request.
    requesters: Vec<(SocketAddr, Transport)>,
    /// One framer per TCP peer (dropped when its stream fails, as the transport closes it).
    framers: HashMap<SocketAddr, StreamFramer>,
    /// Credentials for the `@AUTHn@` tokens.
    auth: Auth,
    /// Messages delivered to the endpoint.
    delivered: usize,
    /// Requests the endpoint sent.
    requests_sent: usize,
}

impl Harness {
    fn new() -> Harness {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let options = Options {
            digest: DigestChoice::Both,
            ..Options::default()
        };
        let mut ep = Endpoint::with_options(configs().default.clone(), [0x5a; 32], options);
        ep.set_local(Local {
            udp: "127.0.0.1:5060".parse().ok(),
            tcp: "127.0.0.1:5060".parse().ok(),
            media_ip: [127, 0, 0, 1].into(),
        });
        Harness {
            ep,
            now: start,
            smaller: false,
            peers: Vec::new(),
            requesters: Vec::new(),
            framers: HashMap::new(),
            auth: Auth::default(),
            delivered: 0,
            requests_sent: 0,
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

    /// Feeds one input and checks every output. Every transmitted message must parse again,
    /// unless the endpoint reports that the wire layer refused the input (then a response may
    /// echo the request's malformed headers); a 501 for a well-formed request must parse too.
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
            let response = bytes.starts_with(b"SIP/2.0 ");
            if response {
                assert!(
                    self.peers.contains(&(to, transport)),
                    "response to {to} over {transport:?}, which never sent us anything"
                );
            } else {
                self.requests_sent += 1;
                assert!(
                    self.requesters.contains(&(to, transport)),
                    "request to {to} over {transport:?}, which never sent us a request"
                );
            }
            self.check_message(&bytes, response, strict || !response);
        }
        assert!(
            self.ep.transactions() <= self.delivered + self.requests_sent,
            "{} transactions after {} messages in and {} requests out",
            self.ep.transactions(),
            self.delivered,
            self.requests_sent
        );
    }

    fn check_message(&mut self, bytes: &[u8], response: bool, strict: bool) {
        let text = String::from_utf8_lossy(bytes);
        let framed = wire::frame_datagram(bytes)
            .unwrap_or_else(|e| panic!("what we sent does not frame ({e}):\n{text}"));
        assert_eq!(framed.len(), bytes.len(), "trailing bytes after:\n{text}");
        match wire::parse(bytes) {
            Ok(parsed) => assert_eq!(
                matches!(parsed.head.start, StartLine::Response { .. }),
                response,
                "parsed as the other kind of message:\n{text}"
            ),
            Err(_) if !sip::strict() && known_unparsable(bytes).is_some() => {}
            Err(e) if strict => panic!("what we sent does not parse ({e}):\n{text}"),
            Err(_) => {}
        }
        self.auth.learn(bytes);
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
        let request = !bytes.starts_with(b"SIP/2.0 ");
        if request && !self.requesters.contains(&(from, transport)) {
            self.requesters.push((from, transport));
        }
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
        if self.ep.calls() == 0 {
            assert_eq!(
                self.ep.poll_timeout(),
                None,
                "still scheduled after two idle hours"
            );
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
        // Substituted once: the second copy is an exact retransmission.
        let bytes = h.auth.substitute(record.bytes, &configs().passwords);
        if record.control & TWICE != 0 {
            h.deliver(from, transport, bytes.clone());
        }
        h.deliver(from, transport, bytes);
    }
    h.wind_down();
});
