//! The worker against a real HTTP receiver on loopback (a `TcpListener` and a request parsed
//! by hand), with backoff shortened to milliseconds.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use firmware_config::bounded::Text;

use super::*;
use crate::notify::outbox;
use crate::notify::webhook::{signature, EVENT_HEADER, SIGNATURE_HEADER};
use crate::routing::{CallId, Caller, MissedBecause, NotifyEvent};

/// How long a test waits for something the worker should do.
const PATIENCE: Duration = Duration::from_secs(10);

/// One request the receiver got, and what it answered.
#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    answered: u16,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}"))
    }

    fn id(&self) -> u64 {
        self.json()["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("no id in {:?}", self.json()))
    }
}

/// Serves `listener` on a thread, answering each request with `answer`'s status; every
/// request arrives on the returned channel.
fn serve(
    listener: TcpListener,
    mut answer: impl FnMut(&Request) -> u16 + Send + 'static,
) -> mpsc::Receiver<Request> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Some(mut request) = read_request(&mut stream) else {
                continue;
            };
            request.answered = answer(&request);
            let response = format!(
                "HTTP/1.1 {} Whatever\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                request.answered
            );
            let _ = stream.write_all(response.as_bytes());
            drop(stream);
            if tx.send(request).is_err() {
                return;
            }
        }
    });
    rx
}

/// Reads one HTTP/1.1 request with a Content-Length body.
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(PATIENCE)).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let (method, path) = (start.next()?.to_owned(), start.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))?
        .1
        .parse()
        .ok()?;
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
        answered: 0,
    })
}

fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    (listener, addr)
}

/// A loopback address where nothing listens (for a while, at least).
fn nobody() -> SocketAddr {
    listen().1
}

fn webhook(addr: SocketAddr, secret: Option<&str>) -> Webhook {
    Webhook {
        url: Text::new(&format!("http://{addr}/hooks/centrala"))
            .unwrap_or_else(|e| panic!("{e:?}")),
        secret: secret.map(|s| Text::new(s).unwrap_or_else(|e| panic!("{e:?}"))),
        timeout_ms: 2000,
    }
}

fn quick() -> Settings {
    Settings {
        limits: Limits::default(),
        backoff: Backoff {
            first: Duration::from_millis(10),
            max: Duration::from_millis(40),
        },
    }
}

fn start(dir: &Path, webhook: Option<Webhook>) -> Notifier {
    Notifier::start(dir, webhook, quick()).unwrap_or_else(|e| panic!("{e}"))
}

/// A missed call from `+4822123450n`.
fn missed(n: u64) -> Notification {
    let at = Utc
        .with_ymd_and_hms(2026, 11, 23, 20, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("valid time"));
    let number = format!("+4822123450{n}");
    Notification {
        employees: vec!["101".parse().unwrap_or_else(|e| panic!("{e:?}"))],
        event: NotifyEvent::MissedCall {
            call: CallId(n),
            caller: Caller::Number(number.parse().unwrap_or_else(|e| panic!("{e:?}"))),
            entry: Some("Main line".to_owned()),
            at,
            why: MissedBecause::Schedule,
            crm: None,
        },
    }
}

fn next(rx: &mpsc::Receiver<Request>) -> Request {
    rx.recv_timeout(PATIENCE)
        .unwrap_or_else(|e| panic!("no request: {e}"))
}

/// The caller's number the webhook got.
fn caller_of(r: &Request) -> String {
    r.json()["caller"]["value"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn pending_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_receiver_gets_signed_json_with_the_event_id() {
    let dir = temp();
    let (listener, addr) = listen();
    let rx = serve(listener, |_| 200);
    let notifier = start(dir.path(), Some(webhook(addr, Some("s3cret"))));
    notifier.notify(&missed(1));
    notifier.notify(&missed(2));
    let (a, b) = (next(&rx), next(&rx));
    for (r, n) in [(&a, 1), (&b, 2)] {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/hooks/centrala")
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header(EVENT_HEADER), Some(r.id().to_string().as_str()));
        let expected = signature(b"s3cret", &r.body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.header(SIGNATURE_HEADER), Some(expected.as_str()));
        assert_eq!(r.json()["type"], "missed_call");
        assert_eq!(caller_of(r), format!("+4822123450{n}"));
    }
    assert_eq!(b.id(), a.id() + 1);
    notifier.stop();
    assert!(pending_files(dir.path()).is_empty());
}

#[test]
fn without_a_secret_there_is_no_signature() {
    let dir = temp();
    let (listener, addr) = listen();
    let rx = serve(listener, |_| 204);
    let notifier = start(dir.path(), Some(webhook(addr, None)));
    notifier.notify(&missed(1));
    let r = next(&rx);
    assert_eq!(r.header(SIGNATURE_HEADER), None);
    assert!(r.header(EVENT_HEADER).is_some());
    notifier.stop();
}

#[test]
fn after_refusals_with_503_events_arrive_in_order_exactly_as_queued() {
    let dir = temp();
    let (listener, addr) = listen();
    let mut count = 0;
    let rx = serve(listener, move |_| {
        count += 1;
        if count <= 3 {
            503
        } else {
            200
        }
    });
    let notifier = start(dir.path(), Some(webhook(addr, Some("k"))));
    for n in 1..=4 {
        notifier.notify(&missed(n));
    }
    let requests: Vec<Request> = (0..7).map(|_| next(&rx)).collect();
    let seen: Vec<(String, u16)> = requests
        .iter()
        .map(|r| (caller_of(r), r.answered))
        .collect();
    let expected: Vec<(String, u16)> = [
        (1, 503),
        (1, 503),
        (1, 503),
        (1, 200),
        (2, 200),
        (3, 200),
        (4, 200),
    ]
    .map(|(n, s)| (format!("+4822123450{n}"), s))
    .into();
    assert_eq!(seen, expected);
    // The same event is sent again byte for byte, signature and id included.
    assert_eq!(requests[0].body, requests[3].body);
    let ids: Vec<u64> = requests[3..].iter().map(Request::id).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    notifier.stop();
    assert!(pending_files(dir.path()).is_empty());
}

#[test]
fn a_refused_event_is_kept_aside_and_the_next_delivered() {
    let dir = temp();
    let (listener, addr) = listen();
    let rx = serve(listener, |r| {
        if caller_of(r).ends_with('2') {
            422
        } else {
            200
        }
    });
    let notifier = start(dir.path(), Some(webhook(addr, None)));
    for n in 1..=3 {
        notifier.notify(&missed(n));
    }
    let answers: Vec<u16> = (0..3).map(|_| next(&rx).answered).collect();
    assert_eq!(answers, [200, 422, 200]);
    notifier.stop();
    let refused = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json.refused"))
        .count();
    assert_eq!(refused, 1);
    assert!(pending_files(dir.path()).is_empty());
}

#[test]
fn events_queued_while_the_receiver_is_down_are_delivered_by_the_next_start() {
    let dir = temp();
    let addr = nobody();
    let notifier = start(dir.path(), Some(webhook(addr, Some("k"))));
    for n in 1..=3 {
        notifier.notify(&missed(n));
    }
    // Let it fail a few times, then "restart the daemon".
    std::thread::sleep(Duration::from_millis(100));
    notifier.stop();
    let files = pending_files(dir.path());
    assert_eq!(files.len(), 3, "{files:?}");
    let listener = TcpListener::bind(addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    let rx = serve(listener, |_| 200);
    let notifier = start(dir.path(), Some(webhook(addr, Some("k"))));
    let got: Vec<Request> = (0..3).map(|_| next(&rx)).collect();
    let callers: Vec<String> = got.iter().map(caller_of).collect();
    assert_eq!(callers, ["+48221234501", "+48221234502", "+48221234503"]);
    let names: Vec<String> = got.iter().map(|r| outbox::file_name(r.id())).collect();
    assert_eq!(names, files);
    // New events continue the numbering after the restart.
    notifier.notify(&missed(4));
    let fourth = next(&rx);
    assert_eq!(fourth.id(), got[2].id() + 1);
    notifier.stop();
    assert!(pending_files(dir.path()).is_empty());
}

#[test]
fn without_a_webhook_nothing_is_queued_until_one_is_configured() {
    let dir = temp();
    let notifier = start(dir.path(), None);
    notifier.notify(&missed(1));
    let (listener, addr) = listen();
    let rx = serve(listener, |_| 200);
    notifier.configure(Some(webhook(addr, None)));
    notifier.notify(&missed(2));
    assert_eq!(caller_of(&next(&rx)), "+48221234502");
    notifier.configure(None);
    notifier.notify(&missed(3));
    notifier.stop();
    assert!(pending_files(dir.path()).is_empty());
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
}

#[test]
fn a_changed_url_gets_what_the_old_one_did_not_take() {
    let dir = temp();
    let notifier = start(dir.path(), Some(webhook(nobody(), None)));
    notifier.notify(&missed(1));
    notifier.notify(&missed(2));
    std::thread::sleep(Duration::from_millis(50));
    let (listener, addr) = listen();
    let rx = serve(listener, |_| 200);
    notifier.configure(Some(webhook(addr, None)));
    let callers: Vec<String> = (0..2).map(|_| caller_of(&next(&rx))).collect();
    assert_eq!(callers, ["+48221234501", "+48221234502"]);
    notifier.stop();
}

#[test]
fn a_receiver_that_never_answers_is_given_up_on_after_the_timeout() {
    let dir = temp();
    // Accepts the connection (the kernel does) but never reads or answers.
    let (listener, addr) = listen();
    let mut hook = webhook(addr, None);
    hook.timeout_ms = 200;
    let notifier = start(dir.path(), Some(hook));
    notifier.notify(&missed(1));
    std::thread::sleep(Duration::from_millis(300));
    let began = Instant::now();
    notifier.stop();
    // stop() waits for a POST in flight, which the timeout bounds.
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(pending_files(dir.path()).len(), 1);
    drop(listener);
}
