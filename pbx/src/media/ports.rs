//! RTP port allocation (placeholder until the media branch's pool lands).

use std::collections::BTreeSet;

use firmware_config::system::PortRange;

/// Even RTP ports of a range, handed out round-robin.
#[derive(Debug, Clone)]
pub struct PortPool {
    first: u16,
    last: u16,
    next: u16,
    used: BTreeSet<u16>,
}

impl PortPool {
    /// A pool over `range`.
    pub fn new(range: PortRange) -> PortPool {
        let first = range.first + range.first % 2;
        PortPool {
            first,
            last: range.last,
            next: first,
            used: BTreeSet::new(),
        }
    }

    /// A free even port.
    pub fn allocate(&mut self) -> Option<u16> {
        let span = (self.last.saturating_sub(self.first) / 2) as usize + 1;
        for _ in 0..span {
            let p = self.next;
            self.next = if p.saturating_add(2) > self.last {
                self.first
            } else {
                p + 2
            };
            if p < self.last && self.used.insert(p) {
                return Some(p);
            }
        }
        None
    }

    /// Gives a port back.
    pub fn release(&mut self, port: u16) {
        self.used.remove(&port);
    }

    /// Never hands this port out again.
    pub fn mark_bad(&mut self, port: u16) {
        self.used.insert(port);
    }

    /// Ports in use.
    pub fn in_use(&self) -> usize {
        self.used.len()
    }
}
