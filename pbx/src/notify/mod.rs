//! Notifications leaving the router: today the optional webhook (SPEC §5), and the plain
//! text other channels (SIP MESSAGE to phones, the console) show.
//!
//! The router's [`Output::Notify`](crate::routing::Output::Notify) reaches
//! [`Notifier::notify`]; a dedicated thread turns it into a JSON [`envelope`] with an id that
//! is never reused, stores it in the durable [`outbox`] under `<data_dir>/outbox/`, and POSTs
//! it to the configured webhook, signed with HMAC-SHA256 when a secret is set. Events the
//! receiver has not acknowledged stay on disk and are sent in order with backoff when it is
//! back, after a daemon restart too: delivery is at-least-once and receivers deduplicate on
//! the `X-Centrala-Event` id. Without a webhook configured, nothing is queued.
//!
//! - [`event`]: the envelope and the one-line [`text`];
//! - [`outbox`]: one file per pending event, written atomically, bounded;
//! - [`delivery`]: the sans-IO order/backoff/refusal machine;
//! - [`webhook`]: the HTTP POST and the signature;
//! - [`worker`]: the thread that joins them.

pub mod delivery;
pub mod event;
pub mod outbox;
pub mod webhook;
pub mod worker;

pub use event::{envelope, text};
pub use worker::{Notifier, NotifyError, Settings};

/// The outbox's directory under the data directory.
pub const OUTBOX_DIR: &str = "outbox";
