//! The socket signalling backend: a line's ring, loop-current and hook events as text lines on
//! a local Unix stream socket, for boards whose vendor daemon reports line events, and for the
//! tests.
//!
//! Centrala listens on the configured path (owner-only); one peer at a time connects (a newer
//! connection replaces the older). The peer sends one event per line — `ring 1`, `ring 0`,
//! `loop 1`, `loop 0` — and Centrala sends `hook 1` (off hook) and `hook 0` (on hook), and
//! the current hook state to each new peer. A line it does not understand is answered with
//! `error <why>` and otherwise ignored; a line longer than [`MAX_LINE`] closes the connection.

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixListener;
use tokio::sync::mpsc;

/// The longest event line accepted.
pub const MAX_LINE: usize = 64;

/// An event the peer reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalEvent {
    /// The ring-detect input changed.
    Ring(bool),
    /// Loop current appeared or went.
    LoopCurrent(bool),
}

/// Why an event line was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    /// Not one of the known events.
    #[error("unknown event '{0}': expected ring 0|1 or loop 0|1")]
    Unknown(String),
    /// The state is not 0 or 1.
    #[error("'{0}' is not 0 or 1")]
    State(String),
}

/// Reads one event line (surrounding blanks and a trailing `\r` are ignored).
pub fn parse_event(line: &str) -> Result<SignalEvent, SignalError> {
    let mut words = line.split_whitespace();
    let (Some(what), Some(state), None) = (words.next(), words.next(), words.next()) else {
        return Err(SignalError::Unknown(
            line.trim().chars().take(MAX_LINE).collect(),
        ));
    };
    let event: fn(bool) -> SignalEvent = match what {
        "ring" => SignalEvent::Ring,
        "loop" => SignalEvent::LoopCurrent,
        other => return Err(SignalError::Unknown(other.chars().take(MAX_LINE).collect())),
    };
    match state {
        "1" | "on" => Ok(event(true)),
        "0" | "off" => Ok(event(false)),
        other => Err(SignalError::State(other.chars().take(MAX_LINE).collect())),
    }
}

/// The hook command sent to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hook(pub bool);

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hook {}", u8::from(self.0))
    }
}

/// A line's signalling socket, listening.
#[derive(Debug)]
pub struct SignalSocket {
    path: PathBuf,
    listener: UnixListener,
}

impl SignalSocket {
    /// Listens on `path` (a stale socket file is replaced; the socket is owner-only).
    pub fn bind(path: &Path) -> std::io::Result<SignalSocket> {
        if let Ok(m) = std::fs::symlink_metadata(path) {
            use std::os::unix::fs::FileTypeExt;
            if m.file_type().is_socket() {
                std::fs::remove_file(path)?;
            }
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        Ok(SignalSocket {
            path: path.to_owned(),
            listener,
        })
    }

    /// Serves peers until `hooks` closes: their events go to `events`, each hook command to
    /// the current peer (and the last one to every new peer).
    pub async fn serve(self, events: mpsc::Sender<SignalEvent>, mut hooks: mpsc::Receiver<Hook>) {
        let mut hook = Hook(false);
        let mut peer: Option<Peer> = None;
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    if let Ok((stream, _)) = accepted {
                        let (read, write) = stream.into_split();
                        let mut new = Peer { read: BufReader::new(read), write, buf: Vec::new() };
                        if new.send(&hook.to_string()).await.is_ok() {
                            peer = Some(new);
                        }
                    }
                }
                command = hooks.recv() => {
                    let Some(command) = command else { break };
                    hook = command;
                    if let Some(p) = &mut peer {
                        if p.send(&hook.to_string()).await.is_err() {
                            peer = None;
                        }
                    }
                }
                line = next_line(&mut peer) => match line {
                    Some(text) => match parse_event(&text) {
                        Ok(event) => {
                            if events.send(event).await.is_err() {
                                break;
                            }
                        }
                        Err(why) => {
                            tracing::debug!(path = %self.path.display(), %why, "line signal refused");
                            if let Some(p) = &mut peer {
                                let _ = p.send(&format!("error {why}")).await;
                            }
                        }
                    },
                    None => peer = None,
                },
            }
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The connected peer.
struct Peer {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
    buf: Vec<u8>,
}

impl Peer {
    async fn send(&mut self, line: &str) -> std::io::Result<()> {
        self.write.write_all(format!("{line}\n").as_bytes()).await
    }
}

/// The peer's next line; `None` when it is gone or sent a line too long. Pends forever
/// without a peer.
async fn next_line(peer: &mut Option<Peer>) -> Option<String> {
    let Some(p) = peer else {
        return std::future::pending().await;
    };
    p.buf.clear();
    let limit = u64::try_from(MAX_LINE + 1).unwrap_or(u64::MAX);
    match (&mut p.read)
        .take(limit)
        .read_until(b'\n', &mut p.buf)
        .await
    {
        Ok(0) | Err(_) => None,
        Ok(_) if !p.buf.ends_with(b"\n") => None,
        Ok(_) => Some(String::from_utf8_lossy(&p.buf).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_with_either_spelling_and_blanks_ignored() {
        assert_eq!(parse_event("ring 1"), Ok(SignalEvent::Ring(true)));
        assert_eq!(parse_event("  ring off\r"), Ok(SignalEvent::Ring(false)));
        assert_eq!(parse_event("loop 0"), Ok(SignalEvent::LoopCurrent(false)));
        assert_eq!(parse_event("loop on"), Ok(SignalEvent::LoopCurrent(true)));
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        assert_eq!(parse_event("ring 2"), Err(SignalError::State("2".into())));
        assert!(matches!(parse_event("dial 5"), Err(SignalError::Unknown(w)) if w == "dial"));
        assert!(matches!(parse_event(""), Err(SignalError::Unknown(_))));
        assert!(matches!(
            parse_event("ring 1 extra"),
            Err(SignalError::Unknown(_))
        ));
        let long = "x".repeat(1000);
        let Err(SignalError::Unknown(w)) = parse_event(&format!("{long} 1")) else {
            panic!("refused");
        };
        assert_eq!(w.len(), MAX_LINE, "the reason is kept short");
    }

    #[test]
    fn hook_commands_are_one_line_each() {
        assert_eq!(Hook(true).to_string(), "hook 1");
        assert_eq!(Hook(false).to_string(), "hook 0");
    }

    #[test]
    fn a_peer_reports_events_and_is_told_the_hook_state() {
        use tokio::net::UnixStream;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let path = dir.path().join("line1.sock");
            let socket = SignalSocket::bind(&path).unwrap_or_else(|e| panic!("{e}"));
            let (events_tx, mut events) = mpsc::channel(8);
            let (hooks, hooks_rx) = mpsc::channel(8);
            let server = tokio::spawn(socket.serve(events_tx, hooks_rx));
            let stream = UnixStream::connect(&path)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            let first = lines.next_line().await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                first.as_deref(),
                Some("hook 0"),
                "a new peer hears the hook state"
            );
            write
                .write_all(b"ring 1\nbogus\nring 0\n")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(events.recv().await, Some(SignalEvent::Ring(true)));
            let refused = lines.next_line().await.unwrap_or_else(|e| panic!("{e}"));
            assert!(refused.is_some_and(|l| l.starts_with("error unknown event")));
            assert_eq!(events.recv().await, Some(SignalEvent::Ring(false)));
            hooks
                .send(Hook(true))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let hook = lines.next_line().await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(hook.as_deref(), Some("hook 1"));
            drop(hooks);
            server.await.unwrap_or_else(|e| panic!("{e}"));
            assert!(!path.exists(), "the socket file is removed");
        });
    }
}
