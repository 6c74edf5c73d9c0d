//! Per-source rate limiting of SIP traffic: a token bucket per source address, sans-IO (time
//! is passed in), with bounded memory.
//!
//! SIP scanners (sipvicious, friendly-scanner and their kin) send bursts of OPTIONS, REGISTER
//! and INVITE from one address. Each source gets a bucket of [`Limits::burst`] tokens refilled
//! at [`Limits::rate_per_sec`]; a message costs one token, and a message that finds the bucket
//! empty is dropped without an answer (a scanner learns nothing, and we spend nothing on it).
//!
//! Decisions:
//! - **Source = IP address**, not address and port: a scanner changes ports freely. IPv6
//!   sources are grouped by their /64 prefix, which one host can walk through at will.
//! - **Who is exempt is the caller's business** ([`super::endpoint`] exempts the addresses of
//!   live registrations); this module only counts.
//! - **Telling the admin**: the first dropped message of a source, and then at most one every
//!   [`Limits::warn_interval`], comes back as [`Verdict::Drop`] with `warn: true`, so the log
//!   gets one line per flooding source per interval, not one per packet.
//! - **Bounded memory**: at most [`Limits::max_sources`] buckets. A new source beyond that
//!   evicts the source seen longest ago (an index by last-seen time keeps that O(log n)). An
//!   evicted source starts again with a full bucket — the price of a fixed footprint under a
//!   flood from many (spoofed) addresses, where the transaction layer's cap is the backstop.
//! - Clock steps backwards refill nothing; tokens are kept in thousandths, so rates that do not
//!   divide a millisecond stay exact enough.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv6Addr};

use chrono::{DateTime, TimeDelta, Utc};

/// Messages per second a source may send on average.
pub const RATE_PER_SEC: u32 = 20;
/// Messages a source may send at once after being quiet.
pub const BURST: u32 = 40;
/// Sources tracked at once.
pub const MAX_SOURCES: usize = 4096;
/// Shortest time between two warnings about one source, in seconds.
pub const WARN_INTERVAL_SECS: i64 = 10;

/// Thousandths of a token per token.
const MILLI: u64 = 1000;

/// How much traffic a source may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Average messages per second.
    pub rate_per_sec: u32,
    /// Messages at once (the bucket's size).
    pub burst: u32,
    /// The most sources tracked at once.
    pub max_sources: usize,
    /// Shortest time between two warnings about one source.
    pub warn_interval: TimeDelta,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            rate_per_sec: RATE_PER_SEC,
            burst: BURST,
            max_sources: MAX_SOURCES,
            warn_interval: TimeDelta::seconds(WARN_INTERVAL_SECS),
        }
    }
}

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Handle it.
    Admit,
    /// Drop it silently; `warn` says to log that this source is being limited.
    Drop {
        /// True for the first drop of a source and then once per warning interval.
        warn: bool,
    },
}

#[derive(Debug, Clone)]
struct Bucket {
    /// Thousandths of tokens left.
    tokens: u64,
    /// When the bucket was last refilled (and the source last seen).
    last: DateTime<Utc>,
    /// When this source was last reported.
    warned: Option<DateTime<Utc>>,
}

/// Token buckets for every recently seen source.
#[derive(Debug)]
pub struct RateLimiter {
    limits: Limits,
    buckets: HashMap<IpAddr, Bucket>,
    /// `(last seen, source)`, oldest first: the eviction order.
    by_age: BTreeSet<(DateTime<Utc>, IpAddr)>,
}

impl RateLimiter {
    /// A limiter with these limits (a burst of at least one, at least one source).
    pub fn new(mut limits: Limits) -> RateLimiter {
        limits.burst = limits.burst.max(1);
        limits.max_sources = limits.max_sources.max(1);
        RateLimiter {
            limits,
            buckets: HashMap::new(),
            by_age: BTreeSet::new(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The number of sources tracked.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// True when no source is tracked.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Counts one message from `source` at `now`.
    pub fn check(&mut self, now: DateTime<Utc>, source: IpAddr) -> Verdict {
        let key = source_key(source);
        let full = u64::from(self.limits.burst) * MILLI;
        if !self.buckets.contains_key(&key) {
            if self.buckets.len() >= self.limits.max_sources {
                self.evict_oldest();
            }
            let bucket = Bucket {
                tokens: full,
                last: now,
                warned: None,
            };
            self.buckets.insert(key, bucket);
            self.by_age.insert((now, key));
        }
        let Some(bucket) = self.buckets.get_mut(&key) else {
            return Verdict::Admit;
        };
        let elapsed = now.signed_duration_since(bucket.last).num_milliseconds();
        if elapsed > 0 {
            let gained = u64::try_from(elapsed)
                .unwrap_or(u64::MAX)
                .saturating_mul(u64::from(self.limits.rate_per_sec));
            bucket.tokens = bucket.tokens.saturating_add(gained).min(full);
        }
        if bucket.last != now {
            self.by_age.remove(&(bucket.last, key));
            bucket.last = now;
            self.by_age.insert((now, key));
        }
        if bucket.tokens >= MILLI {
            bucket.tokens -= MILLI;
            return Verdict::Admit;
        }
        let interval = self.limits.warn_interval;
        let warn = bucket.warned.is_none_or(|at| {
            let since = now.signed_duration_since(at);
            since >= interval || since < TimeDelta::zero()
        });
        if warn {
            bucket.warned = Some(now);
        }
        Verdict::Drop { warn }
    }

    fn evict_oldest(&mut self) {
        if let Some((_, key)) = self.by_age.pop_first() {
            self.buckets.remove(&key);
        }
    }
}

/// The address a bucket is kept under: IPv4 (and IPv4-mapped IPv6) as is, IPv6 by /64.
pub fn source_key(source: IpAddr) -> IpAddr {
    match source.to_canonical() {
        IpAddr::V6(a) => {
            let s = a.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("time")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn admitted(l: &mut RateLimiter, now: DateTime<Utc>, source: IpAddr, n: usize) -> usize {
        (0..n)
            .filter(|_| l.check(now, source) == Verdict::Admit)
            .count()
    }

    #[test]
    fn burst_then_steady_rate() {
        let mut l = RateLimiter::new(Limits::default());
        let a = ip("192.0.2.1");
        assert_eq!(admitted(&mut l, t0(), a, 100), BURST as usize);
        // One second later: RATE_PER_SEC more tokens.
        let t1 = t0() + TimeDelta::seconds(1);
        assert_eq!(admitted(&mut l, t1, a, 100), RATE_PER_SEC as usize);
        // 50 ms: one token.
        let t2 = t1 + TimeDelta::milliseconds(50);
        assert_eq!(admitted(&mut l, t2, a, 10), 1);
        // Quiet for a long time: the bucket is full again, not more.
        let t3 = t2 + TimeDelta::hours(1);
        assert_eq!(admitted(&mut l, t3, a, 100), BURST as usize);
    }

    #[test]
    fn sources_are_independent_and_ports_do_not_matter() {
        let mut l = RateLimiter::new(Limits::default());
        assert_eq!(admitted(&mut l, t0(), ip("192.0.2.1"), 100), 40);
        assert_eq!(admitted(&mut l, t0(), ip("192.0.2.2"), 10), 10);
        // IPv4-mapped IPv6 is the same source as the IPv4 address.
        assert_eq!(admitted(&mut l, t0(), ip("::ffff:192.0.2.1"), 1), 0);
        // One /64 is one source.
        assert_eq!(admitted(&mut l, t0(), ip("2001:db8::1"), 30), 30);
        assert_eq!(admitted(&mut l, t0(), ip("2001:db8::2"), 30), 10);
        assert_eq!(admitted(&mut l, t0(), ip("2001:db8:0:1::1"), 1), 1);
    }

    #[test]
    fn warns_once_per_interval() {
        let mut l = RateLimiter::new(Limits::default());
        let a = ip("192.0.2.1");
        admitted(&mut l, t0(), a, 40);
        assert_eq!(l.check(t0(), a), Verdict::Drop { warn: true });
        assert_eq!(l.check(t0(), a), Verdict::Drop { warn: false });
        let t = t0() + TimeDelta::seconds(9);
        admitted(&mut l, t, a, 1000);
        assert_eq!(l.check(t, a), Verdict::Drop { warn: false });
        let t = t0() + TimeDelta::seconds(10);
        let warnings = (0..1000)
            .filter(|_| l.check(t, a) == Verdict::Drop { warn: true })
            .count();
        assert_eq!(warnings, 1);
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_source_goes() {
        let limits = Limits {
            max_sources: 3,
            ..Limits::default()
        };
        let mut l = RateLimiter::new(limits);
        let t = |s| t0() + TimeDelta::seconds(s);
        admitted(&mut l, t(0), ip("192.0.2.1"), 40);
        admitted(&mut l, t(0), ip("192.0.2.2"), 40);
        admitted(&mut l, t(0), ip("192.0.2.3"), 40);
        // .1 is seen again, so .2 is now the oldest.
        assert_eq!(l.check(t(1), ip("192.0.2.1")), Verdict::Admit);
        for i in 4..=200 {
            admitted(&mut l, t(1), ip(&format!("192.0.2.{i}")), 1);
            assert!(l.len() <= 3);
        }
        assert_eq!(l.len(), 3);
        assert_eq!(l.by_age.len(), 3);
    }

    #[test]
    fn clock_stepping_back_refills_nothing() {
        let mut l = RateLimiter::new(Limits::default());
        let a = ip("192.0.2.1");
        admitted(&mut l, t0(), a, 40);
        let back = t0() - TimeDelta::hours(1);
        assert_eq!(admitted(&mut l, back, a, 10), 0);
    }
}
