//! Generated audio: a looping clip, encoded once in both G.711 laws, cut into 20 ms frames.
//!
//! Every [`Source`] becomes a [`Clip`] shared by all legs that play it: ringback and the
//! built-in hold music are synthesised once per process, a WAV file is loaded once per
//! engine ([`super::engine`] caches it), and silence is a single frame. A [`Player`] is the
//! position in a clip: a few bytes per playing leg.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::g711::Law;
use super::{music, tones, wav, Source};

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

/// The clip for a source that needs no file: ringback, silence, or the built-in music (a
/// `HoldMusic` file is loaded by [`hold_music`]).
pub fn builtin_clip(source: &Source) -> Clip {
    match source {
        Source::Ringback(country) => tones::ringback(*country),
        Source::Silence => silence(),
        Source::HoldMusic(_) => builtin_music(),
    }
}

/// A position in a looping clip.
#[derive(Debug, Clone)]
pub struct Player {
    clip: Clip,
    pos: usize,
}

impl Player {
    /// Starts `clip` from its beginning.
    pub fn new(clip: Clip) -> Player {
        Player { clip, pos: 0 }
    }

    /// Replaces the clip (e.g. when a file finished loading), starting it from the beginning.
    pub fn set_clip(&mut self, clip: Clip) {
        self.clip = clip;
        self.pos = 0;
    }

    /// Fills `out` with the next 20 ms encoded in `law`, looping at the clip's end (an empty
    /// clip gives silence).
    pub fn next_frame(&mut self, law: Law, out: &mut [u8; FRAME_SAMPLES]) {
        let bytes = self.clip.encoded(law);
        if bytes.is_empty() {
            out.fill(law.silence());
            return;
        }
        let mut filled = 0;
        while filled < out.len() {
            if self.pos >= bytes.len() {
                self.pos = 0;
            }
            let n = (bytes.len() - self.pos).min(out.len() - filled);
            out[filled..filled + n].copy_from_slice(&bytes[self.pos..self.pos + n]);
            filled += n;
            self.pos += n;
        }
    }

    /// Skips `frames` frames (the pacing clock fell behind and dropped them).
    pub fn skip(&mut self, frames: u32) {
        if let Some(len) = std::num::NonZeroUsize::new(self.clip.len()) {
            let step = (frames as usize).wrapping_mul(FRAME_SAMPLES) % len.get();
            self.pos = (self.pos % len.get() + step) % len.get();
        }
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
