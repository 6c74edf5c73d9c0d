//! The line's echo path as the canceller must see it: what was written to the playback PCM
//! reaches the line only after what the sound card holds has played out (the playback buffer
//! holds [`START_PERIODS`] periods after each write, 40 ms), and the hybrid's echo of it comes
//! back in a later capture. So the played audio is delayed by one period less than that
//! (20 ms: the margin for the two streams' start not being aligned) before it is the
//! canceller's reference; the canceller's 64 ms tail then covers 20–84 ms after the write.

use super::alsa_pcm::{FRAME, START_PERIODS};
use super::dsp::echo::{EchoCanceller, EchoConfig};

/// The bulk delay of the ALSA path assumed, in samples (see the module's note).
pub const BULK_DELAY: usize = FRAME * (START_PERIODS - 1);

/// The delayed reference and the canceller.
#[derive(Debug)]
pub struct EchoPath {
    canceller: EchoCanceller,
    /// Played samples not yet heard back: a ring of `delay + FRAME` samples.
    ring: Vec<i16>,
    /// Where the next played sample goes.
    write: usize,
    delay: usize,
    reference: [i16; FRAME],
}

impl EchoPath {
    /// An echo path whose bulk delay is `delay` samples.
    pub fn new(delay: usize) -> EchoPath {
        EchoPath {
            canceller: EchoCanceller::new(EchoConfig::default()),
            ring: vec![0; delay + FRAME],
            write: 0,
            delay,
            reference: [0; FRAME],
        }
    }

    /// `frame` was written to the playback PCM.
    pub fn played(&mut self, frame: &[i16]) {
        for &s in frame {
            self.ring[self.write] = s;
            self.write = (self.write + 1) % self.ring.len();
        }
    }

    /// The captured `frame` without the echo of what was played `delay` samples earlier.
    pub fn clean(&mut self, captured: &[i16], out: &mut [i16]) {
        let n = captured.len().min(out.len()).min(FRAME);
        let len = self.ring.len();
        // The sample played `delay` samples before the first of these was captured.
        let start = (self.write + len - (self.delay % len) - n % len) % len;
        for (i, r) in self.reference[..n].iter_mut().enumerate() {
            *r = self.ring[(start + i) % len];
        }
        self.canceller
            .process(&self.reference[..n], &captured[..n], &mut out[..n]);
    }

    /// The canceller's echo return loss enhancement now, in dB (for the diagnostics).
    pub fn erle_db(&self) -> Option<f32> {
        self.canceller.erle_db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic speech-like test signal: noise shaped by a slowly varying envelope.
    fn talk(n: usize) -> Vec<i16> {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        (0..n)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let white = ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
                let envelope = 0.5 + 0.5 * ((i as f32) / 2400.0).sin().abs();
                (white * envelope * 8000.0) as i16
            })
            .collect()
    }

    /// Plays `far` frame by frame through a line whose hybrid echoes it back `delay` samples
    /// later at -10 dB with a short tail; returns the echo's and the residual's energy over
    /// the last second.
    fn run(delay: usize, compensated: usize) -> (f64, f64) {
        let far = talk(8000 * 8);
        let mut path = EchoPath::new(compensated);
        let (mut echo_energy, mut residual_energy) = (0f64, 0f64);
        let mut out = [0i16; FRAME];
        for (f, chunk) in far.chunks(FRAME).enumerate() {
            path.played(chunk);
            let start = f * FRAME;
            let captured: Vec<i16> = (start..start + chunk.len())
                .map(|t| {
                    let at = |d: usize| {
                        t.checked_sub(delay + d)
                            .map(|i| f32::from(far[i]))
                            .unwrap_or(0.0)
                    };
                    (0.3 * at(0) + 0.1 * at(8) - 0.05 * at(20)) as i16
                })
                .collect();
            path.clean(&captured, &mut out);
            if start >= far.len() - 8000 {
                echo_energy += captured.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>();
                residual_energy += out.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>();
            }
        }
        (echo_energy, residual_energy)
    }

    fn erle(delay: usize, compensated: usize) -> f64 {
        let (echo, residual) = run(delay, compensated);
        10.0 * (echo / residual.max(1.0)).log10()
    }

    #[test]
    fn the_bulk_delay_is_taken_out_so_the_canceller_reaches_the_echo() {
        use crate::line::alsa_pcm::PERIODS;
        // The steady state: the echo comes two periods after the write; one more period when
        // the capture and playback streams started a period apart.
        let with = erle(FRAME * START_PERIODS, BULK_DELAY);
        let late = erle(FRAME * (START_PERIODS + 1), BULK_DELAY);
        assert!(
            with > 20.0,
            "ERLE {with:.1} dB with the bulk delay compensated"
        );
        assert!(late > 20.0, "ERLE {late:.1} dB a period later");
        // An echo a whole buffer late (80 ms) is beyond the 64 ms tail without compensation.
        let without = erle(FRAME * PERIODS, 0);
        println!(
            "ERLE with the bulk delay compensated {with:.1} dB, a period later {late:.1} dB, \
             a buffer late without compensation {without:.1} dB"
        );
        assert!(without < 6.0, "ERLE {without:.1} dB without compensation");
    }
}
