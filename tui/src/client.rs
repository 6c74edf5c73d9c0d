//! The control-socket client: a blocking Unix-socket connection to the daemon.
//!
//! Requests go out as lines from the caller's thread; a reader thread turns the daemon's lines
//! into [`FromServer`] values on a channel, where the event loop meets them with the keys.
//! [`Client::resolve`] matches each reply to the request it answers by its `id`.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::mpsc::Sender;
use std::thread;

use pbx::control::protocol::{
    encode_line, ClientMessage, Event, Reply, Request, ServerMessage, MAX_LINE, VERSION,
};

/// Why the client could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The socket could not be opened (the daemon is not running, or no permission).
    #[error("cannot reach the daemon at {path}: {source}")]
    Connect {
        /// The socket's path.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// Writing a request failed: the connection is gone.
    #[error("lost the connection to the daemon: {0}")]
    Send(io::Error),
}

/// What the reader thread saw on the socket.
#[derive(Debug, Clone, PartialEq)]
pub enum FromServer {
    /// One message.
    Message(ServerMessage),
    /// A line that is not a message of this protocol (reported, then skipped).
    Garbled(String),
    /// The daemon closed the connection, or reading failed (with the reason).
    Closed(String),
}

/// A message from the daemon, with replies matched to their requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The reply to `request`.
    Reply {
        /// The request this answers.
        request: Request,
        /// The answer.
        reply: Reply,
    },
    /// A pushed event.
    Event(Event),
    /// A reply whose id matches no request sent (reported, then ignored).
    Unmatched(u64),
}

/// A connection to the daemon's control socket.
#[derive(Debug)]
pub struct Client {
    stream: UnixStream,
    next_id: u64,
    pending: HashMap<u64, Request>,
}

impl Client {
    /// Connects to the socket at `path` and starts the reader thread, which sends everything
    /// it reads to `tx`, each wrapped by `wrap` (so keys and messages can share one channel).
    pub fn connect<T: Send + 'static>(
        path: &Path,
        tx: Sender<T>,
        wrap: fn(FromServer) -> T,
    ) -> Result<Client, ClientError> {
        let connect_error = |source| ClientError::Connect {
            path: path.display().to_string(),
            source,
        };
        let stream = UnixStream::connect(path).map_err(connect_error)?;
        let reader = stream.try_clone().map_err(connect_error)?;
        thread::Builder::new()
            .name("control-reader".into())
            .spawn(move || read_messages(reader, &tx, wrap))
            .map_err(connect_error)?;
        Ok(Client {
            stream,
            next_id: 1,
            pending: HashMap::new(),
        })
    }

    /// Sends one request and returns its id; the reply comes through the channel.
    pub fn send(&mut self, request: Request) -> Result<u64, ClientError> {
        let id = self.next_id;
        self.next_id += 1;
        let message = ClientMessage {
            v: VERSION,
            id,
            request,
        };
        let line = encode_line(&message);
        self.stream
            .write_all(line.as_bytes())
            .map_err(ClientError::Send)?;
        self.pending.insert(id, message.request);
        Ok(id)
    }

    /// Matches a message from the daemon with the request it answers.
    pub fn resolve(&mut self, message: ServerMessage) -> Incoming {
        match message {
            ServerMessage::Event { event } => Incoming::Event(event),
            ServerMessage::Reply { id, reply } => match self.pending.remove(&id) {
                Some(request) => Incoming::Reply { request, reply },
                None => Incoming::Unmatched(id),
            },
        }
    }

    /// How many requests still wait for their reply.
    pub fn waiting(&self) -> usize {
        self.pending.len()
    }
}

/// The reader thread: one message per line until the connection ends or `tx` is gone.
fn read_messages<T>(stream: UnixStream, tx: &Sender<T>, wrap: fn(FromServer) -> T) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        let read = (&mut reader).take(MAX_LINE as u64 + 1).read_line(&mut line);
        let item = match read {
            Ok(0) => FromServer::Closed("the daemon closed the connection".into()),
            Ok(_) if !line.ends_with('\n') && line.len() > MAX_LINE => FromServer::Closed(format!(
                "the daemon sent a line longer than {MAX_LINE} bytes"
            )),
            Ok(_) => decode(line.trim_end()),
            Err(e) => FromServer::Closed(format!("reading from the daemon failed: {e}")),
        };
        let closed = matches!(item, FromServer::Closed(_));
        if tx.send(wrap(item)).is_err() || closed {
            return;
        }
    }
}

fn decode(line: &str) -> FromServer {
    match serde_json::from_str::<ServerMessage>(line) {
        Ok(message) => FromServer::Message(message),
        Err(e) => FromServer::Garbled(format!("not a message from the daemon: {e}")),
    }
}

/// The name the audit log records for this console's changes: `$USER`, else `$LOGNAME`.
pub fn login_name() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests;
