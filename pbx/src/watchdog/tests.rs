use std::time::Duration;

use tokio::net::UnixDatagram;
use tokio::sync::{broadcast, mpsc};

use super::*;

/// A socket standing in for systemd's, in a temp dir.
struct Listener {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    socket: UnixDatagram,
}

fn listener() -> Listener {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).expect("bind");
    Listener {
        _dir: dir,
        path,
        socket,
    }
}

/// The next datagram within `within`, as text; None if none came.
async fn next(socket: &UnixDatagram, within: Duration) -> Option<String> {
    let mut buf = [0u8; 256];
    let n = timeout(within, socket.recv(&mut buf)).await.ok()?.ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Every datagram that arrives within `within`.
async fn all(socket: &UnixDatagram, within: Duration) -> Vec<String> {
    let end = tokio::time::Instant::now() + within;
    let mut out = Vec::new();
    while let Some(left) = end.checked_duration_since(tokio::time::Instant::now()) {
        match next(socket, left).await {
            Some(m) => out.push(m),
            None => break,
        }
    }
    out
}

#[test]
fn the_interval_is_half_the_timeout() {
    let half = ping_interval(Some("30000000"), None, 7);
    assert_eq!(half, Some(Duration::from_secs(15)));
    assert_eq!(
        ping_interval(Some("2000000"), Some("7"), 7),
        Some(Duration::from_secs(1))
    );
}

#[test]
fn no_interval_without_a_usable_timeout_or_for_another_process() {
    assert_eq!(ping_interval(None, None, 7), None);
    assert_eq!(ping_interval(Some("0"), None, 7), None);
    assert_eq!(ping_interval(Some("soon"), None, 7), None);
    assert_eq!(ping_interval(Some("-5"), None, 7), None);
    assert_eq!(ping_interval(Some("2000000"), Some("8"), 7), None);
    assert_eq!(ping_interval(Some("2000000"), Some("x"), 7), None);
}

#[test]
fn addresses_are_paths_or_abstract_names() {
    let path = socket_address(OsStr::new("/run/systemd/notify")).expect("path");
    assert_eq!(
        path.as_pathname(),
        Some(std::path::Path::new("/run/systemd/notify"))
    );
    let abstract_name = socket_address(OsStr::new("@/org/freedesktop/systemd1/notify"));
    assert!(abstract_name.expect("abstract").as_pathname().is_none());
    assert!(matches!(
        socket_address(OsStr::new("")),
        Err(NotifyError::Address(_))
    ));
}

#[tokio::test]
async fn ready_and_stopping_reach_the_socket() {
    let l = listener();
    let systemd = Systemd::new(l.path.as_os_str(), None).expect("systemd");
    systemd.ready();
    systemd.stopping();
    let first = next(&l.socket, Duration::from_secs(2)).await;
    let second = next(&l.socket, Duration::from_secs(2)).await;
    assert!(
        first.as_deref().unwrap_or("").starts_with("READY=1\n"),
        "{first:?}"
    );
    assert!(
        second.as_deref().unwrap_or("").starts_with("STOPPING=1\n"),
        "{second:?}"
    );
}

#[tokio::test]
async fn an_abstract_socket_is_reached() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("centrala-test-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("name");
    let std_socket = std::os::unix::net::UnixDatagram::bind_addr(&addr).expect("bind");
    std_socket.set_nonblocking(true).expect("nonblocking");
    let socket = UnixDatagram::from_std(std_socket).expect("tokio socket");
    let systemd = Systemd::new(OsStr::new(&format!("@{name}")), None).expect("systemd");
    systemd.ping();
    let got = next(&socket, Duration::from_secs(2)).await;
    assert_eq!(got.as_deref(), Some("WATCHDOG=1"));
}

#[tokio::test]
async fn without_systemd_nothing_is_sent_and_the_link_is_untouched() {
    let systemd = Systemd::default();
    systemd.ready();
    systemd.ping();
    assert!(systemd.supervise(None).is_none());
    let l = listener();
    let no_watchdog = Systemd::new(l.path.as_os_str(), None).expect("systemd");
    assert!(no_watchdog.supervise(None).is_none());
    assert!(next(&l.socket, Duration::from_millis(100)).await.is_none());
}

#[tokio::test]
async fn pings_follow_answered_probes_only() {
    let l = listener();
    let every = Duration::from_millis(40);
    let systemd = Systemd::new(l.path.as_os_str(), Some(every)).expect("systemd");
    let answering = tokio::spawn(keep_alive(systemd.clone(), every, || async { true }));
    let pings = all(&l.socket, Duration::from_millis(300)).await;
    answering.abort();
    assert!(pings.len() >= 3, "{pings:?}");
    assert!(pings.iter().all(|p| p == "WATCHDOG=1"), "{pings:?}");
    // A drained socket, then a loop that never answers: no ping at all.
    let _ = all(&l.socket, Duration::from_millis(50)).await;
    let hung = tokio::spawn(keep_alive(systemd, every, std::future::pending::<bool>));
    let pings = all(&l.socket, Duration::from_millis(300)).await;
    hung.abort();
    assert!(pings.is_empty(), "{pings:?}");
}

/// A stand-in for the SIP loop: answers status probes while `alive`, forwards every other
/// command to `seen`.
async fn fake_loop(mut link: SwitchLink, alive: Duration, seen: mpsc::UnboundedSender<String>) {
    let until = tokio::time::Instant::now() + alive;
    while let Some(command) = link.commands.recv().await {
        match command {
            SwitchCommand::Status(reply) if tokio::time::Instant::now() < until => {
                let _ = reply.send(crate::control::protocol::Status::default());
            }
            // A hung loop: holds the probe's reply forever.
            SwitchCommand::Status(reply) => {
                std::future::pending::<()>().await;
                drop(reply);
            }
            other => {
                let _ = seen.send(format!("{other:?}"));
            }
        }
    }
}

#[tokio::test]
async fn the_loop_is_probed_through_the_control_queue_and_a_hang_stops_the_pings() {
    let l = listener();
    let every = Duration::from_millis(40);
    let systemd = Systemd::new(l.path.as_os_str(), Some(every)).expect("systemd");
    let (control_tx, control_rx) = mpsc::channel(4);
    let events = broadcast::channel(4).0;
    let upstream = SwitchLink {
        commands: control_rx,
        events,
    };
    let link = systemd.supervise(Some(upstream)).expect("a link");
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let _loop = tokio::spawn(fake_loop(link, Duration::from_millis(300), seen_tx));
    // The control server's commands still reach the loop.
    let (config, _) = firmware_config::default::factory_default().expect("default");
    let config = std::sync::Arc::new(config);
    control_tx
        .send(SwitchCommand::Config(config))
        .await
        .expect("send");
    let forwarded = timeout(Duration::from_secs(2), seen.recv()).await;
    assert!(
        matches!(forwarded, Ok(Some(ref s)) if s.starts_with("Config")),
        "{forwarded:?}"
    );
    let alive = all(&l.socket, Duration::from_millis(300)).await;
    assert!(alive.len() >= 3, "pings while the loop answers: {alive:?}");
    // After 300 ms the loop hangs; allow one probe in flight, then silence.
    let _ = all(&l.socket, Duration::from_millis(100)).await;
    let hung = all(&l.socket, Duration::from_millis(300)).await;
    assert!(hung.is_empty(), "pings while the loop hangs: {hung:?}");
}
