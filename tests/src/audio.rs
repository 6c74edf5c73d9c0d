//! Test audio: tones written as 8 kHz mono 16-bit WAV files for phones to send, and checks on
//! what a phone recorded — which tone it heard (Goertzel power relative to total energy), and
//! whether it heard anything at all.
//!
//! ```no_run
//! use centrala_e2e::audio::{self, Recording};
//! # let (dir, heard) = (std::path::Path::new("/tmp"), std::path::Path::new("/tmp/x.wav"));
//! audio::write_tone(&dir.join("a.wav"), 1000.0, 30.0);
//! let rec = Recording::read(heard);
//! assert!(rec.tone_fraction(1000.0) > 0.8, "{}", rec.describe(&[1000.0, 600.0]));
//! ```

use std::path::Path;
use std::time::Duration;

/// The sample rate of telephone audio and of every file written here.
pub const RATE: u32 = 8000;

/// The level of written tones, as a fraction of full scale (-6 dBFS: loud, never clipping
/// through G.711).
pub const TONE_AMPLITUDE: f64 = 0.5;

/// Blocks quieter than this (RMS, dBFS) count as silence.
pub const SILENCE_DBFS: f64 = -45.0;

/// Samples are analysed in blocks of this many (50 ms: 20 Hz frequency resolution, so tones
/// on multiples of 20 Hz fall exactly on a Goertzel bin).
pub const BLOCK: usize = 400;

/// `secs` seconds of a sine at `hz` and [`TONE_AMPLITUDE`], at [`RATE`].
pub fn tone(hz: f64, secs: f64) -> Vec<i16> {
    let n = (secs * f64::from(RATE)).round() as usize;
    let scale = TONE_AMPLITUDE * f64::from(i16::MAX);
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(RATE);
            (scale * (2.0 * std::f64::consts::PI * hz * t).sin()).round() as i16
        })
        .collect()
}

/// Writes `samples` as an 8 kHz mono 16-bit PCM WAV file.
pub fn write_wav(path: &Path, samples: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec)
        .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    for &s in samples {
        writer.write_sample(s).expect("write a sample");
    }
    writer
        .finalize()
        .unwrap_or_else(|e| panic!("finish {}: {e}", path.display()));
}

/// Writes `secs` seconds of a sine at `hz` (see [`tone`]) to `path`.
pub fn write_tone(path: &Path, hz: f64, secs: f64) {
    write_wav(path, &tone(hz, secs));
}

/// Goertzel power of `block` at `hz`, normalised so that a pure sine at `hz` (on a bin) gives
/// its energy per sample: `2 |X(hz)|² / N²`, comparable with the block's mean square.
fn goertzel(block: &[f64], hz: f64) -> f64 {
    let n = block.len() as f64;
    let w = 2.0 * std::f64::consts::PI * hz / f64::from(RATE);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in block {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power / (n * n)
}

/// Decibels relative to full scale of a mean square (full scale = 1.0).
fn dbfs(mean_square: f64) -> f64 {
    10.0 * mean_square.max(1e-20).log10()
}

/// A recorded (or any) mono WAV, as samples scaled to -1.0..1.0.
#[derive(Debug, Clone)]
pub struct Recording {
    samples: Vec<f64>,
    rate: u32,
}

impl Recording {
    /// Reads a 16-bit integer WAV (the first channel if it has several). The file must be
    /// complete: baresip's `sndfile` finishes the header when the call closes.
    pub fn read(path: &Path) -> Recording {
        let mut reader = hound::WavReader::open(path)
            .unwrap_or_else(|e| panic!("open {} as WAV: {e}", path.display()));
        let spec = reader.spec();
        assert_eq!(
            (spec.bits_per_sample, spec.sample_format),
            (16, hound::SampleFormat::Int),
            "{}: not 16-bit PCM: {spec:?}",
            path.display()
        );
        let channels = usize::from(spec.channels.max(1));
        let samples = reader
            .samples::<i16>()
            .step_by(channels)
            .map(|s| f64::from(s.unwrap_or(0)) / 32768.0)
            .collect();
        Recording {
            samples,
            rate: spec.sample_rate,
        }
    }

    /// A recording of `samples` at [`RATE`] (for unit tests of the analysis).
    pub fn from_samples(samples: &[i16]) -> Recording {
        Recording {
            samples: samples.iter().map(|&s| f64::from(s) / 32768.0).collect(),
            rate: RATE,
        }
    }

    /// The sample rate.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// How long it is.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.rate.max(1)))
    }

    /// The part from `from` to `to` seconds (clamped), e.g. to skip the start of a call.
    pub fn slice(&self, from: f64, to: f64) -> Recording {
        let at =
            |secs: f64| ((secs.max(0.0) * f64::from(self.rate)) as usize).min(self.samples.len());
        let (a, b) = (at(from), at(to));
        Recording {
            samples: self.samples[a..b.max(a)].to_vec(),
            rate: self.rate,
        }
    }

    fn blocks(&self) -> impl Iterator<Item = &[f64]> {
        self.samples.chunks_exact(BLOCK)
    }

    /// The level of the whole recording (RMS, dBFS; -200 for no samples).
    pub fn level_dbfs(&self) -> f64 {
        if self.samples.is_empty() {
            return -200.0;
        }
        let energy: f64 = self.samples.iter().map(|x| x * x).sum();
        dbfs(energy / self.samples.len() as f64)
    }

    /// How much of it is not silence: the total length of the [`BLOCK`]s louder than
    /// [`SILENCE_DBFS`].
    pub fn audible(&self) -> Duration {
        let loud = self
            .blocks()
            .filter(|b| dbfs(b.iter().map(|x| x * x).sum::<f64>() / b.len() as f64) > SILENCE_DBFS)
            .count();
        Duration::from_secs_f64((loud * BLOCK) as f64 / f64::from(self.rate.max(1)))
    }

    /// Whether any of it is louder than silence.
    pub fn has_audio(&self) -> bool {
        !self.audible().is_zero()
    }

    /// The fraction (0.0–1.0) of the recording's energy that is a tone at `hz`: Goertzel power
    /// at `hz` over total energy, block by block, weighted by each block's energy (so silent
    /// stretches neither help nor hurt). A clean tone through G.711 gives about 0.95; another
    /// tone, noise or silence gives nearly 0.
    pub fn tone_fraction(&self, hz: f64) -> f64 {
        let (mut tone, mut total) = (0.0, 0.0);
        for block in self.blocks() {
            let energy: f64 = block.iter().map(|x| x * x).sum::<f64>() / block.len() as f64;
            tone += goertzel(block, hz);
            total += energy;
        }
        if total <= 0.0 {
            0.0
        } else {
            (tone / total).min(1.0)
        }
    }

    /// The recording as a string of one letter per `step` seconds: the letter of the first of
    /// `tones` that makes up most of that stretch, `m` for other sound (music, ringback,
    /// speech) and `.` for silence. Lets a test check the order of what was heard without
    /// depending on exactly when each part began, e.g. `A…mmmm…A`.
    pub fn timeline(&self, step: f64, tones: &[(f64, char)]) -> String {
        let end = self.duration().as_secs_f64();
        let mut out = String::new();
        let mut t = 0.0;
        while t + step <= end + 1e-9 {
            let part = self.slice(t, t + step);
            let letter = if part.audible().as_secs_f64() < step / 2.0 {
                '.'
            } else {
                tones
                    .iter()
                    .find(|(hz, _)| part.tone_fraction(*hz) > 0.5)
                    .map_or('m', |(_, c)| *c)
            };
            out.push(letter);
            t += step;
        }
        out
    }

    /// A one-line summary for failure messages: length, level, audible time and the fraction
    /// of each of `tones`.
    pub fn describe(&self, tones: &[f64]) -> String {
        let fractions: Vec<String> = tones
            .iter()
            .map(|&hz| format!("{hz} Hz {:.3}", self.tone_fraction(hz)))
            .collect();
        format!(
            "{:.2} s at {} Hz, level {:.1} dBFS, audible {:.2} s, tones: {}",
            self.duration().as_secs_f64(),
            self.rate,
            self.level_dbfs(),
            self.audible().as_secs_f64(),
            fractions.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_is_found_and_another_is_not() {
        let rec = Recording::from_samples(&tone(1000.0, 1.0));
        assert!(
            rec.tone_fraction(1000.0) > 0.99,
            "{}",
            rec.describe(&[1000.0])
        );
        assert!(
            rec.tone_fraction(600.0) < 0.01,
            "{}",
            rec.describe(&[600.0])
        );
        assert!(rec.has_audio());
        assert!((rec.audible().as_secs_f64() - 1.0).abs() < 0.01);
        assert!(
            (rec.level_dbfs() - (-9.03)).abs() < 0.1,
            "{}",
            rec.level_dbfs()
        );
    }

    #[test]
    fn silence_is_not_audio_and_no_tone() {
        let rec = Recording::from_samples(&vec![0; 8000]);
        assert!(!rec.has_audio());
        assert_eq!(rec.tone_fraction(1000.0), 0.0);
        let quiet: Vec<i16> = tone(1000.0, 1.0).iter().map(|s| s / 1000).collect();
        assert!(!Recording::from_samples(&quiet).has_audio());
    }

    #[test]
    fn a_mix_splits_its_energy() {
        let a = tone(1000.0, 1.0);
        let b = tone(600.0, 1.0);
        let mix: Vec<i16> = a.iter().zip(&b).map(|(x, y)| x / 2 + y / 2).collect();
        let rec = Recording::from_samples(&mix);
        for hz in [1000.0, 600.0] {
            let f = rec.tone_fraction(hz);
            assert!((f - 0.5).abs() < 0.02, "{hz}: {f}");
        }
    }

    #[test]
    fn half_silence_does_not_dilute_the_tone() {
        let mut samples = vec![0i16; 8000];
        samples.extend(tone(600.0, 1.0));
        let rec = Recording::from_samples(&samples);
        assert!(rec.tone_fraction(600.0) > 0.99);
        assert!((rec.audible().as_secs_f64() - 1.0).abs() < 0.06);
        assert!(rec.slice(0.0, 0.9).tone_fraction(600.0) == 0.0);
    }
}
