//! The SIP transport shell (tokio): UDP sockets and TCP listeners on the configured addresses,
//! feeding the sans-IO [`Switch`] (the SIP endpoint and the router) and sending what it asks.
//!
//! One task owns the switch and runs the loop: take one inbound message (or the switch's
//! deadline), feed it, drain every output (media commands go to the media engine, whose
//! answers are fed back at once). Each UDP socket has a receiving task; each TCP
//! listener an accepting task, and each connection a task that frames the stream with
//! [`StreamFramer`] and writes what the loop sends it. Responses over TCP go back on the
//! connection the request came on, found by the peer's address.
//!
//! Decisions:
//! - **Sending never waits.** UDP datagrams are sent with a non-blocking `send_to` on a clone
//!   of the socket (a full socket buffer drops the datagram: the transaction layer
//!   retransmits); TCP writes go through a bounded queue per connection (a full queue drops the
//!   message). A slow peer can never stall the loop.
//! - **TCP limits**: at most [`MAX_TCP_CONNECTIONS`] connections (more are closed on accept);
//!   a connection must deliver a complete message within [`TCP_FIRST_MESSAGE_TIMEOUT`] and is
//!   then closed after [`TCP_IDLE_TIMEOUT`] without traffic (longer than the longest
//!   registration, so a phone that keeps its connection for incoming requests is not cut off
//!   between re-registrations). A framing error (no Content-Length, oversize) closes the
//!   connection: a stream cannot be resynchronised.
//! - **Which UDP socket answers**: the one with the peer's address family, preferring one
//!   bound to the wildcard or to an address of the same scope (loopback or not). With the usual
//!   single UDP socket this is simply that socket.
//! - Everything runs on the daemon's current-thread runtime; dropping [`Listeners::run`]'s
//!   future aborts every task.
//! - **The voicemail store is changed here**, synchronously (a small JSON file written and
//!   synced, or a file removed), when the switch asks ([`Output::Voicemail`]); then every
//!   mailbox is read again and fed back ([`Input::Mailboxes`]) for message-waiting
//!   indication. A few small files per message left or heard: not worth a worker.
//! - **The control socket** ([`crate::control::server`]) reaches the loop through one channel:
//!   a stored configuration is applied here with [`Switch::replace_config`] (calls go on), and
//!   status is taken here. Status events are paced ([`Pacer`]) and built only while someone
//!   is subscribed.
//! - **The call history is kept here** ([`Journal`]): each call record and notification is
//!   appended to its file (one short flushed line) and kept in memory; the control socket's
//!   history, statistics, voicemail and notification requests are answered here from it, the
//!   router's statistics and the last mailboxes read ([`history::answer`]).

use std::collections::HashMap;
use std::future::pending;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use firmware_config::system::{Listen, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{sleep_until, timeout, Instant};
use tracing::{debug, info, warn};

use super::b2bua::CallEvent;
use super::endpoint::{Event, Input, Output};
use super::registrar::MAX_EXPIRES;
use super::transaction::Bytes;
use super::wire::StreamFramer;
use crate::control::contacts;
use crate::control::history::{self, History};
use crate::control::journal::Journal;
use crate::control::protocol::{Event as ControlEvent, NotificationView};
use crate::control::server::{SwitchCommand, SwitchLink};
use crate::control::status::{self, Pacer};
use crate::line::gateway::LineNotice;
use crate::media;
use crate::notify::{self, Notifier};
use crate::routing;
use crate::switch::{self, Switch};
use crate::voicemail::{self, Change, VoicemailStore};

/// TCP connections open at once; more are closed as soon as they are accepted.
pub const MAX_TCP_CONNECTIONS: usize = 256;
/// How long a new TCP connection may take to deliver its first complete message.
pub const TCP_FIRST_MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a TCP connection may stay silent (both ways) before it is closed.
pub const TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(MAX_EXPIRES as u64 + 60);
/// Messages waiting for the endpoint's loop.
const INBOUND_QUEUE: usize = 1024;
/// Messages waiting to be written to one TCP connection.
const TCP_SEND_QUEUE: usize = 64;
/// Largest UDP datagram read.
const UDP_BUFFER: usize = 65_536;
/// Bytes read from a TCP stream at once.
const TCP_BUFFER: usize = 16 * 1024;
/// How long the loop keeps serving after the stop signal, for the answers to its BYEs.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Pause after a failed accept (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A configured address could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for SIP on {} {address}: {source}", transport_name(*.transport))]
pub struct BindError {
    /// The transport.
    pub transport: Transport,
    /// The configured address.
    pub address: SocketAddr,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// `udp` or `tcp`, as the configuration writes it.
pub fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
    }
}

/// One bound UDP socket: the tokio side receives, a clone of the socket sends.
struct Udp {
    recv: Arc<UdpSocket>,
    send: std::net::UdpSocket,
    local: SocketAddr,
}

/// The bound sockets, ready to serve.
pub struct Listeners {
    udp: Vec<Udp>,
    tcp: Vec<(TcpListener, SocketAddr)>,
    notify: Option<Notifier>,
    voicemail: Option<Voicemail>,
    control: Option<SwitchLink>,
    history: Option<Journal>,
    lines: Option<mpsc::UnboundedReceiver<LineNotice>>,
}

/// The voicemail store, the configuration naming its mailboxes, and what was read last.
struct Voicemail {
    store: VoicemailStore,
    config: Arc<firmware_config::Config>,
    last: Arc<voicemail::Mailboxes>,
}

impl Voicemail {
    /// Every configured mailbox, read from the store (and kept for the control socket).
    fn read(&mut self) -> Input {
        self.last = Arc::new(self.store.read_all(&self.config));
        Input::Mailboxes(Arc::clone(&self.last))
    }

    /// Carries out a change of the store, logging it.
    fn apply(&self, change: &Change) {
        match self.store.apply(change) {
            Ok(()) => log_voicemail(change),
            Err(e) => warn!(error = %e, "voicemail store change failed"),
        }
    }
}

/// Logs a change of the voicemail store.
fn log_voicemail(change: &Change) {
    match change {
        Change::Save(m) => info!(
            mailbox = %voicemail::mailbox_dir(&m.mailbox), id = %m.id, caller = %m.caller,
            duration_ms = m.duration_ms, "voicemail message saved"
        ),
        Change::Discard { mailbox, id } => info!(
            mailbox = %voicemail::mailbox_dir(mailbox), %id,
            "voicemail recording too short: discarded"
        ),
        Change::MarkHeard { mailbox, id } => info!(
            mailbox = %voicemail::mailbox_dir(mailbox), %id, "voicemail message heard"
        ),
        Change::Delete { mailbox, id } => info!(
            mailbox = %voicemail::mailbox_dir(mailbox), %id, "voicemail message deleted"
        ),
    }
}

/// What the socket tasks tell the loop.
enum Inbound {
    Message {
        from: SocketAddr,
        transport: Transport,
        bytes: Vec<u8>,
    },
    Connected {
        peer: SocketAddr,
        id: u64,
        send: mpsc::Sender<Bytes>,
    },
    Closed {
        peer: SocketAddr,
        id: u64,
    },
}

impl Listeners {
    /// Binds every configured address; the first that fails is the error, naming it. Must be
    /// called inside the tokio runtime.
    pub fn bind(listen: &[Listen]) -> Result<Listeners, BindError> {
        let mut listeners = Listeners {
            udp: Vec::new(),
            tcp: Vec::new(),
            notify: None,
            voicemail: None,
            control: None,
            history: None,
            lines: None,
        };
        for l in listen {
            let error = |source| BindError {
                transport: l.transport,
                address: l.address,
                source,
            };
            match l.transport {
                Transport::Udp => listeners.udp.push(bind_udp(l.address).map_err(error)?),
                Transport::Tcp => listeners.tcp.push(bind_tcp(l.address).map_err(error)?),
            }
        }
        Ok(listeners)
    }

    /// The bound addresses (with the actual port when the configuration said 0).
    pub fn local_addrs(&self) -> Vec<(Transport, SocketAddr)> {
        let udp = self.udp.iter().map(|u| (Transport::Udp, u.local));
        let tcp = self.tcp.iter().map(|(_, a)| (Transport::Tcp, *a));
        udp.chain(tcp).collect()
    }

    /// Hands the router's notifications to `notifier` (the webhook) while serving.
    pub fn notify_to(&mut self, notifier: Notifier) {
        self.notify = Some(notifier);
    }

    /// Keeps voicemail messages in the store under `data_dir` for the mailboxes `config`
    /// names, within the voicemail limit of `live`, while serving.
    pub fn voicemail_in(
        &mut self,
        data_dir: &std::path::Path,
        config: Arc<firmware_config::Config>,
        live: Arc<crate::storage::live::Live>,
    ) {
        let store = VoicemailStore::bounded(data_dir, live);
        let last = Arc::default();
        self.voicemail = Some(Voicemail {
            store,
            config,
            last,
        });
    }

    /// Keeps the call history (records and notifications) under `data_dir` while serving,
    /// read back from there now; the records within the call-record limit of `live`.
    pub fn history_in(
        &mut self,
        data_dir: &std::path::Path,
        live: Arc<crate::storage::live::Live>,
    ) {
        let calls =
            crate::storage::log::LogLimit::Live(live, firmware_config::storage::Store::Calls);
        self.history = Some(Journal::open(data_dir, calls));
    }

    /// Serves the control socket's requests while serving: new configurations are applied to
    /// the running switch, status is taken from it, and events go to subscribers.
    pub fn control_by(&mut self, link: SwitchLink) {
        self.control = Some(link);
    }

    /// Feeds the analog lines' gateways' notices to the endpoint.
    pub fn lines_from(&mut self, notices: mpsc::UnboundedReceiver<LineNotice>) {
        self.lines = Some(notices);
    }

    /// Serves SIP with `switch`, carrying out media commands with `media` and feeding it the
    /// media engine's asynchronous events from `media_events`, until `stop` completes; then
    /// ends every call (BYE, CANCEL, 503) and keeps serving for [`SHUTDOWN_GRACE`] so those
    /// requests get their answers.
    pub async fn run<M, S>(
        self,
        mut endpoint: Switch,
        mut media: M,
        mut media_events: mpsc::UnboundedReceiver<media::Event>,
        stop: S,
    ) where
        M: FnMut(media::Command) -> Option<media::Event>,
        S: std::future::Future<Output = ()>,
    {
        let (tx, mut rx) = mpsc::channel(INBOUND_QUEUE);
        let mut tasks = JoinSet::new();
        for u in &self.udp {
            tasks.spawn(udp_receive(u.recv.clone(), tx.clone()));
        }
        let permits = Arc::new(Semaphore::new(MAX_TCP_CONNECTIONS));
        let ids = Arc::new(AtomicU64::new(0));
        for (listener, _) in self.tcp {
            tasks.spawn(tcp_accept(
                listener,
                tx.clone(),
                permits.clone(),
                ids.clone(),
            ));
        }
        drop(tx);
        let mut connections: HashMap<SocketAddr, (u64, mpsc::Sender<Bytes>)> = HashMap::new();
        tokio::pin!(stop);
        let mut stopping: Option<Instant> = None;
        let mut voicemail = self.voicemail;
        if let Some(vm) = &mut voicemail {
            endpoint.handle_input(Utc::now(), vm.read());
        }
        let mut journal = self.history;
        let (mut commands, events) = match self.control {
            Some(link) => (Some(link.commands), Some(link.events)),
            None => (None, None),
        };
        let mut pacer = Pacer::new(status::MIN_GAP);
        let mut lines = self.lines;
        loop {
            while let Some(output) = endpoint.poll_output() {
                match output {
                    switch::Output::Sip(Output::Voicemail(change)) => {
                        if let Some(vm) = &mut voicemail {
                            vm.apply(&change);
                            endpoint.handle_input(Utc::now(), vm.read());
                        }
                    }
                    switch::Output::Sip(o) => dispatch(&self.udp, &connections, o),
                    switch::Output::Media(c) => {
                        if let Some(e) = media(c) {
                            endpoint.handle_input(Utc::now(), Input::Media(e));
                        }
                    }
                    switch::Output::Routed(o) => {
                        routed(&o, self.notify.as_ref(), &events, journal.as_mut());
                    }
                }
            }
            if stopping.is_some_and(|at| Instant::now() >= at)
                || (stopping.is_some()
                    && endpoint.endpoint().calls() == 0
                    && endpoint.endpoint().transactions() == 0
                    && endpoint.endpoint().recordings() == 0)
            {
                return;
            }
            let deadline = endpoint.poll_timeout().map(|at| {
                let wait = (at - Utc::now()).to_std().unwrap_or_default();
                Instant::now() + wait
            });
            // Status events only while someone listens.
            let status_due = events
                .as_ref()
                .filter(|e| e.receiver_count() > 0)
                .and_then(|_| pacer.poll_timeout(Instant::now().into_std()))
                .map(Instant::from_std);
            tokio::select! {
                inbound = rx.recv() => match inbound {
                    None => return,
                    Some(Inbound::Message { from, transport, bytes }) => {
                        let input = Input::Received { from, transport, bytes };
                        endpoint.handle_input(Utc::now(), input);
                        pacer.touch();
                    }
                    Some(Inbound::Connected { peer, id, send }) => {
                        connections.insert(peer, (id, send));
                    }
                    Some(Inbound::Closed { peer, id }) => {
                        if connections.get(&peer).is_some_and(|(i, _)| *i == id) {
                            connections.remove(&peer);
                        }
                    }
                },
                notice = next_notice(&mut lines) => match notice {
                    Some(notice) => {
                        info!(line = %notice.line, state = ?notice.state, sip = %notice.sip, "analog line");
                        endpoint.handle_input(Utc::now(), Input::Line(notice));
                        pacer.touch();
                    }
                    None => lines = None,
                },
                Some(event) = media_events.recv() => {
                    endpoint.handle_input(Utc::now(), Input::Media(event));
                    pacer.touch();
                }
                () = sleep_until_some(deadline) => {
                    endpoint.handle_input(Utc::now(), Input::Timeout);
                    pacer.touch();
                }
                command = next_command(&mut commands) => match command {
                    Some(c) => {
                        let shell = Shell {
                            notifier: self.notify.as_ref(),
                            voicemail: voicemail.as_mut(),
                            journal: journal.as_ref(),
                        };
                        control(&mut endpoint, c, shell);
                        pacer.touch();
                    }
                    None => commands = None,
                },
                () = sleep_until_some(status_due), if status_due.is_some() => {
                    let snapshot = status::snapshot(&endpoint, Utc::now());
                    if let Some(s) = pacer.offer(Instant::now().into_std(), snapshot) {
                        tell(&events, || ControlEvent::Status(s));
                    }
                }
                () = &mut stop, if stopping.is_none() => {
                    info!(calls = endpoint.endpoint().calls(), "ending every call");
                    endpoint.handle_input(Utc::now(), Input::Shutdown);
                    stopping = Some(Instant::now() + SHUTDOWN_GRACE);
                }
                () = sleep_until_some(stopping), if stopping.is_some() => return,
            }
        }
    }
}

/// What the router decided for the shell: a record is kept in the history (or only logged
/// without one), a notification goes to the webhook, the subscribers and the history.
fn routed(
    o: &routing::Output,
    notifier: Option<&Notifier>,
    events: &Option<tokio::sync::broadcast::Sender<ControlEvent>>,
    journal: Option<&mut Journal>,
) {
    match (o, journal) {
        (routing::Output::Record(r), Some(j)) => j.record(r),
        (routing::Output::Crm(c), Some(j)) => {
            j.crm_changed(c);
            log_routed(o);
        }
        (routing::Output::Notify(x), journal) => {
            if let Some(n) = notifier {
                n.notify(x);
            }
            let text = notify::event::text(x);
            tell(events, || ControlEvent::Notification {
                employees: x.employees.clone(),
                text: text.clone(),
            });
            if let Some(j) = journal {
                j.notified(NotificationView {
                    at: Utc::now(),
                    employees: x.employees.clone(),
                    text,
                });
            }
            log_routed(o);
        }
        _ => log_routed(o),
    }
}

/// The parts of the shell a control request may need.
struct Shell<'a> {
    notifier: Option<&'a Notifier>,
    voicemail: Option<&'a mut Voicemail>,
    journal: Option<&'a Journal>,
}

/// Carries out one request of the control socket.
fn control(switch: &mut Switch, command: SwitchCommand, shell: Shell<'_>) {
    let Shell {
        notifier,
        voicemail,
        journal,
    } = shell;
    match command {
        SwitchCommand::Config(config) => {
            let webhook_changed = switch.router().config().webhook != config.webhook;
            switch.replace_config(Utc::now(), Arc::clone(&config));
            if let (Some(n), true) = (notifier, webhook_changed) {
                n.configure(config.webhook.clone());
            }
            if let Some(vm) = voicemail {
                vm.config = Arc::clone(&config);
                switch.handle_input(Utc::now(), vm.read());
            }
            info!(
                calls = switch.endpoint().calls(),
                "new configuration applied"
            );
        }
        SwitchCommand::Status(reply) => {
            let _ = reply.send(status::snapshot(switch, Utc::now()));
        }
        SwitchCommand::Query(request, reply) => {
            let empty = History::new();
            let sources = history::Sources {
                statistics: switch.router().statistics(),
                config: switch.router().config(),
                mailboxes: voicemail.map(|vm| &*vm.last),
            };
            let history = journal.map_or(&empty, Journal::history);
            let answer = history::answer(&request, history, sources).unwrap_or(
                crate::control::protocol::Reply::Error {
                    message: "not a history request".into(),
                },
            );
            let _ = reply.send(answer);
        }
        SwitchCommand::Crm(request, reply) => {
            let _ = reply.send(contacts::answer(switch, request, Utc::now()));
        }
    }
}

/// The next request of the control socket (never, without one).
async fn next_notice(
    lines: &mut Option<mpsc::UnboundedReceiver<LineNotice>>,
) -> Option<LineNotice> {
    match lines {
        Some(rx) => rx.recv().await,
        None => pending().await,
    }
}

async fn next_command(
    commands: &mut Option<mpsc::Receiver<SwitchCommand>>,
) -> Option<SwitchCommand> {
    match commands {
        Some(rx) => rx.recv().await,
        None => pending().await,
    }
}

/// Sends an event to the control socket's subscribers, if any (built only then).
fn tell(
    events: &Option<tokio::sync::broadcast::Sender<ControlEvent>>,
    event: impl FnOnce() -> ControlEvent,
) {
    if let Some(tx) = events.as_ref().filter(|e| e.receiver_count() > 0) {
        let _ = tx.send(event());
    }
}

fn bind_udp(address: SocketAddr) -> io::Result<Udp> {
    let socket = std::net::UdpSocket::bind(address)?;
    socket.set_nonblocking(true)?;
    let send = socket.try_clone()?;
    let local = socket.local_addr()?;
    let recv = Arc::new(UdpSocket::from_std(socket)?);
    Ok(Udp { recv, send, local })
}

fn bind_tcp(address: SocketAddr) -> io::Result<(TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind(address)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    Ok((TcpListener::from_std(listener)?, local))
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(at) => sleep_until(at).await,
        None => pending().await,
    }
}

/// Sends one output of the endpoint, or logs it.
fn dispatch(
    udp: &[Udp],
    connections: &HashMap<SocketAddr, (u64, mpsc::Sender<Bytes>)>,
    output: Output,
) {
    match output {
        Output::Transmit {
            to,
            transport: Transport::Udp,
            bytes,
        } => {
            let Some(socket) = pick_udp(udp, to) else {
                debug!(%to, "no UDP socket for this peer; message dropped");
                return;
            };
            if let Err(e) = socket.send.send_to(&bytes, to) {
                debug!(%to, error = %e, "UDP send failed; message dropped");
            }
        }
        Output::Transmit {
            to,
            transport: Transport::Tcp,
            bytes,
        } => match connections.get(&to) {
            Some((_, send)) => {
                if send.try_send(bytes).is_err() {
                    debug!(%to, "TCP connection busy or closed; message dropped");
                }
            }
            None => debug!(%to, "no TCP connection to this peer; message dropped"),
        },
        Output::Event(event) => log_event(&event),
        Output::Route(_) | Output::Media(_) | Output::Voicemail(_) => {}
    }
}

/// The UDP socket to answer `to` from (see the module documentation).
fn pick_udp(udp: &[Udp], to: SocketAddr) -> Option<&Udp> {
    let to_ip = to.ip().to_canonical();
    let score = |u: &&Udp| {
        let local = u.local.ip();
        // An IPv6 socket receives IPv4 peers as IPv4-mapped IPv6 addresses and must answer
        // them so; an IPv4 socket only ever sees IPv4 addresses.
        let family = local.is_ipv4() == to.is_ipv4();
        let scope = local.is_unspecified() || local.is_loopback() == to_ip.is_loopback();
        (family, scope)
    };
    udp.iter().max_by_key(score)
}

/// Logs an endpoint event.
pub fn log_event(event: &Event) {
    match event {
        Event::Registered {
            user,
            contact,
            source,
            expires,
        } => info!(%user, %contact, %source, expires, "phone registered"),
        Event::Unregistered { user, contact } => info!(%user, %contact, "phone unregistered"),
        Event::Expired { user, contact } => info!(%user, %contact, "registration expired"),
        Event::AuthFailed {
            method,
            user,
            source,
        } => {
            let user = user.as_deref().unwrap_or("-");
            warn!(%method, %user, %source, "SIP authentication failed")
        }
        Event::RateLimited { source } => warn!(
            %source,
            "rate limiting SIP traffic from this source: excess requests are dropped unanswered"
        ),
        Event::Overloaded { source } => warn!(
            %source,
            "too many SIP transactions: new requests are refused with 503"
        ),
        Event::Rejected {
            source,
            status,
            reason,
        } => match status {
            Some(status) => debug!(%source, status, %reason, "SIP request refused"),
            None => debug!(%source, %reason, "SIP message dropped"),
        },
        Event::Call(e) => log_call(e),
        Event::Trunk { trunk, state } => super::trunk::log_state(trunk, state),
        Event::Notified {
            employees,
            phones,
            text,
        } => {
            let employees: Vec<String> = employees.iter().map(|e| e.to_string()).collect();
            let employees = employees.join(",");
            info!(%employees, phones, %text, "notified by SIP MESSAGE")
        }
        Event::NoticeAnswered {
            employee,
            contact,
            status,
        } if (200..300).contains(status) => {
            info!(%employee, %contact, status, "notification delivered")
        }
        Event::NoticeAnswered {
            employee,
            contact,
            status,
        } => info!(%employee, %contact, status, "notification not taken by the phone"),
        Event::OutsideRefused {
            source,
            by,
            target,
            why,
        } => {
            let source = source.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
            let by = by
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "-".into());
            warn!(%source, %by, %target, %why, "outside call refused")
        }
        Event::NotConnected {
            method,
            user,
            target,
            status: 404,
        } => info!(%method, %user, %target, "no such number: answered 404"),
        Event::NotConnected {
            method,
            user,
            target,
            status,
        } => info!(
            %method, %user, %target, status,
            "not connected: message delivery over SIP is not connected yet"
        ),
    }
}

async fn udp_receive(socket: Arc<UdpSocket>, tx: mpsc::Sender<Inbound>) {
    let mut buf = vec![0u8; UDP_BUFFER];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, from)) => {
                let bytes = buf[..n].to_vec();
                let transport = Transport::Udp;
                let message = Inbound::Message {
                    from,
                    transport,
                    bytes,
                };
                if tx.send(message).await.is_err() {
                    return;
                }
            }
            // ICMP errors surface here on some systems; go on, without spinning.
            Err(e) => {
                debug!(error = %e, "UDP receive failed");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

async fn tcp_accept(
    listener: TcpListener,
    tx: mpsc::Sender<Inbound>,
    permits: Arc<Semaphore>,
    ids: Arc<AtomicU64>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match permits.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let id = ids.fetch_add(1, Ordering::Relaxed);
                        connections.spawn(tcp_connection(stream, peer, id, tx.clone(), permit));
                    }
                    Err(_) => {
                        debug!(%peer, limit = MAX_TCP_CONNECTIONS, "too many TCP connections; closed");
                        drop(stream);
                    }
                },
                Err(e) => {
                    warn!(error = %e, "TCP accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn tcp_connection(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    tx: mpsc::Sender<Inbound>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let (send, mut outgoing) = mpsc::channel::<Bytes>(TCP_SEND_QUEUE);
    if tx
        .send(Inbound::Connected { peer, id, send })
        .await
        .is_err()
    {
        return;
    }
    let mut framer = StreamFramer::new();
    let mut buf = vec![0u8; TCP_BUFFER];
    let mut delivered = false;
    'connection: loop {
        let idle = if delivered {
            TCP_IDLE_TIMEOUT
        } else {
            TCP_FIRST_MESSAGE_TIMEOUT
        };
        tokio::select! {
            read = timeout(idle, reader.read(&mut buf)) => {
                let n = match read {
                    Ok(Ok(0)) => break,
                    Ok(Ok(n)) => n,
                    Ok(Err(e)) => {
                        debug!(%peer, error = %e, "TCP read failed");
                        break;
                    }
                    Err(_) => {
                        debug!(%peer, "TCP connection idle; closed");
                        break;
                    }
                };
                let pushed = framer.push(&buf[..n]);
                while let Some(message) = framer.next_message() {
                    match message {
                        Ok(bytes) => {
                            delivered = true;
                            let transport = Transport::Tcp;
                            let inbound = Inbound::Message { from: peer, transport, bytes };
                            if tx.send(inbound).await.is_err() {
                                break 'connection;
                            }
                        }
                        Err(e) => {
                            debug!(%peer, error = %e, "TCP stream unreadable; closed");
                            break 'connection;
                        }
                    }
                }
                if let Err(e) = pushed {
                    debug!(%peer, error = %e, "TCP stream unreadable; closed");
                    break;
                }
            }
            out = outgoing.recv() => match out {
                Some(bytes) => {
                    if let Err(e) = writer.write_all(&bytes).await {
                        debug!(%peer, error = %e, "TCP write failed");
                        break;
                    }
                }
                None => break,
            },
        }
    }
    let _ = writer.shutdown().await;
    let _ = tx.send(Inbound::Closed { peer, id }).await;
}

/// Logs a call's progress.
fn log_call(e: &CallEvent) {
    match e {
        CallEvent::Started {
            call,
            caller,
            dialled,
        } => info!(call = call.0, %caller, %dialled, "call started"),
        CallEvent::Ringing {
            call,
            employee,
            contacts,
        } => info!(call = call.0, %employee, contacts, "ringing"),
        CallEvent::Answered { call, employee } => info!(call = call.0, %employee, "answered"),
        CallEvent::Connected { call, employee } => info!(call = call.0, %employee, "connected"),
        CallEvent::Transferred {
            call,
            by,
            to,
            attended,
        } => info!(call = call.0, %by, %to, attended, "transferred"),
        CallEvent::Dialling {
            call,
            number,
            trunk,
        } => info!(call = call.0, %number, %trunk, "dialling out"),
        CallEvent::OutsideAnswered { call, number } => {
            info!(call = call.0, %number, "outside number answered")
        }
        CallEvent::Ended { call, why } => info!(call = call.0, %why, "call ended"),
        CallEvent::Voicemail { call, what } => info!(call = call.0, %what, "voicemail"),
        CallEvent::Failed { call, why } => {
            warn!(call = call.map(|c| c.0), %why, "call problem")
        }
    }
}

/// Logs what the router decided that only the shell keeps: records and notifications.
fn log_routed(o: &routing::Output) {
    match o {
        routing::Output::Record(r) => match serde_json::to_string(r) {
            Ok(json) => info!(record = %json, "call record"),
            Err(e) => warn!(error = %e, "call record could not be written"),
        },
        routing::Output::Notify(n) => debug!(?n, "notification"),
        routing::Output::Crm(c) => debug!(?c, "CRM change"),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn udp_at(addr: &str) -> Udp {
        let socket = std::net::UdpSocket::bind(addr).unwrap_or_else(|e| panic!("{e}"));
        let send = socket.try_clone().unwrap_or_else(|e| panic!("{e}"));
        let local = socket.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let _guard = rt.enter();
        socket
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("{e}"));
        let recv = Arc::new(UdpSocket::from_std(socket).unwrap_or_else(|e| panic!("{e}")));
        Udp { recv, send, local }
    }

    #[test]
    fn a_bind_failure_names_the_address() {
        let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let address = taken.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let _guard = rt.enter();
        let listen = [Listen {
            transport: Transport::Udp,
            address,
        }];
        let Err(e) = Listeners::bind(&listen) else {
            panic!("bound a taken port");
        };
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("cannot listen for SIP on udp {address}: ")),
            "{text}"
        );
    }

    #[test]
    fn the_udp_socket_is_picked_by_family_and_scope() {
        let loopback = udp_at("127.0.0.1:0");
        let wildcard = udp_at("0.0.0.0:0");
        let sockets = [loopback, wildcard];
        let to_local: SocketAddr = "127.0.0.1:5060".parse().unwrap_or_else(|e| panic!("{e}"));
        let to_lan: SocketAddr = "192.0.2.7:5060".parse().unwrap_or_else(|e| panic!("{e}"));
        let picked = |to| pick_udp(&sockets, to).map(|u| u.local.ip());
        assert!(picked(to_lan).is_some_and(|ip: IpAddr| ip.is_unspecified()));
        assert!(picked(to_local).is_some());
    }
}
