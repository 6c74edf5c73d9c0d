use super::*;
use crate::control::protocol::{ClientMessage, Item, VERSION};
use firmware_config::group::Distribution;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

struct Fixture {
    dir: tempfile::TempDir,
    server: ControlServer,
    link: SwitchLink,
    config: Config,
}

fn start() -> Fixture {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (config, _) =
        firmware_config::default::factory_default().unwrap_or_else(|e| panic!("{e:?}"));
    let mut store = ConfigStore::new(dir.path().join("store"));
    let written = store.save(&config).unwrap_or_else(|e| panic!("{e}"));
    let setup = Setup {
        socket: dir.path().join("run/control.sock"),
        data_dir: dir.path().join("data"),
        store,
        revision: written.generation,
        config: Arc::new(config.clone()),
        group: None,
        live: None,
        alerter: None,
        lines: None,
        line_alerts: None,
    };
    let (server, link) = ControlServer::start(setup).unwrap_or_else(|e| panic!("{e}"));
    Fixture {
        dir,
        server,
        link,
        config,
    }
}

/// Who the audit log names for this test process saying `hello` as "ala": its own login
/// (from the kernel's peer credentials), with "ala" beside it unless that is the login.
fn as_ala(f: &Fixture) -> String {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata(f.dir.path())
        .map(|m| m.uid())
        .unwrap_or_else(|e| panic!("{e}"));
    access::audit_name(Some(&access::login_of(uid)), "ala")
}

#[test]
fn with_a_group_of_console_users_the_socket_is_theirs_too() {
    use std::os::unix::fs::MetadataExt;
    runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let gid = std::fs::metadata(dir.path())
            .map(|m| m.gid())
            .unwrap_or_else(|e| panic!("{e}"));
        let (config, _) =
            firmware_config::default::factory_default().unwrap_or_else(|e| panic!("{e:?}"));
        let setup = Setup {
            socket: dir.path().join("control.sock"),
            data_dir: dir.path().join("data"),
            store: ConfigStore::new(dir.path().join("store")),
            revision: 1,
            config: Arc::new(config),
            group: Some(gid),
            live: None,
            alerter: None,
            lines: None,
            line_alerts: None,
        };
        let (server, _link) = ControlServer::start(setup).unwrap_or_else(|e| panic!("{e}"));
        let meta = std::fs::metadata(server.socket()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(meta.permissions().mode() & 0o777, 0o660);
        assert_eq!(meta.gid(), gid);
    });
}

struct Client {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
    next: u64,
}

impl Client {
    async fn connect(path: &Path) -> Client {
        let stream = UnixStream::connect(path)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (read, write) = stream.into_split();
        Client {
            read: BufReader::new(read),
            write,
            next: 1,
        }
    }

    async fn line(&mut self, text: &str) {
        let mut line = text.to_owned();
        line.push('\n');
        self.write
            .write_all(line.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    async fn receive(&mut self) -> Option<ServerMessage> {
        let mut line = String::new();
        let n = self.read.read_line(&mut line).await.ok()?;
        if n == 0 {
            return None;
        }
        Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")))
    }

    async fn ask(&mut self, request: Request) -> Reply {
        let id = self.next;
        self.next += 1;
        let m = ClientMessage {
            v: VERSION,
            id,
            request,
        };
        self.line(encode_line(&m).trim_end()).await;
        match self.receive().await {
            Some(ServerMessage::Reply { id: got, reply }) if got == id => reply,
            other => panic!("expected the reply to {id}, got {other:?}"),
        }
    }
}

#[test]
fn a_change_is_saved_stored_audited_applied_and_announced() {
    runtime().block_on(async {
        let mut f = start();
        let mode = std::fs::metadata(f.server.socket())
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600);
        let mut watcher = Client::connect(f.server.socket()).await;
        assert_eq!(watcher.ask(Request::Subscribe).await, Reply::Subscribed);
        let mut c = Client::connect(f.server.socket()).await;
        let hello = Request::Hello {
            client: "test".into(),
            user: "ala".into(),
        };
        assert!(matches!(c.ask(hello).await, Reply::Hello { .. }));
        let Reply::Config { revision, config } = c.ask(Request::GetConfig).await else {
            panic!("no config");
        };
        assert_eq!(*config, f.config);
        let mut office = f
            .config
            .group("office")
            .cloned()
            .unwrap_or_else(|| panic!("office"));
        office.distribution = Distribution::Evenly;
        office.ring_time_secs = 27;
        let replace = Request::Replace {
            base: revision,
            item: Item::Group(Box::new(office.clone())),
        };
        assert_eq!(
            c.ask(replace).await,
            Reply::Saved {
                revision: revision + 1
            }
        );
        // Applied to the switch.
        match f.link.commands.recv().await {
            Some(SwitchCommand::Config(applied)) => {
                assert_eq!(applied.group("office"), Some(&office))
            }
            other => panic!("{other:?}"),
        }
        // Announced.
        match watcher.receive().await {
            Some(ServerMessage::Event {
                event:
                    Event::ConfigChanged {
                        revision: r,
                        by,
                        changed,
                    },
            }) => {
                assert_eq!((r, by), (revision + 1, as_ala(&f)));
                assert_eq!(changed, ["group 'office'"]);
            }
            other => panic!("{other:?}"),
        }
        // Stored.
        let store = ConfigStore::new(f.dir.path().join("store"));
        let loaded = store.load().unwrap_or_else(|e| panic!("{e}"));
        let Some((_, generation, _, stored)) = loaded.value else {
            panic!("nothing stored");
        };
        assert_eq!(generation, revision + 1);
        assert_eq!(stored.group("office"), Some(&office));
        // Audited.
        let audit = std::fs::read_to_string(f.dir.path().join("data/audit.log"))
            .unwrap_or_else(|e| panic!("{e}"));
        let by = format!("\"by\":\"{}\"", as_ala(&f));
        assert!(audit.contains(&by), "{audit}");
        assert!(audit.contains("group 'office'"), "{audit}");
        assert_eq!(audit.lines().count(), 1);
        // The same base again is a conflict.
        let again = Request::Replace {
            base: revision,
            item: Item::Group(Box::new(office)),
        };
        assert!(matches!(c.ask(again).await, Reply::Conflict { .. }));
    });
}

#[test]
fn bad_lines_get_an_error_and_a_too_long_one_closes() {
    runtime().block_on(async {
        let f = start();
        let mut c = Client::connect(f.server.socket()).await;
        c.line("this is not json").await;
        assert!(matches!(
            c.receive().await,
            Some(ServerMessage::Reply {
                id: 0,
                reply: Reply::Error { .. }
            })
        ));
        c.line(r#"{"v":1,"id":9,"request":"format_disk"}"#).await;
        assert!(matches!(
            c.receive().await,
            Some(ServerMessage::Reply {
                id: 9,
                reply: Reply::Error { .. }
            })
        ));
        // Still usable.
        assert!(matches!(
            c.ask(Request::GetConfig).await,
            Reply::Config { .. }
        ));
        let long = "x".repeat(MAX_LINE + 10);
        c.line(&long).await;
        assert!(matches!(
            c.receive().await,
            Some(ServerMessage::Reply {
                reply: Reply::Error { .. },
                ..
            })
        ));
        assert!(c.receive().await.is_none(), "closed after a too long line");
        // The server is fine.
        let mut d = Client::connect(f.server.socket()).await;
        assert!(matches!(
            d.ask(Request::GetConfig).await,
            Reply::Config { .. }
        ));
    });
}

#[test]
fn status_is_answered_by_the_switch() {
    runtime().block_on(async {
        let mut f = start();
        let mut c = Client::connect(f.server.socket()).await;
        let responder = tokio::spawn(async move {
            if let Some(SwitchCommand::Status(tx)) = f.link.commands.recv().await {
                let _ = tx.send(Status {
                    lines: vec![crate::control::protocol::LineView {
                        name: "fxo1".into(),
                        state: "idle".into(),
                    }],
                    ..Status::default()
                });
            }
            f
        });
        let Reply::Status(status) = c.ask(Request::Status).await else {
            panic!("no status");
        };
        assert_eq!(status.lines.len(), 1);
        let _f = responder.await;
    });
}

#[test]
fn history_requests_are_answered_by_the_switch_and_never_reach_the_editor() {
    runtime().block_on(async {
        let mut f = start();
        let mut c = Client::connect(f.server.socket()).await;
        let asked = Request::History {
            limit: 5,
            missed_only: true,
            group: Some("office".into()),
        };
        let expected = asked.clone();
        let responder = tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..2 {
                if let Some(SwitchCommand::Query(request, tx)) = f.link.commands.recv().await {
                    seen.push(request);
                    let _ = tx.send(Reply::History {
                        records: Vec::new(),
                    });
                }
            }
            (seen, f)
        });
        assert_eq!(
            c.ask(asked).await,
            Reply::History {
                records: Vec::new()
            }
        );
        assert!(matches!(
            c.ask(Request::Statistics).await,
            Reply::History { .. }
        ));
        let Ok((seen, f)) = responder.await else {
            panic!("the responder failed");
        };
        assert_eq!(seen, [expected, Request::Statistics]);
        // The switch's end is gone: the request fails with a reason, at once.
        drop(f.link);
        let Reply::Error { message } = c.ask(Request::Notifications { limit: 3 }).await else {
            panic!("an error without the switch");
        };
        assert!(message.contains("switch"), "{message}");
    });
}

#[test]
fn a_stale_socket_is_replaced_and_a_live_one_is_not() {
    runtime().block_on(async {
        let f = start();
        let path = f.server.socket().to_owned();
        let setup = |store| Setup {
            socket: path.clone(),
            data_dir: f.dir.path().join("data"),
            store,
            revision: 1,
            config: Arc::new(f.config.clone()),
            group: None,
            live: None,
            alerter: None,
            lines: None,
            line_alerts: None,
        };
        let second = ControlServer::start(setup(ConfigStore::new(f.dir.path().join("s2"))));
        assert!(matches!(second, Err(ServerError::InUse(_))));
        // A socket nobody serves (left by a killed daemon).
        let stale = f.dir.path().join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&stale));
        let mut s = setup(ConfigStore::new(f.dir.path().join("s3")));
        s.socket = stale.clone();
        let (server, _link) = ControlServer::start(s).unwrap_or_else(|e| panic!("{e}"));
        let mut c = Client::connect(&stale).await;
        assert!(matches!(
            c.ask(Request::GetConfig).await,
            Reply::Config { .. }
        ));
        drop(server);
        assert!(!stale.exists(), "removed when the server stops");
        let file = f.dir.path().join("file");
        std::fs::write(&file, b"keep me").unwrap_or_else(|e| panic!("{e}"));
        let mut s = setup(ConfigStore::new(f.dir.path().join("s4")));
        s.socket = file;
        assert!(matches!(
            ControlServer::start(s),
            Err(ServerError::NotSocket(_))
        ));
    });
}

#[test]
fn a_change_is_refused_when_the_store_moved_on_without_the_daemon() {
    runtime().block_on(async {
        let f = start();
        // `centrala config import` while the daemon runs: a newer generation on disk.
        let mut other = ConfigStore::new(f.dir.path().join("store"));
        other.save(&f.config).unwrap_or_else(|e| panic!("{e}"));
        let mut c = Client::connect(f.server.socket()).await;
        let Reply::Config { revision, .. } = c.ask(Request::GetConfig).await else {
            panic!("no config");
        };
        let mut office = f
            .config
            .group("office")
            .cloned()
            .unwrap_or_else(|| panic!("office"));
        office.ring_time_secs = 33;
        let replace = Request::Replace {
            base: revision,
            item: Item::Group(Box::new(office)),
        };
        match c.ask(replace).await {
            Reply::Error { message } => {
                assert!(message.contains("changed outside the daemon"), "{message}")
            }
            other => panic!("expected an error, got {other:?}"),
        }
        assert!(
            !f.dir.path().join("data/audit.log").exists(),
            "nothing audited"
        );
        // The daemon is still usable: the same base is still its revision.
        let Reply::Config { revision: now, .. } = c.ask(Request::GetConfig).await else {
            panic!("no config");
        };
        assert_eq!(now, revision);
    });
}
