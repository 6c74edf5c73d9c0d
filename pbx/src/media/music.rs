//! The built-in hold music: a gentle eight-bar tune (C, Am, F, G, twice) of soft bell-like
//! notes over a bass line, synthesised from a small note table into a seamless 24 s loop.

use super::player::SAMPLE_RATE;

/// Length of an eighth note in samples (80 beats per minute).
const EIGHTH: usize = (SAMPLE_RATE as usize * 60 / 80) / 2;

/// The tune: (MIDI note, length in eighths); eight bars of eight eighths.
#[rustfmt::skip]
const MELODY: &[(u8, usize)] = &[
    (76, 2), (79, 2), (84, 3), (83, 1), // C
    (81, 2), (76, 2), (72, 4),          // Am
    (77, 2), (81, 2), (84, 2), (81, 2), // F
    (79, 4), (74, 2), (71, 2),          // G
    (72, 2), (76, 2), (79, 3), (77, 1), // C
    (76, 2), (72, 2), (69, 4),          // Am
    (65, 2), (69, 2), (72, 2), (74, 2), // F
    (71, 4), (67, 4),                   // G
];

/// The bass: one root per bar, played on beats one and three.
const BASS: &[u8] = &[48, 45, 41, 43, 48, 45, 41, 43];

/// How a voice sounds: harmonic weights, and how fast it fades (seconds to 1/e).
struct Voice {
    harmonics: &'static [f32],
    decay: f32,
    level: f32,
}

const BELL: Voice = Voice {
    harmonics: &[1.0, 0.3, 0.12],
    decay: 0.45,
    level: 0.5,
};

const BASS_VOICE: Voice = Voice {
    harmonics: &[1.0, 0.2],
    decay: 0.8,
    level: 0.45,
};

/// Peak level of the mix.
const PEAK: f32 = 9000.0;

/// Renders the loop (8 kHz, 16-bit).
pub fn render() -> Vec<i16> {
    let len = BASS.len() * 8 * EIGHTH;
    let mut mix = vec![0f32; len];
    let mut at = 0;
    for (note, eighths) in MELODY {
        add_note(&mut mix, at, *note, &BELL);
        at += eighths * EIGHTH;
    }
    for (bar, root) in BASS.iter().enumerate() {
        add_note(&mut mix, bar * 8 * EIGHTH, *root, &BASS_VOICE);
        add_note(&mut mix, (bar * 8 + 4) * EIGHTH, *root, &BASS_VOICE);
    }
    let loudest = mix.iter().fold(0f32, |m, s| m.max(s.abs())).max(1e-6);
    mix.iter().map(|s| (s * PEAK / loudest) as i16).collect()
}

/// Adds one note starting at sample `at`; its tail wraps round to the loop's start.
fn add_note(mix: &mut [f32], at: usize, note: u8, voice: &Voice) {
    let freq = 440.0 * 2f32.powf((f32::from(note) - 69.0) / 12.0);
    let rate = SAMPLE_RATE as f32;
    let attack = 0.01 * rate;
    let tail = (voice.decay * 5.0 * rate) as usize;
    let len = mix.len();
    for n in 0..tail.min(len) {
        let t = n as f32 / rate;
        let envelope = (n as f32 / attack).min(1.0) * (-t / voice.decay).exp();
        let tone: f32 = voice
            .harmonics
            .iter()
            .enumerate()
            .map(|(h, w)| w * (std::f32::consts::TAU * freq * (h as f32 + 1.0) * t).sin())
            .sum();
        mix[(at + n) % len] += voice.level * envelope * tone;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::player::tests::energy;
    use crate::media::player::FRAME_SAMPLES;

    #[test]
    fn the_loop_is_audible_throughout_and_not_clipped() {
        let music = render();
        assert_eq!(music.len(), 24 * SAMPLE_RATE as usize);
        let peak = music.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        assert!((8000..=9000).contains(&peak), "peak {peak}");
        let quiet = music
            .chunks(FRAME_SAMPLES)
            .filter(|f| energy(f) < 10_000.0)
            .count();
        assert_eq!(quiet, 0, "frames of near silence in the music");
    }

    #[test]
    fn the_melody_fills_the_eight_bars() {
        let eighths: usize = MELODY.iter().map(|(_, e)| e).sum();
        assert_eq!(eighths, BASS.len() * 8);
    }
}
