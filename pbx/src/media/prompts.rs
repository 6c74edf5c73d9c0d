//! The built-in voicemail prompts: spoken English compiled into the binary as raw 8 kHz
//! µ-law (`pbx/assets/prompts/*.ulaw`, made by `scripts/make-prompts.sh`), plus a
//! synthesised beep. Each is decoded into a [`Clip`] once per process, on first use.

use std::sync::OnceLock;

use super::g711::Law;
use super::player::{Clip, SAMPLE_RATE};
use super::Prompt;

/// Every prompt, in declaration order.
pub const ALL: [Prompt; 8] = [
    Prompt::Greeting,
    Prompt::Beep,
    Prompt::NewMessages,
    Prompt::NoMessages,
    Prompt::Menu,
    Prompt::Deleted,
    Prompt::EndOfMessages,
    Prompt::Goodbye,
];

/// The beep's frequency.
pub const BEEP_HZ: f32 = 1000.0;
/// The beep's length in milliseconds.
pub const BEEP_MS: u32 = 400;
/// The beep's peak amplitude (about −10 dBFS).
const BEEP_AMPLITUDE: f32 = 10_000.0;
/// The beep's fade in and out, so it does not click.
const BEEP_RAMP_MS: u32 = 5;

/// The clip of `prompt` (decoded on first use, then shared).
pub fn clip(prompt: Prompt) -> Clip {
    static CLIPS: [OnceLock<Clip>; ALL.len()] = [const { OnceLock::new() }; ALL.len()];
    CLIPS[index(prompt)]
        .get_or_init(|| Clip::from_samples(&samples(prompt)))
        .clone()
}

/// The prompt's linear samples at 8 kHz.
pub fn samples(prompt: Prompt) -> Vec<i16> {
    let ulaw: &[u8] = match prompt {
        Prompt::Beep => return beep(),
        Prompt::Greeting => include_bytes!("../../assets/prompts/greeting.ulaw"),
        Prompt::NewMessages => include_bytes!("../../assets/prompts/new-messages.ulaw"),
        Prompt::NoMessages => include_bytes!("../../assets/prompts/no-messages.ulaw"),
        Prompt::Menu => include_bytes!("../../assets/prompts/menu.ulaw"),
        Prompt::Deleted => include_bytes!("../../assets/prompts/deleted.ulaw"),
        Prompt::EndOfMessages => include_bytes!("../../assets/prompts/end-of-messages.ulaw"),
        Prompt::Goodbye => include_bytes!("../../assets/prompts/goodbye.ulaw"),
    };
    ulaw.iter().map(|b| Law::Ulaw.decode(*b)).collect()
}

fn index(prompt: Prompt) -> usize {
    match prompt {
        Prompt::Greeting => 0,
        Prompt::Beep => 1,
        Prompt::NewMessages => 2,
        Prompt::NoMessages => 3,
        Prompt::Menu => 4,
        Prompt::Deleted => 5,
        Prompt::EndOfMessages => 6,
        Prompt::Goodbye => 7,
    }
}

/// A 1 kHz tone of [`BEEP_MS`], faded in and out.
fn beep() -> Vec<i16> {
    let len = (BEEP_MS * SAMPLE_RATE / 1000) as usize;
    let ramp = (BEEP_RAMP_MS * SAMPLE_RATE / 1000) as f32;
    (0..len)
        .map(|n| {
            let t = n as f32 / SAMPLE_RATE as f32;
            let edge = (n.min(len - 1 - n) as f32 / ramp).min(1.0);
            (BEEP_AMPLITUDE * edge * (std::f32::consts::TAU * BEEP_HZ * t).sin()) as i16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::player::tests::energy;
    use crate::media::player::FRAME_SAMPLES;

    #[test]
    fn every_prompt_decodes_to_audible_audio_of_a_sane_length() {
        for prompt in ALL {
            let s = samples(prompt);
            let secs = s.len() as f64 / f64::from(SAMPLE_RATE);
            assert!((0.3..=8.0).contains(&secs), "{prompt:?}: {secs} s");
            let loud = s
                .chunks(FRAME_SAMPLES)
                .filter(|f| energy(f) > 1_000_000.0)
                .count();
            let frames = s.len() / FRAME_SAMPLES;
            assert!(
                loud * 3 >= frames,
                "{prompt:?}: {loud} of {frames} frames audible"
            );
            let peak = s.iter().map(|x| x.unsigned_abs()).max().unwrap_or(0);
            assert!((8000..32000).contains(&peak), "{prompt:?}: peak {peak}");
        }
    }

    #[test]
    fn the_prompts_are_small_and_distinct() {
        let total: usize = ALL.iter().map(|p| samples(*p).len()).sum();
        assert!(total < 150_000, "{total} bytes of µ-law");
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                assert_ne!(samples(*a), samples(*b), "{a:?} = {b:?}");
            }
            assert_eq!(index(*a), i);
        }
    }

    #[test]
    fn the_beep_is_a_1khz_tone_of_400ms() {
        let s = samples(Prompt::Beep);
        assert_eq!(s.len(), 3200);
        // Zero crossings: 2 per period, 400 periods.
        let crossings = s.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!((790..=810).contains(&crossings), "{crossings}");
        assert!(
            s[0].unsigned_abs() < 100 && s[3199].unsigned_abs() < 100,
            "not faded"
        );
    }

    #[test]
    fn clips_are_decoded_once() {
        assert!(clip(Prompt::Menu).same(&clip(Prompt::Menu)));
        assert_eq!(clip(Prompt::Beep).len(), 3200);
    }
}
