//! Size bounds for everything the daemon writes under the data directory, sans-IO: how a log
//! rotates within its limit ([`rotation`]), which voicemail messages go when the store is full
//! ([`voicemail_victims`]), and when to measure the stores and warn ([`Monitor`]).
//!
//! Decisions:
//! - **Logs rotate by generations.** The call records and the audit log are kept as the
//!   current file and up to [`GENERATIONS`]` - 1` older ones (`<name>.1` newest … `<name>.3`
//!   oldest). The current file is rotated when the next line would take it past a quarter of
//!   the limit, and the oldest generations are removed while the whole would pass the limit:
//!   the oldest records go first, and the files together stay under the limit (unless one line
//!   alone is larger than it).
//! - **Voicemail**: after a message is saved, while the store is over its limit, the oldest
//!   *heard* messages are removed first, then the oldest unheard ones. The message just saved
//!   and recordings in progress (no metadata yet) are never removed, so the store may pass its
//!   limit by the message being recorded until the next one is saved.
//! - **The outbox** drops its oldest undelivered events when full (see
//!   [`crate::notify::outbox`]).
//! - **Warnings**: the stores are measured every [`SCAN_EVERY`] and shortly
//!   ([`WRITE_DELAY`]) after something was written. A store at or above the warning level
//!   (`storage.warn_percent` of its limit) is marked in every report; crossing the level
//!   upwards raises one alert, and another only after it fell below the level again.
//!
//! The I/O around it: [`live`] (the limits as the running configuration sets them), [`log`]
//! (a file rotated by [`rotation`]), [`shell`] (measuring the directory and the monitor task).

pub mod live;
pub mod log;
pub mod shell;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use firmware_config::storage::{kib_text, Storage, Store};

use crate::control::protocol::{StorageReport, StoreUsage};

/// Files a rotated log keeps: the current one and three older generations.
pub const GENERATIONS: usize = 4;
/// How often the stores are measured when nothing is written.
pub const SCAN_EVERY: Duration = Duration::from_secs(60);
/// How long after a write the stores are measured (writes in between are measured together).
pub const WRITE_DELAY: Duration = Duration::from_secs(2);

/// What to do before appending to a rotated log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Rename the current file to `<name>.1` (and each older one a generation further) and
    /// start a new one.
    pub rotate: bool,
    /// How many older generations to keep (after rotating); older ones are removed.
    pub keep: usize,
}

/// Decides how a log whose current file holds `current` bytes and whose older generations
/// (`<name>.1` first) hold `older` bytes makes room for a line of `incoming` bytes within
/// `limit` bytes in all.
pub fn rotation(
    current: u64,
    older: &[u64; GENERATIONS - 1],
    incoming: u64,
    limit: u64,
) -> Rotation {
    let segment = (limit / GENERATIONS as u64).max(1);
    let rotate = current > 0 && current.saturating_add(incoming) > segment;
    let (current, sizes) = if rotate {
        (0, [current, older[0], older[1]])
    } else {
        (current, *older)
    };
    let mut keep = GENERATIONS - 1;
    let total = |keep: usize| -> u64 {
        sizes[..keep]
            .iter()
            .fold(current.saturating_add(incoming), |a, b| {
                a.saturating_add(*b)
            })
    };
    while keep > 0 && total(keep) > limit {
        keep -= 1;
    }
    Rotation { rotate, keep }
}

/// A stored voicemail message, as [`voicemail_victims`] weighs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<K> {
    /// What names it to the caller (mailbox and id).
    pub key: K,
    /// Its files' size in bytes.
    pub bytes: u64,
    /// Whether someone listened to it.
    pub heard: bool,
    /// When it was left.
    pub received_at: DateTime<Utc>,
}

/// The messages to remove so that a store of `total` bytes fits in `limit`: the oldest heard
/// ones first, then the oldest unheard ones, no more than needed. `candidates` are the
/// messages that may go (the one just saved is not among them).
pub fn voicemail_victims<K: Clone>(candidates: &[Candidate<K>], total: u64, limit: u64) -> Vec<K> {
    let mut order: Vec<&Candidate<K>> = candidates.iter().collect();
    order.sort_by_key(|c| (!c.heard, c.received_at));
    let mut left = total;
    order
        .into_iter()
        .take_while(|c| {
            let over = left > limit;
            left = left.saturating_sub(c.bytes);
            over
        })
        .map(|c| c.key.clone())
        .collect()
}

/// How much each store holds, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// By store, in the order of [`Store::ALL`].
    pub stores: [u64; 4],
    /// What else the daemon keeps there (the CRM's journal, the notifications' files).
    pub other: u64,
}

impl Usage {
    /// The bytes `store` holds.
    pub fn of(&self, store: Store) -> u64 {
        self.stores[index(store)]
    }

    /// Sets the bytes `store` holds.
    pub fn set(&mut self, store: Store, bytes: u64) {
        self.stores[index(store)] = bytes;
    }
}

/// The position of `store` in [`Store::ALL`].
pub fn index(store: Store) -> usize {
    match store {
        Store::Calls => 0,
        Store::Audit => 1,
        Store::Voicemail => 2,
        Store::Outbox => 3,
    }
}

/// The outcome of one measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Scanned {
    /// Every store's use, limit and warning.
    pub report: StorageReport,
    /// The stores that have just reached the warning level (one alert each).
    pub crossed: Vec<StoreUsage>,
}

/// When to measure the stores, and which have already been alerted. See the module
/// documentation.
#[derive(Debug, Clone)]
pub struct Monitor {
    alerted: [bool; 4],
    next_scan: Instant,
}

impl Monitor {
    /// A monitor that measures at once.
    pub fn new(now: Instant) -> Monitor {
        Monitor {
            alerted: [false; 4],
            next_scan: now,
        }
    }

    /// Something was written at `now`: measure within [`WRITE_DELAY`].
    pub fn written(&mut self, now: Instant) {
        self.next_scan = self.next_scan.min(now + WRITE_DELAY);
    }

    /// When to measure next.
    pub fn poll_timeout(&self) -> Instant {
        self.next_scan
    }

    /// Whether a measurement is due at `now`.
    pub fn due(&self, now: Instant) -> bool {
        now >= self.next_scan
    }

    /// The stores were measured at `now` (`at` by the wall clock) as `usage`, under `limits`,
    /// with `removed` items removed to stay within them since the start.
    pub fn scanned(
        &mut self,
        now: Instant,
        at: DateTime<Utc>,
        usage: &Usage,
        limits: &Storage,
        removed: [u64; 4],
    ) -> Scanned {
        self.next_scan = now + SCAN_EVERY;
        let stores: Vec<StoreUsage> = Store::ALL
            .into_iter()
            .map(|store| StoreUsage {
                store,
                used_bytes: usage.of(store),
                limit_bytes: limits.bytes(store),
                removed: removed[index(store)],
                warning: at_warning(usage.of(store), limits.bytes(store), limits.warn_percent),
            })
            .collect();
        let mut crossed = Vec::new();
        for s in &stores {
            let alerted = &mut self.alerted[index(s.store)];
            if s.warning && !*alerted {
                crossed.push(s.clone());
            }
            *alerted = s.warning;
        }
        let report = StorageReport {
            at: Some(at),
            warn_percent: limits.warn_percent,
            stores,
            other_bytes: usage.other,
        };
        Scanned { report, crossed }
    }
}

/// Whether `used` bytes are at or above `percent` of `limit`.
pub fn at_warning(used: u64, limit: u64, percent: u8) -> bool {
    u128::from(used) * 100 >= u128::from(limit) * u128::from(percent)
}

/// `used` as a whole percentage of `limit` (rounded down; 0 for no limit).
pub fn percent(used: u64, limit: u64) -> u64 {
    (u128::from(used) * 100)
        .checked_div(u128::from(limit))
        .map_or(0, |p| u64::try_from(p).unwrap_or(u64::MAX))
}

/// One store's warning in words: `Storage: voicemail 92 % of 256 MiB`.
pub fn warning_text(s: &StoreUsage) -> String {
    format!(
        "Storage: {} {} % of {}",
        s.store.noun(),
        percent(s.used_bytes, s.limit_bytes),
        kib_text(u32::try_from(s.limit_bytes / 1024).unwrap_or(u32::MAX))
    )
}

#[cfg(test)]
mod tests;
