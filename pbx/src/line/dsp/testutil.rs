//! Test signals for the DSP tests: sines, white noise, silence, and audio from the
//! independent tools `sox` and `espeak-ng` when they are installed.

use std::f32::consts::TAU;
use std::path::Path;
use std::process::Command;

use super::{dbm0_to_peak, SAMPLE_RATE};

/// A small deterministic PRNG (xorshift64*), so noise is the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Standard normal (Box–Muller).
    pub fn gauss(&mut self) -> f32 {
        let u = self.uniform().max(1e-7);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (TAU * v).cos()
    }
}

pub fn ms(ms: f32) -> usize {
    (ms * SAMPLE_RATE as f32 / 1000.0).round() as usize
}

/// Appends `len` samples of the sum of sines (frequency Hz, level dBm0), each starting at
/// a random phase.
pub fn sines(out: &mut Vec<f32>, tones: &[(f32, f32)], len: usize, rng: &mut Rng) {
    let phases: Vec<f32> = tones.iter().map(|_| rng.uniform() * TAU).collect();
    for n in 0..len {
        let t = n as f32 / SAMPLE_RATE as f32;
        let v: f32 = tones
            .iter()
            .zip(&phases)
            .map(|((f, db), p)| dbm0_to_peak(*db) * (TAU * f * t + p).sin())
            .sum();
        out.push(v);
    }
}

pub fn silence(out: &mut Vec<f32>, len: usize) {
    out.resize(out.len() + len, 0.0);
}

/// Adds white Gaussian noise of the given mean power (linear units²).
pub fn add_noise(x: &mut [f32], power: f32, rng: &mut Rng) {
    let sd = power.sqrt();
    for v in x {
        *v += sd * rng.gauss();
    }
}

pub fn to_i16(x: &[f32]) -> Vec<i16> {
    x.iter()
        .map(|v| v.round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty())
        .unwrap_or(false)
}

/// Runs `sox` with input `args`, its output being raw 8 kHz S16LE mono written to `out`; the
/// samples, or `None` (with the reason printed) if sox is missing or fails.
/// `effects` follow the output file.
pub fn sox(args: &[&str], dir: &Path, effects: &[&str]) -> Option<Vec<i16>> {
    if !have("sox") {
        println!("SKIPPED: sox is not installed (scripts/setup.sh installs it)");
        return None;
    }
    let out = dir.join("out.raw");
    let status = Command::new("sox")
        .args(args)
        .args([
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            "-t",
            "raw",
        ])
        .arg(&out)
        .args(effects)
        .status();
    match status {
        Ok(s) if s.success() => Some(read_raw(&out)),
        other => {
            println!("SKIPPED: sox {args:?} failed: {other:?}");
            None
        }
    }
}

fn read_raw(path: &Path) -> Vec<i16> {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// `text` spoken by espeak-ng with `voice`, resampled to 8 kHz by sox and normalised to
/// −3 dBFS peak; `None` (reason printed) without the tools.
pub fn speech(text: &str, voice: &str, dir: &Path) -> Option<Vec<i16>> {
    if !have("espeak-ng") {
        println!("SKIPPED: espeak-ng is not installed (scripts/setup.sh installs it)");
        return None;
    }
    let wav = dir.join(format!("{voice}.wav"));
    let ok = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        println!("SKIPPED: espeak-ng -v {voice} failed");
        return None;
    }
    let wav = wav.to_string_lossy().into_owned();
    sox(&[&wav, "-D"], dir, &["gain", "-n", "-3"])
}

/// A music-like signal: a melody of harmonic notes (a few partials, vibrato, decay) over a
/// chord, wandering across the DTMF band, `seconds` long.
pub fn music(seconds: f32, rng: &mut Rng) -> Vec<i16> {
    let len = (seconds * SAMPLE_RATE as f32) as usize;
    let note_len = ms(180.0);
    let mut out = vec![0.0f32; len];
    let mut start = 0;
    while start < len {
        // Equal-tempered notes from A3 (220 Hz) up two and a half octaves.
        let semis = (rng.uniform() * 30.0).floor();
        let f0 = 220.0 * 2f32.powf(semis / 12.0);
        let chord = [f0, f0 * 2f32.powf(4.0 / 12.0), f0 * 2f32.powf(7.0 / 12.0)];
        let end = (start + note_len).min(len);
        for (voice, f) in chord.iter().enumerate() {
            let amp = if voice == 0 { 6000.0 } else { 2500.0 };
            for (n, v) in out[start..end].iter_mut().enumerate() {
                let t = n as f32 / SAMPLE_RATE as f32;
                let vib = 1.0 + 0.006 * (TAU * 5.5 * t).sin();
                let env = (-t * 4.0).exp() * (n as f32 / 40.0).min(1.0);
                let partials: f32 = (1..=4)
                    .map(|h| (TAU * f * vib * h as f32 * t).sin() / h as f32)
                    .sum();
                *v += amp * env * partials;
            }
        }
        start = end;
    }
    to_i16(&out)
}
