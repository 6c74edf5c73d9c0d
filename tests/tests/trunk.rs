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

use centrala_e2e::pbx::Pbx;
use centrala_e2e::ports::free_port;
use centrala_e2e::sipp::Sipp;
use firmware_config::bounded::Text;
use firmware_config::config::Config;
use firmware_config::system::Transport;
use firmware_config::trunk::SipTrunk;

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
}

/// Adds trunk "carrier" at 127.0.0.1:`port` (UDP) that registers as trunk-user.
fn add_trunk(config: &mut Config, port: u16) {
    let trunk = SipTrunk {
        name: text("carrier"),
        host: text("127.0.0.1"),
        port,
        transport: Transport::Udp,
        username: text("trunk-user"),
        password: text("trunk-secret"),
        register: true,
        register_expiry_secs: 60,
        caller_id: None,
    };
    config.trunks.push(trunk).expect("room for a trunk");
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
