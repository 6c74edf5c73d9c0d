//! The jitter buffer between RTP from the PBX and the line's playback, sans-IO.
//!
//! Packets are kept by sequence number and decoded as they come; the line takes one frame
//! each time it captures one ([`JitterBuffer::pop`]), so the sound card's clock drives the
//! playback. Playing starts once [`JitterBuffer::target`] frames are waiting. A missing
//! packet is concealed by repeating the last frame at half level; an empty buffer is an
//! underrun (silence, then buffering again).
//!
//! **Clock drift**: the PBX sends by its own clock and the sound card plays by its crystal;
//! the two differ by up to a few hundred ppm, so the buffer slowly fills or drains. When
//! more than `target + SLACK` frames have waited for a whole second, one frame is dropped;
//! a draining buffer ends in an underrun and refills to the target. Either costs 20 ms of
//! audio every minute or so at 300 ppm, which a listener does not notice.

use super::super::alsa_pcm::{Frame, FRAME};
use crate::media::g711::{self, Law};

/// How many frames the buffer holds (320 ms).
pub const CAPACITY: usize = 16;
/// Frames waited for before playing: 40 ms.
pub const TARGET: usize = 2;
/// Frames above the target tolerated before drift is corrected.
const SLACK: usize = 2;
/// Consecutive frames above `target + SLACK` before one frame is dropped (1 s).
const DRIFT_PATIENCE: u32 = 50;

/// What happened to the audio, for the line diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets taken in.
    pub received: u64,
    /// Packets that came after their turn (dropped).
    pub late: u64,
    /// Frames concealed because their packet was missing.
    pub concealed: u64,
    /// Frames dropped to correct clock drift.
    pub drift_drops: u64,
    /// Times the buffer ran empty while playing.
    pub underruns: u64,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    seq: u16,
    samples: Frame,
}

/// A jitter buffer for one call.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    slots: [Option<Slot>; CAPACITY],
    next: Option<u16>,
    playing: bool,
    target: usize,
    above: u32,
    last: Frame,
    stats: JitterStats,
}

impl Default for JitterBuffer {
    fn default() -> Self {
        JitterBuffer::new(TARGET)
    }
}

impl JitterBuffer {
    /// A buffer that waits for `target` frames (1..CAPACITY/2) before playing.
    pub fn new(target: usize) -> JitterBuffer {
        JitterBuffer {
            slots: [None; CAPACITY],
            next: None,
            playing: false,
            target: target.clamp(1, CAPACITY / 2),
            above: 0,
            last: [0; FRAME],
            stats: JitterStats::default(),
        }
    }

    /// The depth it waits for before playing, in frames.
    pub fn target(&self) -> usize {
        self.target
    }

    /// What happened so far.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Frames waiting.
    pub fn depth(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Takes in one packet's G.711 payload (20 ms; a longer one is cut, a shorter padded).
    pub fn push(&mut self, seq: u16, law: Law, payload: &[u8]) {
        self.stats.received += 1;
        if let Some(next) = self.next {
            let ahead = seq.wrapping_sub(next);
            if ahead >= 0x8000 && self.playing {
                self.stats.late += 1;
                return;
            }
            if ahead < 0x8000 && usize::from(ahead) >= CAPACITY {
                // Far ahead: the stream restarted (or a long gap); start again from here.
                self.clear();
            }
        }
        let mut samples = [0i16; FRAME];
        let n = payload.len().min(FRAME);
        g711::decode(law, &payload[..n], &mut samples[..n]);
        self.slots[usize::from(seq) % CAPACITY] = Some(Slot { seq, samples });
        let earliest = match self.next {
            Some(next) if !self.playing && seq.wrapping_sub(next) >= 0x8000 => seq,
            Some(next) => next,
            None => seq,
        };
        self.next = Some(earliest);
        if !self.playing && self.depth() >= self.target {
            self.playing = true;
        }
    }

    /// The next frame to play (one per frame the line captures).
    pub fn pop(&mut self, out: &mut Frame) {
        let Some(next) = self.next.filter(|_| self.playing) else {
            out.fill(0);
            return;
        };
        let index = usize::from(next) % CAPACITY;
        match self.slots[index].take() {
            Some(slot) if slot.seq == next => {
                *out = slot.samples;
                self.last = slot.samples;
            }
            other => {
                self.slots[index] = other.filter(|s| s.seq != next);
                if self.depth() == 0 {
                    self.stats.underruns += 1;
                    self.playing = false;
                    out.fill(0);
                    return;
                }
                self.stats.concealed += 1;
                for s in self.last.iter_mut() {
                    *s /= 2;
                }
                *out = self.last;
            }
        }
        self.next = Some(next.wrapping_add(1));
        self.correct_drift();
    }

    /// Drops one frame after the buffer has stayed too deep for a second.
    fn correct_drift(&mut self) {
        if self.depth() <= self.target + SLACK {
            self.above = 0;
            return;
        }
        self.above += 1;
        if self.above < DRIFT_PATIENCE {
            return;
        }
        self.above = 0;
        if let Some(next) = self.next {
            self.slots[usize::from(next) % CAPACITY] = None;
            self.next = Some(next.wrapping_add(1));
            self.stats.drift_drops += 1;
        }
    }

    /// Forgets every frame (a new call or a new stream).
    pub fn clear(&mut self) {
        self.slots = [None; CAPACITY];
        self.next = None;
        self.playing = false;
        self.above = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A packet whose samples all decode to about `level`.
    fn packet(level: i16) -> [u8; FRAME] {
        [Law::Alaw.encode(level); FRAME]
    }

    fn level(law_level: i16) -> i16 {
        Law::Alaw.decode(Law::Alaw.encode(law_level))
    }

    fn played(jb: &mut JitterBuffer, frames: usize) -> Vec<i16> {
        let mut out = [0; FRAME];
        (0..frames)
            .map(|_| {
                jb.pop(&mut out);
                out[0]
            })
            .collect()
    }

    #[test]
    fn playing_starts_at_the_target_depth_and_follows_the_sequence() {
        let mut jb = JitterBuffer::new(2);
        jb.push(10, Law::Alaw, &packet(1000));
        assert_eq!(played(&mut jb, 1), [0], "one frame is not enough");
        jb.push(11, Law::Alaw, &packet(2000));
        jb.push(12, Law::Alaw, &packet(3000));
        assert_eq!(played(&mut jb, 3), [level(1000), level(2000), level(3000)]);
    }

    #[test]
    fn reordered_packets_play_in_order_and_late_ones_are_dropped() {
        let mut jb = JitterBuffer::new(2);
        jb.push(101, Law::Alaw, &packet(2000));
        jb.push(100, Law::Alaw, &packet(1000));
        assert_eq!(played(&mut jb, 2), [level(1000), level(2000)]);
        jb.push(99, Law::Alaw, &packet(500));
        assert_eq!(jb.stats().late, 1);
    }

    #[test]
    fn a_lost_packet_is_concealed_and_an_empty_buffer_is_an_underrun() {
        let mut jb = JitterBuffer::new(2);
        jb.push(0, Law::Alaw, &packet(4000));
        jb.push(2, Law::Alaw, &packet(1000));
        let got = played(&mut jb, 4);
        assert_eq!(got[0], level(4000));
        assert_eq!(got[1], level(4000) / 2, "the missing packet 1 is concealed");
        assert_eq!(got[2], level(1000));
        assert_eq!(got[3], 0);
        let stats = jb.stats();
        assert_eq!((stats.concealed, stats.underruns), (1, 1));
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut jb = JitterBuffer::new(2);
        jb.push(65535, Law::Alaw, &packet(1000));
        jb.push(0, Law::Alaw, &packet(2000));
        assert_eq!(played(&mut jb, 2), [level(1000), level(2000)]);
    }

    /// A sender whose clock runs 1 % fast (one extra packet every 100 frames): the depth must
    /// stay bounded, every correction counted, instead of growing without end.
    #[test]
    fn a_fast_sender_is_kept_to_a_bounded_depth() {
        let mut jb = JitterBuffer::new(2);
        let mut seq = 0u16;
        let mut out = [0; FRAME];
        let mut deepest = 0;
        for frame in 0..3000 {
            let packets = if frame % 100 == 99 { 2 } else { 1 };
            for _ in 0..packets {
                jb.push(seq, Law::Alaw, &packet(1000));
                seq = seq.wrapping_add(1);
            }
            jb.pop(&mut out);
            deepest = deepest.max(jb.depth());
        }
        assert!(deepest <= TARGET + SLACK + 2, "depth reached {deepest}");
        assert!(jb.stats().drift_drops >= 20, "{:?}", jb.stats());
        assert_eq!(jb.stats().underruns, 0);
    }

    /// A slow sender (one packet missing every 100 frames) runs the buffer dry now and then;
    /// it refills to the target and plays on.
    #[test]
    fn a_slow_sender_underruns_and_recovers() {
        let mut jb = JitterBuffer::new(2);
        let mut seq = 0u16;
        let mut out = [0; FRAME];
        let mut silent = 0;
        for frame in 0..1000 {
            if frame % 100 != 99 {
                jb.push(seq, Law::Alaw, &packet(1000));
                seq = seq.wrapping_add(1);
            }
            jb.pop(&mut out);
            if frame > 10 && out[0] == 0 {
                silent += 1;
            }
        }
        assert!(jb.stats().underruns >= 1);
        assert!(silent <= 30, "{silent} silent frames");
    }
}
