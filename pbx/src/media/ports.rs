//! The RTP port pool: which local UDP ports the call layer may give to new legs.
//!
//! Plain data, no sockets: the call layer allocates a port, sends [`super::Command::Open`] and
//! releases the port when the leg closes. Only even ports are handed out (RTP convention,
//! RFC 3550 §11): the odd port above each one is left for RTCP and never handed out, and an
//! even port whose RTCP neighbour falls outside the range is not used either.
//!
//! Free ports are handed out round-robin (a queue: released ports go to the back), so a port
//! that was just freed is the last to be used again and late packets of an ended call do not
//! land in a new one.
//!
//! A port another process holds (its `Open` failed) is [`PortPool::mark_bad`]: it is left out
//! of the rotation until the call layer [`PortPool::release`]s it (or calls
//! [`PortPool::retry_bad`], e.g. every few minutes) to give it another chance.

use std::collections::VecDeque;

use firmware_config::system::PortRange;

/// What the pool knows of one even port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// In the free queue.
    Free,
    /// Handed out.
    InUse,
    /// Held by someone else; out of the rotation until released. `queued`: its index still
    /// sits in the free queue (it was free when marked), where `allocate` skips it.
    Bad {
        /// Whether the free queue still holds the index.
        queued: bool,
    },
}

/// The pool of even RTP ports in an inclusive range. Every operation is O(1) (amortised).
#[derive(Debug, Clone)]
pub struct PortPool {
    /// The first even port of the pool.
    base: u16,
    /// One entry per even port: `base + 2 * index`.
    slots: Vec<Slot>,
    /// Free slot indices, oldest-freed first. May hold stale indices of bad slots.
    free: VecDeque<u16>,
    /// How many slots are [`Slot::InUse`].
    in_use: usize,
}

impl PortPool {
    /// A pool of every even port `p` with `first <= p` and `p + 1 <= last` (port 0 excluded).
    /// An empty or inverted range gives an empty pool.
    pub fn new(range: PortRange) -> PortPool {
        let first = range.first.max(2);
        let base = first.saturating_add(first % 2);
        let count = if range.last > base {
            usize::from((range.last - base - 1) / 2) + 1
        } else {
            0
        };
        PortPool {
            base,
            slots: vec![Slot::Free; count],
            // count ≤ 32767, so every index fits a u16.
            free: (0..count).filter_map(|i| u16::try_from(i).ok()).collect(),
            in_use: 0,
        }
    }

    /// Hands out the free port that has been free the longest, or `None` when all are in use
    /// or bad.
    pub fn allocate(&mut self) -> Option<u16> {
        while let Some(index) = self.free.pop_front() {
            let slot = &mut self.slots[usize::from(index)];
            match *slot {
                Slot::Free => {
                    *slot = Slot::InUse;
                    self.in_use += 1;
                    return Some(self.port(index));
                }
                Slot::Bad { .. } => *slot = Slot::Bad { queued: false },
                Slot::InUse => {}
            }
        }
        None
    }

    /// Gives a port back (an in-use one, or a bad one for another try). Returns whether it
    /// was in use or bad; a free port or one outside the pool is ignored.
    pub fn release(&mut self, port: u16) -> bool {
        let Some(index) = self.index(port) else {
            return false;
        };
        let slot = &mut self.slots[usize::from(index)];
        let requeue = match *slot {
            Slot::Free => return false,
            Slot::InUse => {
                self.in_use -= 1;
                true
            }
            Slot::Bad { queued } => !queued,
        };
        *slot = Slot::Free;
        if requeue {
            self.free.push_back(index);
        }
        true
    }

    /// Takes a port out of the rotation because another process holds it (call this instead
    /// of [`PortPool::release`] after `Event::OpenFailed`). It stays out until released.
    /// Returns whether the port belongs to the pool.
    pub fn mark_bad(&mut self, port: u16) -> bool {
        let Some(index) = self.index(port) else {
            return false;
        };
        let slot = &mut self.slots[usize::from(index)];
        *slot = match *slot {
            Slot::InUse => {
                self.in_use -= 1;
                Slot::Bad { queued: false }
            }
            // A free slot keeps its queue entry; `allocate` skips it while bad.
            Slot::Free => Slot::Bad { queued: true },
            bad @ Slot::Bad { .. } => bad,
        };
        true
    }

    /// Returns every bad port to the rotation (at the back of the queue); returns how many.
    pub fn retry_bad(&mut self) -> usize {
        let bad: Vec<u16> = (0..self.slots.len())
            .filter(|i| matches!(self.slots[*i], Slot::Bad { .. }))
            .filter_map(|i| u16::try_from(i).ok())
            .collect();
        for index in &bad {
            self.release(self.port(*index));
        }
        bad.len()
    }

    /// How many ports are handed out.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    /// How many ports the pool has in all (free, in use and bad).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn port(&self, index: u16) -> u16 {
        self.base + 2 * index
    }

    fn index(&self, port: u16) -> Option<u16> {
        if port < self.base || !(port - self.base).is_multiple_of(2) {
            return None;
        }
        let index = (port - self.base) / 2;
        (usize::from(index) < self.slots.len()).then_some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(first: u16, last: u16) -> PortPool {
        PortPool::new(PortRange { first, last })
    }

    #[test]
    fn hands_out_even_ports_whose_rtcp_port_is_in_range() {
        let mut p = pool(10001, 10008);
        let mut got = Vec::new();
        while let Some(port) = p.allocate() {
            got.push(port);
        }
        assert_eq!(got, vec![10002, 10004, 10006]);
        assert_eq!(p.in_use(), 3);
        assert_eq!(p.capacity(), 3);
        assert_eq!(pool(10000, 10001).capacity(), 1);
        assert_eq!(pool(10000, 10000).capacity(), 0);
        assert_eq!(pool(20000, 10000).capacity(), 0);
        assert_eq!(pool(0, 5).capacity(), 2); // 2 and 4, never 0
        assert_eq!(pool(65534, 65535).allocate(), Some(65534));
        assert_eq!(pool(0, 65535).capacity(), 32767);
    }

    #[test]
    fn a_released_port_goes_to_the_back() {
        let mut p = pool(10000, 10007);
        let a = p.allocate();
        assert_eq!(a, Some(10000));
        assert!(p.release(10000));
        assert!(!p.release(10000), "double release is ignored");
        assert_eq!(p.allocate(), Some(10002));
        assert_eq!(p.allocate(), Some(10004));
        assert_eq!(p.allocate(), Some(10006));
        assert_eq!(p.allocate(), Some(10000));
        assert_eq!(p.allocate(), None);
        assert_eq!(p.in_use(), 4);
    }

    #[test]
    fn foreign_ports_are_ignored() {
        let mut p = pool(10000, 10007);
        assert!(!p.release(10001));
        assert!(!p.release(9998));
        assert!(!p.release(10008));
        assert!(!p.mark_bad(10003));
        assert_eq!(p.in_use(), 0);
    }

    #[test]
    fn bad_ports_stay_out_until_released() {
        let mut p = pool(10000, 10005);
        assert_eq!(p.allocate(), Some(10000));
        assert!(p.mark_bad(10000));
        assert_eq!(p.in_use(), 0);
        assert!(p.mark_bad(10002)); // a free one
        assert_eq!(p.allocate(), Some(10004));
        assert_eq!(p.allocate(), None);
        assert_eq!(p.retry_bad(), 2);
        assert_eq!(p.allocate(), Some(10000));
        assert_eq!(p.allocate(), Some(10002));
        assert_eq!(p.in_use(), 3);
    }

    #[test]
    fn marking_a_free_port_bad_and_releasing_it_does_not_duplicate_it() {
        let mut p = pool(10000, 10003);
        for _ in 0..5 {
            assert!(p.mark_bad(10000));
            assert!(p.release(10000));
        }
        assert_eq!(p.free.len(), 2, "the queue does not grow");
        assert_eq!(p.allocate(), Some(10000));
        assert_eq!(p.allocate(), Some(10002));
        assert_eq!(p.allocate(), None);
    }

    #[test]
    fn random_operations_keep_the_books_straight() {
        let mut p = pool(10000, 10019);
        let mut held = std::collections::BTreeSet::new();
        let mut x = 12345u32;
        for _ in 0..10_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let port = 10000 + 2 * ((x >> 8) % 11) as u16;
            match (x >> 20) % 3 {
                0 => {
                    if let Some(got) = p.allocate() {
                        assert!(held.insert(got), "{got} handed out twice");
                    }
                }
                1 => {
                    p.release(port);
                    held.remove(&port);
                }
                _ => {
                    p.mark_bad(port);
                    held.remove(&port);
                }
            }
            assert_eq!(p.in_use(), held.len());
            assert!(p.free.len() <= p.capacity());
        }
    }
}
