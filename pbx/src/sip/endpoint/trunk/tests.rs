//! Trunk registration through the whole endpoint, in virtual time: a simulated provider
//! answers the REGISTERs the endpoint transmits.

use super::*;

const BASE: &str = r#"
lines = []

[system]
name = "Test office"
default_country_code = 48
tone_country = "PL"
control_socket = "/run/centrala/control.sock"
data_dir = "/var/lib/centrala"
allowed_country_codes = []

[[system.sip_listen]]
transport = "udp"
address = "192.0.2.1:5060"

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
"#;

const PROVIDER: &str = "198.51.100.7:5070";

/// One trunk, `fields` added to (or overriding) its defaults.
fn config_with(trunk: &str) -> Arc<Config> {
    let text = format!("{BASE}\n{trunk}");
    Arc::new(firmware_config::text::import(&text).unwrap_or_else(|e| panic!("{e}\n{text}")))
}

fn trunk(host: &str, extra: &str) -> String {
    format!(
        "[[trunks]]\nname = \"carrier\"\nhost = \"{host}\"\nport = 5070\n\
         username = \"acct\"\npassword = \"pw\"\nregister_expiry_secs = 300\n{extra}\n"
    )
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

struct Sim {
    ep: Endpoint,
    now: DateTime<Utc>,
}

impl Sim {
    /// An endpoint started with no trunk, then given `config` (as a configuration change).
    fn with(config: Arc<Config>) -> (Sim, Vec<Output>) {
        let mut sim = Sim {
            ep: Endpoint::new(config_with(""), [5; 32]),
            now: t0(),
        };
        let out = sim.feed(Input::Config(config));
        (sim, out)
    }

    fn feed(&mut self, input: Input) -> Vec<Output> {
        self.ep.handle_input(self.now, input);
        std::iter::from_fn(|| self.ep.poll_output()).collect()
    }

    /// Moves the clock forward by `d`, firing every deadline on the way.
    fn advance(&mut self, d: TimeDelta) -> Vec<Output> {
        let end = self.now + d;
        let mut out = Vec::new();
        while let Some(at) = self.ep.poll_timeout().filter(|at| *at <= end) {
            self.now = at.max(self.now);
            out.extend(self.feed(Input::Timeout));
        }
        self.now = end;
        out
    }

    /// The provider's answer to `request` with extra header lines.
    fn answer(&mut self, request: &Parsed, code: u16, extra: &[&str]) -> Vec<Output> {
        let mut text = format!("SIP/2.0 {code} Whatever\r\n");
        for name in ["Via", "From"] {
            let value = message::header(request, name).unwrap_or_default();
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        let to = message::header(request, "To").unwrap_or_default();
        text.push_str(&format!(
            "To: {to};tag=p\r\nCall-ID: {}\r\n",
            request.head.call_id
        ));
        text.push_str(&format!("CSeq: {} REGISTER\r\n", request.head.cseq));
        for line in extra {
            text.push_str(&format!("{line}\r\n"));
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        self.feed(Input::Received {
            from: addr(PROVIDER),
            transport: Transport::Udp,
            bytes: text.into_bytes(),
        })
    }
}

/// The REGISTERs transmitted to the provider, parsed.
fn registers(out: &[Output]) -> Vec<Parsed> {
    out.iter()
        .filter_map(|o| match o {
            Output::Transmit {
                to,
                transport,
                bytes,
            } => {
                assert_eq!((*to, *transport), (addr(PROVIDER), Transport::Udp));
                wire::parse(bytes).ok()
            }
            _ => None,
        })
        .filter(|p| p.head.cseq_method == Method::Register)
        .collect()
}

fn one_register(out: &[Output]) -> Parsed {
    let mut all = registers(out);
    assert_eq!(all.len(), 1, "{out:?}");
    all.remove(0)
}

fn trunk_states(out: &[Output]) -> Vec<sip_trunk::State> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::Trunk { trunk, state }) => {
                assert_eq!(trunk, "carrier");
                Some(state.clone())
            }
            _ => None,
        })
        .collect()
}

const CHALLENGE: &str = "WWW-Authenticate: Digest realm=\"carrier\", nonce=\"n1\", qop=\"auth\"";

/// Starts a trunk at an IP address and registers it through one challenge; returns the
/// simulation and the authenticated REGISTER.
fn registered() -> (Sim, Parsed) {
    let (mut sim, out) = Sim::with(config_with(&trunk("198.51.100.7", "")));
    assert_eq!(trunk_states(&out), vec![sip_trunk::State::Registering]);
    let first = one_register(&out);
    assert_eq!(
        message::header(&first, "Contact"),
        Some("<sip:acct@192.0.2.1:5060>")
    );
    let out = sim.answer(&first, 401, &[CHALLENGE]);
    let second = one_register(&out);
    assert!(message::header(&second, "Authorization").is_some());
    let out = sim.answer(&second, 200, &["Expires: 120"]);
    let until = sim.now + TimeDelta::seconds(120);
    assert_eq!(
        trunk_states(&out),
        vec![sip_trunk::State::Registered { until }]
    );
    assert!(
        !out.iter()
            .any(|o| matches!(o, Output::Event(Event::Call(_)))),
        "nothing reaches the B2BUA: {out:?}"
    );
    (sim, second)
}

#[test]
fn a_trunk_at_an_ip_address_registers_and_refreshes() {
    let (mut sim, second) = registered();
    let refresh_at = sim.now + TimeDelta::seconds(60);
    assert_eq!(sim.ep.trunks.poll_timeout(), Some(refresh_at));
    let out = sim.advance(TimeDelta::seconds(59));
    assert!(registers(&out).is_empty());
    let out = sim.advance(TimeDelta::seconds(1));
    let refresh = one_register(&out);
    assert_eq!(refresh.head.call_id, second.head.call_id);
    assert_eq!(refresh.head.cseq, second.head.cseq + 1);
    assert!(
        trunk_states(&out).is_empty(),
        "a refresh is not a new state"
    );
    // A retransmission of the 200 to the earlier REGISTER changes nothing.
    let out = sim.answer(&second, 200, &["Expires: 120"]);
    assert!(trunk_states(&out).is_empty() && registers(&out).is_empty());
}

#[test]
fn no_response_is_a_failure_retried_after_the_back_off() {
    let (mut sim, out) = Sim::with(config_with(&trunk("198.51.100.7", "")));
    let first = one_register(&out);
    // UDP retransmissions until timer F (32 s), then the failure.
    let out = sim.advance(TimeDelta::seconds(33));
    let resent = registers(&out);
    assert!(resent.len() >= 5, "{}", resent.len());
    assert!(resent.iter().all(|r| r.head.cseq == first.head.cseq));
    let states = trunk_states(&out);
    let [sip_trunk::State::Failed {
        why,
        retry_at: Some(retry_at),
    }] = states.as_slice()
    else {
        panic!("{states:?}");
    };
    assert!(why.contains("no response"), "{why}");
    let failed_at = t0() + TimeDelta::milliseconds(32_000);
    assert_eq!(*retry_at, failed_at + TimeDelta::seconds(30));
    let out = sim.advance(*retry_at - sim.now - TimeDelta::milliseconds(1));
    assert!(registers(&out).is_empty(), "nothing during the back-off");
    let out = sim.advance(TimeDelta::milliseconds(1));
    assert_eq!(one_register(&out).head.cseq, first.head.cseq + 1);
    assert_eq!(trunk_states(&out), vec![sip_trunk::State::Registering]);
}

#[test]
fn a_host_name_waits_for_the_shell_to_resolve_it() {
    let (mut sim, out) = Sim::with(config_with(&trunk("sip.carrier.example", "")));
    assert!(registers(&out).is_empty() && trunk_states(&out).is_empty());
    assert_eq!(sim.ep.poll_timeout(), None);
    let resolved = sip_trunk::Resolved {
        host: "sip.carrier.example".into(),
        port: 5070,
        address: Ok(addr(PROVIDER)),
    };
    let out = sim.feed(Input::TrunkResolved(resolved));
    let first = one_register(&out);
    assert_eq!(
        message::request_uri(&first),
        Some("sip:sip.carrier.example:5070")
    );
    assert_eq!(
        message::header(&first, "To"),
        Some("<sip:acct@sip.carrier.example>")
    );
}

#[test]
fn an_unresolvable_host_or_tcp_is_reported_once_and_not_retried() {
    let (mut sim, _) = Sim::with(config_with(&trunk("sip.carrier.example", "")));
    let failed = sip_trunk::Resolved {
        host: "sip.carrier.example".into(),
        port: 5070,
        address: Err("Name or service not known".into()),
    };
    let out = sim.feed(Input::TrunkResolved(failed.clone()));
    let states = trunk_states(&out);
    assert!(
        matches!(states.as_slice(), [sip_trunk::State::Failed { why, retry_at: None }]
            if why.contains("cannot resolve sip.carrier.example")),
        "{states:?}"
    );
    assert!(trunk_states(&sim.feed(Input::TrunkResolved(failed))).is_empty());

    let (sim, out) = Sim::with(config_with(&trunk("198.51.100.7", "transport = \"tcp\"")));
    assert!(registers(&out).is_empty());
    let states = trunk_states(&out);
    assert!(
        matches!(states.as_slice(), [sip_trunk::State::Failed { why, retry_at: None }]
            if why.contains("TCP")),
        "{states:?}"
    );
    assert_eq!(sim.ep.poll_timeout(), None);
}

#[test]
fn a_trunk_that_does_not_register_sends_nothing() {
    let (sim, out) = Sim::with(config_with(&trunk("198.51.100.7", "register = false")));
    assert!(registers(&out).is_empty() && trunk_states(&out).is_empty());
    assert_eq!(sim.ep.poll_timeout(), None);
}

#[test]
fn shutdown_unregisters() {
    let (mut sim, second) = registered();
    let out = sim.feed(Input::Shutdown);
    let bye = one_register(&out);
    assert_eq!(message::header(&bye, "Expires"), Some("0"));
    assert_eq!(bye.head.call_id, second.head.call_id);
    assert!(message::header(&bye, "Authorization").is_some_and(|a| a.contains("nc=00000002")));
    let out = sim.answer(&bye, 200, &[]);
    assert_eq!(trunk_states(&out), vec![sip_trunk::State::Unregistered]);
    // Nothing starts again, even with a new configuration.
    let out = sim.feed(Input::Config(config_with(&trunk("198.51.100.7", ""))));
    assert!(registers(&out).is_empty());
}

#[test]
fn a_removed_trunk_unregisters_and_a_changed_password_registers_afresh() {
    let (mut sim, second) = registered();
    let changed = trunk("198.51.100.7", "").replace("\"pw\"", "\"new-pw\"");
    let out = sim.feed(Input::Config(config_with(&changed)));
    let fresh = one_register(&out);
    assert_eq!(message::header(&fresh, "Expires"), Some("300"));
    assert_ne!(fresh.head.call_id, second.head.call_id);
    assert_eq!(message::header(&fresh, "Authorization"), None);
    assert_eq!(trunk_states(&out), vec![sip_trunk::State::Registering]);

    let out = sim.answer(&fresh, 200, &[]);
    assert!(matches!(
        trunk_states(&out).as_slice(),
        [sip_trunk::State::Registered { .. }]
    ));
    let out = sim.feed(Input::Config(config_with("")));
    let bye = one_register(&out);
    assert_eq!(message::header(&bye, "Expires"), Some("0"));
    assert_eq!(bye.head.call_id, fresh.head.call_id);
    let out = sim.answer(&bye, 200, &[]);
    assert_eq!(trunk_states(&out), vec![sip_trunk::State::Unregistered]);
    assert!(sim.ep.trunks.active.is_empty() && sim.ep.trunks.leaving.is_empty());
}
