//! A client of the daemon's control socket for the tests: a plain `std` Unix socket and JSON
//! written by hand, so the wire format itself is checked, not only the daemon's own types.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

/// A control socket client: one request at a time, replies matched by id.
pub struct Client {
    read: BufReader<UnixStream>,
    write: UnixStream,
    next: u64,
}

impl Client {
    /// Connects to the socket at `path` (replies awaited for at most 10 s).
    pub fn connect(path: &Path) -> Client {
        let stream =
            UnixStream::connect(path).unwrap_or_else(|e| panic!("connect {}: {e}", path.display()));
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let write = stream.try_clone().expect("clone");
        Client {
            read: BufReader::new(stream),
            write,
            next: 1,
        }
    }

    /// Sends one raw line (a newline is added).
    pub fn send_line(&mut self, line: &str) {
        self.write.write_all(line.as_bytes()).expect("write");
        self.write.write_all(b"\n").expect("write");
    }

    /// The next message; `None` when the daemon closed the connection.
    pub fn receive(&mut self) -> Option<Value> {
        let mut line = String::new();
        match self.read.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))),
        }
    }

    /// Sends `request` (an object with `request` and its fields) and returns the reply.
    pub fn ask(&mut self, mut request: Value) -> Value {
        let id = self.next;
        self.next += 1;
        request["v"] = json!(1);
        request["id"] = json!(id);
        self.send_line(&request.to_string());
        loop {
            let message = self.receive().expect("a reply");
            if message["type"] == "reply" {
                assert_eq!(message["id"], id, "{message}");
                return message["reply"].clone();
            }
        }
    }

    /// Introduces the client as `user`.
    pub fn hello(&mut self, user: &str) -> Value {
        self.ask(json!({"request": "hello", "client": "e2e", "user": user}))
    }

    /// The configuration and its revision.
    pub fn config(&mut self) -> (u64, Value) {
        let reply = self.ask(json!({"request": "get_config"}));
        assert_eq!(reply["reply"], "config", "{reply}");
        (
            reply["revision"].as_u64().expect("revision"),
            reply["config"].clone(),
        )
    }
}
