//! Generated audio: a clip (looping, or played once), encoded once in both G.711 laws, cut
//! into 20 ms frames.
//!
//! Every [`Source`] becomes a [`Clip`] shared by all legs that play it: ringback and the
//! built-in hold music are synthesised and the prompts decoded once per process, a hold-music
//! WAV file is loaded once per engine ([`super::engine`] caches it; a `File` to play once is
//! loaded each time), and silence is a single frame. A [`Player`] is the
//! position in a clip: a few bytes per playing leg.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::g711::Law;
use super::{music, prompts, tones, wav, Prompt, Source};

/// Samples per second of everything played.
pub const SAMPLE_RATE: u32 = 8000;

/// Samples (and G.711 bytes) in one 20 ms frame.
pub const FRAME_SAMPLES: usize = 160;

/// Audio to loop at [`SAMPLE_RATE`], encoded once in each law so that a frame is a copy (two
/// bytes per sample in all, like linear audio). Cloning shares it.
#[derive(Debug, Clone)]
pub struct Clip {
    ulaw: Arc<[u8]>,
    alaw: Arc<[u8]>,
}

impl Clip {
    /// Encodes linear samples.
    pub fn from_samples(samples: &[i16]) -> Clip {
        let encode = |law: Law| samples.iter().map(|s| law.encode(*s)).collect();
        Clip {
            ulaw: encode(Law::Ulaw),
            alaw: encode(Law::Alaw),
        }
    }

    /// The clip in `law`.
    pub fn encoded(&self, law: Law) -> &[u8] {
        match law {
            Law::Ulaw => &self.ulaw,
            Law::Alaw => &self.alaw,
        }
    }

    /// Its length in samples.
    pub fn len(&self) -> usize {
        self.ulaw.len()
    }

    /// Whether it has no samples.
    pub fn is_empty(&self) -> bool {
        self.ulaw.is_empty()
    }

    /// Whether both are the same shared clip.
    pub fn same(&self, other: &Clip) -> bool {
        Arc::ptr_eq(&self.ulaw, &other.ulaw)
    }
}

/// A one-frame clip of silence.
pub fn silence() -> Clip {
    static SILENCE: OnceLock<Clip> = OnceLock::new();
    SILENCE
        .get_or_init(|| Clip::from_samples(&[0; FRAME_SAMPLES]))
        .clone()
}

/// The built-in hold music (synthesised on first use).
pub fn builtin_music() -> Clip {
    static MUSIC: OnceLock<Clip> = OnceLock::new();
    MUSIC
        .get_or_init(|| Clip::from_samples(&music::render()))
        .clone()
}

/// Hold music from `path` when it loads, else (with a warning naming the file and the
/// reason) the built-in music. Reads the file: call it off the packet path.
pub fn hold_music(path: Option<&Path>) -> Clip {
    let Some(path) = path else {
        return builtin_music();
    };
    match wav::load(path) {
        Ok(samples) => Clip::from_samples(&samples),
        Err(e) => {
            tracing::warn!(
                file = %path.display(),
                reason = %e,
                "hold music file unusable, playing the built-in music instead"
            );
            builtin_music()
        }
    }
}

/// The clip for a source that needs no file: ringback, silence, a prompt, or the built-in
/// music (a `HoldMusic` file is loaded by [`hold_music`], a `File` by [`file_or`]; until
/// then the fallback's clip is given).
pub fn builtin_clip(source: &Source) -> Clip {
    match source {
        Source::Ringback(country) => tones::ringback(*country),
        Source::Silence => silence(),
        Source::HoldMusic(_) => builtin_music(),
        Source::Prompt(prompt)
        | Source::File {
            fallback: prompt, ..
        } => prompts::clip(*prompt),
    }
}

/// The audio of a WAV file to play once, or (with a warning naming the file and the reason)
/// the `fallback` prompt. Reads the file: call it off the packet path.
pub fn file_or(path: &Path, fallback: Prompt) -> Clip {
    match wav::load(path) {
        Ok(samples) => Clip::from_samples(&samples),
        Err(e) => {
            tracing::warn!(
                file = %path.display(),
                reason = %e,
                ?fallback,
                "audio file unusable, playing the built-in prompt instead"
            );
            prompts::clip(fallback)
        }
    }
}

/// Whether a player loops its clip or plays it once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Loops for ever.
    Loop,
    /// Plays the clip once, then reports it finished.
    Once,
    /// Loops silence until [`Player::set_clip`] gives the clip, then plays that once (a file
    /// still loading).
    OnceWhenSet,
}

/// A position in a clip.
#[derive(Debug, Clone)]
pub struct Player {
    clip: Clip,
    pos: usize,
    repeat: Repeat,
}

impl Player {
    /// Starts looping `clip` from its beginning.
    pub fn new(clip: Clip) -> Player {
        Player::with(clip, Repeat::Loop)
    }

    /// Starts `clip` from its beginning, looping or not.
    pub fn with(clip: Clip, repeat: Repeat) -> Player {
        Player {
            clip,
            pos: 0,
            repeat,
        }
    }

    /// Replaces the clip (e.g. when a file finished loading), starting it from the beginning.
    pub fn set_clip(&mut self, clip: Clip) {
        self.clip = clip;
        self.pos = 0;
        if self.repeat == Repeat::OnceWhenSet {
            self.repeat = Repeat::Once;
        }
    }

    /// Fills `out` with the next 20 ms encoded in `law`, looping at the clip's end (an empty
    /// clip gives silence). Playing once, the frame after the end is silence and the result
    /// tells that the clip has ended (it stays ended).
    pub fn next_frame(&mut self, law: Law, out: &mut [u8; FRAME_SAMPLES]) -> bool {
        let bytes = self.clip.encoded(law);
        let once = self.repeat == Repeat::Once;
        if bytes.is_empty() || (once && self.pos >= bytes.len()) {
            out.fill(law.silence());
            return once;
        }
        let mut filled = 0;
        while filled < out.len() {
            if self.pos >= bytes.len() {
                if once {
                    out[filled..].fill(law.silence());
                    break;
                }
                self.pos = 0;
            }
            let n = (bytes.len() - self.pos).min(out.len() - filled);
            out[filled..filled + n].copy_from_slice(&bytes[self.pos..self.pos + n]);
            filled += n;
            self.pos += n;
        }
        once && self.pos >= bytes.len()
    }

    /// Skips `frames` frames (the pacing clock fell behind and dropped them, or the leg has
    /// nowhere to send to); tells whether a clip played once has ended.
    pub fn skip(&mut self, frames: u32) -> bool {
        let step = (frames as usize).saturating_mul(FRAME_SAMPLES);
        let len = self.clip.len();
        if self.repeat == Repeat::Once {
            self.pos = self.pos.saturating_add(step).min(len);
            return self.pos >= len;
        }
        if let Some(len) = std::num::NonZeroUsize::new(len) {
            self.pos = (self.pos % len.get() + step % len.get()) % len.get();
        }
        false
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::media::g711;

    /// The decoded frames of `frames` × 20 ms of `clip` in `law`.
    pub(crate) fn frames(clip: Clip, law: Law, frames: usize) -> Vec<[i16; FRAME_SAMPLES]> {
        let mut player = Player::new(clip);
        (0..frames)
            .map(|_| {
                let mut enc = [0u8; FRAME_SAMPLES];
                player.next_frame(law, &mut enc);
                let mut pcm = [0i16; FRAME_SAMPLES];
                g711::decode(law, &enc, &mut pcm);
                pcm
            })
            .collect()
    }

    /// Mean square of a frame.
    pub(crate) fn energy(frame: &[i16]) -> f64 {
        frame.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / frame.len() as f64
    }

    #[test]
    fn the_player_loops_its_clip() {
        let clip = Clip::from_samples(&(0..100).map(|i| i * 100).collect::<Vec<i16>>());
        let mut p = Player::new(clip);
        let mut out = [0u8; FRAME_SAMPLES];
        p.next_frame(Law::Alaw, &mut out);
        assert_eq!(out[0], Law::Alaw.encode(0));
        assert_eq!(out[99], Law::Alaw.encode(9900));
        assert_eq!(out[100], Law::Alaw.encode(0));
        assert_eq!(out[159], Law::Alaw.encode(5900));
        p.skip(1); // 160 ahead: from 60 to 20
        p.next_frame(Law::Ulaw, &mut out);
        assert_eq!(out[0], Law::Ulaw.encode(2000));
    }

    #[test]
    fn a_clip_played_once_ends_in_silence_and_says_so() {
        let clip = Clip::from_samples(&[1000; 400]);
        let mut p = Player::with(clip.clone(), Repeat::Once);
        let mut out = [0u8; FRAME_SAMPLES];
        assert!(!p.next_frame(Law::Ulaw, &mut out));
        assert!(!p.next_frame(Law::Ulaw, &mut out));
        assert!(
            p.next_frame(Law::Ulaw, &mut out),
            "the third frame holds the end"
        );
        assert_eq!(out[79], Law::Ulaw.encode(1000));
        assert!(out[80..].iter().all(|b| *b == Law::Ulaw.silence()));
        assert!(p.next_frame(Law::Ulaw, &mut out));
        assert!(out.iter().all(|b| *b == Law::Ulaw.silence()));
        // An exact multiple of frames ends with its last frame; skipping ends too.
        let mut p = Player::with(Clip::from_samples(&[1000; 320]), Repeat::Once);
        assert!(!p.next_frame(Law::Alaw, &mut out));
        assert!(p.next_frame(Law::Alaw, &mut out));
        let mut p = Player::with(clip, Repeat::Once);
        assert!(!p.skip(2));
        assert!(p.skip(1));
    }

    #[test]
    fn a_clip_still_loading_loops_silence_then_plays_once() {
        let mut p = Player::with(silence(), Repeat::OnceWhenSet);
        let mut out = [0u8; FRAME_SAMPLES];
        for _ in 0..5 {
            assert!(!p.next_frame(Law::Ulaw, &mut out));
            assert!(!p.skip(3));
        }
        p.set_clip(Clip::from_samples(&[500; FRAME_SAMPLES]));
        assert!(p.next_frame(Law::Ulaw, &mut out));
        assert_eq!(out[0], Law::Ulaw.encode(500));
    }

    #[test]
    fn a_file_falls_back_to_its_prompt() {
        use crate::media::prompts;
        let clip = file_or(Path::new("/nonexistent/greeting.wav"), Prompt::Greeting);
        assert!(clip.same(&prompts::clip(Prompt::Greeting)));
    }

    #[test]
    fn silence_and_an_empty_clip_are_silent() {
        for clip in [silence(), Clip::from_samples(&[])] {
            let mut p = Player::new(clip);
            let mut out = [1u8; FRAME_SAMPLES];
            p.next_frame(Law::Ulaw, &mut out);
            assert!(out.iter().all(|b| *b == Law::Ulaw.silence()));
            p.skip(3);
        }
    }

    #[test]
    fn a_missing_file_falls_back_to_the_builtin_music() {
        let clip = hold_music(Some(Path::new("/nonexistent/centrala-hold.wav")));
        assert!(clip.same(&builtin_music()));
        assert!(hold_music(None).same(&builtin_music()));
    }

    #[test]
    fn a_file_that_is_not_a_wav_falls_back_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hold.wav");
        std::fs::write(&path, b"this is not a RIFF file at all").unwrap();
        assert!(hold_music(Some(&path)).same(&builtin_music()));
    }
}
