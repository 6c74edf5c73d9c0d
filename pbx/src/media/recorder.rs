//! A recording's decisions, without I/O: which samples go into the file, and when and why it
//! ends (time limit, silence). Fed decoded audio packets and the time since the recording
//! started; the engine's shell (`recording.rs`) moves the samples and writes the file.
//!
//! **Time.** The file's length counts samples. Gaps in the RTP timestamps of one stream (lost
//! packets, or a phone that stops sending during pauses) are filled with silence, so the
//! message keeps its real timing; a late or repeated packet is dropped. Because a phone may
//! also stop sending altogether, or send only comfort-noise packets (which are not audio),
//! the wall clock ends the recording too: [`Recorder::on_tick`] ends it after the silence
//! time without audio packets, or at the limit.
//!
//! **Silence.** A packet is silent when its audio's power (after removing any DC offset) is
//! below [`SILENCE_DBFS`]. That is well above what a quiet office sounds like through a
//! phone's microphone and above the comfort noise phones and gateways send in G.711 (−50 to
//! −70 dBFS), and below speech (around −20 to −30 dBFS on average, soft syllables rarely under
//! −40). Pauses between words are short compared with the silence time, so they do not end a
//! message. A caller in a loud street may never be "silent": the limit then ends the message.
//!
//! **Trimming.** When silence ends a recording, the file keeps the audio up to the end of the
//! last packet that was not silent ([`Ending::keep`]); that trailing silence is neither in
//! the file nor in its duration.

use std::time::Duration;

use super::player::SAMPLE_RATE;

/// The level under which audio counts as silence, in dB relative to full scale (a full-scale
/// sine is −3 dBFS).
pub const SILENCE_DBFS: f64 = -45.0;

/// Mean square power of a full-scale signal's reference (32768²).
const FULL_SCALE_POWER: f64 = 32768.0 * 32768.0;

/// Why a recording ends, as this module decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The time limit.
    Limit,
    /// Continuous silence (or no audio) for the silence time.
    Silence,
}

/// The end of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    /// Why.
    pub why: Why,
    /// How many samples of the file to keep (the rest is trailing silence).
    pub keep: u64,
}

/// What to do with one audio packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Samples of silence to write first (a gap in the stream).
    pub gap: usize,
    /// How many of the packet's samples to write (from its start).
    pub take: usize,
    /// The recording ends after writing them.
    pub end: Option<Ending>,
}

/// One recording's state.
#[derive(Debug, Clone)]
pub struct Recorder {
    limit: u64,
    limit_wall: Duration,
    /// Silent samples that end it; 0 when silence does not end it.
    silence: u64,
    silence_wall: Duration,
    /// Samples written so far.
    samples: u64,
    /// Samples up to the end of the last packet that was not silent.
    voiced_end: u64,
    /// Silent samples at the end so far.
    silent_run: u64,
    /// The stream being recorded: SSRC and the timestamp expected next.
    stream: Option<(u32, u32)>,
    /// When the last audio packet came.
    last_audio: Duration,
    ended: bool,
}

/// Samples in `d` at 8 kHz.
pub fn samples_in(d: Duration) -> u64 {
    u64::try_from(d.as_millis() * u128::from(SAMPLE_RATE) / 1000).unwrap_or(u64::MAX)
}

/// Whether `frame` is silence (see the module documentation). An empty frame is.
pub fn is_silent(frame: &[i16]) -> bool {
    if frame.is_empty() {
        return true;
    }
    let n = frame.len() as f64;
    let sum: i64 = frame.iter().map(|s| i64::from(*s)).sum();
    let squares: i64 = frame.iter().map(|s| i64::from(*s) * i64::from(*s)).sum();
    let mean = sum as f64 / n;
    let power = squares as f64 / n - mean * mean;
    power < FULL_SCALE_POWER * 10f64.powf(SILENCE_DBFS / 10.0)
}

impl Recorder {
    /// A recording of at most `limit`, ended by `silence` of continuous silence (a zero
    /// `silence` never ends it).
    pub fn new(limit: Duration, silence: Duration) -> Recorder {
        Recorder {
            limit: samples_in(limit),
            limit_wall: limit,
            silence: samples_in(silence),
            silence_wall: silence,
            samples: 0,
            voiced_end: 0,
            silent_run: 0,
            stream: None,
            last_audio: Duration::ZERO,
            ended: false,
        }
    }

    /// Samples written so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// An audio packet at `now` (since the start): its RTP SSRC and timestamp and its decoded
    /// samples. Says what to write and whether the recording ends.
    pub fn on_audio(&mut self, now: Duration, ssrc: u32, timestamp: u32, frame: &[i16]) -> Step {
        let mut step = Step {
            gap: 0,
            take: 0,
            end: None,
        };
        if self.ended {
            return step;
        }
        self.last_audio = now;
        let Some(gap) = self.gap(ssrc, timestamp) else {
            return step;
        };
        self.stream = Some((ssrc, timestamp.wrapping_add(frame.len() as u32)));
        step.gap = self.room(gap);
        self.samples += step.gap as u64;
        self.silent_run += step.gap as u64;
        step.end = self.check();
        if step.end.is_some() {
            return step;
        }
        step.take = self.room(frame.len());
        self.samples += step.take as u64;
        if is_silent(&frame[..step.take]) {
            self.silent_run += step.take as u64;
        } else {
            self.silent_run = 0;
            self.voiced_end = self.samples;
        }
        step.end = self.check();
        step
    }

    /// Time passes (call it every few tens of milliseconds): ends the recording when no audio
    /// came for the silence time, or at the limit.
    pub fn on_tick(&mut self, now: Duration) -> Option<Ending> {
        if self.ended {
            return None;
        }
        let quiet = self.silence > 0 && now.saturating_sub(self.last_audio) >= self.silence_wall;
        let why = if quiet {
            Why::Silence
        } else if now >= self.limit_wall {
            Why::Limit
        } else {
            return None;
        };
        Some(self.end(why))
    }

    /// The silence to insert before a packet of this stream, or `None` to drop the packet
    /// (late or repeated).
    fn gap(&self, ssrc: u32, timestamp: u32) -> Option<usize> {
        let Some((s, expected)) = self.stream else {
            return Some(0);
        };
        if s != ssrc {
            return Some(0);
        }
        let ahead = timestamp.wrapping_sub(expected) as i32;
        let window =
            i64::try_from(self.silence.max(samples_in(Duration::from_secs(5)))).unwrap_or(i64::MAX);
        match i64::from(ahead) {
            // A small step back: a late or repeated packet.
            a if a < 0 && -a <= window => None,
            // A plausible gap: fill it.
            a if a > 0 && a <= window => usize::try_from(a).ok(),
            // A jump: the phone restarted its timestamps; carry on from here.
            _ => Some(0),
        }
    }

    /// How many of `want` samples still fit under the limit.
    fn room(&self, want: usize) -> usize {
        let left = self.limit.saturating_sub(self.samples);
        usize::try_from(left).map_or(want, |left| want.min(left))
    }

    fn check(&mut self) -> Option<Ending> {
        if self.silence > 0 && self.silent_run >= self.silence {
            Some(self.end(Why::Silence))
        } else if self.samples >= self.limit {
            Some(self.end(Why::Limit))
        } else {
            None
        }
    }

    fn end(&mut self, why: Why) -> Ending {
        self.ended = true;
        let keep = match why {
            Why::Limit => self.samples,
            Why::Silence => self.voiced_end,
        };
        Ending { why, keep }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn tone(amplitude: f64) -> [i16; 160] {
        std::array::from_fn(|n| {
            (amplitude * (std::f64::consts::TAU * 1000.0 * n as f64 / 8000.0).sin()) as i16
        })
    }

    /// Feeds `frames` packets of `frame` 20 ms apart from packet number `from`; returns the
    /// samples written and the ending, if any.
    fn feed(r: &mut Recorder, from: u32, frames: u32, frame: &[i16]) -> (u64, Option<Ending>) {
        let mut written = 0;
        for i in from..from + frames {
            let step = r.on_audio(MS * 20 * i, 7, i * 160, frame);
            written += (step.gap + step.take) as u64;
            if step.end.is_some() {
                return (written, step.end);
            }
        }
        (written, None)
    }

    #[test]
    fn silence_threshold_separates_speech_from_line_noise() {
        assert!(is_silent(&[0; 160]));
        assert!(is_silent(&[]));
        // G.711 idle patterns and faint noise: µ-law 0xff is 0, A-law 0xd5 is 8.
        assert!(is_silent(&[8; 160]));
        assert!(is_silent(&tone(150.0))); // about −50 dBFS
                                          // A DC offset alone is not sound.
        assert!(is_silent(&[3000; 160]));
        let noisy: Vec<i16> = tone(150.0).iter().map(|s| s + 2000).collect();
        assert!(is_silent(&noisy));
        assert!(!is_silent(&tone(500.0))); // about −39 dBFS: quiet speech
        assert!(!is_silent(&tone(8000.0)));
    }

    #[test]
    fn silence_ends_it_and_is_trimmed() {
        let mut r = Recorder::new(Duration::from_secs(60), Duration::from_secs(2));
        assert_eq!(feed(&mut r, 0, 50, &tone(8000.0)), (8000, None));
        let (written, end) = feed(&mut r, 50, 1000, &[0; 160]);
        assert_eq!(written, 16000, "ends right after 2 s of silence");
        assert_eq!(
            end,
            Some(Ending {
                why: Why::Silence,
                keep: 8000
            })
        );
        // Nothing more once ended.
        assert_eq!(r.on_audio(MS * 5000, 7, 99_999, &tone(8000.0)).take, 0);
        assert_eq!(r.on_tick(MS * 99_999), None);
    }

    #[test]
    fn pauses_shorter_than_the_silence_time_are_kept() {
        let mut r = Recorder::new(Duration::from_secs(60), Duration::from_secs(2));
        feed(&mut r, 0, 50, &tone(8000.0));
        feed(&mut r, 50, 90, &[0; 160]); // 1.8 s pause
        feed(&mut r, 140, 10, &tone(8000.0));
        let (_, end) = feed(&mut r, 150, 200, &[0; 160]);
        assert_eq!(end.map(|e| e.keep), Some(150 * 160));
    }

    #[test]
    fn the_limit_cuts_the_last_packet() {
        let mut r = Recorder::new(MS * 1010, Duration::from_secs(5));
        let (written, end) = feed(&mut r, 0, 100, &tone(8000.0));
        assert_eq!(written, 8080);
        assert_eq!(
            end,
            Some(Ending {
                why: Why::Limit,
                keep: 8080
            })
        );
    }

    #[test]
    fn a_zero_silence_time_never_ends_on_silence() {
        let mut r = Recorder::new(Duration::from_secs(1), Duration::ZERO);
        let (written, end) = feed(&mut r, 0, 100, &[0; 160]);
        assert_eq!(written, 8000);
        assert_eq!(end.map(|e| (e.why, e.keep)), Some((Why::Limit, 8000)));
    }

    #[test]
    fn gaps_are_filled_and_late_packets_dropped() {
        let mut r = Recorder::new(Duration::from_secs(60), Duration::from_secs(3));
        let t = tone(8000.0);
        assert_eq!(r.on_audio(MS, 7, 1000, &t).take, 160);
        // Packets 2..=4 lost (or not sent during a pause): 480 samples of silence first.
        let step = r.on_audio(MS * 80, 7, 1000 + 4 * 160, &t);
        assert_eq!((step.gap, step.take), (480, 160));
        // A repeat of the previous packet, and a late one, are dropped.
        assert_eq!(r.on_audio(MS * 81, 7, 1000 + 4 * 160, &t).take, 0);
        assert_eq!(r.on_audio(MS * 82, 7, 1000 + 2 * 160, &t).take, 0);
        // A new SSRC, or a wild jump, continues without a gap.
        let step = r.on_audio(MS * 100, 8, 5, &t);
        assert_eq!((step.gap, step.take), (0, 160));
        let step = r.on_audio(MS * 120, 8, 3_000_000_000, &t);
        assert_eq!((step.gap, step.take), (0, 160));
        assert_eq!(r.samples(), 160 * 4 + 480);
    }

    #[test]
    fn a_gap_longer_than_the_silence_time_ends_it() {
        let mut r = Recorder::new(Duration::from_secs(60), Duration::from_secs(1));
        feed(&mut r, 0, 10, &tone(8000.0));
        let step = r.on_audio(MS * 1300, 7, 60 * 160, &tone(8000.0));
        assert_eq!((step.gap, step.take), (8000, 0));
        assert_eq!(
            step.end.map(|e| (e.why, e.keep)),
            Some((Why::Silence, 1600))
        );
    }

    #[test]
    fn the_wall_clock_ends_it_without_packets() {
        let mut r = Recorder::new(Duration::from_secs(10), Duration::from_secs(2));
        assert_eq!(r.on_tick(MS * 1999), None);
        assert_eq!(
            r.on_tick(MS * 2000),
            Some(Ending {
                why: Why::Silence,
                keep: 0
            })
        );
        // Audio keeps it going; after it stops (or only comfort noise comes), the silence
        // time on the clock ends it, keeping the audio.
        let mut r = Recorder::new(Duration::from_secs(10), Duration::from_secs(2));
        feed(&mut r, 0, 50, &tone(8000.0)); // the last at 0.98 s
        assert_eq!(r.on_tick(MS * 2970), None);
        assert_eq!(
            r.on_tick(MS * 2980),
            Some(Ending {
                why: Why::Silence,
                keep: 8000
            })
        );
        let mut r = Recorder::new(Duration::from_secs(3), Duration::from_secs(2));
        feed(&mut r, 0, 140, &tone(8000.0)); // the last at 2.78 s
        assert_eq!(r.on_tick(MS * 2999), None);
        assert_eq!(r.on_tick(MS * 3000).map(|e| e.why), Some(Why::Limit));
    }
}
