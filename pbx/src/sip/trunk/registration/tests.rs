//! Virtual-time tests: a fake provider reads each REGISTER and answers it.

use super::*;
use crate::sip::digest::{Algorithm, Credentials, DigestAuth, Verdict};
use crate::sip::wire;
use chrono::TimeZone;

const PASSWORD: &str = "pw-at-provider";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 5, 1, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(secs)
}

fn settings() -> Settings {
    Settings {
        trunk: "provider".into(),
        host: "sip.provider.example".into(),
        port: 5070,
        username: "acct42".into(),
        password: PASSWORD.into(),
        expires: 600,
    }
}

fn provider() -> Destination {
    Destination {
        addr: SocketAddr::from(([198, 51, 100, 7], 5070)),
        transport: tx::Transport::Udp,
    }
}

fn contact() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 10], 5060))
}

fn parse(bytes: &[u8]) -> Parsed {
    wire::parse(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

/// A registration started at `t0`, with its first REGISTER.
fn started() -> (Registration, Parsed) {
    let mut reg = Registration::new(settings(), [9; 32]);
    let start = Input::Start {
        provider: provider(),
        contact: contact(),
    };
    reg.handle_input(t0(), start);
    assert_eq!(states(&reg.clone_outputs()), vec![State::Registering]);
    let request = sent(&mut reg);
    (reg, request)
}

impl Registration {
    /// The queued outputs, left in place.
    fn clone_outputs(&self) -> Vec<Output> {
        self.out.iter().cloned().collect()
    }
}

fn states(outputs: &[Output]) -> Vec<State> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::State(s) => Some(s.clone()),
            Output::Send(_) => None,
        })
        .collect()
}

fn drain(reg: &mut Registration) -> Vec<Output> {
    std::iter::from_fn(|| reg.poll_output()).collect()
}

/// The one REGISTER queued (states are dropped), checked against its key and destination.
fn sent(reg: &mut Registration) -> Parsed {
    let sends: Vec<_> = drain(reg)
        .into_iter()
        .filter_map(|o| match o {
            Output::Send(s) => Some(s),
            Output::State(_) => None,
        })
        .collect();
    assert_eq!(sends.len(), 1, "{sends:?}");
    let send = &sends[0];
    assert_eq!(send.to, provider());
    assert_eq!(send.key.method, Method::Register);
    let p = parse(&send.bytes);
    assert_eq!(
        p.head.vias[0].branch.as_deref(),
        Some(send.key.branch.as_str())
    );
    assert!(send.key.branch.starts_with(MAGIC_COOKIE));
    p
}

fn nothing_sent(reg: &mut Registration) -> Vec<State> {
    let out = drain(reg);
    assert!(out.iter().all(|o| matches!(o, Output::State(_))), "{out:?}");
    states(&out)
}

fn h<'a>(p: &'a Parsed, name: &'a str) -> Option<&'a str> {
    message::header(p, name)
}

/// The provider's response to `request`, with extra header lines.
fn answer(request: &Parsed, code: u16, reason: &str, extra: &[&str]) -> Parsed {
    let mut text = format!("SIP/2.0 {code} {reason}\r\n");
    for name in ["Via", "From"] {
        text.push_str(&format!(
            "{name}: {}\r\n",
            h(request, name).unwrap_or_default()
        ));
    }
    let to = h(request, "To").unwrap_or_default();
    text.push_str(&format!("To: {to};tag=prov1\r\n"));
    text.push_str(&format!("Call-ID: {}\r\n", request.head.call_id));
    text.push_str(&format!("CSeq: {} REGISTER\r\n", request.head.cseq));
    for line in extra {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    parse(text.as_bytes())
}

fn feed(reg: &mut Registration, now: DateTime<Utc>, response: &Parsed) {
    let code = match response.head.start {
        StartLine::Response { code, .. } => code,
        StartLine::Request { .. } => 0,
    };
    reg.handle_input(
        now,
        Input::Response {
            code,
            message: response,
        },
    );
}

fn server() -> DigestAuth {
    DigestAuth::new("provider.example", [3; 32]).with_algorithms(&[Algorithm::Md5])
}

/// Registers through one 401 with `server`'s challenge; returns the authenticated REGISTER.
fn challenged_and_answered(reg: &mut Registration, first: &Parsed, now: DateTime<Utc>) -> Parsed {
    let challenge = server().challenge(now, Algorithm::Md5, false);
    let www = format!("WWW-Authenticate: {challenge}");
    feed(reg, now, &answer(first, 401, "Unauthorized", &[&www]));
    let second = sent(reg);
    let creds = Credentials::parse(h(&second, "Authorization").unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        server().verify(now, "REGISTER", &creds, PASSWORD),
        Verdict::Ok
    );
    assert_eq!(creds.uri, "sip:sip.provider.example:5070");
    assert_eq!(creds.username, "acct42");
    second
}

#[test]
fn the_first_register_is_well_formed() {
    let (reg, p) = started();
    assert_eq!(
        message::request_uri(&p),
        Some("sip:sip.provider.example:5070")
    );
    let via = h(&p, "Via").unwrap_or_default();
    assert!(
        via.starts_with("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK"),
        "{via}"
    );
    assert!(via.ends_with(";rport"), "{via}");
    assert_eq!(h(&p, "To"), Some("<sip:acct42@sip.provider.example>"));
    let from = h(&p, "From").unwrap_or_default();
    assert!(
        from.starts_with("<sip:acct42@sip.provider.example>;tag="),
        "{from}"
    );
    assert_eq!(h(&p, "Contact"), Some("<sip:acct42@192.0.2.10:5060>"));
    assert_eq!(h(&p, "Expires"), Some("600"));
    assert_eq!(p.head.cseq, 1);
    assert!(h(&p, "User-Agent").is_some_and(|u| u.starts_with("centrala/")));
    assert_eq!(h(&p, "Max-Forwards"), Some("70"));
    assert_eq!(h(&p, "Authorization"), None);
    assert_eq!(reg.poll_timeout(), None, "waits for the response");
    // A registration with another seed has another Call-ID and tag.
    let mut other = Registration::new(settings(), [8; 32]);
    let start = Input::Start {
        provider: provider(),
        contact: contact(),
    };
    other.handle_input(t0(), start);
    let q = sent(&mut other);
    assert_ne!(q.head.call_id, p.head.call_id);
    assert_ne!(q.head.from_tag, p.head.from_tag);
}

#[test]
fn a_challenge_is_answered_then_the_registration_refreshes_at_half_its_lifetime() {
    let (mut reg, first) = started();
    let second = challenged_and_answered(&mut reg, &first, at(0));
    assert_eq!(second.head.call_id, first.head.call_id);
    assert_eq!(second.head.from_tag, first.head.from_tag);
    assert_eq!(second.head.cseq, 2);
    assert_ne!(second.head.vias[0].branch, first.head.vias[0].branch);
    // The old branch is no longer ours: a late answer to it changes nothing.
    feed(&mut reg, at(1), &answer(&first, 200, "OK", &["Expires: 5"]));
    assert!(drain(&mut reg).is_empty());

    let ok = answer(
        &second,
        200,
        "OK",
        &["Contact: <sip:acct42@192.0.2.10:5060>;expires=120"],
    );
    feed(&mut reg, at(1), &ok);
    assert_eq!(
        nothing_sent(&mut reg),
        vec![State::Registered { until: at(121) }]
    );
    assert_eq!(reg.registered_until(), Some(at(121)));
    assert_eq!(reg.poll_timeout(), Some(at(61)));
    reg.handle_input(at(60), Input::Timeout);
    assert!(drain(&mut reg).is_empty(), "not yet");
    reg.handle_input(at(61), Input::Timeout);
    let refresh = sent(&mut reg);
    assert_eq!(refresh.head.call_id, first.head.call_id);
    assert_eq!(refresh.head.cseq, 3);
    let creds = Credentials::parse(h(&refresh, "Authorization").unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let nc = creds.qop.as_ref().map(|q| q.nc.value());
    assert_eq!(nc, Some(2), "the nonce is reused with the next count");
    assert_eq!(
        server().verify(at(61), "REGISTER", &creds, PASSWORD),
        Verdict::Ok
    );
    feed(
        &mut reg,
        at(62),
        &answer(&refresh, 200, "OK", &["Expires: 120"]),
    );
    assert_eq!(
        nothing_sent(&mut reg),
        vec![State::Registered { until: at(182) }]
    );
}

#[test]
fn a_second_challenge_for_the_same_nonce_means_wrong_credentials() {
    let (mut reg, first) = started();
    let challenge = "WWW-Authenticate: Digest realm=\"p\", nonce=\"n1\", qop=\"auth\"";
    feed(
        &mut reg,
        at(0),
        &answer(&first, 401, "Unauthorized", &[challenge]),
    );
    let second = sent(&mut reg);
    assert!(h(&second, "Authorization").is_some_and(|a| a.contains("nonce=\"n1\"")));
    feed(
        &mut reg,
        at(1),
        &answer(&second, 401, "Unauthorized", &[challenge]),
    );
    let failed = nothing_sent(&mut reg);
    let [State::Failed { why, retry_at }] = failed.as_slice() else {
        panic!("{failed:?}");
    };
    assert!(
        why.contains("refused the credentials") && why.contains("acct42"),
        "{why}"
    );
    assert_eq!(*retry_at, Some(at(31)));
    // The retry starts over without credentials.
    reg.handle_input(at(31), Input::Timeout);
    let out = reg.clone_outputs();
    assert_eq!(states(&out), vec![State::Registering]);
    let retry = sent(&mut reg);
    assert_eq!(h(&retry, "Authorization"), None);
    assert_eq!(retry.head.cseq, 3);
}

#[test]
fn a_stale_challenge_is_answered_again() {
    let (mut reg, first) = started();
    let fresh = "WWW-Authenticate: Digest realm=\"p\", nonce=\"n1\", qop=\"auth\"";
    feed(
        &mut reg,
        at(0),
        &answer(&first, 401, "Unauthorized", &[fresh]),
    );
    let second = sent(&mut reg);
    let stale = "WWW-Authenticate: Digest realm=\"p\", nonce=\"n1\", qop=\"auth\", stale=true";
    feed(
        &mut reg,
        at(0),
        &answer(&second, 401, "Unauthorized", &[stale]),
    );
    let third = sent(&mut reg);
    assert!(h(&third, "Authorization").is_some_and(|a| a.contains("nc=00000001")));
}

#[test]
fn endless_fresh_challenges_end_as_a_failure() {
    let (mut reg, mut request) = started();
    for n in 0..MAX_CHALLENGES {
        let www = format!("WWW-Authenticate: Digest realm=\"p\", nonce=\"n{n}\"");
        feed(
            &mut reg,
            at(0),
            &answer(&request, 401, "Unauthorized", &[&www]),
        );
        request = sent(&mut reg);
    }
    let www = "WWW-Authenticate: Digest realm=\"p\", nonce=\"again\"";
    feed(
        &mut reg,
        at(0),
        &answer(&request, 401, "Unauthorized", &[www]),
    );
    let states = nothing_sent(&mut reg);
    assert!(
        matches!(states.as_slice(), [State::Failed { why, .. }] if why.contains("refused")),
        "{states:?}"
    );
}

#[test]
fn a_proxy_challenge_is_answered_with_proxy_authorization() {
    let (mut reg, first) = started();
    let www = "Proxy-Authenticate: Digest realm=\"p\", nonce=\"x\", algorithm=SHA-256, qop=auth";
    feed(
        &mut reg,
        at(0),
        &answer(&first, 407, "Proxy Authentication Required", &[www]),
    );
    let second = sent(&mut reg);
    assert_eq!(h(&second, "Authorization"), None);
    let value = h(&second, "Proxy-Authorization").unwrap_or_default();
    assert!(value.contains("algorithm=SHA-256"), "{value}");
}

#[test]
fn an_unusable_challenge_is_a_failure_that_says_why() {
    let (mut reg, first) = started();
    let www = "WWW-Authenticate: Digest realm=\"p\", nonce=\"x\", algorithm=AKAv1-MD5";
    feed(
        &mut reg,
        at(0),
        &answer(&first, 401, "Unauthorized", &[www]),
    );
    let states = nothing_sent(&mut reg);
    assert!(
        matches!(states.as_slice(), [State::Failed { why, .. }] if why.contains("AKAv1-MD5")),
        "{states:?}"
    );
}

#[test]
fn the_granted_lifetime_is_read_from_our_contact_then_expires_then_what_was_asked() {
    let cases: [(&[&str], i64); 4] = [
        (
            &[
                "Contact: <sip:other@203.0.113.1>;expires=30",
                "Contact: <SIP:acct42@192.0.2.10:5060;ob>;expires=\"90\"",
                "Expires: 300",
            ],
            90,
        ),
        (
            &[
                "Contact: <sip:other@203.0.113.1>;expires=30",
                "Expires: 300",
            ],
            300,
        ),
        (&["Contact: <sip:acct42@192.0.2.10:5060>"], 600),
        (&[], 600),
    ];
    for (extra, granted) in cases {
        let (mut reg, first) = started();
        feed(&mut reg, at(0), &answer(&first, 200, "OK", extra));
        assert_eq!(
            nothing_sent(&mut reg),
            vec![State::Registered { until: at(granted) }],
            "{extra:?}"
        );
        assert_eq!(
            reg.poll_timeout(),
            Some(t0() + TimeDelta::milliseconds(granted * 500))
        );
    }
}

#[test]
fn a_grant_of_zero_seconds_is_a_failure() {
    let (mut reg, first) = started();
    feed(&mut reg, at(0), &answer(&first, 200, "OK", &["Expires: 0"]));
    let states = nothing_sent(&mut reg);
    assert!(
        matches!(states.as_slice(), [State::Failed { .. }]),
        "{states:?}"
    );
}

#[test]
fn interval_too_brief_is_retried_with_min_expires() {
    let (mut reg, first) = started();
    let brief = answer(&first, 423, "Interval Too Brief", &["Min-Expires: 900"]);
    feed(&mut reg, at(0), &brief);
    let second = sent(&mut reg);
    assert_eq!(h(&second, "Expires"), Some("900"));
    feed(&mut reg, at(1), &answer(&second, 200, "OK", &[]));
    assert_eq!(
        nothing_sent(&mut reg),
        vec![State::Registered { until: at(901) }]
    );
    reg.handle_input(at(451), Input::Timeout);
    let refresh = sent(&mut reg);
    assert_eq!(h(&refresh, "Expires"), Some("900"), "kept for refreshes");

    // Without a larger Min-Expires there is nothing to retry with.
    let (mut reg, first) = started();
    feed(
        &mut reg,
        at(0),
        &answer(&first, 423, "Interval Too Brief", &["Min-Expires: 60"]),
    );
    let states = nothing_sent(&mut reg);
    assert!(
        matches!(states.as_slice(), [State::Failed { .. }]),
        "{states:?}"
    );
}

#[test]
fn failures_back_off_exponentially_and_success_resets_the_back_off() {
    let (mut reg, mut request) = started();
    let mut now = t0();
    for wait in [30, 60, 120, 240, 480, 600, 600] {
        feed(
            &mut reg,
            now,
            &answer(&request, 503, "Service Unavailable", &[]),
        );
        let states = nothing_sent(&mut reg);
        let retry = now + TimeDelta::seconds(wait);
        assert_eq!(
            states,
            vec![State::Failed {
                why: "503 Service Unavailable".into(),
                retry_at: Some(retry)
            }]
        );
        assert_eq!(reg.poll_timeout(), Some(retry));
        reg.handle_input(retry - TimeDelta::milliseconds(1), Input::Timeout);
        assert!(
            drain(&mut reg).is_empty(),
            "no REGISTER before the back-off ends"
        );
        now = retry;
        reg.handle_input(now, Input::Timeout);
        request = sent(&mut reg);
    }
    feed(
        &mut reg,
        now,
        &answer(&request, 200, "OK", &["Expires: 60"]),
    );
    assert!(matches!(
        nothing_sent(&mut reg).as_slice(),
        [State::Registered { .. }]
    ));
    now += TimeDelta::seconds(30);
    reg.handle_input(now, Input::Timeout);
    let refresh = sent(&mut reg);
    feed(&mut reg, now, &answer(&refresh, 403, "Forbidden", &[]));
    let states = nothing_sent(&mut reg);
    assert_eq!(
        states,
        vec![State::Failed {
            why: "403 Forbidden".into(),
            retry_at: Some(now + FIRST_BACKOFF)
        }]
    );
}

#[test]
fn retry_after_lengthens_the_back_off_up_to_its_maximum() {
    let (mut reg, first) = started();
    let busy = answer(
        &first,
        503,
        "Service Unavailable",
        &["Retry-After: 120 (maintenance)"],
    );
    feed(&mut reg, at(0), &busy);
    assert_eq!(reg.poll_timeout(), Some(at(120)));
    reg.handle_input(at(120), Input::Timeout);
    let second = sent(&mut reg);
    let long = answer(&second, 503, "Service Unavailable", &["Retry-After: 86400"]);
    feed(&mut reg, at(120), &long);
    assert_eq!(reg.poll_timeout(), Some(at(720)));
}

#[test]
fn a_transaction_timeout_is_a_failure_with_back_off() {
    let (mut reg, first) = started();
    let branch = first.head.vias[0].branch.clone().unwrap_or_default();
    reg.handle_input(
        at(32),
        Input::Failed {
            branch: "z9hG4bKnot-ours",
            why: TxFailure::Timeout,
        },
    );
    assert!(drain(&mut reg).is_empty(), "another branch is ignored");
    reg.handle_input(
        at(32),
        Input::Failed {
            branch: &branch,
            why: TxFailure::Timeout,
        },
    );
    assert_eq!(
        nothing_sent(&mut reg),
        vec![State::Failed {
            why: "no response from the provider".into(),
            retry_at: Some(at(62))
        }]
    );
}

#[test]
fn provisional_responses_change_nothing() {
    let (mut reg, first) = started();
    feed(&mut reg, at(0), &answer(&first, 100, "Trying", &[]));
    assert!(drain(&mut reg).is_empty());
    assert!(reg.owns(first.head.vias[0].branch.as_deref().unwrap_or_default()));
}

#[test]
fn stop_unregisters_a_live_registration_with_the_last_credentials() {
    let (mut reg, first) = started();
    let second = challenged_and_answered(&mut reg, &first, at(0));
    feed(
        &mut reg,
        at(0),
        &answer(&second, 200, "OK", &["Expires: 600"]),
    );
    drain(&mut reg);
    reg.handle_input(at(10), Input::Stop);
    let bye = sent(&mut reg);
    assert_eq!(h(&bye, "Expires"), Some("0"));
    assert_eq!(h(&bye, "Contact"), Some("<sip:acct42@192.0.2.10:5060>"));
    assert_eq!(bye.head.call_id, first.head.call_id);
    assert_eq!(bye.head.cseq, 3);
    assert!(h(&bye, "Authorization").is_some_and(|a| a.contains("nc=00000002")));
    assert_eq!(reg.poll_timeout(), None);
    assert!(!reg.is_stopped());
    // Challenged once more: answered, then done.
    let www = "WWW-Authenticate: Digest realm=\"p\", nonce=\"late\"";
    feed(&mut reg, at(10), &answer(&bye, 401, "Unauthorized", &[www]));
    let again = sent(&mut reg);
    assert_eq!(h(&again, "Expires"), Some("0"));
    feed(&mut reg, at(10), &answer(&again, 200, "OK", &[]));
    assert_eq!(nothing_sent(&mut reg), vec![State::Unregistered]);
    assert!(reg.is_stopped());
    assert_eq!(reg.registered_until(), None);
    reg.handle_input(at(400), Input::Timeout);
    assert!(drain(&mut reg).is_empty());
}

#[test]
fn stop_without_a_registration_sends_nothing() {
    let mut idle = Registration::new(settings(), [1; 32]);
    idle.handle_input(t0(), Input::Stop);
    assert_eq!(nothing_sent(&mut idle), vec![State::Unregistered]);

    let (mut reg, first) = started();
    feed(&mut reg, at(0), &answer(&first, 403, "Forbidden", &[]));
    drain(&mut reg);
    reg.handle_input(at(5), Input::Stop);
    assert_eq!(nothing_sent(&mut reg), vec![State::Unregistered]);
    assert!(reg.is_stopped());
    assert_eq!(reg.poll_timeout(), None, "no retry after stop");
}

#[test]
fn stop_while_the_first_register_is_out_unregisters_and_a_failure_ends_it() {
    let (mut reg, _first) = started();
    reg.handle_input(at(1), Input::Stop);
    let bye = sent(&mut reg);
    assert_eq!(h(&bye, "Expires"), Some("0"));
    let branch = bye.head.vias[0].branch.clone().unwrap_or_default();
    reg.handle_input(
        at(33),
        Input::Failed {
            branch: &branch,
            why: TxFailure::Timeout,
        },
    );
    assert_eq!(nothing_sent(&mut reg), vec![State::Unregistered]);
    assert!(reg.is_stopped());
}

#[test]
fn hosts_are_written_as_uris_want_them() {
    let mut s = settings();
    s.port = 5060;
    assert_eq!(s.request_uri(), "sip:sip.provider.example");
    s.host = "2001:db8::1".into();
    assert_eq!(s.request_uri(), "sip:[2001:db8::1]");
    assert_eq!(s.aor(), "sip:acct42@[2001:db8::1]");
    assert!(
        !format!("{s:?}").contains(PASSWORD),
        "the password is not logged"
    );
}
