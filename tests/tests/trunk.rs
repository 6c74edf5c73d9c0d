//! SIP trunk registration against the real daemon: SIPp plays the provider's registrar
//! (`tests/sipp/trunk_registrar.xml`: a digest challenge, credentials checked with SIPp's
//! `verifyauth`, a short grant so the refresh comes quickly, the unregistration at shutdown),
//! and a plain UDP socket plays a provider that refuses every REGISTER with 403, to see that
//! Centrala logs the failure and backs off instead of hammering it.
//!
//! Needs `sipp` on PATH (`scripts/setup.sh` installs Debian's `sip-tester`).

use std::cell::Cell;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use centrala_e2e::baresip::{AnswerMode, CallOutcome, Phone, PhoneConfig};
use centrala_e2e::pbx::{carrier, Pbx};
use centrala_e2e::ports::free_port;
use centrala_e2e::sipp::Sipp;
use firmware_config::bounded::Text;
use firmware_config::config::Config;
use firmware_config::entry::{Destination, EntryPoint, EntrySource, TrunkDid};
use firmware_config::number::{CountryCode, PhoneNumber};
use firmware_config::outbound::NumberPrefix;

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
}

/// Adds trunk "carrier" at 127.0.0.1:`port` (UDP) that registers as trunk-user.
fn add_trunk(config: &mut Config, port: u16) {
    config
        .trunks
        .push(carrier(port, true))
        .expect("room for a trunk");
}

#[test]
fn registers_through_a_challenge_refreshes_and_unregisters_at_shutdown() {
    let logs = tempfile::tempdir().expect("tempdir");
    let provider_port = free_port();
    let registrar = Sipp::new("trunk_registrar.xml", provider_port, logs.path())
        .args(&["-timeout", "40s"])
        .spawn();
    let mut pbx = Pbx::start_with(|c| add_trunk(c, provider_port));
    let first = pbx.wait_for_all(&["trunk registered", "trunk=carrier"]);
    // The refresh comes at half of the 8 s granted and is accepted again.
    let seen = Cell::new(0);
    pbx.wait_for_line(
        "a second 'trunk registered'",
        Duration::from_secs(12),
        |l| {
            if l.contains("trunk registered") {
                seen.set(seen.get() + 1);
            }
            seen.get() >= 2
        },
    );
    let log = pbx.stop();
    let result = registrar.wait(Duration::from_secs(15));
    result.assert_ok();
    assert!(first.contains("until="), "{first}");
    assert!(log.contains("trunk registering"), "{log}");
    assert!(log.contains("trunk unregistered"), "{log}");
    assert!(!log.contains("trunk registration failed"), "{log}");
}

/// Reads REGISTERs on `socket` until `deadline`, answering each with 403; returns them.
fn refuse_until(socket: &UdpSocket, deadline: Instant) -> Vec<String> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            continue; // read timeout
        };
        let request = String::from_utf8_lossy(&buf[..n]).into_owned();
        if request.starts_with("REGISTER ") {
            let _ = socket.send_to(forbidden(&request).as_bytes(), from);
            seen.push(request);
        }
    }
    seen
}

/// A 403 answering `request`: its Via, From, To (tagged), Call-ID and CSeq.
fn forbidden(request: &str) -> String {
    let mut out = String::from("SIP/2.0 403 Forbidden\r\n");
    for line in request.split("\r\n") {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match name.as_str() {
            "via" | "from" | "call-id" | "cseq" => out.push_str(&format!("{line}\r\n")),
            "to" => out.push_str(&format!("{line};tag=refuser\r\n")),
            _ => {}
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

#[test]
fn a_provider_that_refuses_gets_one_register_then_a_pause() {
    let provider = UdpSocket::bind("127.0.0.1:0").expect("bind");
    provider
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("read timeout");
    let port = provider
        .local_addr()
        .map(|a: SocketAddr| a.port())
        .expect("port");
    let mut pbx = Pbx::start_with(|c| add_trunk(c, port));
    // Six seconds: a client without back-off would have retried many times.
    let seen = refuse_until(&provider, Instant::now() + Duration::from_secs(6));
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert!(seen[0].contains("Expires: 60"), "{}", seen[0]);
    assert!(!seen[0].contains("Authorization"), "{}", seen[0]);
    let failed = pbx.wait_for_all(&["trunk registration failed", "trunk=carrier"]);
    assert!(failed.contains("403 Forbidden"), "{failed}");
    assert!(
        failed.contains("retry_in_secs=30") || failed.contains("retry_in_secs=29"),
        "{failed}"
    );
    let log = pbx.stop();
    assert!(log.contains("trunk unregistered"), "{log}");
    // Nothing was registered, so nothing is unregistered at the provider.
    let after = refuse_until(&provider, Instant::now() + Duration::from_millis(500));
    assert!(after.is_empty(), "{after:#?}");
}

/// Trunk "carrier" at 127.0.0.1:`port` that does not register (the provider knows our
/// address), presents +48 22 123 45 67 on employees' calls, and delivers that DID to the
/// entry point "direct-line" (ringing the "office" group); employees dial 0 for an outside
/// line.
fn calls_through_trunk(config: &mut Config, port: u16) {
    add_trunk(config, port);
    let trunk = &mut config.trunks.as_mut_slice()[0];
    trunk.register = false;
    trunk.caller_id = Some(PhoneNumber::parse("+48221234567", None).expect("number"));
    config.system.outbound_prefix = Some(text("0"));
    let entry = EntryPoint {
        name: text("direct-line"),
        source: EntrySource::TrunkDid(TrunkDid {
            trunk: text("carrier"),
            did: PhoneNumber::parse("+48221234567", None).expect("number"),
        }),
        destination: Destination::Group(text("office")),
        schedule: None,
        hold_music: None,
        crm: Default::default(),
    };
    config
        .entry_points
        .push(entry)
        .expect("room for an entry point");
}

fn phone(pbx: &mut Pbx, user: &str) -> Phone {
    let mut p = Phone::start(PhoneConfig::registered(user, pbx.port()).answer(AnswerMode::Auto));
    p.wait_registered();
    pbx.wait_for_all(&["phone registered", &format!("user={user}")]);
    p
}

#[test]
fn an_employee_dials_out_through_the_provider_with_credentials_and_the_office_number() {
    let logs = tempfile::tempdir().expect("tempdir");
    let provider_port = free_port();
    let provider = Sipp::new("provider_uas.xml", provider_port, logs.path())
        .args(&["-d", "1500", "-timeout", "30s"])
        .spawn();
    let mut pbx = Pbx::start_with(|c| calls_through_trunk(c, provider_port));
    let mut anna = phone(&mut pbx, "101");
    anna.dial(&pbx.uri("0601234567"));
    match anna.wait_call() {
        CallOutcome::Established(_) => {}
        CallOutcome::Closed(e) => {
            panic!("not established: {}\n{}", e.param, pbx.log_text())
        }
    }
    // The provider hangs up after 1.5 s; the employee's phone hears it.
    anna.wait_event("CALL_CLOSED");
    provider.wait(Duration::from_secs(10)).assert_ok();
    pbx.wait_for_all(&["dialling out", "number=+48601234567", "trunk=carrier"]);
    pbx.wait_for_all(&["outside number answered", "number=+48601234567"]);
    pbx.wait_for_all(&[
        "call record",
        "\"outcome\":{\"kind\":\"forwarded\",\"to\":\"+48601234567\"}",
    ]);
    pbx.stop();
}

#[test]
fn a_call_from_the_provider_to_our_did_rings_the_group_and_keeps_the_callers_number() {
    let logs = tempfile::tempdir().expect("tempdir");
    let provider_port = free_port();
    let mut pbx = Pbx::start_with(|c| calls_through_trunk(c, provider_port));
    let _anna = phone(&mut pbx, "101");
    let provider = Sipp::new("provider_uac.xml", provider_port, logs.path())
        .target(pbx.port())
        .args(&["-s", "48221234567", "-d", "1000"])
        .run();
    provider.assert_ok();
    let record = pbx.wait_for_all(&["call record", "\"entry\":\"direct-line\""]);
    assert!(
        record.contains("\"caller\":{\"kind\":\"number\",\"value\":\"+48601234567\"}"),
        "{record}"
    );
    assert!(record.contains("\"answered_by\":\"101\""), "{record}");
    pbx.stop();
}

#[test]
fn an_unauthenticated_invite_for_an_outside_number_is_refused_and_logged() {
    let logs = tempfile::tempdir().expect("tempdir");
    let provider_port = free_port();
    let mut pbx = Pbx::start_with(|c| calls_through_trunk(c, provider_port));
    // A scanner (not the provider's address) tries a premium number abroad.
    let scanner_port = loop {
        let p = free_port();
        if p != provider_port {
            break p;
        }
    };
    let result = Sipp::new("invite_unauthenticated.xml", scanner_port, logs.path())
        .target(pbx.port())
        .args(&["-s", "0048700123456"])
        .run();
    result.assert_ok();
    let line = pbx.wait_for_all(&["outside call refused", "target=0048700123456"]);
    assert!(line.contains("not authenticated"), "{line}");
    let log = pbx.stop();
    assert!(!log.contains("dialling out"), "{log}");
}

#[test]
fn the_toll_fraud_guard_refuses_a_premium_number_and_a_country_not_allowed() {
    let provider_port = free_port();
    let mut pbx = Pbx::start_with(|c| {
        calls_through_trunk(c, provider_port);
        // The factory configuration blocks Polish premium rate (+48 70x) already.
        let premium = NumberPrefix::parse("+48 70").expect("prefix");
        if !c.outbound.blocked_prefixes.contains(&premium) {
            c.outbound.blocked_prefixes.push(premium).expect("room");
        }
        let poland = CountryCode::new(48).expect("country");
        c.system.allowed_country_codes.push(poland).expect("room");
    });
    let mut anna = phone(&mut pbx, "101");
    for (dialled, why) in [
        ("0701234567", "blocked prefix"),
        ("000491701234567", "allowed_country_codes"),
    ] {
        anna.dial(&pbx.uri(dialled));
        match anna.wait_call() {
            CallOutcome::Closed(e) => assert!(e.param.starts_with("403"), "{}", e.param),
            CallOutcome::Established(_) => panic!("{dialled} went out"),
        }
        let line = pbx.wait_for_all(&["outside call refused", "by=101", why]);
        assert!(line.contains("source=-"), "{line}");
    }
    let log = pbx.stop();
    assert!(!log.contains("dialling out"), "{log}");
}
