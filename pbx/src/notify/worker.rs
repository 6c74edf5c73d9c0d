//! The webhook worker: a dedicated thread that owns the outbox and the delivery machine,
//! takes new notifications and configuration changes over a channel, and POSTs (blocking)
//! with `ureq`. The daemon's loop only ever sends on the channel, so a slow or unreachable
//! receiver never holds up a call.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Instant;

use firmware_config::system::Webhook;
use tracing::{debug, error, info, warn};

use super::delivery::{classify, Backoff, Delivery, Outcome, Settled};
use super::event::{envelope, line_health_envelope, storage_envelope};
use super::outbox::{Limits, Outbox, OutboxError};
use super::webhook::Client;
use crate::routing::Notification;

/// Tunables of the worker; the defaults are the product's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    /// How much the outbox keeps.
    pub limits: Limits,
    /// Waits between failed attempts.
    pub backoff: Backoff,
}

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The outbox directory could not be opened.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The thread could not be started.
    #[error("cannot start the webhook thread: {0}")]
    Thread(std::io::Error),
}

/// What the daemon tells the worker.
enum Command {
    Notify(Notification),
    Configure(Option<Box<Webhook>>),
    /// A store reached its warning level: the event's body given its id.
    Storage(Box<crate::control::protocol::StoreUsage>, String),
    /// The outbox's limit from now on.
    Bound(std::sync::Arc<crate::storage::live::Live>),
    /// A line's health check found it dead, or alive again.
    LineHealth(crate::line::board::LineAlert),
}

/// Raises storage warnings on the webhook from another task (cloned from
/// [`Notifier::alerter`]).
#[derive(Debug, Clone)]
pub struct Alerter {
    tx: Sender<Command>,
}

impl Alerter {
    /// Queues a `storage_warning` event (not at all when no webhook is configured). Never
    /// blocks.
    pub fn storage(&self, usage: &crate::control::protocol::StoreUsage, text: &str) {
        let command = Command::Storage(Box::new(usage.clone()), text.to_owned());
        if self.tx.send(command).is_err() {
            error!("webhook worker is gone; storage warning not queued");
        }
    }

    /// Queues a `line_health` event (not at all when no webhook is configured). Never blocks.
    pub fn line_health(&self, alert: &crate::line::board::LineAlert) {
        if self.tx.send(Command::LineHealth(alert.clone())).is_err() {
            error!("webhook worker is gone; line health alert not queued");
        }
    }
}

/// The daemon's handle on the worker. Dropping it lets the worker finish what it is doing
/// and end; pending events stay in the outbox for the next start.
#[derive(Debug)]
pub struct Notifier {
    tx: Sender<Command>,
    thread: JoinHandle<()>,
}

impl Notifier {
    /// Opens the outbox in `dir` and starts the worker, delivering to `webhook` if
    /// configured (events left from before are sent first).
    pub fn start(
        dir: &Path,
        webhook: Option<Webhook>,
        settings: Settings,
    ) -> Result<Notifier, NotifyError> {
        let outbox = Outbox::open(dir, settings.limits)?;
        let delivery = Delivery::new(settings.backoff, outbox.ids(), webhook.is_some());
        let (tx, rx) = mpsc::channel();
        let worker = Worker {
            outbox,
            delivery,
            client: None,
            webhook: None,
            live: None,
            rx,
            dir: dir.to_owned(),
        };
        let thread = std::thread::Builder::new()
            .name("webhook".to_owned())
            .spawn(move || worker.run(webhook))
            .map_err(NotifyError::Thread)?;
        Ok(Notifier { tx, thread })
    }

    /// Queues a notification for the webhook (not at all when none is configured). Never
    /// blocks.
    pub fn notify(&self, notification: &Notification) {
        if self.tx.send(Command::Notify(notification.clone())).is_err() {
            error!("webhook worker is gone; notification not queued");
        }
    }

    /// A handle that raises storage warnings on the webhook.
    pub fn alerter(&self) -> Alerter {
        Alerter {
            tx: self.tx.clone(),
        }
    }

    /// The outbox's size limit follows `live` (read before each new event), and its drops are
    /// counted there.
    pub fn bound_by(&self, live: std::sync::Arc<crate::storage::live::Live>) {
        if self.tx.send(Command::Bound(live)).is_err() {
            error!("webhook worker is gone; outbox limit not passed");
        }
    }

    /// The configuration changed: the webhook is now `webhook` (added, changed or removed).
    pub fn configure(&self, webhook: Option<Webhook>) {
        if self
            .tx
            .send(Command::Configure(webhook.map(Box::new)))
            .is_err()
        {
            error!("webhook worker is gone; configuration not passed");
        }
    }

    /// Ends the worker and waits for it: it stores what it was sent, finishes a POST in
    /// flight (at most the configured timeout), and returns.
    pub fn stop(self) {
        drop(self.tx);
        if self.thread.join().is_err() {
            error!("webhook worker panicked");
        }
    }
}

/// The worker thread's state.
struct Worker {
    outbox: Outbox,
    delivery: Delivery,
    client: Option<Client>,
    webhook: Option<Webhook>,
    /// The live storage limits, once bound.
    live: Option<std::sync::Arc<crate::storage::live::Live>>,
    rx: Receiver<Command>,
    dir: PathBuf,
}

impl Worker {
    fn run(mut self, webhook: Option<Webhook>) {
        self.configure(webhook);
        loop {
            // Store every new event before the next (possibly slow) POST.
            loop {
                match self.rx.try_recv() {
                    Ok(command) => self.command(command),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            if let Some(id) = self.delivery.poll_send(Instant::now()) {
                self.send(id);
                continue;
            }
            let next = match self.delivery.poll_timeout() {
                Some(at) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    match self.rx.recv_timeout(wait) {
                        Ok(command) => command,
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                None => match self.rx.recv() {
                    Ok(command) => command,
                    Err(_) => return,
                },
            };
            self.command(next);
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Notify(n) => self.store(|id| envelope(id, &n)),
            Command::Configure(webhook) => self.configure(webhook.map(|w| *w)),
            Command::Storage(usage, text) => {
                let at = chrono::Utc::now();
                self.store(|id| storage_envelope(id, at, &usage, &text))
            }
            Command::Bound(live) => self.live = Some(live),
            Command::LineHealth(alert) => {
                let at = chrono::Utc::now();
                self.store(|id| line_health_envelope(id, at, &alert.line, alert.ok, &alert.text))
            }
        }
    }

    /// Puts an event whose body `make` builds from its id in the outbox and in line.
    fn store(&mut self, make: impl FnOnce(u64) -> Result<Vec<u8>, serde_json::Error>) {
        if self.client.is_none() {
            debug!("no webhook configured; notification not queued for it");
            return;
        }
        if let Some(live) = &self.live {
            self.outbox
                .set_max_bytes(live.bytes(firmware_config::storage::Store::Outbox));
        }
        match self.outbox.push(make) {
            Ok(pushed) => {
                debug!(id = pushed.id, "webhook event queued");
                self.delivery.push(pushed.id);
                if let (Some(live), false) = (&self.live, pushed.dropped.is_empty()) {
                    let store = firmware_config::storage::Store::Outbox;
                    live.removed(store, pushed.dropped.len() as u64);
                }
                for id in pushed.dropped {
                    self.delivery.forget(id);
                }
                if let Some(live) = &self.live {
                    live.written();
                }
            }
            Err(e) => {
                error!(error = %e, outbox = %self.dir.display(), "webhook event LOST: it could not be stored")
            }
        }
    }

    fn configure(&mut self, webhook: Option<Webhook>) {
        if webhook == self.webhook {
            return;
        }
        match &webhook {
            Some(w) => {
                let client = Client::new(w);
                info!(url = %client.url(), signed = w.secret.is_some(), pending = self.outbox.len(), "webhook configured");
                self.client = Some(client);
            }
            None => {
                if self.client.is_some() || !self.outbox.is_empty() {
                    info!(
                        pending = self.outbox.len(),
                        "no webhook configured; undelivered events are kept until one is"
                    );
                }
                self.client = None;
            }
        }
        self.delivery.set_enabled(webhook.is_some());
        self.webhook = webhook;
    }

    /// POSTs event `id` and settles it.
    fn send(&mut self, id: u64) {
        let Some(client) = &self.client else {
            return;
        };
        let body = match self.outbox.read(id) {
            Ok(body) => body,
            Err(_) => {
                // Logged and moved aside by the outbox.
                self.delivery.forget(id);
                return;
            }
        };
        let (outcome, answer) = match client.post(id, &body) {
            Ok(status) => (classify(status), format!("HTTP {status}")),
            Err(e) => (Outcome::Failed, e.to_string()),
        };
        let Some(settled) = self.delivery.result(Instant::now(), id, outcome) else {
            return;
        };
        self.settle(settled, &answer);
    }

    /// Carries out what the machine decided; `answer` is the receiver's status or the error.
    fn settle(&mut self, settled: Settled, answer: &str) {
        match settled {
            Settled::Delivered(id) => {
                debug!(id, %answer, "webhook event delivered");
                if let Err(e) = self.outbox.delivered(id) {
                    warn!(id, error = %e, "delivered webhook event could not be removed; it may be sent again after a restart");
                }
            }
            Settled::Refused(id) => {
                warn!(id, %answer, "webhook receiver refused the event for good; kept aside as .refused");
                if let Err(e) = self.outbox.refused(id) {
                    warn!(id, error = %e, "refused webhook event could not be moved aside");
                }
            }
            Settled::Retry { id, failures, at } => {
                let wait = at.saturating_duration_since(Instant::now());
                warn!(
                    id,
                    failures,
                    %answer,
                    retry_in_ms = wait.as_millis() as u64,
                    pending = self.outbox.len(),
                    "webhook delivery failed; will retry"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
