//! A leg's outgoing RTP stream: one SSRC for the leg's life, and sequence numbers and
//! timestamps that run on across every change of what the leg hears (a player's frames,
//! then a bridged peer's packets, then music again, then another peer).
//!
//! Phones treat a new SSRC as a new stream: jitter buffers restart, and some (baresip) even
//! start a new recording. So whatever the source, a leg's packets leave with the leg's own
//! SSRC, the leg's own running sequence number, and a timestamp mapped from the source's:
//! `offset + source timestamp`, where `offset` is fixed at each change of source (an
//! [`Origin`]) so that the first packet of the new source follows on from the last packet
//! sent (see [`OutStream::stamp`]). A constant offset per source keeps the source's own
//! timing (its gaps, its silence suppression) and keeps the shared timestamp of all the
//! packets of one RFC 4733 telephone-event. The first packet after a change carries the
//! marker bit.
//!
//! Plain data, no I/O, no allocation: the relay path and the player clock call it under the
//! leg's state lock with the time of the packet.

use std::time::{Duration, Instant};

use super::rtp::Packet;
use super::LegId;

/// The RTP clock rate of everything Centrala sends (G.711 and its telephone-events).
pub const CLOCK_RATE: u32 = 8000;

/// Where the packets a leg is sent come from. A packet from another origin than the last
/// one starts a new timestamp mapping (and carries the marker bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Audio Centrala generates: one play (its id), with its own sample counter.
    Generated {
        /// Which play (a new play is a new source, even of the same sound).
        play: u64,
    },
    /// Packets relayed from a bridged peer leg, from one SSRC of its far end (a new SSRC on
    /// the same peer, after its phone was replaced by a transfer, is a new source).
    Relayed {
        /// The peer leg.
        peer: LegId,
        /// The SSRC the peer's far end sends.
        ssrc: u32,
    },
}

/// The header fields of one outgoing packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The leg's SSRC.
    pub ssrc: u32,
    /// The leg's next sequence number.
    pub seq: u16,
    /// The mapped timestamp.
    pub timestamp: u32,
    /// Set on the first packet of a new source, and where the source set it.
    pub marker: bool,
}

/// The current source and how its timestamps map onto the stream's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mapping {
    origin: Origin,
    /// Added (wrapping) to the source's timestamps.
    offset: u32,
}

/// The last audio packet sent: where a new source's timestamps continue from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    timestamp: u32,
    /// Its length in samples.
    samples: u32,
    at: Instant,
}

/// One leg's outgoing RTP stream (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutStream {
    ssrc: u32,
    next_seq: u16,
    /// The timestamp of the very first packet.
    first_timestamp: u32,
    mapping: Option<Mapping>,
    last: Option<Sent>,
    /// The next packet starts a new mapping whatever its origin.
    switched: bool,
}

impl OutStream {
    /// A stream with this SSRC, first sequence number and first timestamp.
    pub fn new(ssrc: u32, seq: u16, timestamp: u32) -> OutStream {
        OutStream {
            ssrc,
            next_seq: seq,
            first_timestamp: timestamp,
            mapping: None,
            last: None,
            switched: false,
        }
    }

    /// A stream with a random SSRC, first sequence number and first timestamp (RFC 3550
    /// §5.1), from the operating system's randomness, else from the clock.
    pub fn random() -> OutStream {
        let random = getrandom::u64().unwrap_or_else(|_| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map_or(0x5eed, |d| d.as_nanos() as u64)
        });
        OutStream::new(
            random as u32,
            (random >> 32) as u16,
            ((random >> 48) as u32) << 8,
        )
    }

    /// The leg's SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// What the leg hears changes: the next packet starts a new mapping and carries the
    /// marker, even from the same origin (a leg bridged again to the peer it had before
    /// its hold music).
    pub fn switch(&mut self) {
        self.switched = true;
    }

    /// The header of the next packet, from `origin`, whose source timestamp is
    /// `timestamp` and marker `marker`, `samples` long (0 for a telephone-event, whose
    /// length is not audio), sent at `now`.
    ///
    /// On a change of source the new mapping makes this packet's timestamp the last audio
    /// packet's timestamp plus the wall time since it was sent, in samples — at least that
    /// packet's length. Wall time rather than one frame: across a gap (a muted leg, a few
    /// lost packets at the switch) the timestamps keep matching the arrival times, so the
    /// receiver's jitter estimate and playout delay see no jump, and they never step back or
    /// overlap what was already played.
    pub fn stamp(
        &mut self,
        origin: Origin,
        timestamp: u32,
        marker: bool,
        samples: u32,
        now: Instant,
    ) -> Stamp {
        let new_source = self.switched || self.mapping.is_none_or(|m| m.origin != origin);
        let offset = match self.mapping {
            Some(m) if !new_source => m.offset,
            _ => {
                let offset = self.continuation(now).wrapping_sub(timestamp);
                self.mapping = Some(Mapping { origin, offset });
                self.switched = false;
                offset
            }
        };
        let stamp = Stamp {
            ssrc: self.ssrc,
            seq: self.next_seq,
            timestamp: timestamp.wrapping_add(offset),
            marker: marker || new_source,
        };
        self.next_seq = self.next_seq.wrapping_add(1);
        if samples > 0 {
            self.last = Some(Sent {
                timestamp: stamp.timestamp,
                samples,
                at: now,
            });
        }
        stamp
    }

    /// Rewrites a relayed packet's header in place for this stream: SSRC, sequence number,
    /// timestamp and marker (see [`OutStream::stamp`]). `audio`: whether it is audio (one
    /// sample per payload byte, G.711) rather than a telephone-event.
    pub fn restamp(&mut self, packet: &mut Packet<'_>, peer: LegId, audio: bool, now: Instant) {
        let layout = *packet.layout();
        let samples = if audio {
            u32::try_from(layout.payload_len()).unwrap_or(u32::MAX)
        } else {
            0
        };
        let origin = Origin::Relayed {
            peer,
            ssrc: layout.ssrc,
        };
        let stamp = self.stamp(origin, layout.timestamp, layout.marker, samples, now);
        packet.set_stamp(stamp.marker, stamp.seq, stamp.timestamp, stamp.ssrc);
    }

    /// Where a new source starts: after the last audio sent, by the wall time since (at
    /// least its length); the first timestamp when nothing was sent yet.
    fn continuation(&self, now: Instant) -> u32 {
        let Some(last) = self.last else {
            return self.first_timestamp;
        };
        let elapsed = samples_in(now.saturating_duration_since(last.at));
        last.timestamp.wrapping_add(elapsed.max(last.samples))
    }
}

/// The samples at [`CLOCK_RATE`] in `d` (saturating).
fn samples_in(d: Duration) -> u32 {
    let samples = d.as_micros() * u128::from(CLOCK_RATE) / 1_000_000;
    u32::try_from(samples).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
