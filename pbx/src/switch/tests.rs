//! Whole calls in virtual time: simulated phones speak SIP text to the switch (endpoint,
//! B2BUA and router together); what the switch sends is parsed back with the wire layer.

use std::collections::HashMap;
use std::net::SocketAddr;

use chrono::{DateTime, TimeDelta, Utc};
use firmware_config::system::Transport;

use super::*;

mod transfers;
mod trunk_calls;
mod voicemail;
use crate::media::Command;
use crate::routing::Crm;
use crate::sip::b2bua::Local;
use crate::sip::digest::{expected_response, Algorithm, Credentials, NonceCount, Qop, QopParams};
use crate::sip::endpoint::{Endpoint, Input, REALM};
use crate::sip::message;
use crate::sip::wire::{self, Parsed, StartLine};

const CONFIG: &str = r#"
trunks = []
lines = []

[system]
name = "Test office"
default_country_code = 48
tone_country = "PL"
control_socket = "/run/centrala/control.sock"
data_dir = "/var/lib/centrala"
voicemail_number = "800"
allowed_country_codes = []

[[system.sip_listen]]
transport = "udp"
address = "127.0.0.1:5060"

[system.rtp_ports]
first = 10000
last = 10999

[[employees]]
extension = "101"
name = "Anna Nowak"

[[employees.devices]]
username = "101"
password = "secret-101"

[[employees]]
extension = "102"
name = "Piotr Kowalski"

[[employees.devices]]
username = "102"
password = "secret-102"

[[employees]]
extension = "103"
name = "Ewa Lis"

[[employees.devices]]
username = "103"
password = "secret-103"

[[groups]]
name = "office"
number = "100"
members = ["102", "103"]
distribution = "simultaneously"
ring_time_secs = 20
unanswered = "wait_for_agent"

[[groups]]
name = "long"
number = "120"
members = ["102", "103"]
distribution = "in_order"
ring_time_secs = 100
unanswered = "wait_for_agent"

[[groups]]
name = "line"
number = "110"
members = ["102", "103"]
distribution = "in_order"
ring_time_secs = 10
unanswered = "wait_for_agent"
"#;

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n\
    t=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n\
    a=sendrecv\r\n";

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The switch, a virtual clock, and everything it sent, per destination.
struct Sim {
    sw: Switch,
    now: DateTime<Utc>,
    inbox: HashMap<SocketAddr, Vec<Parsed>>,
    media: Vec<Command>,
    events: Vec<endpoint::Event>,
    routed: Vec<routing::Output>,
}

impl Sim {
    fn new() -> Sim {
        Sim::with(|_| {})
    }

    /// The test office changed by `change`.
    fn with(change: impl FnOnce(&mut firmware_config::Config)) -> Sim {
        Sim::with_text(CONFIG, change)
    }

    /// The office of configuration text `text`, changed by `change`.
    fn with_text(text: &str, change: impl FnOnce(&mut firmware_config::Config)) -> Sim {
        let mut config = firmware_config::text::import(text).unwrap_or_else(|e| panic!("{e}"));
        change(&mut config);
        let config = Arc::new(config);
        let mut ep = Endpoint::new(Arc::clone(&config), [7; 32]);
        ep.set_local(Local {
            udp: Some(addr("127.0.0.1:5060")),
            tcp: None,
            media_ip: "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}")),
        });
        let router = Router::new(config, Crm::default(), t0());
        Sim {
            sw: Switch::new(ep, router),
            now: t0(),
            inbox: HashMap::new(),
            media: Vec::new(),
            events: Vec::new(),
            routed: Vec::new(),
        }
    }

    fn collect(&mut self) {
        while let Some(o) = self.sw.poll_output() {
            match o {
                Output::Sip(endpoint::Output::Transmit { to, bytes, .. }) => {
                    let p = wire::parse(&bytes).unwrap_or_else(|e| {
                        panic!(
                            "we sent something unparsable ({e}):\n{}",
                            String::from_utf8_lossy(&bytes)
                        )
                    });
                    self.inbox.entry(to).or_default().push(p);
                }
                Output::Media(c) => self.media.push(c),
                Output::Sip(endpoint::Output::Event(e)) => self.events.push(e),
                Output::Routed(o) => self.routed.push(o),
                _ => {}
            }
        }
    }

    fn send(&mut self, from: SocketAddr, text: &str) {
        let input = Input::Received {
            from,
            transport: Transport::Udp,
            bytes: text.as_bytes().to_vec(),
        };
        self.sw.handle_input(self.now, input);
        self.collect();
    }

    fn advance(&mut self, d: TimeDelta) {
        let end = self.now + d;
        while let Some(at) = self.sw.poll_timeout().filter(|&at| at <= end) {
            self.now = self.now.max(at);
            self.sw.handle_input(self.now, Input::Timeout);
            self.collect();
        }
        self.now = end;
    }

    fn take(&mut self, to: SocketAddr) -> Vec<Parsed> {
        self.inbox.remove(&to).unwrap_or_default()
    }
}

fn code(p: &Parsed) -> Option<u16> {
    match &p.head.start {
        StartLine::Response { code, .. } => Some(*code),
        StartLine::Request { .. } => None,
    }
}

fn method(p: &Parsed) -> Option<String> {
    match &p.head.start {
        StartLine::Request { method, .. } => Some(method.as_str().to_owned()),
        StartLine::Response { .. } => None,
    }
}

fn codes(ps: &[Parsed]) -> Vec<u16> {
    ps.iter().filter_map(code).collect()
}

fn methods(ps: &[Parsed]) -> Vec<String> {
    ps.iter().filter_map(method).collect()
}

/// A simulated phone.
struct Phone {
    at: SocketAddr,
    user: &'static str,
    password: String,
    cseq: u32,
    n: u32,
    nonce: String,
}

impl Phone {
    fn new(sim: &mut Sim, user: &'static str, port: u16) -> Phone {
        Phone::at(sim, user, SocketAddr::from(([192, 0, 2, 10], port)))
    }

    fn at(sim: &mut Sim, user: &'static str, at: SocketAddr) -> Phone {
        let mut p = Phone {
            at,
            user,
            password: format!("secret-{user}"),
            cseq: 0,
            n: 0,
            nonce: String::new(),
        };
        p.register(sim);
        p
    }

    fn branch(&mut self) -> String {
        self.n += 1;
        format!("z9hG4bK-{}-{}", self.at.port(), self.n)
    }

    fn auth(&self, method: &str, uri: &str) -> String {
        let mut c = Credentials {
            username: self.user.into(),
            realm: REALM.into(),
            nonce: self.nonce.clone(),
            uri: uri.into(),
            response: String::new(),
            algorithm: Algorithm::Md5,
            qop: Some(QopParams {
                qop: Qop::Auth,
                cnonce: "c0ffee".into(),
                nc: NonceCount::new(self.n),
            }),
            opaque: None,
        };
        c.response = expected_response(&c, method, &self.password);
        format!("Authorization: {c}\r\n")
    }

    fn learn(&mut self, r: &Parsed) {
        let www = message::header(r, "WWW-Authenticate").unwrap_or_default();
        let start = www.find("nonce=\"").map(|i| i + 7).unwrap_or(0);
        let rest = &www[start..];
        self.nonce = rest[..rest.find('"').unwrap_or(0)].to_owned();
    }

    fn register(&mut self, sim: &mut Sim) {
        for auth in [false, true] {
            self.cseq += 1;
            let branch = self.branch();
            let a = if auth {
                self.auth("REGISTER", "sip:127.0.0.1")
            } else {
                String::new()
            };
            let text =
                format!(
                "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch};rport\r\n\
                 From: <sip:{u}@127.0.0.1>;tag=r{u}\r\nTo: <sip:{u}@127.0.0.1>\r\n\
                 Call-ID: reg-{u}\r\nCSeq: {c} REGISTER\r\nContact: <sip:{u}@{at}>\r\n\
                 Expires: 3600\r\n{a}Content-Length: 0\r\n\r\n",
                at = self.at, u = self.user, c = self.cseq,
            );
            sim.send(self.at, &text);
            let (r, requests): (Vec<Parsed>, Vec<Parsed>) = sim
                .take(self.at)
                .into_iter()
                .partition(|p| code(p).is_some());
            // Requests to the phone that registration set off (a waiting call) stay queued.
            if !requests.is_empty() {
                sim.inbox.insert(self.at, requests);
            }
            if !auth {
                assert_eq!(codes(&r), [401]);
                self.learn(&r[0]);
            } else {
                assert_eq!(codes(&r), [200], "register {}", self.user);
            }
        }
    }

    /// Calls `to`; returns the INVITE's branch and Call-ID.
    fn invite(&mut self, sim: &mut Sim, to: &str) -> (String, String) {
        let uri = format!("sip:{to}@127.0.0.1");
        let call_id = format!("call-{}-{}", self.user, self.n);
        self.cseq += 1;
        let branch = self.branch();
        let text = format!(
            "INVITE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch};rport\r\n\
             From: <sip:{u}@127.0.0.1>;tag=ft{u}\r\nTo: <{uri}>\r\nCall-ID: {call_id}\r\n\
             CSeq: {c} INVITE\r\nContact: <sip:{u}@{at}>\r\n{a}\
             Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{SDP}",
            at = self.at,
            u = self.user,
            c = self.cseq,
            a = self.auth("INVITE", &uri),
            len = SDP.len(),
        );
        sim.send(self.at, &text);
        (branch, call_id)
    }

    /// Answers a request we received with `code` (and SDP for a 2xx INVITE).
    fn respond(&self, sim: &mut Sim, req: &Parsed, code: u16, sdp: Option<&str>) {
        let via: String = message::header_values(req, "Via")
            .map(|v| format!("Via: {v}\r\n"))
            .collect();
        let from = message::header(req, "From").unwrap_or_default();
        let to = message::header(req, "To").unwrap_or_default();
        let tag = if req.head.to_tag.is_some() {
            String::new()
        } else {
            format!(";tag=tt{}", self.user)
        };
        let body = sdp.unwrap_or_default();
        let ctype = if sdp.is_some() {
            "Content-Type: application/sdp\r\n"
        } else {
            ""
        };
        let text = format!(
            "SIP/2.0 {code} Whatever\r\n{via}From: {from}\r\nTo: {to}{tag}\r\nCall-ID: {cid}\r\n\
             CSeq: {cseq} {m}\r\nContact: <sip:{u}@{at}>\r\n{ctype}Content-Length: {len}\r\n\r\n{body}",
            cid = req.head.call_id, cseq = req.head.cseq, m = req.head.cseq_method.as_str(),
            u = self.user, at = self.at, len = body.len(),
        );
        sim.send(self.at, &text);
    }

    /// An in-dialog request as the caller (From tag ours, To tag from the response).
    fn in_dialog(
        &mut self,
        sim: &mut Sim,
        method: &str,
        ok: &Parsed,
        body: Option<&str>,
        cseq: Option<u32>,
    ) {
        let branch = self.branch();
        let c = cseq.unwrap_or_else(|| {
            self.cseq += 1;
            self.cseq
        });
        let to = message::header(ok, "To").unwrap_or_default();
        let from = message::header(ok, "From").unwrap_or_default();
        let body = body.unwrap_or_default();
        let text = format!(
            "{method} sip:x@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch};rport\r\n\
             From: {from}\r\nTo: {to}\r\nCall-ID: {cid}\r\nCSeq: {c} {method}\r\n\
             Contact: <sip:{u}@{at}>\r\n{ct}Content-Length: {len}\r\n\r\n{body}",
            at = self.at, cid = ok.head.call_id, u = self.user, len = body.len(),
            ct = if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" },
        );
        sim.send(self.at, &text);
    }

    /// An in-dialog request as the callee, in the dialog of a request it received.
    fn in_dialog_as_callee(
        &mut self,
        sim: &mut Sim,
        method: &str,
        invite: &Parsed,
        body: Option<&str>,
    ) {
        let branch = self.branch();
        let to = message::header(invite, "From").unwrap_or_default();
        let from = format!(
            "{};tag=tt{}",
            message::header(invite, "To").unwrap_or_default(),
            self.user
        );
        let body = body.unwrap_or_default();
        let text = format!(
            "{method} sip:x@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch};rport\r\n\
             From: {from}\r\nTo: {to}\r\nCall-ID: {cid}\r\nCSeq: 10 {method}\r\n\
             Contact: <sip:{u}@{at}>\r\n{ct}Content-Length: {len}\r\n\r\n{body}",
            at = self.at, cid = invite.head.call_id, u = self.user, len = body.len(),
            ct = if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" },
        );
        sim.send(self.at, &text);
    }
}

fn answer_sdp(port: u16) -> String {
    format!(
        "v=0\r\no=- 2 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
}

fn bridged(sim: &Sim) -> bool {
    sim.media
        .iter()
        .any(|c| matches!(c, Command::Bridge { .. }))
}

#[test]
fn two_phones_call_talk_and_hang_up() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    anna.invite(&mut sim, "102");
    let to_anna = sim.take(anna.at);
    assert_eq!(codes(&to_anna), [183], "early media ringback");
    assert!(message::sdp_body(&to_anna[0]).is_some_and(|s| s.contains("m=audio 10000")));
    let invites = sim.take(piotr.at);
    assert_eq!(methods(&invites), ["INVITE"]);
    let inv = &invites[0];
    assert!(message::header(inv, "From")
        .is_some_and(|f| f.contains("Anna Nowak") && f.contains("sip:101@")));
    assert!(message::sdp_body(inv).is_some_and(|s| s.contains("m=audio 10002")));
    assert!(
        sim.media.iter().any(|c| matches!(c, Command::Play { .. })),
        "ringback played"
    );

    piotr.respond(&mut sim, inv, 180, None);
    piotr.respond(&mut sim, inv, 200, Some(&answer_sdp(6000)));
    assert_eq!(methods(&sim.take(piotr.at)), ["ACK"]);
    let to_anna = sim.take(anna.at);
    assert_eq!(codes(&to_anna), [200]);
    let ok = &to_anna[0];
    assert!(message::sdp_body(ok).is_some_and(|s| s.contains("m=audio 10000")));
    assert!(bridged(&sim));
    let remote_b = sim.media.iter().find_map(|c| match c {
        Command::Remote { remote, .. } if remote.addr == Some(addr("192.0.2.20:6000")) => {
            Some(*remote)
        }
        _ => None,
    });
    assert_eq!(
        remote_b.map(|r| r.law),
        Some(crate::media::g711::Law::Alaw),
        "the callee's law"
    );

    // No ACK yet: the 200 is retransmitted.
    sim.advance(TimeDelta::milliseconds(600));
    assert_eq!(codes(&sim.take(anna.at)), [200]);
    anna.in_dialog(&mut sim, "ACK", ok, None, Some(anna.cseq));
    sim.advance(TimeDelta::seconds(5));
    assert!(
        sim.take(anna.at).is_empty(),
        "no retransmission after the ACK"
    );

    anna.in_dialog(&mut sim, "BYE", ok, None, None);
    assert_eq!(codes(&sim.take(anna.at)), [200]);
    let bye = sim.take(piotr.at);
    assert_eq!(methods(&bye), ["BYE"]);
    assert_eq!(bye[0].head.to_tag.as_deref(), Some("tt102"));
    piotr.respond(&mut sim, &bye[0], 200, None);
    sim.advance(TimeDelta::seconds(1));
    assert_eq!(sim.sw.endpoint().calls(), 0);
    assert!(
        sim.media
            .iter()
            .filter(|c| matches!(c, Command::Close { .. }))
            .count()
            == 2
    );
}

#[test]
fn cancel_while_ringing_ends_both_legs() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    let (branch, call_id) = anna.invite(&mut sim, "102");
    sim.take(anna.at);
    let inv = sim.take(piotr.at).remove(0);
    piotr.respond(&mut sim, &inv, 180, None);
    let cancel = format!(
        "CANCEL sip:102@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch};rport\r\n\
         From: <sip:101@127.0.0.1>;tag=ft101\r\nTo: <sip:102@127.0.0.1>\r\nCall-ID: {call_id}\r\n\
         CSeq: {c} CANCEL\r\nContent-Length: 0\r\n\r\n",
        at = anna.at,
        c = anna.cseq,
    );
    sim.send(anna.at, &cancel);
    assert_eq!(codes(&sim.take(anna.at)), [200, 487]);
    let (to_piotr, told): (Vec<Parsed>, Vec<Parsed>) = sim
        .take(piotr.at)
        .into_iter()
        .partition(|p| method(p).as_deref() != Some("MESSAGE"));
    assert_eq!(methods(&to_piotr), ["CANCEL"]);
    // The missed call is told to Piotr's phone as a SIP MESSAGE (RFC 3428).
    assert_eq!(told.len(), 1, "one MESSAGE");
    assert_eq!(
        message::request_uri(&told[0]),
        Some("sip:102@192.0.2.10:5002")
    );
    assert!(message::header(&told[0], "Contact").is_none());
    let ctype = message::header(&told[0], "Content-Type").unwrap_or_default();
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    let text = String::from_utf8_lossy(&told[0].bytes);
    assert!(
        text.ends_with("Missed call from extension 101 (caller hung up)"),
        "{text}"
    );
    piotr.respond(&mut sim, &told[0], 200, None);
    assert!(
        sim.events.iter().any(|e| matches!(e,
            endpoint::Event::NoticeAnswered { status: 200, employee, .. } if employee.to_string() == "102")),
        "{:?}",
        sim.events
    );
    piotr.respond(&mut sim, &to_piotr[0], 200, None);
    piotr.respond(&mut sim, &inv, 487, None);
    assert_eq!(
        methods(&sim.take(piotr.at)),
        ["ACK"],
        "the 487 is acknowledged"
    );
    sim.advance(TimeDelta::seconds(1));
    assert_eq!(sim.sw.endpoint().calls(), 0);
}

#[test]
fn a_group_rings_simultaneously_and_cancels_the_others() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    let ewa = Phone::new(&mut sim, "103", 5003);
    anna.invite(&mut sim, "100");
    sim.take(anna.at);
    let p_inv = sim.take(piotr.at).remove(0);
    let e_inv = sim.take(ewa.at).remove(0);
    piotr.respond(&mut sim, &p_inv, 180, None);
    ewa.respond(&mut sim, &e_inv, 180, None);
    ewa.respond(&mut sim, &e_inv, 200, Some(&answer_sdp(7000)));
    assert_eq!(methods(&sim.take(ewa.at)), ["ACK"]);
    assert_eq!(methods(&sim.take(piotr.at)), ["CANCEL"]);
    assert_eq!(codes(&sim.take(anna.at)), [200]);
    assert!(bridged(&sim));
}

#[test]
fn in_order_moves_on_when_a_member_is_busy() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    let ewa = Phone::new(&mut sim, "103", 5003);
    anna.invite(&mut sim, "110");
    let p_inv = sim.take(piotr.at).remove(0);
    assert!(sim.take(ewa.at).is_empty(), "in order: Ewa waits her turn");
    piotr.respond(&mut sim, &p_inv, 486, None);
    assert_eq!(methods(&sim.take(piotr.at)), ["ACK"]);
    assert_eq!(
        methods(&sim.take(ewa.at)),
        ["INVITE"],
        "the next member rings at once"
    );
}

#[test]
fn nobody_answering_a_direct_call_goes_to_voicemail_not_silence() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    anna.invite(&mut sim, "102");
    sim.take(anna.at);
    let inv = sim.take(piotr.at).remove(0);
    piotr.respond(&mut sim, &inv, 180, None);
    sim.advance(TimeDelta::milliseconds(30_100));
    assert_eq!(
        methods(&sim.take(piotr.at)),
        ["CANCEL"],
        "after the 30 s ring time"
    );
    let to_anna = sim.take(anna.at);
    assert_eq!(codes(&to_anna), [200], "answered by voicemail");
    assert!(sim.media.iter().any(|c| matches!(
        c,
        Command::Play {
            source: crate::media::Source::Prompt(crate::media::Prompt::Greeting),
            ..
        }
    )));
}

#[test]
fn a_hold_plays_music_to_the_other_side_and_a_resume_bridges_again() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    anna.invite(&mut sim, "102");
    sim.take(anna.at);
    let inv = sim.take(piotr.at).remove(0);
    piotr.respond(&mut sim, &inv, 200, Some(&answer_sdp(6000)));
    sim.take(piotr.at);
    let ok = sim.take(anna.at).remove(0);
    anna.in_dialog(&mut sim, "ACK", &ok, None, Some(anna.cseq));
    sim.media.clear();
    let hold = SDP.replace("a=sendrecv", "a=sendonly");
    anna.in_dialog(&mut sim, "INVITE", &ok, Some(&hold), None);
    let r = sim.take(anna.at);
    assert_eq!(codes(&r), [200]);
    assert!(
        message::sdp_body(&r[0]).is_some_and(|s| s.contains("a=recvonly")),
        "answered at once"
    );
    assert!(
        sim.take(piotr.at).is_empty(),
        "the other phone is not re-INVITEd"
    );
    assert!(
        sim.media.iter().any(|c| matches!(
            c,
            Command::Play {
                source: crate::media::Source::HoldMusic(_),
                ..
            }
        )),
        "the other side hears hold music: {:?}",
        sim.media
    );
    sim.media.clear();
    anna.in_dialog(&mut sim, "INVITE", &ok, Some(SDP), None);
    assert_eq!(codes(&sim.take(anna.at)), [200]);
    assert!(bridged(&sim), "resumed: bridged again");
    // The callee hangs up.
    piotr.in_dialog_as_callee(&mut sim, "BYE", &inv, None);
    assert_eq!(codes(&sim.take(piotr.at)), [200]);
    assert_eq!(methods(&sim.take(anna.at)), ["BYE"]);
}

#[test]
fn waiting_for_an_agent_answers_with_hold_music_then_connects() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    let ewa = Phone::new(&mut sim, "103", 5003);
    anna.invite(&mut sim, "110");
    assert_eq!(codes(&sim.take(anna.at)), [183]);
    let p_inv = sim.take(piotr.at).remove(0);
    piotr.respond(&mut sim, &p_inv, 180, None);
    sim.advance(TimeDelta::milliseconds(10_100));
    assert_eq!(
        methods(&sim.take(piotr.at)),
        ["CANCEL"],
        "Piotr's ring time is over"
    );
    let e_inv = sim.take(ewa.at).remove(0);
    ewa.respond(&mut sim, &e_inv, 180, None);
    sim.advance(TimeDelta::milliseconds(10_100));
    assert_eq!(methods(&sim.take(ewa.at)), ["CANCEL"]);
    // Nobody answered: the caller is answered and hears hold music while the queue goes on.
    let to_anna = sim.take(anna.at);
    assert_eq!(codes(&to_anna), [200], "answered for hold music");
    assert!(sim.media.iter().any(|c| matches!(
        c,
        Command::Play {
            source: crate::media::Source::HoldMusic(None),
            ..
        }
    )));
    let ok = &to_anna[0];
    anna.in_dialog(&mut sim, "ACK", ok, None, Some(anna.cseq));
    // Members are rung again; one answers and the caller is bridged to them.
    let again: Vec<Parsed> = [piotr.at, ewa.at]
        .iter()
        .flat_map(|a| sim.take(*a))
        .filter(|p| method(p).as_deref() == Some("INVITE"))
        .collect();
    assert!(!again.is_empty(), "the queue keeps offering the call");
    let inv = &again[0];
    let who = if message::header(inv, "To").is_some_and(|t| t.contains("102")) {
        &piotr
    } else {
        &ewa
    };
    who.respond(&mut sim, inv, 200, Some(&answer_sdp(7000)));
    assert!(bridged(&sim));
    assert!(
        sim.take(anna.at).iter().all(|p| code(p) != Some(200)),
        "no second answer to the caller"
    );
}

#[test]
fn shutdown_hangs_up_every_call() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    anna.invite(&mut sim, "102");
    let inv = sim.take(piotr.at).remove(0);
    piotr.respond(&mut sim, &inv, 200, Some(&answer_sdp(6000)));
    sim.take(piotr.at);
    let ok = sim
        .take(anna.at)
        .into_iter()
        .find(|p| code(p) == Some(200))
        .unwrap_or_else(|| panic!("no 200"));
    anna.in_dialog(&mut sim, "ACK", &ok, None, Some(anna.cseq));
    sim.sw.handle_input(sim.now, Input::Shutdown);
    sim.collect();
    assert_eq!(methods(&sim.take(anna.at)), ["BYE"]);
    assert_eq!(methods(&sim.take(piotr.at)), ["BYE"]);
}

#[test]
fn a_phone_that_answers_after_the_cancel_is_hung_up() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    let ewa = Phone::new(&mut sim, "103", 5003);
    anna.invite(&mut sim, "100");
    let p_inv = sim.take(piotr.at).remove(0);
    let e_inv = sim.take(ewa.at).remove(0);
    piotr.respond(&mut sim, &p_inv, 180, None);
    ewa.respond(&mut sim, &e_inv, 180, None);
    ewa.respond(&mut sim, &e_inv, 200, Some(&answer_sdp(7000)));
    assert_eq!(methods(&sim.take(piotr.at)), ["CANCEL"]);
    // Piotr's 200 crossed the CANCEL: ACK it and hang up.
    piotr.respond(&mut sim, &p_inv, 200, Some(&answer_sdp(6000)));
    assert_eq!(methods(&sim.take(piotr.at)), ["ACK", "BYE"]);
}

#[test]
fn a_caller_ringing_for_minutes_is_answered_before_its_invite_times_out() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    let ewa = Phone::new(&mut sim, "103", 5003);
    anna.invite(&mut sim, "120");
    assert_eq!(codes(&sim.take(anna.at)), [183]);
    let inv = sim.take(piotr.at).remove(0);
    piotr.respond(&mut sim, &inv, 180, None);
    sim.advance(TimeDelta::seconds(100));
    sim.take(piotr.at);
    piotr.respond(&mut sim, &inv, 487, None);
    let inv = sim.take(ewa.at).remove(0);
    ewa.respond(&mut sim, &inv, 180, None);
    sim.advance(TimeDelta::seconds(81));
    let to_anna = sim.take(anna.at);
    let answers = codes(&to_anna);
    assert!(
        !answers.is_empty() && answers.iter().all(|c| *c == 200),
        "answered at timer C rather than lost (with retransmissions until the ACK): {answers:?}"
    );
    anna.in_dialog(&mut sim, "ACK", &to_anna[0], None, Some(anna.cseq));
    // The phone still rings, and still connects when answered.
    ewa.respond(&mut sim, &inv, 200, Some(&answer_sdp(6000)));
    assert!(bridged(&sim));
}

#[test]
fn a_queue_offers_calls_only_to_members_with_a_registered_phone() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    anna.invite(&mut sim, "110");
    // Nobody of the group has a phone: the caller waits with music, and no INVITE goes out
    // (before, the router rang the unreachable members again and again at the same instant).
    let to_anna = sim.take(anna.at);
    assert_eq!(codes(&to_anna).last(), Some(&200), "{:?}", codes(&to_anna));
    assert!(
        sim.inbox.is_empty(),
        "nobody to ring: {:?}",
        sim.inbox.keys()
    );
    // A member's phone registers: the waiting caller is offered to them.
    let piotr = Phone::new(&mut sim, "102", 5002);
    let invites = sim.take(piotr.at);
    assert_eq!(methods(&invites), ["INVITE"]);
    // The registration lapses unrefreshed: the member is offline again and nothing loops.
    piotr.respond(&mut sim, &invites[0], 486, None);
    sim.advance(TimeDelta::hours(2));
    assert!(sim.sw.endpoint().calls() <= 1);
}

#[test]
fn a_phone_refusing_at_once_is_not_flooded_with_invites() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    anna.invite(&mut sim, "110");
    let inv = sim.take(piotr.at).remove(0);
    // Do not disturb: 486 at once. The queue waits for an agent and offers the call again,
    // but Piotr's phone is left alone for the retry pause.
    piotr.respond(&mut sim, &inv, 486, None);
    assert_eq!(methods(&sim.take(piotr.at)), ["ACK"]);
    sim.advance(TimeDelta::seconds(4));
    assert!(sim.take(piotr.at).is_empty(), "rung again within the pause");
    sim.advance(TimeDelta::milliseconds(1100));
    assert_eq!(
        methods(&sim.take(piotr.at)),
        ["INVITE"],
        "rung again after it"
    );
}

#[test]
fn a_member_reachable_only_over_ipv6_is_skipped_without_looping() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::at(&mut sim, "102", addr("[2001:db8::7]:5002"));
    // The group rings in order and waits for an agent; Piotr's contact cannot be called
    // (an IPv6 literal), so he is declined at once — and not offered the call again at the
    // same instant, which used to loop forever inside the switch.
    anna.invite(&mut sim, "110");
    assert!(sim.take(piotr.at).is_empty());
    sim.advance(TimeDelta::seconds(30));
    assert!(
        sim.take(piotr.at).is_empty(),
        "nothing is sent to a contact we cannot write"
    );
    assert_eq!(sim.sw.endpoint().calls(), 1, "the caller waits with music");
}
