//! The daemon under a `Type=notify` unit's environment: a test socket stands in for systemd's
//! `NOTIFY_SOCKET`; the daemon says READY=1 once it serves, pings the watchdog every half
//! `WATCHDOG_USEC` while its SIP loop answers, and says STOPPING=1 on SIGTERM.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use centrala_e2e::bin;
use centrala_e2e::pbx::{export_default, import, test_config, RTP_PORTS};
use centrala_e2e::ports::{free_port, free_udp_range};

/// The datagrams that arrive within `within`.
fn collect(socket: &UnixDatagram, within: Duration) -> Vec<String> {
    let end = Instant::now() + within;
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        socket
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("timeout");
        match socket.recv(&mut buf) {
            Ok(n) => out.push(String::from_utf8_lossy(&buf[..n]).into_owned()),
            Err(_) => break,
        }
    }
    out
}

#[test]
fn ready_watchdog_pings_and_stopping_reach_systemds_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exported = export_default(dir.path());
    let port = free_port();
    let config = test_config(&exported, port, free_udp_range(RTP_PORTS), dir.path());
    import(dir.path(), &config, &dir.path().join("config.toml"));
    let notify_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&notify_path).expect("bind the notify socket");
    let mut child = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(dir.path().join("store"))
        .env("NOTIFY_SOCKET", &notify_path)
        // A ping every 200 ms.
        .env("WATCHDOG_USEC", "400000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start centrala");
    let running = collect(&socket, Duration::from_secs(3));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let stopped = collect(&socket, Duration::from_secs(2));
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let first = running.first().map(String::as_str).unwrap_or("");
    assert!(first.starts_with("READY=1"), "first message: {running:?}");
    let pings = running.iter().filter(|m| *m == "WATCHDOG=1").count();
    assert!(pings >= 5, "expected a ping every 200 ms: {running:?}");
    assert!(
        stopped.iter().any(|m| m.starts_with("STOPPING=1")),
        "after SIGTERM: {stopped:?}"
    );
}

#[test]
fn without_a_watchdog_only_ready_and_stopping_are_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exported = export_default(dir.path());
    let config = test_config(
        &exported,
        free_port(),
        free_udp_range(RTP_PORTS),
        dir.path(),
    );
    import(dir.path(), &config, &dir.path().join("config.toml"));
    let notify_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&notify_path).expect("bind the notify socket");
    let mut child = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(dir.path().join("store"))
        .env("NOTIFY_SOCKET", &notify_path)
        .env_remove("WATCHDOG_USEC")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start centrala");
    let running = collect(&socket, Duration::from_secs(2));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let stopped = collect(&socket, Duration::from_secs(2));
    let _ = child.wait();
    assert_eq!(running.len(), 1, "{running:?}");
    assert!(running[0].starts_with("READY=1"), "{running:?}");
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    assert!(stopped[0].starts_with("STOPPING=1"), "{stopped:?}");
}
