use super::*;
use crate::line::dsp::fsk::testsig::Noise;

pub(crate) const RATE: usize = 8000;

/// Speech-like test signal: a pitch pulse train (with some breath noise) through three
/// formant resonators, in syllables of 120-300 ms separated by pauses, at about -20 dBFS
/// while voiced. Different seeds and pitches give different talkers.
pub(crate) fn synthetic_speech(seconds: f32, seed: u64, pitch_hz: f32) -> Vec<f32> {
    let total = (seconds * RATE as f32) as usize;
    let mut rng = Noise::new(seed);
    let mut uniform = move || (rng.gaussian() * 0.5).tanh() as f32 * 0.5 + 0.5;
    let mut breath = Noise::new(seed ^ 0x5eed);
    let mut out = Vec::with_capacity(total);
    let mut phase = 0.0f32;
    let mut formants = [Resonator::default(); 3];
    while out.len() < total {
        let syllable = (0.12 + 0.18 * uniform()) * RATE as f32;
        let pause = (0.05 + 0.25 * uniform()) * RATE as f32;
        let centres = [
            300.0 + 500.0 * uniform(),
            900.0 + 1300.0 * uniform(),
            2400.0 + 600.0 * uniform(),
        ];
        for (r, hz) in formants.iter_mut().zip(centres) {
            r.tune(hz, 120.0);
        }
        let glide = 0.8 + 0.4 * uniform();
        for i in 0..syllable as usize {
            let t = i as f32 / syllable;
            let envelope = (std::f32::consts::PI * t).sin().powi(2);
            let f0 = pitch_hz * (glide + 0.2 * t);
            phase += f0 / RATE as f32;
            let pulse = if phase >= 1.0 {
                phase -= 1.0;
                1.0
            } else {
                0.0
            };
            let mut v = pulse + 0.2 * breath.gaussian() as f32;
            for r in formants.iter_mut() {
                v = r.run(v);
            }
            out.push(v * envelope);
        }
        out.extend(std::iter::repeat_n(0.0, pause as usize));
    }
    out.truncate(total);
    let active: Vec<f32> = out.iter().copied().filter(|v| v.abs() > 1e-6).collect();
    let rms = (active.iter().map(|v| v * v).sum::<f32>() / active.len().max(1) as f32).sqrt();
    let gain = 0.1 / rms.max(1e-9);
    out.iter().map(|v| v * gain).collect()
}

/// Two-pole resonator with unity gain at its centre.
#[derive(Debug, Clone, Copy, Default)]
struct Resonator {
    a1: f32,
    a2: f32,
    g: f32,
    y1: f32,
    y2: f32,
}

impl Resonator {
    fn tune(&mut self, hz: f32, bandwidth: f32) {
        let r = (-std::f32::consts::PI * bandwidth / RATE as f32).exp();
        let w = std::f32::consts::TAU * hz / RATE as f32;
        self.a1 = 2.0 * r * w.cos();
        self.a2 = -r * r;
        self.g = 1.0 - r;
    }

    fn run(&mut self, x: f32) -> f32 {
        let y = self.g * x + self.a1 * self.y1 + self.a2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

/// A hybrid echo path: `delay` samples of bulk delay, then `len` taps of exponentially
/// decaying noise, scaled to an echo return loss of `erl_db`.
pub(crate) fn echo_path(delay: usize, len: usize, erl_db: f32, seed: u64) -> Vec<f32> {
    let mut rng = Noise::new(seed);
    let mut h = vec![0.0f32; delay + len];
    for (k, tap) in h[delay..].iter_mut().enumerate() {
        *tap = rng.gaussian() as f32 * (-(k as f32) / (len as f32 / 5.0)).exp();
    }
    let norm = h.iter().map(|v| v * v).sum::<f32>().sqrt();
    let gain = 10f32.powf(-erl_db / 20.0) / norm.max(1e-9);
    h.iter().map(|v| v * gain).collect()
}

pub(crate) fn convolve(x: &[f32], h: &[f32]) -> Vec<f32> {
    (0..x.len())
        .map(|n| {
            h.iter()
                .enumerate()
                .take(n + 1)
                .map(|(k, hk)| hk * x[n - k])
                .sum()
        })
        .collect()
}

/// Runs the canceller over whole signals sample by sample; returns the residual.
pub(crate) fn cancel(ec: &mut EchoCanceller, far: &[f32], near: &[f32]) -> Vec<f32> {
    far.iter()
        .zip(near)
        .map(|(&f, &n)| ec.process_sample(f, n))
        .collect()
}

/// 10·log10(Σ echo² / Σ residual²) over `range`.
pub(crate) fn erle(echo: &[f32], residual: &[f32], range: std::ops::Range<usize>) -> f32 {
    let p = |s: &[f32]| s[range.clone()].iter().map(|v| v * v).sum::<f32>();
    10.0 * (p(echo) / p(residual).max(1e-20)).log10()
}

/// Samples until the ERLE of every later 100 ms window with echo in it stays at or above
/// `db`; `None` if it never does.
pub(crate) fn convergence(echo: &[f32], residual: &[f32], db: f32) -> Option<usize> {
    let win = RATE / 10;
    let windows = echo.len() / win;
    let mut converged_at = Some(0);
    for w in 0..windows {
        let range = w * win..(w + 1) * win;
        let power = echo[range.clone()].iter().map(|v| v * v).sum::<f32>() / win as f32;
        if power > 1e-5 && erle(echo, residual, range) < db {
            converged_at = (w + 1 < windows).then_some((w + 1) * win);
        }
    }
    converged_at
}

#[test]
fn erle_on_synthetic_speech_with_bulk_delay() {
    let far = synthetic_speech(10.0, 1, 120.0);
    for (delay, len) in [(80, 200), (350, 150)] {
        let h = echo_path(delay, len, 12.0, 2);
        let echo = convolve(&far, &h);
        let mut ec = EchoCanceller::new(EchoConfig::default());
        let res = cancel(&mut ec, &far, &echo);
        let late = erle(&echo, &res, 7 * RATE..10 * RATE);
        assert!(late > 25.0, "delay {delay}: ERLE {late:.1} dB");
        let t = convergence(&echo, &res, 15.0).expect("converges");
        assert!(t <= 2 * RATE, "delay {delay}: 15 dB after {t} samples");
        let meter = ec.erle_db().expect("meter has data");
        assert!((meter - late).abs() < 10.0, "meter {meter:.1} vs {late:.1}");
    }
}

#[test]
fn a_path_beyond_the_tail_is_not_cancelled_well() {
    // The same path shifted past 64 ms: the canceller must do clearly worse, which shows the
    // ERLE test above measures the filter rather than something incidental.
    let far = synthetic_speech(6.0, 1, 120.0);
    let h = echo_path(600, 150, 12.0, 2);
    let echo = convolve(&far, &h);
    let mut ec = EchoCanceller::new(EchoConfig::default());
    let res = cancel(&mut ec, &far, &echo);
    let late = erle(&echo, &res, 4 * RATE..6 * RATE);
    assert!(late < 6.0, "ERLE {late:.1} dB on a path outside the tail");
}

/// Far single talk, then double talk, then far single talk again; returns the ERLE of the
/// second single-talk period's first second and the one before double talk.
fn double_talk_run(cfg: EchoConfig) -> (f32, f32, Vec<f32>, Vec<f32>) {
    let far = synthetic_speech(12.0, 3, 110.0);
    let h = echo_path(100, 200, 12.0, 4);
    let echo = convolve(&far, &h);
    let talker = synthetic_speech(12.0, 9, 210.0);
    let mut near_talk = vec![0.0; far.len()];
    near_talk[6 * RATE..9 * RATE].copy_from_slice(&talker[6 * RATE..9 * RATE]);
    let near: Vec<f32> = echo.iter().zip(&near_talk).map(|(e, t)| e + t).collect();
    let mut ec = EchoCanceller::new(cfg);
    let res = cancel(&mut ec, &far, &near);
    let before = erle(&echo, &res, 5 * RATE..6 * RATE);
    let after = erle(&echo, &res, 9 * RATE..10 * RATE);
    (before, after, res, near_talk)
}

#[test]
fn double_talk_does_not_diverge() {
    let (before, after, res, talker) = double_talk_run(EchoConfig::default());
    eprintln!("double talk: before {before:.1} after {after:.1}");
    assert!(before > 25.0, "ERLE before double talk {before:.1} dB");
    assert!(after > 15.0, "ERLE after double talk {after:.1} dB");
    // During double talk the near-end talker passes through, the echo still cancelled.
    let dt = 6 * RATE..9 * RATE;
    let err: f32 = dt.clone().map(|i| (res[i] - talker[i]).powi(2)).sum();
    let talk: f32 = dt.map(|i| talker[i].powi(2)).sum();
    assert!(10.0 * (talk / err).log10() > 15.0, "talker distorted");

    // Without the detector (a threshold never reached) the same run diverges.
    let blind = EchoConfig {
        geigel_threshold: 1e9,
        ..EchoConfig::default()
    };
    let (_, blind_after, _, _) = double_talk_run(blind);
    eprintln!("double talk: without the detector {blind_after:.1}");
    assert!(
        blind_after + 10.0 < after,
        "no detector {blind_after:.1} dB vs Geigel {after:.1} dB"
    );
}

#[test]
fn double_talk_is_declared_only_with_a_near_talker() {
    let far = synthetic_speech(4.0, 5, 130.0);
    let echo = convolve(&far, &echo_path(60, 200, 10.0, 6));
    let mut ec = EchoCanceller::new(EchoConfig::default());
    let mut declared = 0;
    for (f, n) in far.iter().zip(&echo) {
        ec.process_sample(*f, *n);
        declared += usize::from(ec.double_talk());
    }
    // Echo alone (10 dB ERL) stays below the 6 dB Geigel threshold, apart from the start
    // when the far end's history is still empty.
    assert!(
        declared < RATE / 10,
        "double talk declared on {declared} samples"
    );
    let talker = synthetic_speech(1.0, 8, 200.0);
    let mut during = 0;
    for (i, t) in talker.iter().enumerate() {
        ec.process_sample(far[i], echo[i] + t);
        during += usize::from(ec.double_talk());
    }
    // The synthetic talker pauses between syllables and Geigel misses soft onsets.
    assert!(
        during > RATE / 4,
        "double talk declared on only {during} samples"
    );
}

#[test]
fn frames_of_i16_and_odd_lengths() {
    let far = synthetic_speech(3.0, 1, 120.0);
    let echo = convolve(&far, &echo_path(40, 100, 12.0, 7));
    let to_i16 = |v: &[f32]| -> Vec<i16> { v.iter().map(|x| (x * 32767.0) as i16).collect() };
    let (far16, echo16) = (to_i16(&far), to_i16(&echo));
    let mut ec = EchoCanceller::new(EchoConfig::default());
    let mut out = vec![0i16; 160];
    let mut residual = Vec::new();
    for (f, n) in far16.chunks(160).zip(echo16.chunks(160)) {
        let done = ec.process(f, n, &mut out);
        residual.extend_from_slice(&out[..done]);
    }
    let e: Vec<f32> = echo16.iter().map(|&v| f32::from(v)).collect();
    let r: Vec<f32> = residual.iter().map(|&v| f32::from(v)).collect();
    assert!(erle(&e, &r, 2 * RATE..3 * RATE) > 25.0);
    // Mismatched slices: the shortest wins, nothing panics.
    assert_eq!(ec.process(&far16[..100], &echo16[..50], &mut out), 50);
    assert_eq!(ec.process(&far16[..10], &echo16[..50], &mut out[..5]), 5);
}

#[test]
fn reset_forgets_the_path() {
    let far = synthetic_speech(2.0, 1, 120.0);
    let echo = convolve(&far, &echo_path(40, 100, 12.0, 7));
    let mut ec = EchoCanceller::new(EchoConfig::default());
    cancel(&mut ec, &far, &echo);
    assert!(ec.taps().iter().any(|&t| t != 0.0));
    ec.reset();
    assert!(ec.taps().iter().all(|&t| t == 0.0));
    assert_eq!(ec.samples(), 0);
    assert_eq!(ec.erle_db(), None);
}

#[test]
fn erle_meter() {
    let mut m = ErleMeter::new(100);
    assert_eq!(m.erle_db(), None);
    for i in 0..2000 {
        let s = (i as f32 * 0.3).sin();
        m.update(s, s * 0.01);
    }
    let db = m.erle_db().expect("data");
    assert!((db - 40.0).abs() < 0.5, "{db}");
}

#[test]
fn erle_on_espeak_speech() {
    let have = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok()
    };
    if !have("espeak-ng") || !have("sox") {
        eprintln!("skipping: espeak-ng or sox not installed (scripts/setup.sh installs them)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (raw, wav) = (dir.path().join("raw.wav"), dir.path().join("speech.wav"));
    let text = "The quick brown fox jumps over the lazy dog. Please hold the line, \
                your call is important to us. Centrala connects the office to the world.";
    let ok = std::process::Command::new("espeak-ng")
        .arg("-w")
        .arg(&raw)
        .arg(text)
        .status()
        .expect("espeak-ng runs")
        .success();
    assert!(ok);
    let ok = std::process::Command::new("sox")
        .arg(&raw)
        .args(["-r", "8000", "-c", "1", "-b", "16"])
        .arg(&wav)
        .args(["norm", "-16"])
        .status()
        .expect("sox runs")
        .success();
    assert!(ok);
    let far: Vec<f32> = crate::line::dsp::fsk::testsig::read_wav(&wav)
        .iter()
        .map(|&s| f32::from(s) / 32768.0)
        .collect();
    assert!(far.len() > 4 * RATE, "speech too short: {}", far.len());
    let echo = convolve(&far, &echo_path(120, 250, 10.0, 11));
    let mut ec = EchoCanceller::new(EchoConfig::default());
    let res = cancel(&mut ec, &far, &echo);
    let end = far.len();
    let late = erle(&echo, &res, end - 2 * RATE..end);
    eprintln!("espeak-ng speech: ERLE over the last 2 s {late:.1} dB");
    assert!(late > 25.0, "ERLE {late:.1} dB");
}
