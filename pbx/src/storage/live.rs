//! The storage limits as the running configuration sets them, shared by every writer (the SIP
//! loop's journal and voicemail store, the control server's audit log, the webhook thread's
//! outbox) and the monitor: set when a configuration is applied, read at each write, so a new
//! limit applies without a restart.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use firmware_config::storage::{Storage, Store};
use tokio::sync::Notify;

use super::index;

/// The live limits, what was removed to keep within them, and a bell rung after writes.
#[derive(Debug)]
pub struct Live {
    kib: [AtomicU32; 4],
    warn_percent: AtomicU8,
    removed: [AtomicU64; 4],
    written: Notify,
}

impl Live {
    /// Limits as `storage` sets them.
    pub fn new(storage: &Storage) -> Arc<Live> {
        let live = Live {
            kib: Default::default(),
            warn_percent: AtomicU8::new(storage.warn_percent),
            removed: Default::default(),
            written: Notify::new(),
        };
        live.set(storage);
        Arc::new(live)
    }

    /// A new configuration's limits: they apply from the next write.
    pub fn set(&self, storage: &Storage) {
        for store in Store::ALL {
            self.kib[index(store)].store(storage.kib(store), Ordering::Relaxed);
        }
        self.warn_percent
            .store(storage.warn_percent, Ordering::Relaxed);
        self.written();
    }

    /// The limits now.
    pub fn get(&self) -> Storage {
        let mut s = Storage {
            warn_percent: self.warn_percent.load(Ordering::Relaxed),
            ..Storage::default()
        };
        for store in Store::ALL {
            s.set_kib(store, self.kib[index(store)].load(Ordering::Relaxed));
        }
        s
    }

    /// The limit of `store` now, in bytes.
    pub fn bytes(&self, store: Store) -> u64 {
        u64::from(self.kib[index(store)].load(Ordering::Relaxed)) * 1024
    }

    /// `count` items of `store` were removed to keep within its limit.
    pub fn removed(&self, store: Store, count: u64) {
        self.removed[index(store)].fetch_add(count, Ordering::Relaxed);
    }

    /// Items removed from each store since the start, in the order of [`Store::ALL`].
    pub fn removed_counts(&self) -> [u64; 4] {
        Store::ALL.map(|s| self.removed[index(s)].load(Ordering::Relaxed))
    }

    /// Something was written (or removed): the monitor measures soon. Never blocks.
    pub fn written(&self) {
        self.written.notify_one();
    }

    /// Waits until [`Live::written`] is called (a call made while nobody waited counts).
    pub async fn wait_written(&self) {
        self.written.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_set_are_read_back_and_removals_counted() {
        let live = Live::new(&Storage::default());
        assert_eq!(live.get(), Storage::default());
        let smaller = Storage {
            calls_kib: 64,
            warn_percent: 75,
            ..Storage::default()
        };
        live.set(&smaller);
        assert_eq!(live.get(), smaller);
        assert_eq!(live.bytes(Store::Calls), 64 * 1024);
        live.removed(Store::Voicemail, 2);
        live.removed(Store::Voicemail, 1);
        assert_eq!(live.removed_counts(), [0, 0, 3, 0]);
    }
}
