//! A Goertzel filter bank: the DFT of consecutive fixed-length blocks of samples at a few
//! chosen frequencies, computed sample by sample (one multiply and two adds per frequency
//! per sample), plus each block's energy. Cheaper than an FFT when only a handful of
//! frequencies matter, and the frequencies need not sit on FFT bins.
//!
//! Each block's result is the complex DFT value `X(ω) = Σ x[n]·e^(−jωn)`, `n` counted from
//! the block's first sample, so detectors can combine consecutive blocks coherently (a
//! longer, more selective window) or compare their phases (a frequency estimate).

use std::f32::consts::TAU;
use std::ops::{Add, Mul};

use super::SAMPLE_RATE;

/// A complex number, as small as the filters need.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Phasor {
    /// Real part.
    pub re: f32,
    /// Imaginary part.
    pub im: f32,
}

impl Phasor {
    /// Zero.
    pub const ZERO: Phasor = Phasor { re: 0.0, im: 0.0 };

    /// The unit phasor `e^(j·angle)`.
    pub fn from_angle(angle: f32) -> Phasor {
        let (im, re) = angle.sin_cos();
        Phasor { re, im }
    }

    /// The complex conjugate.
    pub fn conj(self) -> Phasor {
        Phasor {
            re: self.re,
            im: -self.im,
        }
    }

    /// |z|².
    pub fn norm_sqr(self) -> f32 {
        self.re * self.re + self.im * self.im
    }

    /// |z|.
    pub fn abs(self) -> f32 {
        self.norm_sqr().sqrt()
    }

    /// The angle, in (−π, π].
    pub fn arg(self) -> f32 {
        self.im.atan2(self.re)
    }

    /// `z / |z|`, or 1 for zero.
    pub fn unit(self) -> Phasor {
        let n = self.abs();
        if n > 0.0 {
            Phasor {
                re: self.re / n,
                im: self.im / n,
            }
        } else {
            Phasor { re: 1.0, im: 0.0 }
        }
    }
}

impl Add for Phasor {
    type Output = Phasor;
    fn add(self, o: Phasor) -> Phasor {
        Phasor {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }
}

impl Mul for Phasor {
    type Output = Phasor;
    fn mul(self, o: Phasor) -> Phasor {
        Phasor {
            re: self.re * o.re - self.im * o.im,
            im: self.re * o.im + self.im * o.re,
        }
    }
}

/// One frequency's recursive filter.
#[derive(Debug, Clone, Copy)]
struct Filter {
    /// 2·cos ω.
    coeff: f32,
    /// e^(−jω): the last two states give `s1 − e^(−jω)·s2`.
    step: Phasor,
    /// e^(−jω(M−1)), moving the result's phase reference to the block's first sample.
    align: Phasor,
    s1: f32,
    s2: f32,
}

impl Filter {
    fn new(freq: f32, block: usize) -> Filter {
        let w = TAU * freq / SAMPLE_RATE as f32;
        Filter {
            coeff: 2.0 * w.cos(),
            step: Phasor::from_angle(-w),
            align: Phasor::from_angle(-w * (block as f32 - 1.0)),
            s1: 0.0,
            s2: 0.0,
        }
    }

    #[inline]
    fn push(&mut self, x: f32) {
        let s0 = x + self.coeff * self.s1 - self.s2;
        self.s2 = self.s1;
        self.s1 = s0;
    }

    /// The block's DFT value; resets the filter.
    fn take(&mut self) -> Phasor {
        let y = Phasor {
            re: self.s1 - self.step.re * self.s2,
            im: -self.step.im * self.s2,
        };
        self.s1 = 0.0;
        self.s2 = 0.0;
        y * self.align
    }
}

/// The result of one block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Block<const N: usize> {
    /// The block's DFT at each of the bank's frequencies, phase referenced to the block's
    /// first sample. A sine `A·cos(ωn + θ)` at exactly the frequency gives `A·M/2·e^(jθ)`.
    pub bins: [Phasor; N],
    /// Σ x² over the block.
    pub energy: f32,
}

impl<const N: usize> Default for Block<N> {
    fn default() -> Self {
        Block {
            bins: [Phasor::ZERO; N],
            energy: 0.0,
        }
    }
}

/// `N` Goertzel filters over consecutive blocks of a fixed length.
#[derive(Debug, Clone)]
pub struct Bank<const N: usize> {
    filters: [Filter; N],
    block: usize,
    filled: usize,
    energy: f32,
}

impl<const N: usize> Bank<N> {
    /// A bank at `freqs` (Hz) over blocks of `block` samples (at least 1).
    pub fn new(freqs: [f32; N], block: usize) -> Bank<N> {
        let block = block.max(1);
        Bank {
            filters: freqs.map(|f| Filter::new(f, block)),
            block,
            filled: 0,
            energy: 0.0,
        }
    }

    /// The block length in samples.
    pub fn block_len(&self) -> usize {
        self.block
    }

    /// Feeds one sample; returns the block it completes, if it does.
    #[inline]
    pub fn push(&mut self, sample: i16) -> Option<Block<N>> {
        let x = f32::from(sample);
        for f in &mut self.filters {
            f.push(x);
        }
        self.energy += x * x;
        self.filled += 1;
        if self.filled < self.block {
            return None;
        }
        self.filled = 0;
        let energy = std::mem::take(&mut self.energy);
        let mut bins = [Phasor::ZERO; N];
        for (bin, f) in bins.iter_mut().zip(&mut self.filters) {
            *bin = f.take();
        }
        Some(Block { bins, energy })
    }
}

/// The mean power (mean square) of the component at `freq` in `samples`, from one Goertzel
/// filter over the whole slice: about `A²/2` for a sine of amplitude `A` at that frequency.
pub fn tone_power(samples: &[i16], freq: f32) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut f = Filter::new(freq, samples.len());
    for &x in samples {
        f.push(f32::from(x));
    }
    let n = samples.len() as f32;
    2.0 * f.take().norm_sqr() / (n * n)
}

/// The mean power (mean square) of `samples`.
pub fn mean_power(samples: &[i16]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    (sum / samples.len() as f64) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amp: f32, phase: f32, len: usize) -> Vec<i16> {
        (0..len)
            .map(|n| (amp * (TAU * freq * n as f32 / SAMPLE_RATE as f32 + phase).cos()) as i16)
            .collect()
    }

    #[test]
    fn a_bin_gives_amplitude_and_phase_of_a_sine_on_its_frequency() {
        let mut bank = Bank::new([697.0, 1209.0, 1000.0], 160);
        let x = sine(697.0, 10_000.0, 0.7, 160);
        let block = x.iter().filter_map(|&s| bank.push(s)).last();
        let block = block.expect("one block");
        let b = block.bins[0];
        assert!(
            (b.abs() - 10_000.0 * 80.0).abs() < 0.01 * 800_000.0,
            "{b:?}"
        );
        assert!((b.arg() - 0.7).abs() < 0.02, "phase {}", b.arg());
        // The other bins see little of it.
        assert!(block.bins[1].abs() < 0.05 * b.abs());
        assert!(block.bins[2].abs() < 0.05 * b.abs());
        let energy: f32 = x.iter().map(|&s| f32::from(s).powi(2)).sum();
        assert!((block.energy - energy).abs() < 1e-3 * energy);
    }

    #[test]
    fn consecutive_blocks_advance_in_phase_by_the_frequency() {
        // A sine 20 Hz above the bin: each 40-sample block turns by 2π·20·40/8000 more
        // than the bin's own advance.
        let mut bank = Bank::new([1000.0], 40);
        let x = sine(1020.0, 8000.0, 0.0, 80);
        let blocks: Vec<_> = x.iter().filter_map(|&s| bank.push(s)).collect();
        assert_eq!(blocks.len(), 2);
        let nominal = Phasor::from_angle(-TAU * 1000.0 * 40.0 / 8000.0);
        let turn = (blocks[1].bins[0] * blocks[0].bins[0].conj() * nominal).arg();
        let expected = TAU * 20.0 * 40.0 / 8000.0;
        // (Within the leakage of the negative-frequency image through a 40-sample block.)
        assert!((turn - expected).abs() < 0.03, "{turn} vs {expected}");
    }

    #[test]
    fn tone_power_is_the_mean_square_of_the_component() {
        let x = sine(425.0, 6000.0, 0.3, 800);
        let p = tone_power(&x, 425.0);
        assert!((p / 18_000_000.0 - 1.0).abs() < 0.02, "{p}");
        assert!(tone_power(&x, 600.0) < 0.01 * p);
        assert!((mean_power(&x) / 18_000_000.0 - 1.0).abs() < 0.02);
        assert_eq!(tone_power(&[], 425.0), 0.0);
    }
}
