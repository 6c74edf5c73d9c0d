//! Call progress tones: the ringback tone of each country's tone plan (ITU-T E.180 and its
//! supplement), synthesised once per country as one full cadence to loop. The plans
//! themselves are shared with the analog lines' tone detector ([`crate::line::dsp::tones`]).

use std::sync::OnceLock;

use firmware_config::system::ToneCountry;

use super::player::{Clip, SAMPLE_RATE};
use crate::line::dsp::tones::{plan, ToneSpec};

/// Peak amplitude of the whole tone (about −10 dBm0 when single, shared between the
/// frequencies of a dual tone).
const AMPLITUDE: f32 = 7000.0;

/// Ramp at each burst's start and end, so bursts do not click.
const RAMP_MS: u32 = 5;

/// The ringback of `country`: one period of its cadence (built on first use, then shared).
pub fn ringback(country: ToneCountry) -> Clip {
    static CLIPS: [OnceLock<Clip>; 4] = [const { OnceLock::new() }; 4];
    let slot = match country {
        ToneCountry::PL => 0,
        ToneCountry::DE => 1,
        ToneCountry::GB => 2,
        ToneCountry::US => 3,
    };
    CLIPS[slot]
        .get_or_init(|| Clip::from_samples(&render(&plan(country).ringback)))
        .clone()
}

fn samples(ms: u32) -> usize {
    (ms * SAMPLE_RATE / 1000) as usize
}

fn render(tone: &ToneSpec) -> Vec<i16> {
    let mut out = Vec::new();
    for (on, off) in tone.cadence {
        burst(tone.freqs, samples(*on), &mut out);
        out.resize(out.len() + samples(*off), 0);
    }
    out
}

/// Appends `len` samples of the frequencies mixed, with ramps at both ends.
fn burst(freqs: &[f32], len: usize, out: &mut Vec<i16>) {
    let ramp = samples(RAMP_MS) as f32;
    let each = AMPLITUDE / freqs.len().max(1) as f32;
    for n in 0..len {
        let t = n as f32 / SAMPLE_RATE as f32;
        let edge = (n.min(len - 1 - n) as f32 / ramp).min(1.0);
        let sum: f32 = freqs
            .iter()
            .map(|f| (std::f32::consts::TAU * f * t).sin())
            .sum();
        out.push((sum * each * edge) as i16);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::g711::Law;
    use crate::media::player::tests::{energy, frames};
    use crate::media::player::FRAME_SAMPLES;

    /// Goertzel power of `freq` in a frame, relative to the frame's energy: about 1 for a
    /// pure sine at that frequency, 1/2 for each tone of an equal pair, near 0 when absent.
    fn goertzel(frame: &[i16], freq: f64) -> f64 {
        let k = 2.0 * (std::f64::consts::TAU * freq / f64::from(SAMPLE_RATE)).cos();
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for x in frame {
            let s0 = f64::from(*x) + k * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let power = s1 * s1 + s2 * s2 - k * s1 * s2;
        let n = frame.len() as f64;
        power / (energy(frame) * n * n / 2.0).max(1.0)
    }

    /// Which 20 ms frames of two periods carry tone.
    fn on_frames(country: ToneCountry, law: Law) -> Vec<bool> {
        let clip = ringback(country);
        let n = 2 * clip.len() / FRAME_SAMPLES;
        frames(clip, law, n)
            .iter()
            .map(|f| energy(f) > 1_000_000.0)
            .collect()
    }

    /// Expected on/off per frame for (on, off) steps in ms, for two periods.
    fn expected(steps: &[(usize, usize)]) -> Vec<bool> {
        let mut one = Vec::new();
        for (on, off) in steps {
            one.extend(std::iter::repeat_n(true, on / 20));
            one.extend(std::iter::repeat_n(false, off / 20));
        }
        [one.clone(), one].concat()
    }

    #[test]
    fn cadences_match_the_tone_plans() {
        let cases: [(ToneCountry, &[(usize, usize)]); 4] = [
            (ToneCountry::PL, &[(1000, 4000)]),
            (ToneCountry::DE, &[(1000, 4000)]),
            (ToneCountry::GB, &[(400, 200), (400, 2000)]),
            (ToneCountry::US, &[(2000, 4000)]),
        ];
        for (country, steps) in cases {
            for law in [Law::Alaw, Law::Ulaw] {
                assert_eq!(
                    on_frames(country, law),
                    expected(steps),
                    "{country:?} {law:?}"
                );
            }
        }
    }

    #[test]
    fn the_tones_have_the_right_frequencies() {
        let cases: [(ToneCountry, &[f64]); 3] = [
            (ToneCountry::PL, &[425.0]),
            (ToneCountry::GB, &[400.0, 450.0]),
            (ToneCountry::US, &[440.0, 480.0]),
        ];
        for (country, freqs) in cases {
            let frame = frames(ringback(country), Law::Alaw, 5)[4];
            for f in freqs {
                assert!(goertzel(&frame, *f) > 0.3, "{country:?} lacks {f} Hz");
            }
            for off in [250.0, 700.0, 1000.0] {
                assert!(goertzel(&frame, off) < 0.02, "{country:?} has {off} Hz");
            }
        }
    }

    #[test]
    fn clips_are_shared() {
        assert!(ringback(ToneCountry::US).same(&ringback(ToneCountry::US)));
    }
}
