//! The client against an in-process fake daemon on a real Unix socket.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use firmware_config::sample::{office, Size};
use pbx::control::protocol::{decode_request, encode_line, FieldProblem, Status};

use super::*;

fn tiny() -> firmware_config::Config {
    office(
        Size {
            employees: 2,
            groups: 1,
            schedules: 1,
            holidays: 0,
        },
        1,
    )
}

/// A fake daemon: revision 3; answers every request it reads, in reverse order when
/// `reverse` (to check matching by id), after `batch` requests have arrived.
fn fake_daemon(listener: UnixListener, batch: usize, reverse: bool) {
    let Ok((stream, _)) = listener.accept() else {
        return;
    };
    let mut writer = stream.try_clone().expect("clone");
    let mut lines = BufReader::new(stream).lines();
    let mut replies = Vec::new();
    while replies.len() < batch {
        let Some(Ok(line)) = lines.next() else { return };
        let message = decode_request(&line).expect("the client speaks the protocol");
        let reply = match message.request {
            Request::Hello { user, .. } => Reply::Hello {
                version: VERSION,
                office: format!("office of {user}"),
            },
            Request::GetConfig => Reply::Config {
                revision: 3,
                config: Box::new(tiny()),
            },
            Request::Replace { base: 3, .. } => Reply::Saved { revision: 4 },
            Request::Replace { .. } => Reply::Conflict {
                current: 3,
                changed: vec!["group 'sales'".into()],
            },
            Request::Remove { .. } => Reply::Invalid {
                problems: vec![FieldProblem {
                    path: "group 'g'".into(),
                    message: "in use".into(),
                }],
            },
            Request::Status => Reply::Status(Status::default()),
            Request::Subscribe => Reply::Subscribed,
            _ => Reply::Error {
                message: "not here".into(),
            },
        };
        replies.push(ServerMessage::Reply {
            id: message.id,
            reply,
        });
    }
    if reverse {
        replies.reverse();
    }
    replies.push(ServerMessage::Event {
        event: Event::Status(Status::default()),
    });
    for r in &replies {
        writer.write_all(encode_line(r).as_bytes()).expect("write");
    }
    writer.write_all(b"garbage\n").expect("write");
    // Dropping the streams closes the connection.
}

fn start(batch: usize, reverse: bool) -> (tempfile::TempDir, Client, Receiver<FromServer>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("control.sock");
    let listener = UnixListener::bind(&path).expect("bind");
    std::thread::spawn(move || fake_daemon(listener, batch, reverse));
    let (tx, rx) = mpsc::channel();
    let client = Client::connect(&path, tx, |m| m).expect("connects");
    (dir, client, rx)
}

fn next(rx: &Receiver<FromServer>) -> FromServer {
    rx.recv_timeout(Duration::from_secs(5)).expect("a message")
}

fn next_incoming(client: &mut Client, rx: &Receiver<FromServer>) -> Incoming {
    match next(rx) {
        FromServer::Message(m) => client.resolve(m),
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn replies_are_matched_to_their_requests_even_out_of_order() {
    let (_dir, mut client, rx) = start(4, true);
    let hello = Request::Hello {
        client: "test".into(),
        user: "ola".into(),
    };
    client.send(hello.clone()).expect("send");
    client.send(Request::GetConfig).expect("send");
    client.send(Request::Status).expect("send");
    client.send(Request::Subscribe).expect("send");
    assert_eq!(client.waiting(), 4);

    let first = next_incoming(&mut client, &rx);
    assert_eq!(
        first,
        Incoming::Reply {
            request: Request::Subscribe,
            reply: Reply::Subscribed
        }
    );
    assert!(matches!(
        next_incoming(&mut client, &rx),
        Incoming::Reply {
            request: Request::Status,
            reply: Reply::Status(_)
        }
    ));
    match next_incoming(&mut client, &rx) {
        Incoming::Reply {
            request: Request::GetConfig,
            reply: Reply::Config { revision, config },
        } => {
            assert_eq!(revision, 3);
            assert_eq!(*config, tiny());
        }
        other => panic!("expected the configuration, got {other:?}"),
    }
    assert_eq!(
        next_incoming(&mut client, &rx),
        Incoming::Reply {
            request: hello,
            reply: Reply::Hello {
                version: VERSION,
                office: "office of ola".into()
            }
        }
    );
    assert_eq!(client.waiting(), 0);
    assert!(matches!(
        next_incoming(&mut client, &rx),
        Incoming::Event(Event::Status(_))
    ));
    assert!(matches!(next(&rx), FromServer::Garbled(_)));
    assert!(matches!(next(&rx), FromServer::Closed(_)));
}

#[test]
fn a_change_on_an_old_revision_comes_back_as_a_conflict() {
    let (_dir, mut client, rx) = start(2, false);
    let group = tiny().groups[0].clone();
    let item = pbx::control::protocol::Item::Group(Box::new(group));
    client
        .send(Request::Replace {
            base: 2,
            item: item.clone(),
        })
        .expect("send");
    client
        .send(Request::Replace { base: 3, item })
        .expect("send");
    assert!(matches!(
        next_incoming(&mut client, &rx),
        Incoming::Reply {
            request: Request::Replace { base: 2, .. },
            reply: Reply::Conflict { current: 3, .. }
        }
    ));
    assert!(matches!(
        next_incoming(&mut client, &rx),
        Incoming::Reply {
            request: Request::Replace { base: 3, .. },
            reply: Reply::Saved { revision: 4 }
        }
    ));
}

#[test]
fn an_unknown_id_is_reported_not_matched() {
    let (_dir, mut client, _rx) = start(0, false);
    let stray = ServerMessage::Reply {
        id: 99,
        reply: Reply::Subscribed,
    };
    assert_eq!(client.resolve(stray), Incoming::Unmatched(99));
}

#[test]
fn a_missing_daemon_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nobody.sock");
    let (tx, _rx) = mpsc::channel();
    let err = Client::connect(&path, tx, |m: FromServer| m).expect_err("nobody listens");
    let text = err.to_string();
    assert!(text.contains("cannot reach the daemon") && text.contains("nobody.sock"));
}
