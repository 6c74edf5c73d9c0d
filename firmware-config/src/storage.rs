//! Size limits of what the daemon writes under the data directory (call records, the audit
//! log, voicemail and the webhook outbox), so a small flash disk never fills, and the level at
//! which the console and the admin are warned.
//!
//! Every limit is in KiB (1024 bytes). When a store reaches its limit the daemon removes its
//! oldest data first; at [`Storage::warn_percent`] of a limit it warns.

use serde::{Deserialize, Serialize};

/// The smallest limit of the call records, the audit log and the outbox, in KiB.
pub const MIN_LOG_KIB: u32 = 64;
/// The largest limit of the call records, the audit log and the outbox, in KiB (1 GiB).
pub const MAX_LOG_KIB: u32 = 1 << 20;
/// The smallest voicemail limit, in KiB: room for a few minutes of messages.
pub const MIN_VOICEMAIL_KIB: u32 = 1024;
/// The largest voicemail limit, in KiB (64 GiB).
pub const MAX_VOICEMAIL_KIB: u32 = 64 << 20;
/// The lowest warning level, in percent of a limit.
pub const MIN_WARN_PERCENT: u8 = 50;
/// The highest warning level, in percent of a limit (100 would warn only when it is too late).
pub const MAX_WARN_PERCENT: u8 = 99;

/// How much each store under the data directory may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Storage {
    /// Call records (`calls.jsonl` and its rotated generations), in KiB.
    pub calls_kib: u32,
    /// The audit log (`audit.log` and its rotated generations), in KiB.
    pub audit_kib: u32,
    /// Every voicemail message of every mailbox together, in KiB.
    pub voicemail_kib: u32,
    /// Webhook events not delivered yet (the outbox), in KiB.
    pub outbox_kib: u32,
    /// The console and the admin are warned when a store reaches this share of its limit.
    pub warn_percent: u8,
}

impl Default for Storage {
    /// A gateway with a few hundred MiB free: call records 8 MiB (about 20 000 calls), audit
    /// log 4 MiB, voicemail 256 MiB (about 4 hours of messages), outbox 2 MiB; warned at 90 %.
    fn default() -> Self {
        Storage {
            calls_kib: 8 * 1024,
            audit_kib: 4 * 1024,
            voicemail_kib: 256 * 1024,
            outbox_kib: 2 * 1024,
            warn_percent: 90,
        }
    }
}

/// One of the limited stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Store {
    /// Call records.
    Calls,
    /// The audit log.
    Audit,
    /// Voicemail messages.
    Voicemail,
    /// The webhook outbox.
    Outbox,
}

impl Store {
    /// Every store, in the order they are shown.
    pub const ALL: [Store; 4] = [Store::Calls, Store::Audit, Store::Voicemail, Store::Outbox];

    /// The store's name in messages (`call records`).
    pub fn noun(self) -> &'static str {
        match self {
            Store::Calls => "call records",
            Store::Audit => "audit log",
            Store::Voicemail => "voicemail",
            Store::Outbox => "webhook outbox",
        }
    }

    /// The configuration field holding its limit.
    pub fn field(self) -> &'static str {
        match self {
            Store::Calls => "calls_kib",
            Store::Audit => "audit_kib",
            Store::Voicemail => "voicemail_kib",
            Store::Outbox => "outbox_kib",
        }
    }

    /// The limits a value of this store may take, in KiB.
    pub fn range_kib(self) -> core::ops::RangeInclusive<u32> {
        match self {
            Store::Voicemail => MIN_VOICEMAIL_KIB..=MAX_VOICEMAIL_KIB,
            _ => MIN_LOG_KIB..=MAX_LOG_KIB,
        }
    }
}

impl Storage {
    /// The limit of `store`, in KiB.
    pub fn kib(&self, store: Store) -> u32 {
        match store {
            Store::Calls => self.calls_kib,
            Store::Audit => self.audit_kib,
            Store::Voicemail => self.voicemail_kib,
            Store::Outbox => self.outbox_kib,
        }
    }

    /// Sets the limit of `store`, in KiB (not checked: see [`crate::validate`]).
    pub fn set_kib(&mut self, store: Store, kib: u32) {
        match store {
            Store::Calls => self.calls_kib = kib,
            Store::Audit => self.audit_kib = kib,
            Store::Voicemail => self.voicemail_kib = kib,
            Store::Outbox => self.outbox_kib = kib,
        }
    }

    /// The limit of `store`, in bytes.
    pub fn bytes(&self, store: Store) -> u64 {
        u64::from(self.kib(store)) * 1024
    }
}

/// A size in KiB in words: `8 MiB` when whole MiB, else `500 KiB`.
pub fn kib_text(kib: u32) -> String {
    if kib >= 1024 && kib.is_multiple_of(1024) {
        format!("{} MiB", kib / 1024)
    } else {
        format!("{kib} KiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_their_ranges() {
        let s = Storage::default();
        for store in Store::ALL {
            assert!(store.range_kib().contains(&s.kib(store)), "{store:?}");
        }
        assert!((MIN_WARN_PERCENT..=MAX_WARN_PERCENT).contains(&s.warn_percent));
        assert_eq!(s.bytes(Store::Calls), 8 << 20);
    }

    #[test]
    fn sizes_read_in_the_largest_whole_unit() {
        assert_eq!(kib_text(8192), "8 MiB");
        assert_eq!(kib_text(1536), "1536 KiB");
        assert_eq!(kib_text(64), "64 KiB");
    }

    #[test]
    fn set_and_get_agree() {
        let mut s = Storage::default();
        for (n, store) in Store::ALL.into_iter().enumerate() {
            s.set_kib(store, 100 + n as u32);
            assert_eq!(s.kib(store), 100 + n as u32);
        }
    }
}
