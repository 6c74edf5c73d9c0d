//! DTMF (touch-tone) receiver and generator.
//!
//! # The receiver, against ITU-T Q.24
//! Samples go through a bank of 16 Goertzel filters (the 8 DTMF frequencies and their
//! second harmonics) over 5 ms blocks of 40 samples. Every block, the last four blocks form
//! a 20 ms analysis window, judged like this:
//!
//! - **Frequency**: for each DTMF frequency the phase turn between consecutive blocks gives
//!   the actual frequency to about 1 Hz (±100 Hz unambiguous, wider than half the spacing
//!   between neighbours). A tone within ±2.5 % of nominal passes: Q.24 asks that ±1.5 % be
//!   accepted and ±3.5 % rejected, so the limit sits between them with 1 % of margin on each
//!   side.
//! - **One tone per group**: the strongest row and column (coherent 20 ms DFT at the nominal
//!   frequency, 50 Hz resolution) must each stand 8 dB above the rest of their group.
//! - **Level**: each tone at least −36 dBm0 (measured at its actual frequency).
//! - **Twist**: the high-group tone at most 4 dB above the low-group tone, the low-group
//!   tone at most 8 dB above the high one. Telephones send the high group about 2 dB louder
//!   (Q.23), and the line then loses more at high frequencies, so the low group arriving
//!   stronger is the usual case and gets the wider limit — the classic 4 dB / 8 dB receiver
//!   limits.
//! - **Energy share** (talk-off): the two tones carry at least 70 % of the window's energy.
//! - **Second harmonics** (talk-off): each at least 6 dB below its fundamental. Voices and
//!   instruments are rich in harmonics; a DTMF pair is two clean sines. And the column tone
//!   must not be the row tone's exact octave (within 1 %): '2', '6' and 'C' lie 4 % from an
//!   octave, so a voice at 684 Hz with a strong second harmonic could pass for '2' in the
//!   1.5–3.5 % zone; real pairs within ±1.5 % stay 1.3 % or more away from an octave.
//!
//! Valid windows make a candidate; its edges are then located to the sample from how much of
//! the edge block each tone fills, so durations are measured, not counted in blocks. A digit
//! is **reported once it has lasted 38 ms** (Q.24: 40 ms must be accepted; anything shorter
//! than 23 ms rejected; we take 38 so that a 40 ms tone passes with margin and 35 ms does
//! not). An interruption shorter than the **minimum pause of 38 ms** joins the two halves
//! into one digit (Q.24: pauses of 40 ms must separate digits, breaks up to 10 ms must not).
//! So `Ended` comes once the pause has qualified, with the exact end and duration.
//!
//! # The generator
//! [`DtmfGenerator`] dials a queue of digits: each a tone pair (by default 80 ms, low group
//! −10 dBm0, high group −8 dBm0, i.e. the 2 dB pre-emphasis of Q.23) and a pause (80 ms),
//! with 1 ms ramps against clicks.

use std::f32::consts::TAU;

use super::goertzel::{Bank, Block, Phasor};
use super::{dbm0_to_peak, dbm0_to_power, SAMPLE_RATE};

#[cfg(test)]
mod tests;

/// The low (row) group, Hz.
pub const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// The high (column) group, Hz.
pub const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// The keys by row and column.
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Samples per Goertzel block (5 ms).
const BLOCK: usize = 40;
/// Blocks per analysis window (20 ms).
const WINDOW: usize = 4;
/// Blocks kept to find a digit's start edge (80 ms).
const HISTORY: usize = 16;
/// Filters: 8 fundamentals, then their second harmonics.
const BINS: usize = 16;

/// A column tone this close (fraction) to twice the row tone is the row's harmonic.
const OCTAVE_GUARD: f32 = 0.01;

/// Coverage (fraction of a block a tone fills) above which a block counts as "on".
const ON: f32 = 0.5;
/// Coverage above which a block is taken as wholly filled.
const FULL: f32 = 0.95;

/// The receiver's limits; [`Default`] gives the values explained in the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DtmfLimits {
    /// Largest accepted frequency deviation, as a fraction of nominal.
    pub freq_tolerance: f32,
    /// Lowest accepted level of each tone, dBm0.
    pub min_level_dbm0: f32,
    /// Largest accepted excess of the high-group tone over the low-group tone, dB.
    pub max_high_over_low_db: f32,
    /// Largest accepted excess of the low-group tone over the high-group tone, dB.
    pub max_low_over_high_db: f32,
    /// Shortest tone reported as a digit, ms.
    pub min_tone_ms: f32,
    /// Shortest interruption that separates two digits, ms.
    pub min_pause_ms: f32,
    /// Smallest share of the window's energy the two tones must carry.
    pub min_tone_share: f32,
    /// How far each second harmonic must stay below its fundamental, dB.
    pub harmonic_margin_db: f32,
    /// How far each tone must stand above the others of its group, dB.
    pub group_margin_db: f32,
}

impl Default for DtmfLimits {
    fn default() -> Self {
        DtmfLimits {
            freq_tolerance: 0.025,
            min_level_dbm0: -36.0,
            max_high_over_low_db: 4.0,
            max_low_over_high_db: 8.0,
            min_tone_ms: 38.0,
            min_pause_ms: 38.0,
            min_tone_share: 0.7,
            harmonic_margin_db: 6.0,
            group_margin_db: 8.0,
        }
    }
}

/// What the receiver reports. Times are sample counts since the detector was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfEvent {
    /// A digit has lasted the minimum duration; `at` is where its tone began.
    Started {
        /// The key: `0`-`9`, `*`, `#`, `A`-`D`.
        digit: char,
        /// First sample of the tone.
        at: u64,
    },
    /// A reported digit is over (its pause qualified, or another digit began).
    Ended {
        /// The key.
        digit: char,
        /// First sample after the tone.
        at: u64,
        /// The tone's length in samples, interruptions shorter than the minimum pause
        /// included.
        duration: u64,
    },
}

/// The row and column of a key, as indexes into [`ROWS`] and [`COLS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    row: usize,
    col: usize,
}

impl Key {
    fn digit(self) -> char {
        KEYS[self.row][self.col]
    }

    /// The bins of the two tones.
    fn bins(self) -> [usize; 2] {
        [self.row, 4 + self.col]
    }
}

/// A pair that passed every check, as the edge finder needs it.
#[derive(Debug, Clone, Copy)]
struct Tones {
    key: Key,
    /// Each tone's magnitude in one wholly filled block (row, column).
    refs: [f32; 2],
    /// Each tone's phase turn per block beyond its nominal frequency's: Δω·M.
    turns: [f32; 2],
}

impl Tones {
    /// The same pair measured again: keep the larger references, the newer frequencies.
    fn merge(self, newer: Tones) -> Tones {
        Tones {
            key: self.key,
            refs: [
                self.refs[0].max(newer.refs[0]),
                self.refs[1].max(newer.refs[1]),
            ],
            turns: newer.turns,
        }
    }
}

/// One tone burst being followed.
#[derive(Debug, Clone, Copy)]
struct Segment {
    tones: Tones,
    /// First sample of the tone.
    start: u64,
    /// First sample after it (meaningful in a gap).
    end: u64,
    /// `Started` has been emitted.
    reported: bool,
    /// An interruption was bridged: `start` is settled.
    bridged: bool,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Idle,
    Tone(Segment),
    Gap(Segment),
}

/// Limits turned into the quantities the checks compare.
#[derive(Debug, Clone, Copy)]
struct Thresholds {
    tolerance: f32,
    min_power: f32,
    high_over_low: f32,
    low_over_high: f32,
    min_tone: u64,
    min_pause: u64,
    share: f32,
    harmonic: f32,
    group: f32,
}

impl Thresholds {
    fn new(l: &DtmfLimits) -> Thresholds {
        let ratio = |db: f32| 10f32.powf(db / 10.0);
        let samples = |ms: f32| (ms.max(0.0) * SAMPLE_RATE as f32 / 1000.0).round() as u64;
        Thresholds {
            tolerance: l.freq_tolerance,
            min_power: dbm0_to_power(l.min_level_dbm0),
            high_over_low: ratio(l.max_high_over_low_db),
            low_over_high: ratio(l.max_low_over_high_db),
            min_tone: samples(l.min_tone_ms),
            min_pause: samples(l.min_pause_ms),
            share: l.min_tone_share,
            harmonic: ratio(-l.harmonic_margin_db),
            group: ratio(l.group_margin_db),
        }
    }
}

/// The DTMF receiver of one line. Feed it audio with [`process`](Self::process).
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    bank: Bank<BINS>,
    th: Thresholds,
    /// The last [`HISTORY`] blocks, block `b` at `b % HISTORY`.
    history: [Block<BINS>; HISTORY],
    /// The samples of those blocks, sample `n` at `n % (HISTORY·BLOCK)`.
    samples: [i16; HISTORY * BLOCK],
    /// Samples consumed.
    consumed: u64,
    /// Blocks completed so far.
    blocks: u64,
    /// e^(−jωM) per bin: the phase a bin's own frequency advances in one block, undone.
    advance: [Phasor; BINS],
    state: State,
}

impl Default for DtmfDetector {
    fn default() -> Self {
        DtmfDetector::new(DtmfLimits::default())
    }
}

impl DtmfDetector {
    /// A receiver with the given limits.
    pub fn new(limits: DtmfLimits) -> DtmfDetector {
        let mut freqs = [0.0; BINS];
        for (i, f) in ROWS.iter().chain(&COLS).enumerate() {
            freqs[i] = *f;
            freqs[i + 8] = 2.0 * f;
        }
        let advance = freqs.map(|f| Phasor::from_angle(-omega(f) * BLOCK as f32));
        DtmfDetector {
            bank: Bank::new(freqs, BLOCK),
            th: Thresholds::new(&limits),
            history: [Block::default(); HISTORY],
            samples: [0; HISTORY * BLOCK],
            consumed: 0,
            blocks: 0,
            advance,
            state: State::Idle,
        }
    }

    /// Samples consumed so far: the time base of the events.
    pub fn position(&self) -> u64 {
        self.consumed
    }

    /// Feeds audio (any length; normally one 20 ms frame) and passes each event to `emit`,
    /// in order.
    pub fn process(&mut self, samples: &[i16], mut emit: impl FnMut(DtmfEvent)) {
        for &x in samples {
            self.samples[(self.consumed % (HISTORY * BLOCK) as u64) as usize] = x;
            self.consumed += 1;
            if let Some(block) = self.bank.push(x) {
                self.on_block(block, &mut emit);
            }
        }
    }

    fn on_block(&mut self, block: Block<BINS>, emit: &mut impl FnMut(DtmfEvent)) {
        let b = self.blocks;
        self.history[(b % HISTORY as u64) as usize] = block;
        self.blocks += 1;
        let candidate = if self.blocks >= WINDOW as u64 {
            self.analyse()
        } else {
            None
        };
        self.state = match self.state {
            State::Idle => match candidate {
                Some(c) => self.begin(c, b, 0, emit),
                None => State::Idle,
            },
            State::Tone(seg) => self.in_tone(seg, candidate, b, emit),
            State::Gap(seg) => self.in_gap(seg, candidate, b, emit),
        };
    }

    /// A new segment from a pair seen at block `b`, its start searched back no earlier
    /// than sample `floor`.
    fn begin(&self, t: Tones, b: u64, floor: u64, emit: &mut impl FnMut(DtmfEvent)) -> State {
        let Some(start) = self.onset(&t, b, floor) else {
            return State::Idle;
        };
        let seg = Segment {
            tones: t,
            start,
            end: start,
            reported: false,
            bridged: false,
        };
        State::Tone(self.maybe_report(seg, b, emit))
    }

    fn in_tone(
        &self,
        mut seg: Segment,
        candidate: Option<Tones>,
        b: u64,
        emit: &mut impl FnMut(DtmfEvent),
    ) -> State {
        if let Some(c) = candidate {
            if c.key != seg.tones.key {
                // Another key without a pause: this one ends where the new one begins.
                let next = self.onset(&c, b, seg.start).unwrap_or(block_start(b));
                seg.end = next.max(seg.start);
                finish(&seg, emit);
                return self.begin(c, b, seg.end, emit);
            }
            seg.tones = seg.tones.merge(c);
            if !seg.bridged && !seg.reported {
                if let Some(start) = self.onset(&seg.tones, b, 0) {
                    seg.start = start;
                }
            }
        }
        if self.coverage(&seg.tones, b) >= ON {
            return State::Tone(self.maybe_report(seg, b, emit));
        }
        seg.end = self.offset(&seg.tones, b).max(seg.start);
        if !seg.reported && seg.end - seg.start >= self.th.min_tone {
            seg.reported = true;
            emit(DtmfEvent::Started {
                digit: seg.tones.key.digit(),
                at: seg.start,
            });
        }
        State::Gap(seg)
    }

    fn in_gap(
        &self,
        seg: Segment,
        candidate: Option<Tones>,
        b: u64,
        emit: &mut impl FnMut(DtmfEvent),
    ) -> State {
        if let Some(c) = candidate {
            if c.key == seg.tones.key {
                let tones = seg.tones.merge(c);
                let resumed = self.onset(&tones, b, seg.end).unwrap_or(block_start(b));
                if resumed.saturating_sub(seg.end) < self.th.min_pause {
                    let joined = Segment {
                        tones,
                        bridged: true,
                        ..seg
                    };
                    return State::Tone(self.maybe_report(joined, b, emit));
                }
            }
            finish(&seg, emit);
            return self.begin(c, b, seg.end, emit);
        }
        // Wait one window beyond the minimum pause: a tone resuming just inside the pause
        // needs that long to make a valid window.
        let waited = block_start(b + 1).saturating_sub(seg.end);
        if waited >= self.th.min_pause + (WINDOW * BLOCK) as u64 {
            finish(&seg, emit);
            return State::Idle;
        }
        State::Gap(seg)
    }

    /// Emits `Started` once the segment, measured up to where block `b` is filled, is long
    /// enough.
    fn maybe_report(&self, mut seg: Segment, b: u64, emit: &mut impl FnMut(DtmfEvent)) -> Segment {
        if seg.reported {
            return seg;
        }
        let reached = if self.coverage(&seg.tones, b) >= FULL {
            block_start(b + 1)
        } else {
            self.offset(&seg.tones, b + 1)
        };
        if reached.saturating_sub(seg.start) >= self.th.min_tone {
            seg.reported = true;
            emit(DtmfEvent::Started {
                digit: seg.tones.key.digit(),
                at: seg.start,
            });
        }
        seg
    }

    /// Where the pair that is on in block `b` began: the start of the run of "on" blocks
    /// ending at `b`, located to the sample.
    /// `None` if block `b` is not on.
    fn onset(&self, t: &Tones, b: u64, floor: u64) -> Option<u64> {
        if self.coverage(t, b) < ON {
            return None;
        }
        let oldest = self.oldest();
        let mut first = b;
        while first > oldest && block_start(first) > floor && self.coverage(t, first - 1) >= ON {
            first -= 1;
        }
        // The first "on" block may be the partly filled edge block; the one after it is
        // full. The edge is in the first block or the one before.
        let model = (first + 1).min(b);
        let from = first.saturating_sub(1).max(oldest);
        let start = if from < model {
            self.locate(t, model, from, (model - from).min(2) as usize)
        } else {
            block_start(model)
        };
        Some(start.max(floor))
    }

    /// Where the pair stopped, seen from block `b`, the first block after it that is not
    /// on: located to the sample.
    fn offset(&self, t: &Tones, b: u64) -> u64 {
        // Block b−1 was the last "on" one, perhaps partly filled; the one before it is
        // full. The edge is in block b−1 or b.
        let model = b.saturating_sub(2).max(self.oldest());
        let to = b.min(self.blocks - 1);
        if to > model {
            self.locate(t, model, model + 1, (to - model).min(2) as usize)
        } else {
            block_start(model + 1)
        }
    }

    /// The sample, within `count` (1 or 2) blocks from block `from`, where the pair starts
    /// (when the `model` block is after them) or stops (when it is before): the pair is
    /// modelled from its DFT in the model block and extended into those blocks, and the
    /// edge put where the samples agree best with "the model on one side, nothing on the
    /// other" (a matched filter).
    fn locate(&self, t: &Tones, model: u64, from: u64, count: usize) -> u64 {
        let count = count.clamp(1, 2);
        let block = &self.history[(model % HISTORY as u64) as usize];
        let rising = model > from;
        // Offset of the searched span's first sample from the model block's first sample.
        let shift = block_start(from) as f32 - block_start(model) as f32;
        let mut models = [(Phasor::ZERO, Phasor::ZERO); 2];
        for (m, (i, turn)) in models.iter_mut().zip(t.key.bins().into_iter().zip(t.turns)) {
            let delta = turn / BLOCK as f32;
            let w = omega(bin_freq(i)) + delta;
            // Y = (A/2)·e^(jθ)·Σ e^(jΔn): undo the sum's gain and phase.
            let half = delta / 2.0;
            let gain = if half.abs() < 1e-6 {
                BLOCK as f32
            } else {
                (half * BLOCK as f32).sin() / half.sin()
            };
            let c = block.bins[i] * Phasor::from_angle(-half * (BLOCK as f32 - 1.0));
            let c = Phasor {
                re: c.re / gain,
                im: c.im / gain,
            };
            *m = (c * Phasor::from_angle(w * shift), Phasor::from_angle(w));
        }
        // gain[k] = 2·x·m − m²: positive where the model explains the sample.
        let base = block_start(from);
        let len = count * BLOCK;
        let mut gain = [0.0f32; 2 * BLOCK];
        let mut phasors = [models[0].0, models[1].0];
        for (k, g) in gain.iter_mut().take(len).enumerate() {
            let m = 2.0 * (phasors[0].re + phasors[1].re);
            let x = self.samples[((base + k as u64) % (HISTORY * BLOCK) as u64) as usize];
            let x = f32::from(x);
            *g = 2.0 * x * m - m * m;
            phasors[0] = phasors[0] * models[0].1;
            phasors[1] = phasors[1] * models[1].1;
        }
        // The tone's side: samples from the edge on (rising) or before it (falling).
        let mut best = (0usize, f32::MIN);
        let mut score = 0.0f32;
        if rising {
            for s in (0..=len).rev() {
                if s < len {
                    score += gain[s];
                }
                if score > best.1 {
                    best = (s, score);
                }
            }
        } else {
            for s in 0..=len {
                if s > 0 {
                    score += gain[s - 1];
                }
                if score >= best.1 {
                    best = (s, score);
                }
            }
        }
        base + best.0 as u64
    }

    fn oldest(&self) -> u64 {
        self.blocks.saturating_sub(HISTORY as u64)
    }

    /// How much of block `b` both tones fill: each tone's magnitude against its full-block
    /// reference, the smaller of the two, in [0, 1].
    fn coverage(&self, t: &Tones, b: u64) -> f32 {
        if b < self.oldest() || b >= self.blocks {
            return 0.0;
        }
        let block = &self.history[(b % HISTORY as u64) as usize];
        let [r, c] = t.key.bins();
        let cov = |bin: usize, reference: f32| {
            if reference > 0.0 {
                (block.bins[bin].abs() / reference).min(1.0)
            } else {
                0.0
            }
        };
        cov(r, t.refs[0]).min(cov(c, t.refs[1]))
    }

    /// The checks on the window of the last [`WINDOW`] blocks.
    fn analyse(&self) -> Option<Tones> {
        let first = self.blocks - WINDOW as u64;
        let window: [&Block<BINS>; WINDOW] =
            std::array::from_fn(|k| &self.history[((first + k as u64) % HISTORY as u64) as usize]);
        let energy: f32 = window.iter().map(|b| b.energy).sum();
        let mean = energy / (WINDOW * BLOCK) as f32;
        if mean < 1.5 * self.th.min_power {
            return None;
        }
        let nominal: [f32; BINS] = std::array::from_fn(|i| self.nominal_power(&window, i));
        let row = strongest(&nominal[0..4], self.th.group)?;
        let col = strongest(&nominal[4..8], self.th.group)?;
        let key = Key { row, col };
        let [r, c] = key.bins();
        let mut low = self.follow(&window, r)?;
        let mut high = self.follow(&window, c)?;
        // The phase turn is ambiguous by whole turns per block: a strong component 200 Hz
        // (or a multiple) away from a bin looks on frequency to `follow`. The 20 ms DFT at
        // nominal frequency does not alias, so take the smaller of the two measures.
        low.power = low.power.min(window_power(nominal[r], low.turn));
        high.power = high.power.min(window_power(nominal[c], high.turn));
        let th = &self.th;
        let level_ok = low.power >= th.min_power && high.power >= th.min_power;
        let twist_ok = high.power <= low.power * th.high_over_low
            && low.power <= high.power * th.low_over_high;
        let share_ok = low.power + high.power >= th.share * mean;
        let harmonics_ok = nominal[r + 8] <= th.harmonic * nominal[r]
            && nominal[c + 8] <= th.harmonic * nominal[c];
        // A voice or instrument whose fundamental sits near a row frequency puts its
        // second harmonic near a column one ('2', '6', 'C' lie 4 % from an octave). Real
        // pairs within ±1.5 % stay at least 1.3 % away from an exact octave.
        let (f_low, f_high) = (actual(r, low.turn), actual(c, high.turn));
        let octave_ok = (f_high - 2.0 * f_low).abs() > OCTAVE_GUARD * f_high;
        (level_ok && twist_ok && share_ok && harmonics_ok && octave_ok).then_some(Tones {
            key,
            refs: [low.per_block, high.per_block],
            turns: [low.turn, high.turn],
        })
    }

    /// |coherent DFT over the window at bin `i`'s nominal frequency|².
    fn nominal_power(&self, window: &[&Block<BINS>; WINDOW], i: usize) -> f32 {
        let mut sum = Phasor::ZERO;
        let mut turn = Phasor::from_angle(0.0);
        for block in window {
            sum = sum + block.bins[i] * turn;
            turn = turn * self.advance[i];
        }
        sum.norm_sqr()
    }

    /// The tone near bin `i`, measured at its actual frequency, or `None` when that is
    /// further than the tolerance from nominal.
    fn follow(&self, window: &[&Block<BINS>; WINDOW], i: usize) -> Option<Followed> {
        let mut z = Phasor::ZERO;
        for k in 1..WINDOW {
            z = z + window[k].bins[i] * window[k - 1].bins[i].conj() * self.advance[i];
        }
        // The extra turn per block: Δω·M.
        let extra = z.arg();
        let deviation = extra * SAMPLE_RATE as f32 / (TAU * BLOCK as f32);
        if deviation.abs() > self.th.tolerance * bin_freq(i) {
            return None;
        }
        let back = self.advance[i] * Phasor::from_angle(-extra);
        let mut sum = Phasor::ZERO;
        let mut turn = Phasor::from_angle(0.0);
        for block in window {
            sum = sum + block.bins[i] * turn;
            turn = turn * back;
        }
        // A sine off the bin by Δω loses |sin(ΔωM/2) / (M·sin(Δω/2))| inside each block.
        let half = extra / 2.0;
        let loss = if half.abs() < 1e-4 {
            1.0
        } else {
            (half.sin() / (BLOCK as f32 * (half / BLOCK as f32).sin())).abs()
        };
        let per_block = sum.abs() / WINDOW as f32;
        let amplitude = 2.0 * per_block / (BLOCK as f32 * loss.max(0.5));
        Some(Followed {
            power: amplitude * amplitude / 2.0,
            per_block,
            turn: extra,
        })
    }
}

/// The mean power of a tone from its window DFT at the nominal frequency (|X|²), the tone
/// being off nominal by a phase turn of `turn` per block: the window's own response
/// |sin(ΔN/2) / (N·sin(Δ/2))| undone.
fn window_power(norm_sqr: f32, turn: f32) -> f32 {
    let n = (WINDOW * BLOCK) as f32;
    let half = turn / BLOCK as f32 / 2.0;
    let response = if half.abs() < 1e-6 {
        1.0
    } else {
        ((half * n).sin() / (n * half.sin())).abs()
    };
    2.0 * norm_sqr / (n * n * response.max(0.1).powi(2))
}

/// One tone as [`DtmfDetector::follow`] measures it.
struct Followed {
    /// Mean power (mean square).
    power: f32,
    /// Magnitude in one full block.
    per_block: f32,
    /// Phase turn per block beyond nominal.
    turn: f32,
}

/// The index of the strongest of `powers` if it stands `margin` (a power ratio) above
/// every other.
fn strongest(powers: &[f32], margin: f32) -> Option<usize> {
    let (best, &peak) = powers
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    let clear = powers
        .iter()
        .enumerate()
        .all(|(i, &p)| i == best || p * margin <= peak);
    (clear && peak > 0.0).then_some(best)
}

fn finish(seg: &Segment, emit: &mut impl FnMut(DtmfEvent)) {
    if seg.reported {
        emit(DtmfEvent::Ended {
            digit: seg.tones.key.digit(),
            at: seg.end,
            duration: seg.end.saturating_sub(seg.start),
        });
    }
}

fn bin_freq(i: usize) -> f32 {
    let f = if i % 8 < 4 { ROWS[i % 4] } else { COLS[i % 4] };
    if i >= 8 {
        2.0 * f
    } else {
        f
    }
}

/// The actual frequency of the tone near bin `i`, from its phase turn per block.
fn actual(i: usize, turn: f32) -> f32 {
    bin_freq(i) + turn * SAMPLE_RATE as f32 / (TAU * BLOCK as f32)
}

fn omega(freq: f32) -> f32 {
    TAU * freq / SAMPLE_RATE as f32
}

fn block_start(b: u64) -> u64 {
    b * BLOCK as u64
}

/// The row and column frequencies of a DTMF key (`0`-`9`, `*`, `#`, `A`-`D`, lower case
/// letters too).
pub fn key_freqs(digit: char) -> Option<(f32, f32)> {
    let digit = digit.to_ascii_uppercase();
    KEYS.iter().enumerate().find_map(|(r, row)| {
        row.iter()
            .position(|&k| k == digit)
            .map(|c| (ROWS[r], COLS[c]))
    })
}

/// Why digits could not be queued for dialling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    /// A character that is no DTMF key.
    #[error("'{0}' is not a DTMF key (0-9, *, #, A-D)")]
    NotAKey(char),
    /// More digits than the queue holds.
    #[error("more than {MAX_DIAL} digits queued")]
    TooLong,
}

/// The most digits [`DtmfGenerator`] queues at once.
pub const MAX_DIAL: usize = 64;

/// How [`DtmfGenerator`] dials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DialParams {
    /// Tone length, ms.
    pub tone_ms: u32,
    /// Pause after each tone, ms.
    pub pause_ms: u32,
    /// Level of the low-group tone, dBm0.
    pub low_dbm0: f32,
    /// Level of the high-group tone, dBm0.
    pub high_dbm0: f32,
}

impl Default for DialParams {
    fn default() -> Self {
        DialParams {
            tone_ms: 80,
            pause_ms: 80,
            low_dbm0: -10.0,
            high_dbm0: -8.0,
        }
    }
}

/// Samples of the 1 ms ramp at each end of a tone.
const RAMP: u32 = 8;

/// Turns queued digits into audio for dialling out.
#[derive(Debug, Clone)]
pub struct DtmfGenerator {
    params: DialParams,
    queue: [(f32, f32); MAX_DIAL],
    len: usize,
    next: usize,
    /// Sample within the current digit's tone + pause.
    pos: u32,
    tone: u32,
    cycle: u32,
    amps: (f32, f32),
}

impl DtmfGenerator {
    /// An idle generator.
    pub fn new(params: DialParams) -> DtmfGenerator {
        let samples = |ms: u32| ms.saturating_mul(SAMPLE_RATE / 1000);
        DtmfGenerator {
            params,
            queue: [(0.0, 0.0); MAX_DIAL],
            len: 0,
            next: 0,
            pos: 0,
            tone: samples(params.tone_ms),
            cycle: samples(params.tone_ms).saturating_add(samples(params.pause_ms)),
            amps: (
                dbm0_to_peak(params.low_dbm0),
                dbm0_to_peak(params.high_dbm0),
            ),
        }
    }

    /// The parameters.
    pub fn params(&self) -> DialParams {
        self.params
    }

    /// Queues `digits` after any still being dialled; nothing is queued on error.
    pub fn dial(&mut self, digits: &str) -> Result<(), DialError> {
        let mut count = 0;
        for d in digits.chars() {
            key_freqs(d).ok_or(DialError::NotAKey(d))?;
            count += 1;
        }
        if self.pending() + count > MAX_DIAL {
            return Err(DialError::TooLong);
        }
        if self.next > 0 {
            self.queue.copy_within(self.next..self.len, 0);
            self.len -= self.next;
            self.next = 0;
        }
        for d in digits.chars() {
            if let Some(f) = key_freqs(d) {
                self.queue[self.len] = f;
                self.len += 1;
            }
        }
        Ok(())
    }

    /// Digits queued or being dialled.
    pub fn pending(&self) -> usize {
        self.len - self.next
    }

    /// Nothing left to dial.
    pub fn is_idle(&self) -> bool {
        self.pending() == 0
    }

    /// Drops whatever is still queued (the current tone stops at once).
    pub fn cancel(&mut self) {
        self.len = 0;
        self.next = 0;
        self.pos = 0;
    }

    /// Fills `out` with the dialling audio, silence once idle.
    pub fn fill(&mut self, out: &mut [i16]) {
        for s in out {
            *s = self.sample();
        }
    }

    fn sample(&mut self) -> i16 {
        let Some(&(low, high)) = self.queue.get(self.next).filter(|_| self.next < self.len) else {
            return 0;
        };
        let n = self.pos;
        let v = if n < self.tone {
            let t = n as f32 / SAMPLE_RATE as f32;
            let edge = (n.min(self.tone - 1 - n) as f32 / RAMP as f32).min(1.0);
            let x = self.amps.0 * (TAU * low * t).sin() + self.amps.1 * (TAU * high * t).sin();
            (x * edge).round().clamp(-32768.0, 32767.0) as i16
        } else {
            0
        };
        self.pos += 1;
        if self.pos >= self.cycle.max(1) {
            self.pos = 0;
            self.next += 1;
        }
        v
    }
}

impl Default for DtmfGenerator {
    fn default() -> Self {
        DtmfGenerator::new(DialParams::default())
    }
}
