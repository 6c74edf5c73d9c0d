//! The webhook against the real daemon: a call to an entry point closed after hours (night
//! switch forced closed, "hang up") is declined with 603, and a local HTTP receiver in the
//! test gets the missed-call event as JSON, signed with HMAC-SHA256; a receiver that fails
//! first gets the same event again.
//!
//! Needs `sipp` on PATH (`scripts/setup.sh` installs Debian's `sip-tester`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use centrala_e2e::pbx::{closed_office_hours, password, Pbx};
use firmware_config::bounded::Text;
use firmware_config::config::Config;
use firmware_config::schedule::AfterHours;
use firmware_config::system::Webhook;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET: &str = "e2e-shared-secret";
const PATIENCE: Duration = Duration::from_secs(15);

/// One request the receiver got, and the status it answered.
#[derive(Debug)]
struct Request {
    head: String,
    body: Vec<u8>,
    answered: u16,
    at: Instant,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.split("\r\n").skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// An HTTP receiver on loopback answering with `statuses` in turn (the last one repeated).
fn receiver(statuses: Vec<u16>) -> (SocketAddr, mpsc::Receiver<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
    let addr = listener.local_addr().expect("receiver address");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut served = 0;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Some((head, body)) = read_request(&mut stream) else {
                continue;
            };
            let answered = statuses[served.min(statuses.len() - 1)];
            served += 1;
            let response = format!(
                "HTTP/1.1 {answered} Test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(response.as_bytes());
            let request = Request {
                head,
                body,
                answered,
                at: Instant::now(),
            };
            if tx.send(request).is_err() {
                return;
            }
        }
    });
    (addr, rx)
}

/// The head and the Content-Length body of one HTTP request.
fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    stream.set_read_timeout(Some(PATIENCE)).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..end].to_vec()).ok()?;
    let length: usize = head.split("\r\n").find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    })?;
    let mut body = buf[end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap_or_else(|e| panic!("{s:?} does not fit: {e:?}"))
}

/// The reception entry point (internal number 200) follows "office-hours", which is forced
/// closed for a day and hangs up after hours; events go to the webhook at `addr`.
fn closed_with_webhook(config: &mut Config, addr: SocketAddr) {
    closed_office_hours(config, AfterHours::HangUp);
    let reception = config
        .entry_points
        .as_mut_slice()
        .iter_mut()
        .find(|e| e.name.as_str() == "reception")
        .expect("the demo office has a reception entry point");
    reception.schedule = Some(text("office-hours"));
    config.webhook = Some(Webhook {
        url: text(&format!("http://{addr}/centrala/events")),
        secret: Some(text(SECRET)),
        timeout_ms: 2000,
    });
}

/// Employee 101 calls the reception's internal number and is declined.
fn call_reception(pbx: &Pbx) {
    let pw = password("101");
    pbx.sipp_ok(
        "invite_declined.xml",
        &["-s", "200", "-au", "101", "-ap", &pw],
    );
}

fn hmac_hex(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Waits until the outbox holds no pending event.
fn outbox_drains(data: &Path) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        let pending = std::fs::read_dir(data.join("outbox"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
                    .count()
            })
            .unwrap_or(usize::MAX);
        if pending == 0 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn a_call_missed_after_hours_reaches_the_webhook_signed() {
    let (addr, rx) = receiver(vec![200]);
    let mut pbx = Pbx::start_with(|c| closed_with_webhook(c, addr));
    pbx.wait_for("webhook configured");
    call_reception(&pbx);
    let request = rx
        .recv_timeout(PATIENCE)
        .expect("the webhook got a request");
    assert!(
        request
            .head
            .starts_with("POST /centrala/events HTTP/1.1\r\n"),
        "{}",
        request.head
    );
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    let expected = format!("sha256={}", hmac_hex(SECRET.as_bytes(), &request.body));
    assert_eq!(
        request.header("X-Centrala-Signature"),
        Some(expected.as_str())
    );
    let event = request.json();
    let id = event["id"].as_u64().expect("a numeric id");
    assert_eq!(
        request.header("X-Centrala-Event"),
        Some(id.to_string().as_str())
    );
    assert_eq!(event["type"], "missed_call");
    assert_eq!(event["why"], "schedule");
    assert_eq!(event["entry"], "reception");
    assert_eq!(
        event["caller"],
        serde_json::json!({"kind": "extension", "value": "101"})
    );
    assert_eq!(event["employees"], serde_json::json!(["101", "102", "103"]));
    let line = event["text"].as_str().unwrap_or("");
    assert!(
        line.starts_with("Missed call from extension 101 on entry 'reception' (after hours)"),
        "{line}"
    );
    assert!(outbox_drains(&pbx.dir().join("data")));
    let log = pbx.stop();
    assert!(!log.contains("webhook delivery failed"), "{log}");
}

#[test]
fn a_failing_receiver_gets_the_same_event_again() {
    let (addr, rx) = receiver(vec![503, 200]);
    let mut pbx = Pbx::start_with(|c| closed_with_webhook(c, addr));
    pbx.wait_for("webhook configured");
    call_reception(&pbx);
    let first = rx.recv_timeout(PATIENCE).expect("a first attempt");
    let second = rx.recv_timeout(PATIENCE).expect("a second attempt");
    assert_eq!((first.answered, second.answered), (503, 200));
    assert_eq!(first.body, second.body);
    assert_eq!(
        first.header("X-Centrala-Event"),
        second.header("X-Centrala-Event")
    );
    // The first retry waits a second.
    let gap = second.at - first.at;
    assert!(gap >= Duration::from_millis(900), "{gap:?}");
    pbx.wait_for("webhook delivery failed");
    assert!(outbox_drains(&pbx.dir().join("data")));
    pbx.stop();
}
