//! Call-progress tones: each country's tone plan, a detector that tells which tone a line
//! is playing by its frequencies *and* its cadence, and a generator.
//!
//! # Tone plans
//! From ITU-T E.180 Supplement 2 (the tones in use per country) and the national
//! specifications it reflects (BT SIN 350 for the United Kingdom, the North American
//! "precise tone plan"):
//!
//! | | dial | busy | reorder (congestion) | ringback |
//! |---|---|---|---|---|
//! | PL | 425 continuous | 425, 0.5 on 0.5 off | as busy | 425, 1 on 4 off |
//! | DE | 425 continuous | 425, 0.48/0.48 | 425, 0.24/0.24 | 425, 1 on 4 off |
//! | GB | 350+440 continuous | 400, 0.375/0.375 | 400, 0.4 on 0.35 off 0.225 on 0.525 off | 400+450, 0.4 on 0.2 off 0.4 on 2 off |
//! | US | 350+440 continuous | 480+620, 0.5/0.5 | 480+620, 0.25/0.25 | 440+480, 2 on 4 off |
//!
//! Poland's congestion tone is its busy tone, so the detector reports it as busy.
//!
//! # Detection
//! Every 10 ms, a 20 ms window (50 Hz resolution, enough to tell 400 from 450 Hz) is
//! classified by the plan's frequency sets: a set matches when each of its frequencies
//! carries at least 10 % of the window's energy, all of them together at least 60 %, and
//! the level is above −40 dBm0. Changes of class need two windows in a row (a 10 ms dropout
//! is ignored). The resulting on/off segments are matched against each tone's cadence with
//! a tolerance of 20 % + 40 ms per segment:
//!
//! - a continuous tone (dial) qualifies once on for 300 ms, and longer than any cadenced
//!   tone of the same frequencies stays on (+25 %: 1.25 s in PL and DE, where ringback
//!   bursts are 425 Hz for 1 s);
//! - busy and reorder need four matching segments (two bursts and two pauses, or one
//!   period when that is longer), so GB reorder's first burst and pause, which look like
//!   busy, do not pass as busy;
//! - ringback needs one full period (a burst, then a pause long enough).
//!
//! The segment still going on counts once it is long enough for its step, and every
//! qualified tone stays reported until a segment breaks its cadence.

use std::f32::consts::TAU;

use firmware_config::system::ToneCountry;

use super::goertzel::{Bank, Block, Phasor};
use super::{dbm0_to_peak, dbm0_to_power, SAMPLE_RATE};

#[cfg(test)]
mod tests;

/// The call-progress tones Centrala recognises and plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToneKind {
    /// The exchange is ready for digits.
    Dial,
    /// The called line is busy.
    Busy,
    /// Congestion / reorder ("fast busy"): the call cannot be completed.
    Reorder,
    /// The called line is ringing.
    Ringback,
}

impl ToneKind {
    /// Every kind, in the order the detector prefers them when two match alike.
    pub const ALL: [ToneKind; 4] = [
        ToneKind::Dial,
        ToneKind::Busy,
        ToneKind::Reorder,
        ToneKind::Ringback,
    ];
}

/// One tone of a plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneSpec {
    /// Frequencies sounded together, Hz.
    pub freqs: &'static [f32],
    /// Level of each frequency, dBm0.
    pub level_dbm0: f32,
    /// (on, off) pairs in ms making one period; empty for a continuous tone.
    pub cadence: &'static [(u32, u32)],
}

impl ToneSpec {
    /// No cadence: on all the time.
    pub fn is_continuous(&self) -> bool {
        self.cadence.is_empty()
    }

    /// The longest "on" step, ms (0 for a continuous tone).
    fn longest_on(&self) -> u32 {
        self.cadence.iter().map(|s| s.0).max().unwrap_or(0)
    }
}

/// A country's call-progress tones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TonePlan {
    /// Dial tone.
    pub dial: ToneSpec,
    /// Busy tone.
    pub busy: ToneSpec,
    /// Reorder / congestion tone.
    pub reorder: ToneSpec,
    /// Ringback (ringing) tone.
    pub ringback: ToneSpec,
}

impl TonePlan {
    /// The tone of a kind.
    pub fn spec(&self, kind: ToneKind) -> &ToneSpec {
        match kind {
            ToneKind::Dial => &self.dial,
            ToneKind::Busy => &self.busy,
            ToneKind::Reorder => &self.reorder,
            ToneKind::Ringback => &self.ringback,
        }
    }
}

const fn spec(freqs: &'static [f32], level_dbm0: f32, cadence: &'static [(u32, u32)]) -> ToneSpec {
    ToneSpec {
        freqs,
        level_dbm0,
        cadence,
    }
}

static PL: TonePlan = TonePlan {
    dial: spec(&[425.0], -10.0, &[]),
    busy: spec(&[425.0], -10.0, &[(500, 500)]),
    reorder: spec(&[425.0], -10.0, &[(500, 500)]),
    ringback: spec(&[425.0], -10.0, &[(1000, 4000)]),
};

static DE: TonePlan = TonePlan {
    dial: spec(&[425.0], -10.0, &[]),
    busy: spec(&[425.0], -10.0, &[(480, 480)]),
    reorder: spec(&[425.0], -10.0, &[(240, 240)]),
    ringback: spec(&[425.0], -10.0, &[(1000, 4000)]),
};

static GB: TonePlan = TonePlan {
    dial: spec(&[350.0, 440.0], -13.0, &[]),
    busy: spec(&[400.0], -10.0, &[(375, 375)]),
    reorder: spec(&[400.0], -10.0, &[(400, 350), (225, 525)]),
    ringback: spec(&[400.0, 450.0], -13.0, &[(400, 200), (400, 2000)]),
};

static US: TonePlan = TonePlan {
    dial: spec(&[350.0, 440.0], -13.0, &[]),
    busy: spec(&[480.0, 620.0], -24.0, &[(500, 500)]),
    reorder: spec(&[480.0, 620.0], -24.0, &[(250, 250)]),
    ringback: spec(&[440.0, 480.0], -19.0, &[(2000, 4000)]),
};

/// The tone plan of a country.
pub fn plan(country: ToneCountry) -> &'static TonePlan {
    match country {
        ToneCountry::PL => &PL,
        ToneCountry::DE => &DE,
        ToneCountry::GB => &GB,
        ToneCountry::US => &US,
    }
}

/// What the tone detector reports. Times are sample counts since it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToneEvent {
    /// A tone qualified (frequencies and cadence); `at` is where its first matching
    /// burst began.
    Detected {
        /// Which tone.
        tone: ToneKind,
        /// First sample of the first burst that qualified it.
        at: u64,
    },
    /// A reported tone is gone: a segment broke its cadence (or it went silent too long).
    Ended {
        /// Which tone.
        tone: ToneKind,
        /// Where the segment that broke the cadence began.
        at: u64,
    },
}

/// Samples per block (10 ms); windows are two blocks.
const BLOCK: usize = 80;
/// At most this many distinct frequencies in a plan.
const FREQS: usize = 4;
/// Completed segments remembered.
const SEGMENTS: usize = 8;
/// Share of the window's energy each frequency of a set must carry.
const MIN_EACH: f32 = 0.10;
/// Share all frequencies of a set must carry together.
const MIN_SHARE: f32 = 0.60;
/// Lowest level of a tone, dBm0.
const MIN_LEVEL_DBM0: f32 = -40.0;
/// Shortest dial tone, ms.
const MIN_DIAL_MS: u32 = 300;

/// A class of window: which of the plan's frequency sets sounds, if any.
type Class = Option<u8>;

/// An on or off stretch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    class: Class,
    start: u64,
    len: u64,
}

/// The call-progress tone detector of one line, for one country's plan.
#[derive(Debug, Clone)]
pub struct ToneDetector {
    plan: &'static TonePlan,
    bank: Bank<FREQS>,
    /// Per kind: which frequencies (bit mask over `freqs`) it sounds.
    masks: [u8; 4],
    /// e^(−jωM) per frequency.
    advance: [Phasor; FREQS],
    min_power: f32,
    prev: Block<FREQS>,
    blocks: u64,
    /// The class confirmed, and since which sample.
    current: Segment,
    /// A different class seen in the last window, and where it began.
    pending: Option<(Class, u64)>,
    /// Completed segments, oldest first; `count` of them valid at the end.
    history: [Segment; SEGMENTS],
    count: usize,
    reported: Option<ToneKind>,
    /// Where the last reported tone ended: its segments are not reused for another.
    ended_at: u64,
}

impl ToneDetector {
    /// A detector for `country`'s tone plan.
    pub fn new(country: ToneCountry) -> ToneDetector {
        let plan = plan(country);
        let mut freqs = [0.0f32; FREQS];
        let mut n = 0;
        for kind in ToneKind::ALL {
            for &f in plan.spec(kind).freqs {
                if !freqs[..n].contains(&f) && n < FREQS {
                    freqs[n] = f;
                    n += 1;
                }
            }
        }
        for i in n..FREQS {
            freqs[i] = freqs[0];
        }
        let masks = ToneKind::ALL.map(|kind| {
            plan.spec(kind).freqs.iter().fold(0u8, |m, f| {
                m | freqs[..n].iter().position(|g| g == f).map_or(0, |i| 1 << i)
            })
        });
        ToneDetector {
            plan,
            bank: Bank::new(freqs, BLOCK),
            masks,
            advance: freqs
                .map(|f| Phasor::from_angle(-TAU * f * BLOCK as f32 / SAMPLE_RATE as f32)),
            min_power: dbm0_to_power(MIN_LEVEL_DBM0),
            prev: Block::default(),
            blocks: 0,
            current: Segment {
                class: None,
                start: 0,
                len: 0,
            },
            pending: None,
            history: [Segment {
                class: None,
                start: 0,
                len: 0,
            }; SEGMENTS],
            count: 0,
            reported: None,
            ended_at: 0,
        }
    }

    /// The tone reported as present now, if any.
    pub fn current(&self) -> Option<ToneKind> {
        self.reported
    }

    /// Feeds audio (any length) and passes each event to `emit`, in order.
    pub fn process(&mut self, samples: &[i16], mut emit: impl FnMut(ToneEvent)) {
        for &x in samples {
            if let Some(block) = self.bank.push(x) {
                let class = self.classify(&block);
                self.prev = block;
                let start = self.blocks * BLOCK as u64;
                self.blocks += 1;
                self.track(class, start);
                self.judge(&mut emit);
            }
        }
    }

    /// Which frequency set sounds in the window of the previous and this block.
    fn classify(&self, block: &Block<FREQS>) -> Class {
        let n = 2 * BLOCK;
        let mean = (self.prev.energy + block.energy) / n as f32;
        if self.blocks == 0 || mean < self.min_power {
            return None;
        }
        let power: [f32; FREQS] = std::array::from_fn(|i| {
            let x = self.prev.bins[i] + block.bins[i] * self.advance[i];
            2.0 * x.norm_sqr() / (n * n) as f32
        });
        let mut best: Option<(u8, f32)> = None;
        for &mask in &self.masks {
            let members = (0..FREQS).filter(|i| mask & (1 << i) != 0);
            let each_ok = members.clone().all(|i| power[i] >= MIN_EACH * mean);
            let share: f32 = members.map(|i| power[i]).sum::<f32>() / mean;
            if each_ok && share >= MIN_SHARE && best.is_none_or(|(_, s)| share > s) {
                best = Some((mask, share));
            }
        }
        best.map(|(mask, _)| mask)
    }

    /// Debounces classes into segments.
    fn track(&mut self, class: Class, start: u64) {
        let now = start + BLOCK as u64;
        if class == self.current.class {
            self.pending = None;
        } else {
            match self.pending {
                Some((c, since)) if c == class => {
                    self.current.len = since.saturating_sub(self.current.start);
                    self.push_history(self.current);
                    self.current = Segment {
                        class,
                        start: since,
                        len: 0,
                    };
                    self.pending = None;
                }
                _ => self.pending = Some((class, start)),
            }
        }
        self.current.len = now.saturating_sub(self.current.start);
    }

    fn push_history(&mut self, seg: Segment) {
        if self.count == SEGMENTS {
            self.history.copy_within(1.., 0);
            self.count -= 1;
        }
        self.history[self.count] = seg;
        self.count += 1;
    }

    /// Reports tones that qualified and ends the one whose cadence broke.
    fn judge(&mut self, emit: &mut impl FnMut(ToneEvent)) {
        if let Some(kind) = self.reported {
            if self.matches(kind, 1).is_none() {
                self.reported = None;
                self.ended_at = self.current.start;
                emit(ToneEvent::Ended {
                    tone: kind,
                    at: self.current.start,
                });
            }
        }
        if self.reported.is_some() {
            return;
        }
        for kind in ToneKind::ALL {
            let found = self.matches(kind, self.required(kind));
            if let Some(at) = found.filter(|&at| at >= self.ended_at) {
                self.reported = Some(kind);
                emit(ToneEvent::Detected { tone: kind, at });
                return;
            }
        }
    }

    /// Segments that must match before a kind is reported.
    fn required(&self, kind: ToneKind) -> usize {
        let steps = 2 * self.plan.spec(kind).cadence.len();
        match kind {
            ToneKind::Dial => 1,
            ToneKind::Ringback => steps,
            ToneKind::Busy | ToneKind::Reorder => steps.max(4),
        }
    }

    /// Whether the recent segments fit `kind` with at least `need` of them matched: then
    /// the start of the earliest matched "on" segment.
    fn matches(&self, kind: ToneKind, need: usize) -> Option<u64> {
        let spec = self.plan.spec(kind);
        let mask = self.masks[kind as usize];
        if spec.is_continuous() {
            let long = self.dial_min(kind, mask);
            let on = self.current.class == Some(mask) && self.current.len >= long;
            return on.then_some(self.current.start);
        }
        let steps = spec.cadence.len() * 2;
        (0..steps).find_map(|phase| self.match_phase(spec, mask, phase, need))
    }

    /// The dial tone's minimum: 300 ms, or 25 % longer than any burst of another tone with
    /// the same frequencies.
    fn dial_min(&self, kind: ToneKind, mask: u8) -> u64 {
        let longest = ToneKind::ALL
            .iter()
            .filter(|&&k| k != kind && self.masks[k as usize] == mask)
            .map(|&k| self.plan.spec(k).longest_on())
            .max()
            .unwrap_or(0);
        ms(MIN_DIAL_MS.max(longest + longest / 4))
    }

    /// Matches the ongoing segment as step `phase` of the cadence and the completed ones
    /// before it as the steps before that.
    fn match_phase(&self, spec: &ToneSpec, mask: u8, phase: usize, need: usize) -> Option<u64> {
        let steps = spec.cadence.len() * 2;
        let step = |i: usize| {
            let (on, off) = spec.cadence[(i % steps) / 2];
            if i.is_multiple_of(2) {
                (true, on)
            } else {
                (false, off)
            }
        };
        let fits_class = |seg: &Segment, on: bool| {
            if on {
                seg.class == Some(mask)
            } else {
                seg.class.is_none()
            }
        };
        let (on, nominal) = step(phase);
        let (lo, hi) = tolerance(nominal);
        if !fits_class(&self.current, on) || self.current.len > hi {
            return None;
        }
        let mut matched = 0;
        let mut earliest_on = on.then_some(self.current.start);
        if self.current.len >= lo {
            matched += 1;
        }
        let mut i = phase + steps * SEGMENTS;
        // Follow the cadence back as far as it goes, to find where the tone began.
        for seg in self.history[..self.count].iter().rev() {
            i -= 1;
            let (on, nominal) = step(i);
            let (lo, hi) = tolerance(nominal);
            if !fits_class(seg, on) || seg.len < lo || seg.len > hi {
                break;
            }
            matched += 1;
            if on {
                earliest_on = Some(seg.start);
            }
        }
        (matched >= need).then_some(earliest_on.unwrap_or(self.current.start))
    }
}

/// The accepted range of a segment of `nominal` ms, in samples: ±(20 % + 40 ms).
fn tolerance(nominal: u32) -> (u64, u64) {
    let slack = nominal / 5 + 40;
    (ms(nominal.saturating_sub(slack)), ms(nominal + slack))
}

fn ms(ms: u32) -> u64 {
    u64::from(ms) * u64::from(SAMPLE_RATE) / 1000
}

/// Samples of the ramp at each end of a burst (5 ms), so bursts do not click.
const RAMP: u32 = 40;

/// Plays one tone of a plan, cadence looped, phase-continuous across calls.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    spec: ToneSpec,
    amplitude: f32,
    /// Sample within the cadence period.
    pos: u64,
    /// Samples since the start (the oscillators' time).
    t: u64,
}

impl ToneGenerator {
    /// A generator for `spec`, at its own level.
    pub fn new(spec: &ToneSpec) -> ToneGenerator {
        ToneGenerator {
            spec: *spec,
            amplitude: dbm0_to_peak(spec.level_dbm0),
            pos: 0,
            t: 0,
        }
    }

    /// A generator for a country's tone.
    pub fn for_tone(country: ToneCountry, kind: ToneKind) -> ToneGenerator {
        ToneGenerator::new(plan(country).spec(kind))
    }

    /// Fills `out` with the next samples. (Plan frequencies are whole hertz, so the
    /// oscillators' time can wrap every second without a phase jump.)
    pub fn fill(&mut self, out: &mut [i16]) {
        for s in out {
            *s = self.sample();
        }
    }

    /// The gain at the current position in the cadence: 0 in pauses, ramps at burst edges.
    fn envelope(&self) -> f32 {
        let period: u64 = self.spec.cadence.iter().map(|&(a, b)| ms(a) + ms(b)).sum();
        if period == 0 {
            return 1.0;
        }
        let mut pos = self.pos % period;
        for &(on, off) in self.spec.cadence {
            let (on, off) = (ms(on), ms(off));
            if pos < on {
                let edge = pos.min(on - 1 - pos) as f32 / RAMP as f32;
                return edge.min(1.0);
            }
            pos -= on;
            if pos < off {
                return 0.0;
            }
            pos -= off;
        }
        0.0
    }

    fn sample(&mut self) -> i16 {
        let gain = self.envelope();
        let v = if gain > 0.0 {
            let t = (self.t % u64::from(SAMPLE_RATE)) as f32 / SAMPLE_RATE as f32;
            let sum: f32 = self.spec.freqs.iter().map(|f| (TAU * f * t).sin()).sum();
            (sum * self.amplitude * gain)
                .round()
                .clamp(-32768.0, 32767.0) as i16
        } else {
            0
        };
        self.pos += 1;
        self.t += 1;
        v
    }
}
