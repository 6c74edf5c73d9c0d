//! SIP basics against the real daemon, with SIPp as the peer (scenarios in `tests/sipp/`):
//! REGISTER with digest authentication, OPTIONS over UDP and TCP, 400 for a malformed request,
//! 501 for an unknown method, INVITEs challenged and then answered 404, or by voicemail for an employee without a registered phone, and a
//! flood from one address rate-limited while a registered phone keeps working.
//!
//! Each test runs its own daemon on 127.0.0.1 with a free port, configured from `centrala
//! config export` of a fresh directory with known passwords, imported with `centrala config
//! import`. Needs `sipp` on PATH (`scripts/setup.sh` installs Debian's `sip-tester`).

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use centrala_e2e::bin;
use centrala_e2e::pbx::{self, password, Pbx};
use centrala_e2e::ports::free_port;

#[test]
fn register_with_digest_authentication_and_a_wrong_password() {
    let mut pbx = Pbx::start();
    let pw = password("101");
    pbx.sipp_ok("register.xml", &["-s", "101", "-au", "101", "-ap", &pw]);
    pbx.wait_for("phone registered");
    pbx.sipp_ok(
        "register_forbidden.xml",
        &["-s", "102", "-au", "102", "-ap", "not-the-password"],
    );
    pbx.wait_for("SIP authentication failed");
    let log = pbx.stop();
    let registered = log
        .lines()
        .find(|l| l.contains("phone registered"))
        .unwrap_or_default();
    assert!(
        registered.contains("user=101") && registered.contains("expires=3600"),
        "{registered}"
    );
    let failed = log
        .lines()
        .find(|l| l.contains("SIP authentication failed"))
        .unwrap_or_default();
    assert!(
        failed.contains("method=REGISTER") && failed.contains("user=102"),
        "{failed}"
    );
}

#[test]
fn options_over_udp_and_tcp() {
    let pbx = Pbx::start();
    pbx.sipp_ok("options.xml", &[]);
    pbx.sipp_ok("options.xml", &["-t", "t1"]);
    pbx.stop();
}

#[test]
fn malformed_request_gets_400_and_unknown_method_501() {
    let pbx = Pbx::start();
    pbx.sipp_ok("malformed.xml", &[]);
    pbx.sipp_ok("unknown_method.xml", &[]);
    // The daemon is still serving.
    pbx.sipp_ok("options.xml", &[]);
    pbx.stop();
}

#[test]
fn invites_are_challenged_then_404_or_voicemail_for_an_unreachable_employee() {
    let mut pbx = Pbx::start();
    let pw = password("101");
    let auth = ["-au", "101", "-ap", pw.as_str()];
    pbx.sipp_ok("invite_404.xml", &[&["-s", "999"][..], &auth].concat());
    pbx.wait_for("target=999");
    // Employee 102 has no registered phone: the router sends the call to voicemail, which
    // answers; the caller hangs up after a second.
    let caller = ["-key", "caller", "101", "-d", "1000"];
    pbx.sipp_ok(
        "uac_bye.xml",
        &[&["-s", "102"][..], &auth, &caller].concat(),
    );
    pbx.wait_for("call ended");
    // Wrong credentials on an INVITE: 403, never a call (the scenario fails).
    let run = pbx.sipp(
        "uac_bye.xml",
        &[
            &["-s", "102", "-au", "101", "-ap", "wrong-password"][..],
            &caller,
        ]
        .concat(),
    );
    assert!(!run.ok(), "{}", run.report);
    assert!(
        run.report.contains("SIP/2.0 403 Forbidden"),
        "{}",
        run.report
    );
    let log = pbx.stop();
    assert!(
        log.contains("no such number: answered 404 method=INVITE user=101 target=999"),
        "{log}"
    );
    assert!(
        log.contains("call started call=1 caller=101 dialled=102"),
        "{log}"
    );
    assert!(
        log.contains("voicemail call=1 what=greeting for the mailbox of employee 102"),
        "{log}"
    );
    assert!(
        log.contains("call ended call=1 why=the caller hung up"),
        "{log}"
    );
}

/// An OPTIONS request from `local` to the daemon.
fn options(local: SocketAddr, port: u16, n: usize) -> String {
    format!(
        "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK-flood-{n};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:scanner@{local}>;tag=f{n}\r\n\
         To: <sip:100@127.0.0.1>\r\n\
         Call-ID: flood-{n}@{local}\r\n\
         CSeq: 1 OPTIONS\r\n\
         User-Agent: friendly-scanner\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// Whether one OPTIONS from `socket` is answered within 500 ms.
fn answered(socket: &UdpSocket, port: u16, n: usize) -> bool {
    let local = socket.local_addr().expect("addr");
    socket
        .send_to(options(local, port, n).as_bytes(), ("127.0.0.1", port))
        .expect("send");
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let mut buf = [0u8; 4096];
    socket.recv_from(&mut buf).is_ok()
}

#[test]
fn a_flood_is_rate_limited_while_a_registered_phone_keeps_working() {
    const FLOOD: usize = 2000;
    const FLOOD_TIME: Duration = Duration::from_secs(3);
    let mut pbx = Pbx::start();
    let port = pbx.port();
    let pw = password("101");
    let register = ["-s", "101", "-au", "101", "-ap", pw.as_str()];
    // The phone registers from its own port before the flood.
    let phone_port = free_port();
    pbx.sipp_from(phone_port, "register.xml", &register)
        .assert_ok();

    // The flood: FLOOD OPTIONS from one port of the same IP, spread over FLOOD_TIME, counting
    // the answers.
    let flooding = Arc::new(AtomicBool::new(true));
    let scanner = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let flood = {
        let flooding = flooding.clone();
        std::thread::spawn(move || {
            let local = scanner.local_addr().expect("addr");
            scanner.set_nonblocking(true).expect("nonblocking");
            let started = Instant::now();
            let mut buf = [0u8; 4096];
            let mut answers = 0;
            for n in 0..FLOOD {
                let due = started + FLOOD_TIME.mul_f64(n as f64 / FLOOD as f64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let _ = scanner.send_to(options(local, port, n).as_bytes(), ("127.0.0.1", port));
                while scanner.recv_from(&mut buf).is_ok() {
                    answers += 1;
                }
            }
            flooding.store(false, Ordering::SeqCst);
            let elapsed = started.elapsed();
            scanner.set_nonblocking(false).expect("blocking");
            scanner
                .set_read_timeout(Some(Duration::from_millis(500)))
                .expect("timeout");
            while scanner.recv_from(&mut buf).is_ok() {
                answers += 1;
            }
            (answers, elapsed)
        })
    };

    std::thread::sleep(Duration::from_millis(700));
    pbx.wait_for("rate limiting SIP traffic");
    // During the flood: the registered phone re-registers (exempt: its binding's address and
    // port) ...
    pbx.sipp_from(phone_port, "register.xml", &register)
        .assert_ok();
    // ... another IP is unaffected ...
    let other_ip = UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
    assert!(answered(&other_ip, port, 1), "127.0.0.2 was not answered");
    // ... and another, unregistered port of the flooding IP is limited with the scanner.
    let same_ip = UdpSocket::bind("127.0.0.1:0").expect("bind");
    assert!(
        !answered(&same_ip, port, 2),
        "an unregistered port was answered"
    );
    assert!(
        flooding.load(Ordering::SeqCst),
        "the flood ended before the checks; they did not run during it"
    );

    let (answers, elapsed) = flood.join().expect("flood thread");
    // A burst of 40, then 20/s (a little slack for timing).
    let allowed = 40.0 + 20.0 * (elapsed.as_secs_f64() + 1.0);
    assert!(
        answers >= 20 && (answers as f64) <= allowed,
        "{answers} of {FLOOD} flood requests answered in {elapsed:?} (at most {allowed})"
    );
    let log = pbx.stop();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("rate limiting SIP traffic"))
        .collect();
    assert_eq!(warnings.len(), 1, "one line per source per 10 s:\n{log}");
    assert!(warnings[0].contains("source=127.0.0.1"), "{}", warnings[0]);
    assert_eq!(log.matches("phone registered").count(), 1, "{log}");
}

#[test]
fn an_address_that_cannot_be_bound_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let exported = pbx::export_default(dir.path());
    let port = free_port();
    let taken = UdpSocket::bind(("127.0.0.1", port)).expect("take the port");
    let config = pbx::test_config(&exported, port, 20000, dir.path());
    pbx::import(dir.path(), &config, &dir.path().join("config.toml"));
    let out = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(&store)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    drop(taken);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen for SIP on udp 127.0.0.1:{port}: ")),
        "{stderr}"
    );
    assert!(!stderr.lines().any(|l| l.ends_with(": ready")), "{stderr}");
}
