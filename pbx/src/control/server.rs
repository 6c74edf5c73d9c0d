//! The control socket's shell (tokio): a Unix socket at `system.control_socket`, owner only,
//! one task per connection, one editor task that owns the [`Core`], the store and the audit
//! log, and a link to the SIP run loop for applying configurations and taking status.
//!
//! Decisions:
//! - **One editor.** Every request that reads or changes the configuration goes to one task,
//!   so changes are decided one after another against the current revision. The store's
//!   write and the audit line (both synced to disk) run on tokio's blocking pool, so the SIP
//!   loop never waits for a disk.
//! - **Replies in order.** A connection reads a line, answers it, then reads the next.
//!   Events of a subscription are written between replies.
//! - **Slow subscribers are dropped.** Events go out through a broadcast channel of
//!   [`EVENT_BUFFER`]; a connection that falls behind is told with an error reply (id 0) and
//!   closed. A client that does not read its replies for [`WRITE_TIMEOUT`] is closed. Nothing a
//!   client does can block the daemon.
//! - **Contacts go to the SIP loop**, where the router owns the CRM: an import's text is
//!   parsed on tokio's blocking pool first ([`contacts::prepare`]), the loop decides and
//!   journals, and the connection writes the audit line (blocking pool) before replying.
//! - **The socket file**: the parent directory is created; the socket is bound under a
//!   temporary name, set to 0600 (0660 and the console users' group with
//!   [`Setup::group`], see [`access`]) and then renamed into place, so it is never reachable
//!   with looser permissions. A stale socket file (nobody answers on it) is replaced; a live one
//!   (another daemon) or a file that is not a socket is an error. The file is removed when the
//!   server is dropped.
//! - **Storage**: with [`Setup::live`], the audit log is kept within the live audit limit, each
//!   applied configuration sets the live limits (every writer follows at its next write), and
//!   the storage monitor ([`crate::storage::shell`]) runs as one of the server's tasks; its
//!   last report answers [`Request::Storage`].

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use firmware_config::persist::{ConfigStore, SaveError};
use firmware_config::Config;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, error, info, warn};

use super::access;
use super::audit::{AuditLog, Entry};
use super::contacts::{self, CrmAnswer, CrmRequest};
use super::core::{Core, Decision};
use super::protocol::{
    decode_request, encode_line, Event, FieldProblem, Reply, Request, Revision, ServerMessage,
    Status, StorageReport, MAX_LINE,
};
use crate::line::board::{LineAlert, LineBoard};
use crate::notify::worker::Alerter;
use crate::storage::live::Live;
use crate::storage::log::LogLimit;

/// Events kept for a subscriber that has not written them out yet.
pub const EVENT_BUFFER: usize = 256;
/// How long writing one message to a client may take before the connection is closed.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a status or history request waits for the SIP loop.
pub const STATUS_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections open at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 32;
/// The longest user name kept from `hello` (longer ones are cut).
const MAX_USER: usize = 64;
/// Requests waiting for the editor.
const JOB_QUEUE: usize = 64;
/// Commands waiting for the SIP loop.
const COMMAND_QUEUE: usize = 16;
/// Pause after a failed accept, so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What the control side asks of the running switch.
#[derive(Debug)]
pub enum SwitchCommand {
    /// A new configuration was stored: apply it (without dropping calls).
    Config(Arc<Config>),
    /// Take a status now and send it back.
    Status(oneshot::Sender<Status>),
    /// Answer a read-only request about the past (history, statistics, voicemail,
    /// notifications; see [`super::history::answer`]).
    Query(Request, oneshot::Sender<Reply>),
    /// List or change the CRM's contacts (see [`contacts::answer`]).
    Crm(CrmRequest, oneshot::Sender<CrmAnswer>),
}

/// The SIP run loop's end of the control side.
#[derive(Debug)]
pub struct SwitchLink {
    /// What the control side asks.
    pub commands: mpsc::Receiver<SwitchCommand>,
    /// Where live events go (to every subscriber).
    pub events: broadcast::Sender<Event>,
}

/// What the control server starts with.
#[derive(Debug)]
pub struct Setup {
    /// The socket's path.
    pub socket: PathBuf,
    /// Where the audit log is written.
    pub data_dir: PathBuf,
    /// The configuration store (changes are saved through it).
    pub store: ConfigStore,
    /// The running configuration's revision (the store's generation).
    pub revision: Revision,
    /// The running configuration.
    pub config: Arc<Config>,
    /// The group of console users (its id): the socket is 0660 and this group's; owner-only
    /// (0600) when absent.
    pub group: Option<u32>,
    /// The live storage limits: with them the audit log is bounded, applied changes set them
    /// and the storage monitor runs; without, the audit log has the default limit and
    /// [`Request::Storage`] answers an empty report.
    pub live: Option<Arc<Live>>,
    /// Where the storage monitor raises webhook alerts (none without a webhook worker).
    pub alerter: Option<Alerter>,
    /// The analog lines' diagnostics, answering [`Request::Lines`] (none: an empty list).
    pub lines: Option<Arc<LineBoard>>,
    /// Health-check alerts from the lines: told to subscribers and the webhook.
    pub line_alerts: Option<mpsc::UnboundedReceiver<LineAlert>>,
}

/// Why the control socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The socket's directory could not be created.
    #[error("cannot create the control socket's directory {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another process answers on the socket.
    #[error("another daemon is serving the control socket {0}")]
    InUse(PathBuf),
    /// Something else has the socket's name.
    #[error("{0} exists and is not a socket; it is not replaced")]
    NotSocket(PathBuf),
    /// Binding, setting permissions or renaming failed.
    #[error("cannot listen on the control socket {path}: {source}")]
    Bind {
        /// The socket's path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The running control server; dropping it stops serving and removes the socket file.
#[derive(Debug)]
pub struct ControlServer {
    socket: PathBuf,
    tasks: Vec<JoinHandle<()>>,
}

impl ControlServer {
    /// Opens the socket and starts serving; returns the server and the link the SIP loop
    /// must serve. Must be called inside the tokio runtime.
    pub fn start(setup: Setup) -> Result<(ControlServer, SwitchLink), ServerError> {
        let listener = bind(&setup.socket, setup.group)?;
        let (commands_tx, commands) = mpsc::channel(COMMAND_QUEUE);
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (jobs_tx, jobs) = mpsc::channel(JOB_QUEUE);
        let audit = match &setup.live {
            Some(live) => AuditLog::bounded(
                &setup.data_dir,
                LogLimit::Live(Arc::clone(live), firmware_config::storage::Store::Audit),
            ),
            None => AuditLog::new(&setup.data_dir),
        };
        let (reports, storage) = watch::channel(StorageReport::default());
        let editor = Editor {
            core: Core::new(setup.revision, setup.config),
            storage: Some(Storage {
                store: setup.store,
                audit: audit.clone(),
                live: setup.live.clone(),
            }),
            switch: commands_tx.clone(),
            events: events.clone(),
            live: setup.live.clone(),
        };
        let peers = Peers {
            editor: jobs_tx,
            switch: commands_tx,
            events: events.clone(),
            audit,
            storage,
            lines: setup.lines,
        };
        let mut tasks = vec![
            tokio::spawn(editor.run(jobs)),
            tokio::spawn(accept(listener, peers)),
        ];
        if let Some(alerts) = setup.line_alerts {
            let alerter = setup.alerter.clone();
            tasks.push(tokio::spawn(line_alerts(alerts, events.clone(), alerter)));
        }
        if let Some(live) = setup.live {
            tasks.push(tokio::spawn(crate::storage::shell::run(
                crate::storage::shell::Watch {
                    data_dir: setup.data_dir.clone(),
                    live,
                    reports,
                    events: events.clone(),
                    alerter: setup.alerter,
                },
            )));
        }
        let server = ControlServer {
            socket: setup.socket,
            tasks,
        };
        Ok((server, SwitchLink { commands, events }))
    }

    /// The socket's path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Err(e) = std::fs::remove_file(&self.socket) {
            debug!(error = %e, "control socket file not removed");
        }
    }
}

/// Passes each line health alert to the console's subscribers (as a notification) and the
/// webhook.
async fn line_alerts(
    mut alerts: mpsc::UnboundedReceiver<LineAlert>,
    events: broadcast::Sender<Event>,
    alerter: Option<Alerter>,
) {
    while let Some(alert) = alerts.recv().await {
        if let Some(a) = &alerter {
            a.line_health(&alert);
        }
        let _ = events.send(Event::Notification {
            employees: Vec::new(),
            text: alert.text,
        });
    }
}

/// Binds the socket owner-only, or owner and `group` (see the module documentation).
fn bind(path: &Path, group: Option<u32>) -> Result<UnixListener, ServerError> {
    let bind_error = |source| ServerError::Bind {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ServerError::Dir {
            path: dir.to_owned(),
            source,
        })?;
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(ServerError::InUse(path.to_owned()));
            }
            debug!(path = %path.display(), "replacing a stale control socket");
        }
        Ok(_) => return Err(ServerError::NotSocket(path.to_owned())),
        Err(_) => {}
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.unwrap_or_default(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&temporary);
    let listener = UnixListener::bind(&temporary).map_err(bind_error)?;
    let mode = if group.is_some() { 0o660 } else { 0o600 };
    let placed = std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(mode))
        .and_then(|()| std::os::unix::fs::chown(&temporary, None, group))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&temporary);
        return Err(bind_error(e));
    }
    Ok(listener)
}

/// What every connection needs to reach.
#[derive(Debug, Clone)]
struct Peers {
    editor: mpsc::Sender<Job>,
    switch: mpsc::Sender<SwitchCommand>,
    events: broadcast::Sender<Event>,
    audit: AuditLog,
    /// The storage monitor's last report.
    storage: watch::Receiver<StorageReport>,
    /// The analog lines' diagnostics.
    lines: Option<Arc<LineBoard>>,
}

async fn accept(listener: UnixListener, peers: Peers) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) if connections.len() >= MAX_CONNECTIONS => {
                    debug!(limit = MAX_CONNECTIONS, "too many control connections; closed");
                    drop(stream);
                }
                Ok((stream, _)) => {
                    let login = stream.peer_cred().ok().map(|c| access::login_of(c.uid()));
                    let connection = Connection::new(peers.clone(), login);
                    connections.spawn(connection.run(stream));
                }
                Err(e) => {
                    warn!(error = %e, "control socket accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One client.
struct Connection {
    peers: Peers,
    /// The connecting process's login, as the kernel reports it.
    login: Option<String>,
    /// Who the audit log names (the login, and the `hello` user when different).
    user: String,
    subscription: Option<broadcast::Receiver<Event>>,
}

/// One line read, or why not.
enum Line {
    Got(Vec<u8>),
    TooLong,
    End,
}

/// What woke a connection up.
enum Step {
    Read(std::io::Result<Line>),
    Event(Result<Event, RecvError>),
}

impl Connection {
    fn new(peers: Peers, login: Option<String>) -> Connection {
        Connection {
            peers,
            user: access::audit_name(login.as_deref(), ""),
            login,
            subscription: None,
        }
    }

    async fn run(mut self, stream: UnixStream) {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let mut buf = Vec::new();
        loop {
            let step = tokio::select! {
                line = read_line(&mut reader, &mut buf) => Step::Read(line),
                event = next_event(&mut self.subscription) => Step::Event(event),
            };
            let (message, close) = match step {
                Step::Read(Ok(Line::Got(bytes))) => (self.serve_line(&bytes).await, false),
                Step::Read(Ok(Line::TooLong)) => {
                    let why = format!("the line is longer than {MAX_LINE} bytes; closing");
                    (Some(reply(0, error(why))), true)
                }
                Step::Read(Ok(Line::End)) => break,
                Step::Read(Err(e)) => {
                    debug!(error = %e, "control connection read failed");
                    break;
                }
                Step::Event(Ok(event)) => (Some(ServerMessage::Event { event }), false),
                Step::Event(Err(RecvError::Lagged(n))) => {
                    let why = format!("too slow: {n} events were lost; closing (reconnect)");
                    (Some(reply(0, error(why))), true)
                }
                Step::Event(Err(RecvError::Closed)) => {
                    self.subscription = None;
                    (None, false)
                }
            };
            if let Some(m) = message {
                if !send(&mut write, &m).await {
                    break;
                }
            }
            if close {
                break;
            }
        }
        let _ = write.shutdown().await;
    }

    /// Answers one line (nothing for an empty one).
    async fn serve_line(&mut self, bytes: &[u8]) -> Option<ServerMessage> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Some(reply(0, error("the line is not UTF-8".into())));
        };
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            return None;
        }
        match decode_request(text) {
            Ok(m) => Some(reply(m.id, self.serve(m.request).await)),
            Err(e) => Some(reply(id_of(text), error(e.to_string()))),
        }
    }

    async fn serve(&mut self, request: Request) -> Reply {
        match request {
            Request::Status => self.status().await,
            Request::Storage => Reply::Storage(self.peers.storage.borrow().clone()),
            Request::Lines => Reply::Lines {
                lines: self
                    .peers
                    .lines
                    .as_ref()
                    .map(|b| b.snapshot())
                    .unwrap_or_default(),
            },
            Request::CheckLine { line } => {
                let board = self.peers.lines.as_ref();
                match board.and_then(|b| b.index(&line).map(|i| (b, i))) {
                    Some((b, i)) => {
                        b.request_check(i);
                        Reply::CheckStarted { line }
                    }
                    None => Reply::Error {
                        message: format!("there is no analog line '{line}'"),
                    },
                }
            }
            Request::History { .. }
            | Request::Statistics
            | Request::Voicemail { .. }
            | Request::Notifications { .. } => self.query(request).await,
            Request::Contacts { .. }
            | Request::SaveContact { .. }
            | Request::RemoveContact { .. }
            | Request::ImportContacts { .. } => self.contacts(request).await,
            Request::Subscribe => {
                self.subscription = Some(self.peers.events.subscribe());
                Reply::Subscribed
            }
            request => {
                if let Request::Hello { user, .. } = &request {
                    self.user = access::audit_name(self.login.as_deref(), &user_name(user));
                }
                self.edit(request).await
            }
        }
    }

    async fn edit(&self, request: Request) -> Reply {
        let (tx, rx) = oneshot::channel();
        let job = Job {
            user: self.user.clone(),
            request,
            reply: tx,
        };
        if self.peers.editor.send(job).await.is_err() {
            return error("the configuration editor has stopped".into());
        }
        rx.await
            .unwrap_or_else(|_| error("the configuration editor has stopped".into()))
    }

    /// Asks the SIP loop, which keeps the history, to answer `request`.
    async fn query(&self, request: Request) -> Reply {
        let (tx, rx) = oneshot::channel();
        let asked = self
            .peers
            .switch
            .try_send(SwitchCommand::Query(request, tx));
        if asked.is_err() {
            return error("the switch is busy or not running".into());
        }
        match tokio::time::timeout(STATUS_TIMEOUT, rx).await {
            Ok(Ok(reply)) => reply,
            _ => error("the switch did not answer".into()),
        }
    }

    /// Has the SIP loop list or change the contacts; an accepted change is audited before
    /// the reply.
    async fn contacts(&self, request: Request) -> Reply {
        let prepared = match request {
            Request::ImportContacts { .. } => {
                tokio::task::spawn_blocking(move || contacts::prepare(request))
                    .await
                    .ok()
                    .flatten()
            }
            request => contacts::prepare(request),
        };
        let Some(action) = prepared else {
            return error("the import could not be read".into());
        };
        let (tx, rx) = oneshot::channel();
        let ask = CrmRequest {
            user: self.user.clone(),
            action,
        };
        let sent = tokio::time::timeout(
            STATUS_TIMEOUT,
            self.peers.switch.send(SwitchCommand::Crm(ask, tx)),
        )
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            return error("the switch is busy or not running".into());
        }
        let Ok(Ok(answer)) = tokio::time::timeout(STATUS_TIMEOUT, rx).await else {
            return error("the switch did not answer".into());
        };
        if let Some(entry) = answer.audit {
            let audit = self.peers.audit.clone();
            let written = tokio::task::spawn_blocking(move || audit.record_crm(&entry)).await;
            if let Err(e) = written {
                error!(error = %e, "the contacts' audit line was not written");
            }
        }
        answer.reply
    }

    async fn status(&self) -> Reply {
        let (tx, rx) = oneshot::channel();
        let asked = self.peers.switch.try_send(SwitchCommand::Status(tx));
        if asked.is_err() {
            return error("the switch is busy or not running".into());
        }
        match tokio::time::timeout(STATUS_TIMEOUT, rx).await {
            Ok(Ok(status)) => Reply::Status(status),
            _ => error("the switch did not answer".into()),
        }
    }
}

/// The user name a client gives in `hello`: trimmed and cut.
fn user_name(user: &str) -> String {
    user.trim().chars().take(MAX_USER).collect()
}

/// The request id of a line that did not decode, if it has one (so the client can match the
/// error), else 0.
fn id_of(text: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64))
        .unwrap_or(0)
}

fn reply(id: u64, reply: Reply) -> ServerMessage {
    ServerMessage::Reply { id, reply }
}

fn error(message: String) -> Reply {
    Reply::Error { message }
}

/// Writes one message; false when the connection is unusable (error or too slow).
async fn send(write: &mut OwnedWriteHalf, message: &ServerMessage) -> bool {
    let line = encode_line(message);
    match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(line.as_bytes())).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            debug!(error = %e, "control connection write failed");
            false
        }
        Err(_) => {
            debug!("control client does not read; closed");
            false
        }
    }
}

/// Reads up to a newline, at most [`MAX_LINE`] bytes before it. Cancel safe: what was read
/// stays in `buf` for the next call.
async fn read_line(
    reader: &mut BufReader<OwnedReadHalf>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Line> {
    loop {
        let room = (MAX_LINE + 1).saturating_sub(buf.len()) as u64;
        let n = (&mut *reader).take(room).read_until(b'\n', buf).await?;
        if buf.ends_with(b"\n") {
            return Ok(Line::Got(std::mem::take(buf)));
        }
        if buf.len() > MAX_LINE {
            return Ok(Line::TooLong);
        }
        if n == 0 {
            return Ok(Line::End);
        }
    }
}

async fn next_event(
    subscription: &mut Option<broadcast::Receiver<Event>>,
) -> Result<Event, RecvError> {
    match subscription {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// A request for the editor.
struct Job {
    user: String,
    request: Request,
    reply: oneshot::Sender<Reply>,
}

/// The store and the audit log, moved to the blocking pool for each change.
struct Storage {
    store: ConfigStore,
    audit: AuditLog,
    /// Set as soon as a change is stored, so its own audit line already follows new limits.
    live: Option<Arc<Live>>,
}

impl Storage {
    /// Saves `after` over revision `base` (refused if the store moved on without this
    /// daemon) and records the change; the revision it got.
    fn commit(
        &mut self,
        by: &str,
        base: Revision,
        before: &Config,
        after: &Config,
    ) -> Result<Revision, SaveError> {
        let written = self.store.save_over(after, base)?;
        if let Some(live) = &self.live {
            live.set(&after.storage);
        }
        let entry = Entry::new(Utc::now(), by, written.generation, before, after);
        self.audit.record(&entry);
        Ok(written.generation)
    }
}

/// Owns the core and the storage; decides and stores changes one at a time.
struct Editor {
    core: Core,
    storage: Option<Storage>,
    switch: mpsc::Sender<SwitchCommand>,
    events: broadcast::Sender<Event>,
    /// Set from each applied configuration.
    live: Option<Arc<Live>>,
}

impl Editor {
    async fn run(mut self, mut jobs: mpsc::Receiver<Job>) {
        while let Some(job) = jobs.recv().await {
            let answer = match self.core.handle(&job.request) {
                Decision::Reply(r) => r,
                Decision::Save { config, .. } => self.store(&job.user, config).await,
            };
            let _ = job.reply.send(answer);
        }
    }

    async fn store(&mut self, user: &str, config: Arc<Config>) -> Reply {
        let Some(mut storage) = self.storage.take() else {
            self.core.save_failed();
            return error("the configuration store is not available".into());
        };
        let before = Arc::clone(self.core.config());
        let base = self.core.revision();
        let by = user.to_owned();
        let after = Arc::clone(&config);
        let joined = tokio::task::spawn_blocking(move || {
            let result = storage.commit(&by, base, &before, &after);
            (storage, result)
        })
        .await;
        let result = match joined {
            Ok((storage, result)) => {
                self.storage = Some(storage);
                result
            }
            Err(e) => {
                error!(error = %e, "storing the configuration failed; the store is lost until restart");
                self.core.save_failed();
                return error("storing the configuration failed".into());
            }
        };
        match result {
            Ok(revision) => self.applied(revision, user).await,
            Err(SaveError::Invalid(problems)) => {
                self.core.save_failed();
                let problems = problems
                    .iter()
                    .map(|p| FieldProblem {
                        path: p.location.to_string(),
                        message: p.kind.to_string(),
                    })
                    .collect();
                Reply::Invalid { problems }
            }
            Err(e) => {
                self.core.save_failed();
                warn!(error = %e, "configuration change not stored");
                error(e.to_string())
            }
        }
    }

    /// The change is stored as `revision`: make it current, apply it, tell everyone.
    async fn applied(&mut self, revision: Revision, user: &str) -> Reply {
        let Some(saved) = self.core.saved(revision, user) else {
            return error("the change was stored but not pending (a bug)".into());
        };
        if let Some(live) = &self.live {
            live.set(&saved.config.storage);
        }
        if self
            .switch
            .send(SwitchCommand::Config(Arc::clone(&saved.config)))
            .await
            .is_err()
        {
            warn!(
                revision,
                "the switch is not running: the change applies at the next start"
            );
        }
        // No subscribers is not an error.
        let _ = self.events.send(saved.event);
        info!(revision, by = %user, "configuration change stored and applied");
        saved.reply
    }
}

#[cfg(test)]
mod tests;
