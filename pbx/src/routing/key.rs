//! Cheap keys and hashing for the tables every routing decision touches.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use firmware_config::number::Extension;

/// An extension as one number (its length, then its bytes): equal keys, equal extensions.
/// Comparing and hashing keys is much cheaper than comparing and hashing the texts, in a
/// pass's inner loop.
pub(super) fn key(e: &Extension) -> u64 {
    let b = e.as_str().as_bytes();
    debug_assert!(b.len() < 8, "an extension is at most 6 digits");
    b.iter()
        .fold(b.len() as u64, |k, &byte| k << 8 | u64::from(byte))
}

/// A hash map keyed by numbers: extension [`key`]s or call ids.
pub(super) type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// Hashes a number with one multiplication. Each pass through a group looks every member up,
/// and the default hasher's cost showed in every routing decision. Its resistance to flooding
/// buys nothing here: the keys are the office's extensions and the ids the shell gives calls.
#[derive(Debug, Default)]
pub(super) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, k: u64) {
        // Multiply and fold the halves: the table uses both the low and the high bits.
        let p = u128::from(self.0 ^ k) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }
}
