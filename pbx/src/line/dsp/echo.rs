//! Adaptive line echo canceller for the FXO hybrid: what we play to the line (the far end,
//! i.e. the SIP side's voice) leaks back into what we capture from it, delayed and filtered
//! by the 2-to-4-wire hybrid and the line. The canceller models that echo path with an FIR
//! filter adapted by NLMS (normalised least mean squares) and subtracts its estimate from
//! the capture before it goes to SIP.
//!
//! - **Tail**: [`EchoConfig::taps`] coefficients, 512 by default = 64 ms at 8 kHz, which
//!   covers the hybrid's impulse response plus the bulk delay of the sound card's buffers.
//! - **Double talk**: the Geigel detector declares double talk when the capture's magnitude
//!   exceeds [`EchoConfig::geigel_threshold`] × the far end's peak magnitude over the tail
//!   (0.5 assumes the hybrid loses at least 6 dB); adaptation is frozen then and for
//!   [`EchoConfig::hangover`] samples after, so the near-end talker does not make the filter
//!   diverge. Cancellation continues with the frozen filter.
//! - **ERLE**: [`ErleMeter`] tracks echo return loss enhancement (capture power over residual
//!   power) while the far end talks alone, for the console's line diagnostics.
//!
//! No allocation after [`EchoCanceller::new`]; time is counted in samples. There is no
//! non-linear processor (residual echo suppression) or comfort noise yet.

/// Samples per block of the far-end peak tracker used by the Geigel detector.
const PEAK_BLOCK: usize = 16;

/// Tuning of the canceller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EchoConfig {
    /// Filter length in samples (the echo tail it can cancel); 512 = 64 ms.
    pub taps: usize,
    /// NLMS step size, 0 < step < 2; larger converges faster but leaves more misadjustment.
    pub step: f32,
    /// Geigel threshold: double talk when |near| > threshold × max |far| over the tail.
    pub geigel_threshold: f32,
    /// Samples adaptation stays frozen after double talk was last detected (240 = 30 ms).
    pub hangover: u32,
    /// Far-end power (mean square, full scale = 1.0) below which the filter does not adapt:
    /// there is nothing to learn the echo path from.
    pub min_far_power: f32,
}

impl Default for EchoConfig {
    /// 64 ms tail, step 0.5, 6 dB Geigel threshold, 30 ms hangover, adaptation above -60 dBFS.
    fn default() -> Self {
        EchoConfig {
            taps: 512,
            step: 0.5,
            geigel_threshold: 0.5,
            hangover: 240,
            min_far_power: 1e-6,
        }
    }
}

/// Echo return loss enhancement meter: exponentially smoothed power of the echo-bearing
/// capture and of the canceller's residual, compared in dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErleMeter {
    alpha: f32,
    near: f32,
    residual: f32,
}

impl ErleMeter {
    /// A meter averaging over about `window` samples (e.g. 4000 = 0.5 s at 8 kHz).
    pub fn new(window: u32) -> Self {
        ErleMeter {
            alpha: 1.0 / window.max(1) as f32,
            near: 0.0,
            residual: 0.0,
        }
    }

    /// Adds one sample of the capture (`near`, echo included) and of the residual.
    pub fn update(&mut self, near: f32, residual: f32) {
        self.near += (near * near - self.near) * self.alpha;
        self.residual += (residual * residual - self.residual) * self.alpha;
    }

    /// ERLE in dB (capture power over residual power), or `None` before any signal.
    pub fn erle_db(&self) -> Option<f32> {
        (self.near > 0.0).then(|| 10.0 * (self.near / self.residual.max(1e-12)).log10())
    }
}

/// The NLMS echo canceller with Geigel double-talk detection.
#[derive(Debug, Clone)]
pub struct EchoCanceller {
    cfg: EchoConfig,
    /// Filter taps; `h[k]` weighs the far-end sample from `k` samples ago.
    h: Vec<f32>,
    /// Far-end history, doubled so that the last `taps` samples are always the contiguous
    /// slice `x[pos..pos + taps]`, newest first.
    x: Vec<f32>,
    pos: usize,
    /// Sum of squares of the far-end history (recomputed once per tail to stop drift).
    energy: f64,
    since_recompute: usize,
    /// Far-end peak magnitude per block of [`PEAK_BLOCK`] samples, as a ring, and the block
    /// being filled.
    peaks: Vec<f32>,
    peak_pos: usize,
    block_peak: f32,
    block_fill: usize,
    /// Samples of adaptation freeze left.
    hold: u32,
    double_talk: bool,
    /// Running scale of the residual for [`EchoCanceller::robust_error`].
    scale: f32,
    erle: ErleMeter,
    samples: u64,
}

impl EchoCanceller {
    /// A canceller with an all-zero filter (passes the capture through until it learns).
    /// A `taps` of 0 is raised to 1; `step` is clamped into (0, 2).
    pub fn new(cfg: EchoConfig) -> Self {
        let taps = cfg.taps.max(1);
        let cfg = EchoConfig {
            taps,
            step: cfg.step.clamp(1e-4, 1.99),
            ..cfg
        };
        EchoCanceller {
            h: vec![0.0; taps],
            x: vec![0.0; 2 * taps],
            pos: 0,
            energy: 0.0,
            since_recompute: 0,
            peaks: vec![0.0; taps.div_ceil(PEAK_BLOCK)],
            peak_pos: 0,
            block_peak: 0.0,
            block_fill: 0,
            hold: 0,
            double_talk: false,
            scale: 0.1,
            erle: ErleMeter::new(4000),
            samples: 0,
            cfg,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &EchoConfig {
        &self.cfg
    }

    /// Cancels one frame: `far` is what was played to the line, `near` what was captured at
    /// the same instants; the echo-free capture goes to `out`. Processes as many samples as
    /// the shortest of the three slices holds and returns that count.
    pub fn process(&mut self, far: &[i16], near: &[i16], out: &mut [i16]) -> usize {
        let n = far.len().min(near.len()).min(out.len());
        for ((&f, &c), o) in far.iter().zip(near).zip(out.iter_mut()) {
            let e = self.process_sample(f32::from(f) / 32768.0, f32::from(c) / 32768.0);
            *o = (e * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        }
        n
    }

    /// Cancels one sample (full scale = 1.0); returns the residual.
    pub fn process_sample(&mut self, far: f32, near: f32) -> f32 {
        self.push_far(far);
        let window = &self.x[self.pos..self.pos + self.cfg.taps];
        let estimate: f32 = self.h.iter().zip(window).map(|(h, x)| h * x).sum();
        let residual = near - estimate;
        self.detect_double_talk(near);
        let power = (self.energy / self.cfg.taps as f64) as f32;
        let far_active = power > self.cfg.min_far_power;
        if far_active && !self.double_talk {
            let clipped = self.robust_error(residual);
            self.adapt(clipped);
            self.erle.update(near, residual);
        }
        self.samples += 1;
        residual
    }

    /// Whether double talk is currently declared (adaptation frozen).
    pub fn double_talk(&self) -> bool {
        self.double_talk
    }

    /// ERLE over the last half second or so of far-end single talk.
    pub fn erle_db(&self) -> Option<f32> {
        self.erle.erle_db()
    }

    /// The current echo path estimate, `taps()[k]` for a delay of `k` samples.
    pub fn taps(&self) -> &[f32] {
        &self.h
    }

    /// Samples processed since [`EchoCanceller::new`] or the last reset.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Forgets the learned echo path and all history (e.g. on a new call).
    pub fn reset(&mut self) {
        self.h.fill(0.0);
        self.x.fill(0.0);
        self.peaks.fill(0.0);
        self.pos = 0;
        self.energy = 0.0;
        self.since_recompute = 0;
        self.peak_pos = 0;
        self.block_peak = 0.0;
        self.block_fill = 0;
        self.hold = 0;
        self.double_talk = false;
        self.scale = 0.1;
        self.erle = ErleMeter::new(4000);
        self.samples = 0;
    }

    /// Shifts `far` into the history (newest at `pos`) and updates energy and peaks.
    fn push_far(&mut self, far: f32) {
        let taps = self.cfg.taps;
        self.pos = if self.pos == 0 {
            taps - 1
        } else {
            self.pos - 1
        };
        // The slot being overwritten holds the sample that just left the tail.
        let oldest = self.x[self.pos];
        self.x[self.pos] = far;
        self.x[self.pos + taps] = far;
        self.energy += f64::from(far) * f64::from(far) - f64::from(oldest) * f64::from(oldest);
        self.since_recompute += 1;
        if self.since_recompute >= taps {
            self.since_recompute = 0;
            let window = &self.x[self.pos..self.pos + taps];
            self.energy = window.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        }
        self.block_peak = self.block_peak.max(far.abs());
        self.block_fill += 1;
        if self.block_fill == PEAK_BLOCK {
            self.peaks[self.peak_pos] = self.block_peak;
            self.peak_pos = (self.peak_pos + 1) % self.peaks.len();
            self.block_peak = 0.0;
            self.block_fill = 0;
        }
    }

    /// Geigel: near-end louder than the echo could be means someone talks on the line.
    fn detect_double_talk(&mut self, near: f32) {
        let far_peak = self.peaks.iter().fold(self.block_peak, |m, &p| m.max(p));
        if near.abs() > self.cfg.geigel_threshold * far_peak {
            self.hold = self.cfg.hangover;
        } else {
            self.hold = self.hold.saturating_sub(1);
        }
        self.double_talk = self.hold > 0;
    }

    /// Clips the residual used for adaptation to twice its running scale, and tracks that
    /// scale from the clipped values: the onset of near-end speech that the Geigel detector
    /// misses (soft syllable starts) moves the filter by no more than ordinary residual echo
    /// would, while a real change of the echo path still grows the scale within a few tens
    /// of milliseconds and is re-learned (robust NLMS after Gänsler et al.).
    fn robust_error(&mut self, residual: f32) -> f32 {
        let limit = 2.0 * self.scale;
        let clipped = residual.clamp(-limit, limit);
        self.scale += (clipped.abs().max(1e-5) - self.scale) * 0.004;
        clipped
    }

    /// NLMS: h += step · e · x / (‖x‖² + δ).
    fn adapt(&mut self, residual: f32) {
        let taps = self.cfg.taps;
        let delta = taps as f64 * 1e-6;
        let gain = (f64::from(self.cfg.step) * f64::from(residual) / (self.energy + delta)) as f32;
        let window = &self.x[self.pos..self.pos + taps];
        for (h, x) in self.h.iter_mut().zip(window) {
            *h += gain * x;
        }
    }
}

#[cfg(test)]
mod tests;
