//! The analog-line DSP chain: CPU time per line per 20 ms frame for DTMF and call-progress
//! tone detection (hence lines per core), and the DTMF receiver's accuracy over the Q.24
//! grid. A plain `main`:
//!
//! ```text
//! cargo bench -p pbx --bench line_tones
//! SECONDS=120 cargo bench -p pbx --bench line_tones
//! ```

use std::f32::consts::TAU;
use std::time::Instant;

use firmware_config::system::ToneCountry;
use pbx::line::dsp::dtmf::{key_freqs, DtmfDetector, DtmfEvent, DtmfGenerator};
use pbx::line::dsp::tones::{ToneDetector, ToneGenerator, ToneKind};
use pbx::line::dsp::{dbm0_to_peak, FRAME_SAMPLES, SAMPLE_RATE};

const KEYS: &str = "123A456B789C*0#D";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A deterministic noisy, speech-like test signal: a gliding harmonic voice plus noise,
/// with digits dialled and a ringback played in between.
fn signal(seconds: u64) -> Vec<i16> {
    let len = (seconds * u64::from(SAMPLE_RATE)) as usize;
    let mut x = vec![0i16; len];
    let mut seed = 0x1234_5678u32;
    for (n, s) in x.iter_mut().enumerate() {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 16) as f32 / 65536.0 - 0.5;
        let t = n as f32 / SAMPLE_RATE as f32;
        let f0 = 120.0 + 40.0 * (TAU * 0.3 * t).sin();
        let voice: f32 = (1..=8)
            .map(|h| (TAU * f0 * h as f32 * t).sin() / h as f32)
            .sum();
        *s = (3000.0 * voice + 800.0 * noise) as i16;
    }
    let mut gen = DtmfGenerator::default();
    let _ = gen.dial("0123456789");
    let a = len / 4;
    gen.fill(&mut x[a..(a + 16_000).min(len)]);
    let b = len / 2;
    ToneGenerator::for_tone(ToneCountry::PL, ToneKind::Ringback)
        .fill(&mut x[b..(b + 48_000).min(len)]);
    x
}

fn cpu_per_frame(seconds: u64) {
    let x = signal(seconds);
    let frames = x.len() / FRAME_SAMPLES;
    let mut dtmf = DtmfDetector::default();
    let mut tones = ToneDetector::new(ToneCountry::PL);
    let (mut digits, mut tone_events) = (0usize, 0usize);
    let started = Instant::now();
    for frame in x.chunks_exact(FRAME_SAMPLES) {
        dtmf.process(frame, |_| digits += 1);
        tones.process(frame, |_| tone_events += 1);
    }
    let per_frame = started.elapsed().as_secs_f64() / frames as f64;
    println!(
        "DTMF + tone detection: {:.2} µs per 20 ms frame ({} frames; {digits} DTMF and {tone_events} tone events) \
         = {:.3} % of a core per line, about {:.0} lines per core",
        per_frame * 1e6,
        frames,
        per_frame / 0.02 * 100.0,
        0.02 / per_frame
    );
}

fn press(key: char, dev: (f32, f32), db: (f32, f32), tone_ms: f32) -> Vec<i16> {
    let Some((low, high)) = key_freqs(key) else {
        return Vec::new();
    };
    let (low, high) = (low * (1.0 + dev.0), high * (1.0 + dev.1));
    let lead = 400;
    let len = (tone_ms * 8.0) as usize;
    let mut x = vec![0i16; lead + len + 1600];
    for (n, s) in x[lead..lead + len].iter_mut().enumerate() {
        let t = n as f32 / SAMPLE_RATE as f32;
        let v = dbm0_to_peak(db.0) * (TAU * low * t).sin()
            + dbm0_to_peak(db.1) * (TAU * high * t).sin();
        *s = v as i16;
    }
    x
}

fn decoded(x: &[i16]) -> String {
    let mut det = DtmfDetector::default();
    let mut out = String::new();
    for frame in x.chunks(FRAME_SAMPLES) {
        det.process(frame, |e| {
            if let DtmfEvent::Started { digit, .. } = e {
                out.push(digit);
            }
        });
    }
    out
}

/// A press: frequency deviations (low, high), levels dBm0 (low, high), length ms.
type Case = ((f32, f32), (f32, f32), f32);

/// (correct, total) over a set of presses that should give `expect(key)`.
fn grid(cases: &[Case], accept: bool) -> (usize, usize) {
    let mut ok = 0;
    let mut total = 0;
    for key in KEYS.chars() {
        for &(dev, db, ms) in cases {
            let got = decoded(&press(key, dev, db, ms));
            let want = if accept {
                key.to_string()
            } else {
                String::new()
            };
            ok += usize::from(got == want);
            total += 1;
        }
    }
    (ok, total)
}

fn accuracy() {
    let nominal = (-10.0, -8.0);
    let mut accept = Vec::new();
    for dl in [-0.015, 0.0, 0.015] {
        for dh in [-0.015, 0.0, 0.015] {
            accept.push(((dl, dh), nominal, 60.0));
        }
    }
    let mut reject = Vec::new();
    for d in [-0.035, 0.035] {
        reject.push(((d, 0.0), nominal, 60.0));
        reject.push(((0.0, d), nominal, 60.0));
        reject.push(((d, d), nominal, 60.0));
    }
    let twist_ok = [
        ((0.0, 0.0), (-12.0, -9.0), 60.0),
        ((0.0, 0.0), (-8.0, -15.0), 60.0),
    ];
    let twist_bad = [
        ((0.0, 0.0), (-12.0, -7.0), 60.0),
        ((0.0, 0.0), (-8.0, -17.0), 60.0),
    ];
    let long = [((0.0, 0.0), nominal, 45.0), ((0.0, 0.0), nominal, 40.0)];
    let short = [((0.0, 0.0), nominal, 35.0), ((0.0, 0.0), nominal, 23.0)];
    for (name, cases, acc) in [
        ("±1.5 % deviation accepted", &accept[..], true),
        ("±3.5 % deviation rejected", &reject[..], false),
        ("twist +3 dB high / +7 dB low accepted", &twist_ok[..], true),
        (
            "twist +5 dB high / +9 dB low rejected",
            &twist_bad[..],
            false,
        ),
        ("45 and 40 ms tones accepted", &long[..], true),
        ("35 and 23 ms tones rejected", &short[..], false),
    ] {
        let (ok, total) = grid(cases, acc);
        println!(
            "DTMF grid: {name}: {ok}/{total} ({:.1} %)",
            100.0 * ok as f32 / total as f32
        );
    }
}

fn main() {
    cpu_per_frame(env("SECONDS", 60));
    accuracy();
}
