//! systemd's service notifications (`sd_notify`): `READY=1` once SIP and the control socket
//! are bound, `STOPPING=1` when shutdown begins, and `WATCHDOG=1` every half
//! `WATCHDOG_USEC` — but only after the SIP run loop answered a probe, so a hung loop stops
//! the pings and systemd restarts the daemon (`WatchdogSec=` in `centrala.service`).
//!
//! Decisions:
//! - **Our own datagram, not a crate.** A notification is one datagram to the Unix socket
//!   named by `NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace). Writing it
//!   ourselves is a few lines, and the socket can be given explicitly ([`Systemd::new`]), so
//!   tests use a real socket of their own without touching the process environment.
//! - **The probe goes through the loop's own queue.** The watchdog task sends
//!   [`SwitchCommand::Status`] on the channel the loop serves and pings only when the answer
//!   comes back within the ping interval. The control server's commands are forwarded into
//!   the same channel, so the loop serves one queue as before ([`Systemd::supervise`]).
//! - **No-op without systemd.** Without `NOTIFY_SOCKET` nothing is sent; without
//!   `WATCHDOG_USEC` (or with a `WATCHDOG_PID` that is not ours) no task is started and the
//!   control link is passed through untouched.

use std::ffi::{OsStr, OsString};
use std::future::Future;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::{timeout, MissedTickBehavior};
use tracing::{debug, info, warn};

use crate::control::server::{SwitchCommand, SwitchLink};

/// The environment variable naming systemd's notification socket.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";
/// The environment variable with the watchdog timeout in microseconds.
pub const WATCHDOG_USEC: &str = "WATCHDOG_USEC";
/// The environment variable naming the process the watchdog applies to.
pub const WATCHDOG_PID: &str = "WATCHDOG_PID";
/// Commands the watchdog's channel holds (the control server's queue is as long).
const PROBE_QUEUE: usize = 16;

/// Why the notification socket cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// `NOTIFY_SOCKET` is empty or not a usable address.
    #[error("NOTIFY_SOCKET {0:?} is not a socket address")]
    Address(OsString),
    /// The datagram socket could not be created.
    #[error("cannot create a socket for systemd's notifications: {0}")]
    Socket(std::io::Error),
}

/// A channel to systemd: where notifications go, and how often the watchdog wants a ping.
#[derive(Debug, Clone, Default)]
pub struct Systemd {
    channel: Option<Arc<Channel>>,
    ping_every: Option<Duration>,
}

#[derive(Debug)]
struct Channel {
    socket: UnixDatagram,
    target: SocketAddr,
}

impl Systemd {
    /// From the environment systemd gives a `Type=notify` service; a no-op when
    /// `NOTIFY_SOCKET` is absent, and logged (then a no-op) when it is unusable.
    pub fn from_env() -> Systemd {
        let Some(address) = std::env::var_os(NOTIFY_SOCKET) else {
            return Systemd::default();
        };
        let usec = std::env::var(WATCHDOG_USEC).ok();
        let pid = std::env::var(WATCHDOG_PID).ok();
        let ping_every = ping_interval(usec.as_deref(), pid.as_deref(), std::process::id());
        match Systemd::new(&address, ping_every) {
            Ok(systemd) => {
                info!(socket = ?address, watchdog = ?ping_every, "notifying systemd");
                systemd
            }
            Err(e) => {
                warn!(error = %e, "systemd will not hear that the daemon is ready");
                Systemd::default()
            }
        }
    }

    /// Notifications to the socket at `address` (a path, or `@name` for the abstract
    /// namespace), with a watchdog ping every `ping_every` when given.
    pub fn new(address: &OsStr, ping_every: Option<Duration>) -> Result<Systemd, NotifyError> {
        let target = socket_address(address)?;
        let socket = UnixDatagram::unbound().map_err(NotifyError::Socket)?;
        let channel = Some(Arc::new(Channel { socket, target }));
        Ok(Systemd {
            channel,
            ping_every,
        })
    }

    /// How often the watchdog is pinged, if systemd asked for it.
    pub fn ping_every(&self) -> Option<Duration> {
        self.ping_every.filter(|_| self.channel.is_some())
    }

    /// Says the service is up (SIP and the control socket are bound).
    pub fn ready(&self) {
        self.send("READY=1\nSTATUS=serving SIP");
    }

    /// Says the service is shutting down.
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=ending calls");
    }

    /// Pings the watchdog.
    pub fn ping(&self) {
        self.send("WATCHDOG=1");
    }

    fn send(&self, state: &str) {
        if let Some(c) = &self.channel {
            if let Err(e) = c.socket.send_to_addr(state.as_bytes(), &c.target) {
                warn!(error = %e, state, "cannot notify systemd");
            }
        }
    }

    /// With a watchdog: returns the link the SIP loop must serve — the control server's
    /// commands (`control`, when it started) and the watchdog's probes in one queue — and
    /// starts the task that pings after each answered probe. Without a watchdog, `control`
    /// unchanged. Must be called inside the tokio runtime.
    pub fn supervise(&self, control: Option<SwitchLink>) -> Option<SwitchLink> {
        let Some(every) = self.ping_every() else {
            return control;
        };
        let (probe, link) = merge(control);
        let systemd = self.clone();
        tokio::spawn(keep_alive(systemd, every, move || {
            status_probe(probe.clone())
        }));
        Some(link)
    }
}

/// A link carrying `control`'s commands (forwarded by a task) and a sender for probes.
fn merge(control: Option<SwitchLink>) -> (mpsc::Sender<SwitchCommand>, SwitchLink) {
    let (tx, commands) = mpsc::channel(PROBE_QUEUE);
    let events = match control {
        Some(SwitchLink {
            commands: mut upstream,
            events,
        }) => {
            let forward = tx.clone();
            tokio::spawn(async move {
                while let Some(command) = upstream.recv().await {
                    if forward.send(command).await.is_err() {
                        break;
                    }
                }
            });
            events
        }
        None => broadcast::channel(1).0,
    };
    (tx, SwitchLink { commands, events })
}

/// Asks the SIP loop for a status; true when it answered.
async fn status_probe(switch: mpsc::Sender<SwitchCommand>) -> bool {
    let (tx, rx) = oneshot::channel();
    if switch.send(SwitchCommand::Status(tx)).await.is_err() {
        return false;
    }
    rx.await.is_ok()
}

/// Every `every`: runs `probe` and pings the watchdog if it says true within `every`.
/// Runs until the task is dropped with the runtime.
pub async fn keep_alive<P, F>(systemd: Systemd, every: Duration, mut probe: P)
where
    P: FnMut() -> F,
    F: Future<Output = bool>,
{
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match timeout(every, probe()).await {
            Ok(true) => systemd.ping(),
            Ok(false) => warn!("the SIP loop is gone; the watchdog is not pinged"),
            Err(_) => warn!(
                ?every,
                "the SIP loop did not answer the watchdog's probe; the watchdog is not pinged"
            ),
        }
    }
}

/// Half the watchdog timeout from `WATCHDOG_USEC` (as `sd_watchdog_enabled` advises), if it
/// is a positive number and `WATCHDOG_PID` is absent or `own_pid`.
pub fn ping_interval(usec: Option<&str>, pid: Option<&str>, own_pid: u32) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.trim().parse::<u32>().ok() != Some(own_pid) {
            debug!(pid, "the watchdog is for another process");
            return None;
        }
    }
    let usec: u64 = usec?.trim().parse().ok().filter(|&u| u > 0)?;
    Some(Duration::from_micros(usec / 2).max(Duration::from_millis(1)))
}

/// `NOTIFY_SOCKET`'s value as a socket address: `@name` is abstract, anything else a path.
fn socket_address(address: &OsStr) -> Result<SocketAddr, NotifyError> {
    let bytes = address.as_bytes();
    let bad = || NotifyError::Address(address.to_owned());
    match bytes.split_first() {
        None => Err(bad()),
        Some((b'@', name)) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name).map_err(|_| bad())
        }
        Some(_) => SocketAddr::from_pathname(address).map_err(|_| bad()),
    }
}

#[cfg(test)]
mod tests;
