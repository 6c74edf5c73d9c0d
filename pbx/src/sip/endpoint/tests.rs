//! The endpoint in virtual time: simulated phones send SIP text, responses are parsed back
//! with the wire layer.

use super::register::parse_contact;
use super::*;
use crate::sip::digest::{expected_response, NonceCount, Qop, QopParams};

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
presence = "available"

[[employees.devices]]
username = "101"
password = "secret-101"

[[employees]]
extension = "102"
name = "Piotr Kowalski"
presence = "available"

[[employees.devices]]
username = "102"
password = "secret-102"

[[groups]]
name = "office"
number = "100"
members = ["101", "102"]
distribution = "in_order"
ring_time_secs = 20
unanswered = "wait_for_agent"

[[entry_points]]
name = "reception"

[entry_points.source]
internal = "200"

[entry_points.destination]
group = "office"
"#;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

/// Both challenges, so the SHA-256 path is tested too.
fn both() -> Options {
    Options {
        digest: DigestChoice::Both,
        ..Options::default()
    }
}

fn config() -> Arc<Config> {
    Arc::new(firmware_config::text::import(CONFIG).unwrap_or_else(|e| panic!("{e}")))
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The endpoint and a virtual clock.
struct Sim {
    ep: Endpoint,
    now: DateTime<Utc>,
}

impl Sim {
    fn new() -> Sim {
        Sim {
            ep: Endpoint::with_options(config(), [7; 32], both()),
            now: t0(),
        }
    }

    fn feed(&mut self, input: Input) -> Vec<Output> {
        self.ep.handle_input(self.now, input);
        std::iter::from_fn(|| self.ep.poll_output()).collect()
    }

    fn send_over(&mut self, from: SocketAddr, transport: Transport, text: &str) -> Vec<Output> {
        let bytes = text.as_bytes().to_vec();
        self.feed(Input::Received {
            from,
            transport,
            bytes,
        })
    }

    fn send(&mut self, from: SocketAddr, text: &str) -> Vec<Output> {
        self.send_over(from, Transport::Udp, text)
    }

    /// Moves the clock forward by `d`, firing every deadline on the way.
    fn advance(&mut self, d: TimeDelta) -> Vec<Output> {
        let end = self.now + d;
        let mut out = Vec::new();
        while let Some(at) = self.ep.poll_timeout().filter(|&at| at <= end) {
            self.now = self.now.max(at);
            out.extend(self.feed(Input::Timeout));
        }
        self.now = end;
        out.extend(self.feed(Input::Timeout));
        out
    }
}

/// A response sent by the endpoint.
#[derive(Debug)]
struct Sent {
    to: SocketAddr,
    transport: Transport,
    code: u16,
    text: String,
}

impl Sent {
    /// Every value of a header, by name (case-insensitive).
    fn headers(&self, name: &str) -> Vec<&str> {
        self.text
            .split("\r\n")
            .filter_map(|l| l.split_once(':'))
            .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect()
    }

    fn header(&self, name: &str) -> &str {
        let all = self.headers(name);
        assert_eq!(all.len(), 1, "{name} in\n{}", self.text);
        all[0]
    }
}

fn sent(outputs: &[Output]) -> Vec<Sent> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Transmit {
                to,
                transport,
                bytes,
            } => {
                // Status line by hand: a 400 may echo the malformed header it refuses.
                let text = String::from_utf8_lossy(bytes).into_owned();
                let code = text
                    .strip_prefix("SIP/2.0 ")
                    .and_then(|rest| rest.get(..3))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or_else(|| panic!("not a response:\n{text}"));
                if code != 400 {
                    let parsed = wire::parse(bytes).unwrap_or_else(|e| panic!("{e}:\n{text}"));
                    assert!(matches!(parsed.head.start, StartLine::Response { .. }));
                }
                Some(Sent {
                    to: *to,
                    transport: *transport,
                    code,
                    text,
                })
            }
            _ => None,
        })
        .collect()
}

fn events(outputs: &[Output]) -> Vec<Event> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// The single response among the outputs.
fn one(outputs: &[Output]) -> Sent {
    let mut all = sent(outputs);
    assert_eq!(all.len(), 1, "{outputs:?}");
    all.remove(0)
}

/// A simulated phone: its address, account and counters.
struct Phone {
    from: SocketAddr,
    user: &'static str,
    password: &'static str,
    call_id: String,
    cseq: u32,
    branch: u32,
    /// The last challenge: (nonce, algorithm).
    challenge: Option<(String, Algorithm)>,
    /// Requests sent with the last challenge's nonce.
    nc: u32,
}

impl Phone {
    fn new(from: &str, user: &'static str, password: &'static str) -> Phone {
        Phone {
            from: addr(from),
            user,
            password,
            call_id: format!("{user}-{from}@test"),
            cseq: 0,
            branch: 0,
            challenge: None,
            nc: 0,
        }
    }

    fn next_branch(&mut self) -> String {
        self.branch += 1;
        format!("z9hG4bK-{}-{}", self.from.port(), self.branch)
    }

    /// A request; `headers` are extra header lines.
    fn request(&mut self, method: &str, uri: &str, to_user: &str, headers: &[String]) -> String {
        self.cseq += 1;
        let branch = self.next_branch();
        let host = self.from;
        let mut text = format!(
            "{method} {uri} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {host};branch={branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{user}@127.0.0.1>;tag=ft-{user}\r\n\
             To: <sip:{to_user}@127.0.0.1>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} {method}\r\n",
            user = self.user,
            call_id = self.call_id,
            cseq = self.cseq,
        );
        for h in headers {
            text.push_str(h);
            text.push_str("\r\n");
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        text
    }

    /// Remembers the first challenge of a 401.
    fn learn(&mut self, response: &Sent) {
        let first = response.headers("WWW-Authenticate")[0];
        let nonce = param(first, "nonce");
        let algorithm = Algorithm::from_token(&param(first, "algorithm")).unwrap_or(Algorithm::Md5);
        self.challenge = Some((nonce, algorithm));
        self.nc = 0;
    }

    /// An Authorization header answering the last challenge.
    fn authorization(&mut self, method: &str, uri: &str, password: &str) -> String {
        self.nc += 1;
        let (nonce, algorithm) = self
            .challenge
            .clone()
            .unwrap_or_else(|| ("no-challenge-yet".into(), Algorithm::Md5));
        let mut creds = Credentials {
            username: self.user.into(),
            realm: REALM.into(),
            nonce,
            uri: uri.into(),
            response: String::new(),
            algorithm,
            qop: Some(QopParams {
                qop: Qop::Auth,
                cnonce: "c0ffee".into(),
                nc: NonceCount::new(self.nc),
            }),
            opaque: None,
        };
        creds.response = expected_response(&creds, method, password);
        format!("Authorization: {creds}")
    }

    fn register(&mut self, auth: bool, extra: &[&str]) -> String {
        let uri = "sip:127.0.0.1";
        let contact = format!("Contact: <sip:{}@{}>", self.user, self.from);
        let mut headers = vec![contact];
        headers.extend(extra.iter().map(|s| s.to_string()));
        if auth {
            let password = self.password;
            headers.push(self.authorization("REGISTER", uri, password));
        }
        let user = self.user;
        self.request("REGISTER", uri, user, &headers)
    }

    fn invite(&mut self, to: &str, password: Option<&str>) -> String {
        let uri = format!("sip:{to}@127.0.0.1");
        let mut headers = Vec::new();
        if let Some(pw) = password {
            headers.push(self.authorization("INVITE", &uri, pw));
        }
        self.request("INVITE", &uri, to, &headers)
    }

    /// Registers through the challenge; returns the 200.
    fn sign_in(&mut self, sim: &mut Sim) -> Sent {
        let challenge = one(&sim.send(self.from, &self.register(false, &[])));
        assert_eq!(challenge.code, 401, "{}", challenge.text);
        self.learn(&challenge);
        let ok = one(&sim.send(self.from, &self.register(true, &[])));
        assert_eq!(ok.code, 200, "{}", ok.text);
        ok
    }
}

/// A parameter of a challenge, unquoted.
fn param(challenge: &str, name: &str) -> String {
    challenge
        .split(',')
        .map(str::trim)
        .map(|p| p.strip_prefix("Digest ").unwrap_or(p))
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_default()
}

#[test]
fn register_is_challenged_md5_first_then_accepted() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let challenge = one(&sim.send(phone.from, &phone.register(false, &[])));
    assert_eq!(challenge.code, 401);
    assert!(challenge.text.starts_with("SIP/2.0 401 Unauthorized\r\n"));
    let offers = challenge.headers("WWW-Authenticate");
    assert_eq!(offers.len(), 2, "{}", challenge.text);
    assert!(offers[0].contains("algorithm=MD5"), "{}", offers[0]);
    assert!(offers[1].contains("algorithm=SHA-256"), "{}", offers[1]);
    assert!(offers[0].contains("realm=\"centrala\""), "{}", offers[0]);
    assert_eq!(challenge.to, phone.from);
    assert_eq!(challenge.header("Server"), SERVER);
    assert!(challenge.header("To").contains(";tag="));
    assert_eq!(challenge.header("Content-Length"), "0");
    assert_eq!(challenge.header("Call-ID"), phone.call_id);
    assert_eq!(challenge.header("CSeq"), "1 REGISTER");
    // rport asked: received and rport filled in (RFC 3581).
    assert!(
        challenge
            .header("Via")
            .ends_with(";received=192.0.2.10;rport=5062"),
        "{}",
        challenge.text
    );

    phone.learn(&challenge);
    let outputs = sim.send(phone.from, &phone.register(true, &["Expires: 600"]));
    let ok = one(&outputs);
    assert_eq!(ok.code, 200, "{}", ok.text);
    assert_eq!(
        ok.header("Contact"),
        "<sip:101@192.0.2.10:5062>;expires=600"
    );
    assert_eq!(ok.header("Date"), "Fri, 15 Jan 2027 08:00:00 GMT");
    assert_eq!(
        events(&outputs),
        vec![Event::Registered {
            user: "101".into(),
            contact: "sip:101@192.0.2.10:5062".into(),
            source: phone.from,
            expires: 600,
        }]
    );
    let ext = Extension::parse("101").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sim.ep.registrar().contacts_of(sim.now, &ext).len(), 1);
}

#[test]
fn the_default_challenge_is_md5_only() {
    let mut ep = Endpoint::new(config(), [7; 32]);
    let phone = Phone::new("192.0.2.10:5062", "102", "secret-102");
    let mut p = phone;
    let text = p.register(false, &[]);
    ep.handle_input(
        t0(),
        Input::Received {
            from: p.from,
            transport: Transport::Udp,
            bytes: text.into_bytes(),
        },
    );
    let outputs: Vec<Output> = std::iter::from_fn(|| ep.poll_output()).collect();
    let r = one(&outputs);
    assert_eq!(r.code, 401);
    let all = r.headers("WWW-Authenticate");
    assert_eq!(all.len(), 1, "{}", r.text);
    assert!(all[0].contains("algorithm=MD5"), "{}", all[0]);
}

#[test]
fn sha256_answers_are_accepted_too() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "102", "secret-102");
    let challenge = one(&sim.send(phone.from, &phone.register(false, &[])));
    let second = challenge.headers("WWW-Authenticate")[1];
    phone.challenge = Some((param(second, "nonce"), Algorithm::Sha256));
    phone.nc = 0;
    let ok = one(&sim.send(phone.from, &phone.register(true, &[])));
    assert_eq!(ok.code, 200, "{}", ok.text);
}

#[test]
fn wrong_password_is_forbidden_and_logged() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "not-the-password");
    let challenge = one(&sim.send(phone.from, &phone.register(false, &[])));
    phone.learn(&challenge);
    let outputs = sim.send(phone.from, &phone.register(true, &[]));
    assert_eq!(one(&outputs).code, 403);
    assert_eq!(
        events(&outputs),
        vec![Event::AuthFailed {
            method: Method::Register,
            user: Some("101".into()),
            source: phone.from,
        }]
    );
}

#[test]
fn registrations_expire_in_virtual_time() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let challenge = one(&sim.send(phone.from, &phone.register(false, &[])));
    phone.learn(&challenge);
    let ok = one(&sim.send(phone.from, &phone.register(true, &["Expires: 60"])));
    assert!(ok.header("Contact").ends_with(";expires=60"));
    let ext = Extension::parse("101").unwrap_or_else(|e| panic!("{e}"));
    let early = sim.advance(TimeDelta::seconds(59));
    assert!(events(&early).is_empty(), "{early:?}");
    assert_eq!(sim.ep.registrar().contacts_of(sim.now, &ext).len(), 1);
    let late = sim.advance(TimeDelta::seconds(2));
    assert_eq!(
        events(&late),
        vec![Event::Expired {
            user: "101".into(),
            contact: "sip:101@192.0.2.10:5062".into(),
        }]
    );
    assert!(sim.ep.registrar().contacts_of(sim.now, &ext).is_empty());
}

#[test]
fn unregistering_is_reported() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    phone.sign_in(&mut sim);
    // A nonce is the millisecond it was issued: a new challenge needs the clock to move.
    sim.now += TimeDelta::seconds(1);
    let challenge = one(&sim.send(phone.from, &phone.register(false, &["Expires: 0"])));
    phone.learn(&challenge);
    let outputs = sim.send(phone.from, &phone.register(true, &["Expires: 0"]));
    let ok = one(&outputs);
    assert_eq!(ok.code, 200);
    assert!(ok.headers("Contact").is_empty(), "{}", ok.text);
    assert_eq!(
        events(&outputs),
        vec![Event::Unregistered {
            user: "101".into(),
            contact: "sip:101@192.0.2.10:5062".into(),
        }]
    );
}

#[test]
fn too_brief_an_interval_is_423_with_min_expires() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let challenge = one(&sim.send(phone.from, &phone.register(false, &[])));
    phone.learn(&challenge);
    let r = one(&sim.send(phone.from, &phone.register(true, &["Expires: 10"])));
    assert_eq!(r.code, 423);
    assert_eq!(r.header("Min-Expires"), "60");
}

#[test]
fn a_retransmitted_register_is_answered_from_its_transaction() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let challenge = one(&sim.send(phone.from, &phone.register(false, &[])));
    phone.learn(&challenge);
    let request = phone.register(true, &[]);
    let first = sim.send(phone.from, &request);
    sim.now += TimeDelta::milliseconds(500);
    let again = sim.send(phone.from, &request);
    // The same bytes again, and no second Registered event. Had the registrar seen the
    // request twice, the nonce count would have been a replay: 401 stale.
    assert_eq!(one(&first).code, 200);
    assert_eq!(one(&first).text, one(&again).text);
    assert!(events(&again).is_empty(), "{again:?}");
    // The transaction ends by itself (timer J, 32 s on UDP).
    assert_eq!(sim.ep.transactions(), 2);
    sim.advance(TimeDelta::seconds(33));
    assert_eq!(sim.ep.transactions(), 0);
}

#[test]
fn options_answers_with_allow_and_accept() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let r = one(&sim.send(
        phone.from,
        &phone.request("OPTIONS", "sip:127.0.0.1", "101", &[]),
    ));
    assert_eq!(r.code, 200);
    assert!(r.text.starts_with("SIP/2.0 200 OK\r\n"));
    assert_eq!(r.header("Allow"), ALLOW);
    assert_eq!(r.header("Accept"), "application/sdp");
    // Max-Forwards 0 does not stop an OPTIONS addressed to us.
    let text = phone
        .request("OPTIONS", "sip:127.0.0.1", "101", &[])
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    assert_eq!(one(&sim.send(phone.from, &text)).code, 200);
}

#[test]
fn options_over_tcp_goes_back_over_tcp() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:40000", "101", "secret-101");
    let text = phone
        .request("OPTIONS", "sip:127.0.0.1", "101", &[])
        .replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    let r = one(&sim.send_over(phone.from, Transport::Tcp, &text));
    assert_eq!(
        (r.code, r.to, r.transport),
        (200, phone.from, Transport::Tcp)
    );
}

#[test]
fn max_forwards_zero_is_483() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let text = phone
        .register(false, &[])
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    let r = one(&sim.send(phone.from, &text));
    assert_eq!(r.code, 483);
    assert!(r.text.starts_with("SIP/2.0 483 Too Many Hops\r\n"));
}

#[test]
fn malformed_requests_get_400_and_an_event() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let text = phone
        .request("OPTIONS", "sip:127.0.0.1", "101", &[])
        .replace("CSeq: 1 OPTIONS", "CSeq: one OPTIONS");
    let outputs = sim.send(phone.from, &text);
    let r = one(&outputs);
    assert_eq!(r.code, 400);
    assert_eq!(r.header("CSeq"), "one OPTIONS");
    assert!(matches!(
        events(&outputs)[..],
        [Event::Rejected {
            status: Some(400),
            ..
        }]
    ));
    // Without a Call-ID no response can be formed: dropped, with an event.
    let text = phone
        .request("OPTIONS", "sip:127.0.0.1", "101", &[])
        .replace(&format!("Call-ID: {}\r\n", phone.call_id), "");
    let outputs = sim.send(phone.from, &text);
    assert!(sent(&outputs).is_empty());
    assert!(matches!(
        events(&outputs)[..],
        [Event::Rejected { status: None, .. }]
    ));
    // Garbage.
    let outputs = sim.send(phone.from, "\x00\x01 hello\r\n\r\n");
    assert!(sent(&outputs).is_empty());
}

#[test]
fn unknown_and_unsupported_methods_get_501() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let r = one(&sim.send(
        phone.from,
        &phone.request("FOO", "sip:127.0.0.1", "101", &[]),
    ));
    assert_eq!(r.code, 501);
    assert_eq!(r.header("CSeq"), "1 FOO");
    let r = one(&sim.send(
        phone.from,
        &phone.request("PUBLISH", "sip:127.0.0.1", "101", &[]),
    ));
    assert_eq!(r.code, 501);
    assert_eq!(r.header("Allow"), ALLOW);
    let r = one(&sim.send(
        phone.from,
        &phone.request("SUBSCRIBE", "sip:127.0.0.1", "101", &[]),
    ));
    // No event package, so not message-summary (the only one served).
    assert_eq!(r.code, 489);
}

#[test]
fn requests_outside_any_dialog_get_481() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let bye = phone.request("BYE", "sip:102@127.0.0.1", "102", &[]);
    assert_eq!(one(&sim.send(phone.from, &bye)).code, 481);
    let cancel = phone.request("CANCEL", "sip:102@127.0.0.1", "102", &[]);
    assert_eq!(one(&sim.send(phone.from, &cancel)).code, 481);
    let reinvite = phone
        .invite("102", None)
        .replace("To: <sip:102@127.0.0.1>", "To: <sip:102@127.0.0.1>;tag=x");
    assert_eq!(one(&sim.send(phone.from, &reinvite)).code, 481);
}

#[test]
fn invites_are_challenged_and_need_an_sdp_offer() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let r = one(&sim.send(phone.from, &phone.invite("102", None)));
    assert_eq!(r.code, 401);
    assert_eq!(r.headers("WWW-Authenticate").len(), 2);
    phone.learn(&r);

    let outputs = sim.send(phone.from, &phone.invite("999", Some("secret-101")));
    assert_eq!(one(&outputs).code, 404);
    assert_eq!(
        events(&outputs),
        vec![Event::NotConnected {
            method: Method::Invite,
            user: "101".into(),
            target: "999".into(),
            status: 404,
        }]
    );
    // An employee, a group, an internal entry point and voicemail exist, but an INVITE
    // without an offer is refused with 488 naming why (late offer is not supported).
    for to in ["102", "100", "200", "800"] {
        let r = one(&sim.send(phone.from, &phone.invite(to, Some("secret-101"))));
        assert_eq!(r.code, 488, "{to}: {}", r.text);
        assert!(r.header("Warning").contains("an SDP offer is required"));
    }
    let outputs = sim.send(phone.from, &phone.invite("102", Some("wrong")));
    assert_eq!(one(&outputs).code, 403);
    assert!(matches!(
        events(&outputs)[..],
        [Event::AuthFailed {
            method: Method::Invite,
            ..
        }]
    ));
}

#[test]
fn an_invite_response_is_retransmitted_until_acked() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let invite = phone.invite("102", None);
    let first = one(&sim.send(phone.from, &invite));
    assert_eq!(first.code, 401);
    // No ACK: timer G resends the 401 after T1.
    let resent = sim.advance(TimeDelta::milliseconds(600));
    assert_eq!(one(&resent).text, first.text);
    // The ACK (same branch) stops it.
    let branch = format!("z9hG4bK-5062-{}", phone.branch);
    let ack = format!(
        "ACK sip:102@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5062;branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:101@127.0.0.1>;tag=ft-101\r\n\
         {}\r\n\
         Call-ID: {}\r\n\
         CSeq: 1 ACK\r\n\
         Content-Length: 0\r\n\r\n",
        format_args!("To: {}", first.header("To")),
        phone.call_id
    );
    assert!(sim.send(phone.from, &ack).is_empty());
    let later = sim.advance(TimeDelta::seconds(10));
    assert!(sent(&later).is_empty(), "{later:?}");
}

#[test]
fn responses_are_dropped() {
    let mut sim = Sim::new();
    let text = "SIP/2.0 200 OK\r\n\
                Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-nope\r\n\
                From: <sip:101@127.0.0.1>;tag=a\r\n\
                To: <sip:102@127.0.0.1>;tag=b\r\n\
                Call-ID: x\r\n\
                CSeq: 1 OPTIONS\r\n\
                Content-Length: 0\r\n\r\n";
    assert!(sent(&sim.send(addr("192.0.2.10:5062"), text)).is_empty());
    // A malformed response is not answered either.
    assert!(sent(&sim.send(addr("192.0.2.10:5062"), "SIP/2.0 200 OK\r\n\r\n")).is_empty());
    // Nor a keep-alive.
    assert!(sim.send(addr("192.0.2.10:5062"), "\r\n\r\n").is_empty());
}

#[test]
fn received_is_added_when_sent_by_differs_even_without_rport() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("203.0.113.5:31000", "101", "secret-101");
    let text = phone
        .request("OPTIONS", "sip:127.0.0.1", "101", &[])
        .replace("203.0.113.5:31000;branch", "10.0.0.7:5060;branch")
        .replace(";rport", "");
    let r = one(&sim.send(phone.from, &text));
    let via = r.header("Via");
    assert!(
        via.starts_with("SIP/2.0/UDP 10.0.0.7:5060;branch="),
        "{via}"
    );
    assert!(via.ends_with(";received=203.0.113.5"), "{via}");
    // The response still goes where the request came from.
    assert_eq!(r.to, phone.from);
    // Same host as the source and no rport: the Via is copied as is.
    let mut phone = Phone::new("192.0.2.10:5062", "101", "secret-101");
    let text = phone
        .request("OPTIONS", "sip:127.0.0.1", "101", &[])
        .replace(";rport", "");
    let r = one(&sim.send(phone.from, &text));
    assert!(!r.header("Via").contains("received"), "{}", r.text);
}

/// `n` OPTIONS from `from`; returns how many were answered and the events.
fn flood(sim: &mut Sim, from: &str, n: usize) -> (usize, Vec<Event>) {
    let mut phone = Phone::new(from, "scanner", "x");
    let (mut answered, mut evs) = (0, Vec::new());
    for _ in 0..n {
        let text = phone.request("OPTIONS", "sip:127.0.0.1", "100", &[]);
        let outputs = sim.send(phone.from, &text);
        answered += sent(&outputs).len();
        evs.extend(events(&outputs));
    }
    (answered, evs)
}

#[test]
fn a_flood_is_dropped_per_source_ip_while_registered_phones_keep_working() {
    let mut sim = Sim::new();
    // A phone registers from the address that will flood, on another port.
    let mut phone = Phone::new("198.51.100.7:5062", "101", "secret-101");
    phone.sign_in(&mut sim);

    let (answered, evs) = flood(&mut sim, "198.51.100.7:6000", 500);
    // The bucket had 40 tokens, two used by the phone's REGISTERs before its binding existed.
    assert_eq!(answered, 38);
    assert_eq!(
        evs,
        vec![Event::RateLimited {
            source: "198.51.100.7".parse().unwrap_or_else(|e| panic!("{e}"))
        }]
    );
    // Another IP is unaffected.
    assert_eq!(flood(&mut sim, "198.51.100.8:6000", 5).0, 5);
    // The registered phone (its binding's address and port) is exempt: it re-registers.
    sim.now += TimeDelta::milliseconds(1);
    let challenge = one(&sim.send(phone.from, &phone.register(false, &[])));
    phone.learn(&challenge);
    assert_eq!(
        one(&sim.send(phone.from, &phone.register(true, &[]))).code,
        200
    );
    let options = phone.request("OPTIONS", "sip:127.0.0.1", "101", &[]);
    assert_eq!(one(&sim.send(phone.from, &options)).code, 200);
    // Another port on the flooding IP is not: it is limited with the scanner.
    let mut other = Phone::new("198.51.100.7:5064", "102", "secret-102");
    assert!(sim.send(other.from, &other.register(false, &[])).is_empty());

    // Half a second later: 10 tokens, and no second log line within 10 s.
    sim.now += TimeDelta::milliseconds(500);
    let (answered, evs) = flood(&mut sim, "198.51.100.7:6000", 100);
    assert_eq!((answered, evs.len()), (10, 0));
    // Ten seconds after the first warning, one more line.
    sim.now += TimeDelta::seconds(10);
    let (_, evs) = flood(&mut sim, "198.51.100.7:6000", 500);
    assert_eq!(evs.len(), 1);
}

#[test]
fn the_exemption_ends_with_the_binding() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("198.51.100.7:5062", "101", "secret-101");
    let challenge = one(&sim.send(phone.from, &phone.register(false, &[])));
    phone.learn(&challenge);
    one(&sim.send(phone.from, &phone.register(true, &["Expires: 60"])));
    sim.advance(TimeDelta::seconds(61));
    let (answered, _) = flood(&mut sim, "198.51.100.7:5062", 100);
    assert_eq!(answered, 40);
}

#[test]
fn a_new_configuration_drops_removed_devices() {
    let mut sim = Sim::new();
    let mut phone = Phone::new("198.51.100.7:5062", "102", "secret-102");
    phone.sign_in(&mut sim);
    let text = CONFIG.replace("password = \"secret-102\"", "password = \"fresh-102\"");
    let config = firmware_config::text::import(&text).unwrap_or_else(|e| panic!("{e}"));
    sim.feed(Input::Config(Arc::new(config)));
    // Same device, new password: the binding stays, the old password no longer works.
    let ext = Extension::parse("102").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sim.ep.registrar().contacts_of(sim.now, &ext).len(), 1);
    let challenge = one(&sim.send(phone.from, &phone.register(false, &[])));
    phone.learn(&challenge);
    assert_eq!(
        one(&sim.send(phone.from, &phone.register(true, &[]))).code,
        403
    );
}

#[test]
fn contacts_are_read_as_phones_send_them() {
    let uri = |s: &str| match parse_contact(s) {
        Some(ContactEntry::Uri { uri, expires }) => (uri, expires),
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(parse_contact("*"), Some(ContactEntry::Wildcard));
    assert_eq!(
        uri("<sip:101@192.0.2.1:5062;transport=udp>;expires=120"),
        ("sip:101@192.0.2.1:5062;transport=udp".into(), Some(120))
    );
    assert_eq!(
        uri("\"Anna <desk>\" <sip:101@192.0.2.1>;q=0.5"),
        ("sip:101@192.0.2.1".into(), None)
    );
    // baresip and Linphone send a +sip.instance with a URN in angle brackets.
    assert_eq!(
        uri("<sip:101-0x1@127.0.0.1:5070>;expires=3600;+sip.instance=\"<urn:uuid:1f2e>\""),
        ("sip:101-0x1@127.0.0.1:5070".into(), Some(3600))
    );
    assert_eq!(
        uri("sip:101@192.0.2.1;expires=60"),
        ("sip:101@192.0.2.1".into(), Some(60))
    );
    assert_eq!(
        uri("<sip:101@192.0.2.1>;expires=99999999999"),
        ("sip:101@192.0.2.1".into(), Some(u32::MAX))
    );
    assert_eq!(parse_contact("<sip:101@192.0.2.1>;expires=soon"), None);
    assert_eq!(parse_contact("<>"), None);
    assert_eq!(uri_user("sip:101@host").as_deref(), Some("101"));
    assert_eq!(uri_user("SIPS:101:pw@host").as_deref(), Some("101"));
    assert_eq!(uri_user("sip:host"), None);
    assert_eq!(uri_user("tel:+48221234567"), None);
}

#[test]
fn numbers_that_lead_somewhere() {
    let config = config();
    for n in ["101", "102", "100", "200", "800"] {
        assert!(leads_somewhere(&config, n), "{n}");
    }
    for n in ["999", "103", "", "abc", "0048221234567"] {
        assert!(!leads_somewhere(&config, n), "{n}");
    }
}
