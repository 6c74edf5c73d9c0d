//! The analog line's DSP, per 20 ms frame (160 samples at 8 kHz). A plain `main`:
//!
//! ```text
//! cargo bench -p pbx --bench line_callerid
//! SECONDS=30 cargo bench -p pbx --bench line_callerid     # longer echo-canceller run
//! ```
//!
//! Reported: CPU time per 20 ms frame for the FSK caller-ID receiver (Bell 202 MDMF at
//! 20 dB SNR, decoded each pass) and for the echo canceller (512 taps), heap allocations
//! per frame in both loops (a counting allocator), and the canceller's ERLE after
//! convergence and its convergence time on speech (espeak-ng through sox if installed,
//! otherwise a synthetic voiced signal) over a 12 dB ERL echo path with 10 ms bulk delay.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use pbx::line::dsp::callerid::FskCallerIdReceiver;
use pbx::line::dsp::echo::{EchoCanceller, EchoConfig};
use pbx::line::dsp::fsk::{FskConfig, FskStandard};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RATE: usize = 8000;
const FRAME: usize = 160;

/// xorshift with Gaussian output, so runs are repeatable.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn gaussian(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-12);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

/// A caller-ID burst: 300 seizure bits, 180 mark bits, the message 8-N-1, white noise at
/// 20 dB SNR, silence around.
fn fsk_burst(message: &[u8]) -> Vec<i16> {
    let mut bits: Vec<bool> = (0..300).map(|i| i % 2 == 1).collect();
    bits.extend(std::iter::repeat_n(true, 180));
    for &b in message {
        bits.push(false);
        bits.extend((0..8).map(|i| b >> i & 1 == 1));
        bits.push(true);
    }
    bits.extend(std::iter::repeat_n(true, 10));
    let per_bit = RATE as f64 / 1200.0;
    let mut phase = 0.0f64;
    let mut signal = vec![0.0; 1600];
    for n in 0..(bits.len() as f64 * per_bit) as usize {
        let one = bits[((n as f64 / per_bit) as usize).min(bits.len() - 1)];
        phase += std::f64::consts::TAU * if one { 1200.0 } else { 2200.0 } / RATE as f64;
        signal.push(0.3 * phase.sin());
    }
    signal.extend(std::iter::repeat_n(0.0, 1600));
    let sigma = (0.3f64 * 0.3 / 2.0 / 100.0).sqrt();
    let mut rng = Rng(7);
    signal
        .iter()
        .map(|x| ((x + sigma * rng.gaussian()) * 32767.0).clamp(-32768.0, 32767.0) as i16)
        .collect()
}

fn mdmf() -> Vec<u8> {
    let mut m = vec![0x80, 0];
    for (kind, value) in [
        (1u8, &b"11051737"[..]),
        (7, b"KOWALSKI JAN"),
        (2, b"2125551234"),
    ] {
        m.push(kind);
        m.push(value.len() as u8);
        m.extend_from_slice(value);
    }
    m[1] = (m.len() - 2) as u8;
    let sum = m.iter().fold(0u8, |s, &b| s.wrapping_add(b));
    m.push(sum.wrapping_neg());
    m
}

fn bench_fsk() {
    let audio = fsk_burst(&mdmf());
    let frames = audio.len() / FRAME;
    let passes = 200;
    let mut decoded = 0;
    let mut rx = FskCallerIdReceiver::new(FskConfig::new(FskStandard::Bell202));
    let allocs_before = ALLOCS.load(Ordering::Relaxed);
    let start = Instant::now();
    for _ in 0..passes {
        rx.reset();
        for frame in audio.chunks_exact(FRAME) {
            if let Some(Ok(cid)) = rx.process(frame) {
                decoded += usize::from(cid.number.is_some());
            }
        }
    }
    let elapsed = start.elapsed();
    // Each decoded message allocates its CallerId (strings and raw bytes): not per frame.
    let allocs = ALLOCS.load(Ordering::Relaxed) - allocs_before;
    let per_frame = elapsed.as_secs_f64() / (passes * frames) as f64;
    println!(
        "fsk caller-ID receiver: {:.2} µs per 20 ms frame ({:.3} % of a core); {decoded}/{passes} \
         messages decoded; {allocs} allocations in {} frames ({} per decoded message)",
        per_frame * 1e6,
        per_frame / 0.020 * 100.0,
        passes * frames,
        allocs / decoded.max(1)
    );
}

/// espeak-ng speech resampled to 8 kHz by sox, repeated to `seconds`; `None` if either
/// tool is missing.
fn espeak_speech(seconds: usize) -> Option<Vec<f32>> {
    let dir = std::env::temp_dir().join(format!("centrala-line-dsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let (raw, wav) = (dir.join("raw.wav"), dir.join("speech.wav"));
    let text = "The quick brown fox jumps over the lazy dog. Please hold the line, your call \
                is important to us. Centrala connects the office to the world, one call at a time.";
    let ok = std::process::Command::new("espeak-ng")
        .arg("-w")
        .arg(&raw)
        .arg(text)
        .status()
        .ok()?
        .success()
        && std::process::Command::new("sox")
            .arg(&raw)
            .args(["-r", "8000", "-c", "1", "-b", "16"])
            .arg(&wav)
            .args(["norm", "-16"])
            .status()
            .ok()?
            .success();
    let samples: Vec<f32> = if ok {
        hound::WavReader::open(&wav)
            .ok()?
            .samples::<i16>()
            .filter_map(Result::ok)
            .map(|s| f32::from(s) / 32768.0)
            .collect()
    } else {
        Vec::new()
    };
    let _ = std::fs::remove_dir_all(&dir);
    if samples.is_empty() {
        return None;
    }
    Some(
        samples
            .iter()
            .copied()
            .cycle()
            .take(seconds * RATE)
            .collect(),
    )
}

/// A voiced, syllabic signal (pulse train through a resonator, breath noise, pauses).
fn synthetic_speech(seconds: usize) -> Vec<f32> {
    let mut rng = Rng(3);
    let mut out = Vec::with_capacity(seconds * RATE);
    let (mut y1, mut y2, mut phase) = (0.0f32, 0.0f32, 0.0f32);
    while out.len() < seconds * RATE {
        let len = (0.12 + 0.18 * rng.uniform()) * RATE as f64;
        let hz = 300.0 + 2000.0 * rng.uniform() as f32;
        let r = 0.95f32;
        let a1 = 2.0 * r * (std::f32::consts::TAU * hz / RATE as f32).cos();
        for i in 0..len as usize {
            let env = (std::f32::consts::PI * i as f32 / len as f32).sin().powi(2);
            phase += 120.0 / RATE as f32;
            let pulse = if phase >= 1.0 {
                phase -= 1.0;
                1.0
            } else {
                0.0
            };
            let x = pulse + 0.2 * rng.gaussian() as f32;
            let y = 0.05 * x + a1 * y1 - r * r * y2;
            (y2, y1) = (y1, y);
            out.push(y * env);
        }
        out.extend(std::iter::repeat_n(
            0.0,
            ((0.05 + 0.25 * rng.uniform()) * RATE as f64) as usize,
        ));
    }
    out.truncate(seconds * RATE);
    out
}

fn echo_path() -> Vec<f32> {
    let mut rng = Rng(2);
    let (delay, len) = (80, 200);
    let mut h = vec![0.0f32; delay + len];
    for (k, tap) in h[delay..].iter_mut().enumerate() {
        *tap = rng.gaussian() as f32 * (-(k as f32) / 40.0).exp();
    }
    let norm = h.iter().map(|v| v * v).sum::<f32>().sqrt();
    let gain = 10f32.powf(-12.0 / 20.0) / norm;
    h.iter().map(|v| v * gain).collect()
}

fn bench_echo(seconds: usize) {
    let (far, source) = match espeak_speech(seconds) {
        Some(s) => (s, "espeak-ng speech"),
        None => (synthetic_speech(seconds), "synthetic voiced signal"),
    };
    let h = echo_path();
    let echo: Vec<f32> = (0..far.len())
        .map(|n| {
            h.iter()
                .enumerate()
                .take(n + 1)
                .map(|(k, hk)| hk * far[n - k])
                .sum()
        })
        .collect();
    let to_i16 = |v: &[f32]| -> Vec<i16> { v.iter().map(|x| (x * 32767.0) as i16).collect() };
    let (far16, echo16) = (to_i16(&far), to_i16(&echo));
    let mut ec = EchoCanceller::new(EchoConfig::default());
    let mut out = vec![0i16; FRAME];
    let mut residual = Vec::with_capacity(far16.len());
    let mut busy = std::time::Duration::ZERO;
    let mut allocs = 0;
    for (f, n) in far16.chunks_exact(FRAME).zip(echo16.chunks_exact(FRAME)) {
        let before = ALLOCS.load(Ordering::Relaxed);
        let start = Instant::now();
        ec.process(f, n, &mut out);
        busy += start.elapsed();
        allocs += ALLOCS.load(Ordering::Relaxed) - before;
        residual.extend_from_slice(&out);
    }
    let frames = far16.len() / FRAME;
    let per_frame = busy.as_secs_f64() / frames as f64;
    let power = |s: &[i16]| s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>();
    let erle = |r: std::ops::Range<usize>| {
        10.0 * (power(&echo16[r.clone()]) / power(&residual[r]).max(1.0)).log10()
    };
    let end = residual.len();
    println!(
        "echo canceller (512 taps, {source}, {seconds} s): {:.1} µs per 20 ms frame \
         ({:.2} % of a core); {allocs} allocations in {frames} frames",
        per_frame * 1e6,
        per_frame / 0.020 * 100.0
    );
    println!(
        "  ERLE over the last 2 s: {:.1} dB (meter: {:.1} dB)",
        erle(end - 2 * RATE..end),
        ec.erle_db().unwrap_or(f32::NAN)
    );
    let win = RATE / 10;
    for db in [10.0, 20.0, 30.0] {
        let mut last_below = None;
        for w in 0..end / win {
            let r = w * win..(w + 1) * win;
            if power(&echo16[r.clone()]) / win as f64 > 100.0 * 100.0 && erle(r) < db {
                last_below = Some(w);
            }
        }
        match last_below {
            None => println!("  {db} dB ERLE from the start"),
            Some(w) if (w + 1) * win < end => println!(
                "  converged to {db} dB (every later 100 ms window at or above) after {:.2} s",
                ((w + 1) * win) as f64 / RATE as f64
            ),
            Some(_) => println!("  never held {db} dB to the end"),
        }
    }
}

fn main() {
    let seconds = std::env::var("SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    bench_fsk();
    bench_echo(seconds);
}
