//! Loading a hold-music WAV file into memory as 8 kHz mono 16-bit samples.
//!
//! Accepts what `hound` reads: integer PCM of 8 to 32 bits and 32-bit float, any channel
//! count (mixed down) and sample rate (resampled: a box filter against aliasing when
//! downsampling, then linear interpolation). G.711-coded WAV files are not read by `hound`
//! and are refused. At most [`MAX_SECONDS`] are kept; a longer file is truncated (logged).

use std::path::Path;

use thiserror::Error;

use super::player::SAMPLE_RATE;

/// The longest hold music kept in memory (10 minutes: 9.6 MB).
pub const MAX_SECONDS: u32 = 600;

/// Why a WAV file cannot be used.
#[derive(Debug, Error)]
pub enum WavError {
    /// The file cannot be opened or is not a WAV file hound understands.
    #[error("{0}")]
    Read(#[from] hound::Error),
    /// A format this loader does not play.
    #[error("unsupported format: {0}")]
    Unsupported(String),
    /// The file holds no samples.
    #[error("the file holds no audio")]
    Empty,
}

/// Loads `path` as 8 kHz mono samples. A read error after some audio keeps what was read.
pub fn load(path: &Path) -> Result<Vec<i16>, WavError> {
    let mut reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::Unsupported => WavError::Unsupported(
            "an encoding other than PCM or float (G.711-coded WAV files are not read)".into(),
        ),
        other => WavError::Read(other),
    })?;
    let spec = reader.spec();
    check(&spec)?;
    let channels = usize::from(spec.channels);
    let max_frames = u64::from(MAX_SECONDS) * u64::from(spec.sample_rate);
    if u64::from(reader.duration()) > max_frames {
        tracing::info!(
            file = %path.display(),
            seconds = reader.duration() / spec.sample_rate,
            "hold music longer than {MAX_SECONDS} s, keeping the first {MAX_SECONDS} s"
        );
    }
    let scale = match spec.sample_format {
        hound::SampleFormat::Float => 32767.0,
        hound::SampleFormat::Int => 2f32.powi(16 - i32::from(spec.bits_per_sample)),
    };
    let mut resampler = Resampler::new(spec.sample_rate);
    let mut frame = (0f32, 0usize);
    let mut push = |value: f32| {
        frame.0 += value * scale;
        frame.1 += 1;
        if frame.1 == channels {
            resampler.push(frame.0 / channels as f32);
            frame = (0.0, 0);
        }
    };
    let limit = usize::try_from(max_frames)
        .unwrap_or(usize::MAX)
        .saturating_mul(channels);
    let result = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .take(limit)
            .try_for_each(|s| s.map(&mut push)),
        hound::SampleFormat::Int => reader
            .samples::<i32>()
            .take(limit)
            .try_for_each(|s| s.map(|v| push(v as f32))),
    };
    let samples = resampler.finish();
    match result {
        Err(e) if samples.is_empty() => Err(e.into()),
        Err(e) => {
            tracing::info!(file = %path.display(), reason = %e, "hold music file cut short");
            Ok(samples)
        }
        Ok(()) if samples.is_empty() => Err(WavError::Empty),
        Ok(()) => Ok(samples),
    }
}

fn check(spec: &hound::WavSpec) -> Result<(), WavError> {
    let bits = spec.bits_per_sample;
    let fine = match spec.sample_format {
        hound::SampleFormat::Int => (8..=32).contains(&bits),
        hound::SampleFormat::Float => bits == 32,
    };
    if !fine || spec.channels == 0 || spec.sample_rate == 0 {
        return Err(WavError::Unsupported(format!(
            "{} channels, {} Hz, {bits}-bit {:?}",
            spec.channels, spec.sample_rate, spec.sample_format
        )));
    }
    Ok(())
}

/// Streaming conversion from one sample rate to [`SAMPLE_RATE`].
struct Resampler {
    in_rate: u64,
    /// Box filter over the last `width` inputs (width 1 when not downsampling).
    window: Vec<f32>,
    sum: f32,
    /// How many inputs were pushed.
    inputs: u64,
    /// The previous filtered input.
    prev: f32,
    out: Vec<i16>,
    max_out: usize,
}

impl Resampler {
    fn new(in_rate: u32) -> Resampler {
        let width = (in_rate / SAMPLE_RATE).clamp(1, 64) as usize;
        Resampler {
            in_rate: u64::from(in_rate),
            window: vec![0.0; width],
            sum: 0.0,
            inputs: 0,
            prev: 0.0,
            out: Vec::new(),
            max_out: (MAX_SECONDS * SAMPLE_RATE) as usize,
        }
    }

    fn push(&mut self, x: f32) {
        let slot = (self.inputs % self.window.len() as u64) as usize;
        self.sum += x - self.window[slot];
        self.window[slot] = x;
        let filled = (self.inputs + 1).min(self.window.len() as u64);
        let cur = self.sum / filled as f32;
        if self.inputs == 0 {
            self.prev = cur;
        }
        // Output k sits at input position k·in/out; emit those in (inputs-1, inputs].
        let out_rate = u64::from(SAMPLE_RATE);
        let i = self.inputs;
        while self.out.len() < self.max_out {
            let pos = self.out.len() as u64 * self.in_rate;
            if pos > i * out_rate {
                break;
            }
            let frac = if i == 0 {
                1.0
            } else {
                (pos as f64 - ((i - 1) * out_rate) as f64) as f32 / out_rate as f32
            };
            let y = self.prev + (cur - self.prev) * frac;
            self.out.push(y.clamp(-32768.0, 32767.0) as i16);
        }
        self.prev = cur;
        self.inputs += 1;
    }

    fn finish(self) -> Vec<i16> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn write_wav(
        dir: &Path,
        spec: hound::WavSpec,
        frames: usize,
        f: impl Fn(usize) -> f32,
    ) -> PathBuf {
        let path = dir.join("music.wav");
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for n in 0..frames {
            for _ in 0..spec.channels {
                match spec.sample_format {
                    hound::SampleFormat::Float => w.write_sample(f(n)).unwrap(),
                    hound::SampleFormat::Int => w.write_sample((f(n) * 32767.0) as i16).unwrap(),
                }
            }
        }
        w.finalize().unwrap();
        path
    }

    fn spec(channels: u16, rate: u32, format: hound::SampleFormat) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: if format == hound::SampleFormat::Int {
                16
            } else {
                32
            },
            sample_format: format,
        }
    }

    fn sine(rate: u32) -> impl Fn(usize) -> f32 {
        move |n| 0.5 * (std::f32::consts::TAU * 500.0 * n as f32 / rate as f32).sin()
    }

    #[test]
    fn an_8khz_mono_file_loads_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_wav(
            dir.path(),
            spec(1, 8000, hound::SampleFormat::Int),
            800,
            |n| n as f32 / 1000.0,
        );
        let got = load(&path).unwrap();
        assert_eq!(got.len(), 800);
        assert_eq!(got[100], (0.1f32 * 32767.0) as i16);
    }

    #[test]
    fn stereo_44k_is_mixed_and_resampled() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_wav(
            dir.path(),
            spec(2, 44100, hound::SampleFormat::Int),
            44100,
            sine(44100),
        );
        let got = load(&path).unwrap();
        assert!((7990..=8000).contains(&got.len()), "{}", got.len());
        // Compare with the ideal 500 Hz sine at 8 kHz, delayed by the box filter's 2 inputs.
        let ideal = |n: usize| {
            let t = n as f32 / 8000.0 - 2.0 / 44100.0;
            0.5 * 32767.0 * (std::f32::consts::TAU * 500.0 * t).sin()
        };
        for (n, s) in got.iter().enumerate().skip(10).take(1000) {
            assert!(
                (f32::from(*s) - ideal(n)).abs() < 600.0,
                "{n}: {s} vs {}",
                ideal(n)
            );
        }
    }

    #[test]
    fn float_files_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_wav(
            dir.path(),
            spec(1, 16000, hound::SampleFormat::Float),
            1600,
            sine(16000),
        );
        assert_eq!(load(&path).unwrap().len(), 800);
    }

    #[test]
    fn empty_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_wav(
            dir.path(),
            spec(1, 8000, hound::SampleFormat::Int),
            0,
            |_| 0.0,
        );
        assert!(matches!(load(&path), Err(WavError::Empty)));
        assert!(matches!(
            load(&dir.path().join("nope.wav")),
            Err(WavError::Read(_))
        ));
    }

    #[test]
    fn g711_coded_files_are_refused_with_a_reason() {
        // A minimal WAVE_FORMAT_ALAW (6) file: fmt chunk of 18 bytes, 8 data bytes.
        let mut f = Vec::new();
        f.extend_from_slice(b"RIFF");
        f.extend_from_slice(&(4u32 + 26 + 16).to_le_bytes());
        f.extend_from_slice(b"WAVEfmt ");
        f.extend_from_slice(&18u32.to_le_bytes());
        for v in [6u16, 1] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        f.extend_from_slice(&8000u32.to_le_bytes());
        f.extend_from_slice(&8000u32.to_le_bytes());
        for v in [1u16, 8, 0] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        f.extend_from_slice(b"data");
        f.extend_from_slice(&8u32.to_le_bytes());
        f.extend_from_slice(&[0xd5; 8]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alaw.wav");
        std::fs::write(&path, f).unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.to_string().contains("G.711"), "{err}");
    }

    #[test]
    fn long_files_are_truncated() {
        let mut r = Resampler::new(8000);
        r.max_out = 100;
        for _ in 0..1000 {
            r.push(1.0);
        }
        assert_eq!(r.finish().len(), 100);
    }
}
