//! A 1200 baud FSK demodulator for on-hook data (caller ID): Bell 202 (mark 1200 Hz, space
//! 2200 Hz, Bellcore GR-30) and ITU-T V.23 (mark 1300 Hz, space 2100 Hz, ETSI EN 300 659-1).
//!
//! The receiver is a pair of quadrature correlators, one per tone, over a sliding window of
//! one bit; the discriminator is the difference of their energies (positive = mark). On top
//! of it:
//! - **channel seizure**: a run of alternating bits (the exchange sends 0x55 bytes, which in
//!   8-N-1 framing are a perfect 0101… pattern) is reported once it lasts
//!   [`FskConfig::min_seizure_bits`];
//! - **mark signal**: a steady mark of at least [`FskConfig::min_mark_bits`] arms byte framing
//!   (so the seizure's alternation and noise are never framed as data);
//! - **async framing**: each start bit's falling edge (interpolated between samples) restarts
//!   the bit clock, so the phone company's timing variation (±1 % baud and more) only has to
//!   hold across one 10-bit character; every bit is sampled at its centre and a byte is
//!   delivered only with a valid stop bit;
//! - **carrier loss**: once framing is armed, a fall of the in-band level 10 dB below the
//!   level measured on the mark signal for two bit times is reported.
//!
//! Time is counted in samples since the demodulator was made; nothing reads a clock and
//! nothing allocates after [`FskDemod::new`].

/// 8 kHz: the only sample rate of the line audio.
pub const SAMPLE_RATE: f32 = 8000.0;

/// Length of the mixing tables: every supported tone is a multiple of 100 Hz, so
/// `f * 80 / 8000` is a whole number of cycles and a table of 80 samples repeats exactly.
const TABLE_LEN: usize = 80;

/// Correlation window in samples: about one bit (8000 / 1200 = 6.67 samples).
const WINDOW: usize = 7;

/// The FSK flavour: which tone is mark (binary 1) and which is space (binary 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FskStandard {
    /// Bell 202 (North America, Bellcore GR-30): mark 1200 Hz, space 2200 Hz.
    Bell202,
    /// ITU-T V.23 (Europe, ETSI EN 300 659-1; also BT SIN 227): mark 1300 Hz, space 2100 Hz.
    V23,
}

impl FskStandard {
    /// The mark (binary 1) frequency in Hz.
    pub fn mark_hz(self) -> f32 {
        match self {
            FskStandard::Bell202 => 1200.0,
            FskStandard::V23 => 1300.0,
        }
    }

    /// The space (binary 0) frequency in Hz.
    pub fn space_hz(self) -> f32 {
        match self {
            FskStandard::Bell202 => 2200.0,
            FskStandard::V23 => 2100.0,
        }
    }
}

/// Tuning of the demodulator; [`FskConfig::new`] gives values that accept both standards'
/// nominal timings with wide margins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FskConfig {
    /// Mark and space tones.
    pub standard: FskStandard,
    /// Nominal bit rate (1200). Framing re-synchronises on every start bit, so the sender may
    /// deviate from it by a few percent.
    pub baud: f32,
    /// Alternating bits needed before a channel seizure is reported (GR-30 and EN 300 659-1
    /// send 300; a short or clipped seizure still decodes, since only the mark arms framing).
    pub min_seizure_bits: u32,
    /// Steady mark bits that arm byte framing (on-hook: 180 ± 25 sent; off-hook: 80 ± 25).
    pub min_mark_bits: u32,
    /// Weakest tone accepted, in dB relative to full scale (a sine of amplitude 32767 is 0).
    pub min_level_dbfs: f32,
}

impl FskConfig {
    /// Defaults for `standard`: 1200 baud, seizure after 24 alternations, framing armed after
    /// 40 mark bits, tones down to -48 dBFS.
    pub fn new(standard: FskStandard) -> Self {
        FskConfig {
            standard,
            baud: 1200.0,
            min_seizure_bits: 24,
            min_mark_bits: 40,
            min_level_dbfs: -48.0,
        }
    }
}

/// What the demodulator recognised; `at` is the sample index (since [`FskDemod::new`]) where
/// it was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FskEvent {
    /// A channel-seizure signal (alternating bits) has lasted `min_seizure_bits`.
    Seizure {
        /// Sample index.
        at: u64,
    },
    /// A mark signal has lasted `min_mark_bits`: byte framing is armed.
    Mark {
        /// Sample index.
        at: u64,
    },
    /// One character with a valid start and stop bit.
    Byte {
        /// Sample index of the stop bit's centre.
        at: u64,
        /// The eight data bits, least significant first on the line.
        byte: u8,
    },
    /// A character whose stop bit was space: the data is not trustworthy.
    FramingError {
        /// Sample index of the stop bit's centre.
        at: u64,
    },
    /// The in-band level fell 10 dB below the mark signal's: the data transmission ended.
    /// Framing is disarmed (back to hunting for seizure and mark).
    CarrierLost {
        /// Sample index.
        at: u64,
    },
}

/// Where the demodulator is in a transmission.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Looking for seizure and for a long enough mark.
    Hunt,
    /// Framing armed, waiting for a start bit's falling edge.
    Idle,
    /// Inside a character: `edge` is the interpolated start-bit edge (in samples), `bit` the
    /// next bit to sample (0 = start, 1..=8 data, 9 = stop).
    Char { edge: f64, bit: u8, byte: u8 },
}

/// Quadrature correlator for one tone over the last [`WINDOW`] samples.
#[derive(Debug, Clone)]
struct Correlator {
    cos: [f32; TABLE_LEN],
    sin: [f32; TABLE_LEN],
    re: [f32; WINDOW],
    im: [f32; WINDOW],
}

impl Correlator {
    fn new(hz: f32) -> Self {
        let mut cos = [0.0; TABLE_LEN];
        let mut sin = [0.0; TABLE_LEN];
        for (k, (c, s)) in cos.iter_mut().zip(sin.iter_mut()).enumerate() {
            let phase = std::f32::consts::TAU * hz * k as f32 / SAMPLE_RATE;
            *c = phase.cos();
            *s = phase.sin();
        }
        Correlator {
            cos,
            sin,
            re: [0.0; WINDOW],
            im: [0.0; WINDOW],
        }
    }

    /// Mixes `x` in at table position `phase` into window slot `slot`; returns |sum|².
    fn push(&mut self, x: f32, phase: usize, slot: usize) -> f32 {
        self.re[slot] = x * self.cos[phase];
        self.im[slot] = -x * self.sin[phase];
        let re: f32 = self.re.iter().sum();
        let im: f32 = self.im.iter().sum();
        re * re + im * im
    }

    fn clear(&mut self) {
        self.re = [0.0; WINDOW];
        self.im = [0.0; WINDOW];
    }
}

/// The streaming demodulator; feed it frames with [`FskDemod::process`] or samples with
/// [`FskDemod::push`].
#[derive(Debug, Clone)]
pub struct FskDemod {
    cfg: FskConfig,
    mark: Correlator,
    space: Correlator,
    /// Samples per bit at the nominal rate.
    bit_len: f64,
    /// |sum|² of a tone at `min_level_dbfs`.
    floor: f32,
    /// Samples consumed so far; the index of the next sample.
    n: u64,
    /// DC blocker memory.
    dc_x: f32,
    dc_y: f32,
    /// The previous discriminator output.
    prev_d: f32,
    state: State,
    /// Samples of uninterrupted mark while hunting, and their summed level.
    mark_run: u32,
    mark_level_sum: f32,
    /// Consecutive non-mark samples inside the current mark run.
    mark_miss: u32,
    /// Level of the mark signal that armed framing.
    carrier_level: f32,
    /// Smoothed in-band level and how long it has been below the carrier-lost threshold.
    level_avg: f32,
    low_for: u32,
    /// Last discriminator zero crossing while hunting, and the alternations counted since.
    last_cross: Option<f64>,
    alternations: u32,
    seizure_reported: bool,
}

impl FskDemod {
    /// A demodulator hunting for channel seizure and mark signal.
    pub fn new(cfg: FskConfig) -> Self {
        let amplitude = 10f32.powf(cfg.min_level_dbfs / 20.0);
        let half_window = amplitude * WINDOW as f32 / 2.0;
        let baud = if cfg.baud > 0.0 { cfg.baud } else { 1200.0 };
        FskDemod {
            mark: Correlator::new(cfg.standard.mark_hz()),
            space: Correlator::new(cfg.standard.space_hz()),
            bit_len: f64::from(SAMPLE_RATE / baud),
            floor: half_window * half_window,
            cfg,
            n: 0,
            dc_x: 0.0,
            dc_y: 0.0,
            prev_d: 0.0,
            state: State::Hunt,
            mark_run: 0,
            mark_level_sum: 0.0,
            mark_miss: 0,
            carrier_level: 0.0,
            level_avg: 0.0,
            low_for: 0,
            last_cross: None,
            alternations: 0,
            seizure_reported: false,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &FskConfig {
        &self.cfg
    }

    /// Samples consumed since [`FskDemod::new`]: the time base of every event.
    pub fn samples(&self) -> u64 {
        self.n
    }

    /// Whether byte framing is armed (a mark signal was seen and the carrier is still there).
    pub fn framing(&self) -> bool {
        self.state != State::Hunt
    }

    /// Disarms framing and hunts for a new seizure and mark, e.g. after a complete message.
    pub fn hunt(&mut self) {
        self.state = State::Hunt;
        self.mark_run = 0;
        self.mark_level_sum = 0.0;
        self.mark_miss = 0;
        self.last_cross = None;
        self.alternations = 0;
        self.seizure_reported = false;
        self.low_for = 0;
    }

    /// Forgets everything but the sample count (and the configuration).
    pub fn reset(&mut self) {
        self.hunt();
        self.mark.clear();
        self.space.clear();
        self.dc_x = 0.0;
        self.dc_y = 0.0;
        self.prev_d = 0.0;
        self.level_avg = 0.0;
    }

    /// Feeds a frame; `on_event` is called for each event, in order.
    pub fn process(&mut self, frame: &[i16], mut on_event: impl FnMut(FskEvent)) {
        for &s in frame {
            if let Some(ev) = self.push(s) {
                on_event(ev);
            }
        }
    }

    /// Feeds one sample; at most one event results.
    pub fn push(&mut self, sample: i16) -> Option<FskEvent> {
        let x = f32::from(sample) / 32768.0;
        // One-pole DC blocker (corner ≈ 13 Hz): line audio may carry an offset.
        let y = x - self.dc_x + 0.99 * self.dc_y;
        self.dc_x = x;
        self.dc_y = y;
        let phase = (self.n % TABLE_LEN as u64) as usize;
        let slot = (self.n % WINDOW as u64) as usize;
        let m2 = self.mark.push(y, phase, slot);
        let s2 = self.space.push(y, phase, slot);
        let d = m2 - s2;
        let level = m2 + s2;
        self.level_avg += (level - self.level_avg) * 0.05;
        let ev = match self.state {
            State::Hunt => self.hunt_step(d, m2, s2, level),
            State::Idle => self.idle_step(d, level),
            State::Char { edge, bit, byte } => self.char_step(d, level, edge, bit, byte),
        };
        self.prev_d = d;
        self.n += 1;
        ev
    }

    /// Interpolated time (in samples) where the discriminator crossed zero between the
    /// previous sample and this one.
    fn crossing(&self, d: f32) -> f64 {
        let prev = f64::from(self.prev_d);
        let span = prev - f64::from(d);
        let frac = if span.abs() > f64::EPSILON {
            (prev / span).clamp(0.0, 1.0)
        } else {
            0.5
        };
        self.n as f64 - 1.0 + frac
    }

    fn hunt_step(&mut self, d: f32, m2: f32, s2: f32, level: f32) -> Option<FskEvent> {
        let strong = level > self.floor;
        let seizure = self.track_alternation(d, strong);
        if strong && m2 > 2.0 * s2 {
            self.mark_run += 1;
            self.mark_level_sum += level;
            self.mark_miss = 0;
        } else if self.mark_run > 0 && self.mark_miss < 2 {
            // Noise may dent a mark for a sample or two without ending it.
            self.mark_miss += 1;
        } else {
            self.mark_run = 0;
            self.mark_level_sum = 0.0;
            self.mark_miss = 0;
        }
        let needed = (f64::from(self.cfg.min_mark_bits) * self.bit_len) as u32;
        if self.mark_run >= needed.max(1) {
            self.carrier_level = self.mark_level_sum / self.mark_run as f32;
            self.state = State::Idle;
            self.low_for = 0;
            return Some(FskEvent::Mark { at: self.n });
        }
        seizure
    }

    /// Counts zero crossings of the discriminator about one bit apart.
    fn track_alternation(&mut self, d: f32, strong: bool) -> Option<FskEvent> {
        if !strong {
            self.last_cross = None;
            self.alternations = 0;
            return None;
        }
        if (self.prev_d >= 0.0) == (d >= 0.0) {
            return None;
        }
        let t = self.crossing(d);
        if let Some(last) = self.last_cross {
            let gap = (t - last) / self.bit_len;
            if (0.5..1.5).contains(&gap) {
                self.alternations += 1;
            } else {
                self.alternations = 0;
            }
        }
        self.last_cross = Some(t);
        if !self.seizure_reported && self.alternations >= self.cfg.min_seizure_bits {
            self.seizure_reported = true;
            return Some(FskEvent::Seizure { at: self.n });
        }
        None
    }

    fn idle_step(&mut self, d: f32, level: f32) -> Option<FskEvent> {
        if self.carrier_lost() {
            self.hunt();
            return Some(FskEvent::CarrierLost { at: self.n });
        }
        // A start bit must come with the carrier, not with the noise after it.
        let strong = level > self.floor && level > self.carrier_level * 0.1;
        if self.prev_d >= 0.0 && d < 0.0 && strong {
            self.state = State::Char {
                edge: self.crossing(d),
                bit: 0,
                byte: 0,
            };
        }
        None
    }

    /// True once the smoothed level stayed 10 dB under the mark's for two bit times.
    fn carrier_lost(&mut self) -> bool {
        if self.level_avg < self.carrier_level * 0.1 {
            self.low_for += 1;
        } else {
            self.low_for = 0;
        }
        f64::from(self.low_for) > 2.0 * self.bit_len
    }

    /// Bit timing recovery inside a character: a discriminator zero crossing near an expected
    /// bit boundary pulls the character's time origin halfway towards it, so a sender a few
    /// percent fast or slow stays centred up to the stop bit.
    fn retime(&self, d: f32, edge: f64) -> f64 {
        if (self.prev_d >= 0.0) == (d >= 0.0) {
            return edge;
        }
        let t = self.crossing(d);
        let boundary = ((t - edge) / self.bit_len).round();
        let error = t - (edge + boundary * self.bit_len);
        if (1.0..=9.0).contains(&boundary) && error.abs() < 0.4 * self.bit_len {
            edge + 0.5 * error
        } else {
            edge
        }
    }

    fn char_step(&mut self, d: f32, level: f32, edge: f64, bit: u8, byte: u8) -> Option<FskEvent> {
        let edge = self.retime(d, edge);
        if let State::Char { edge: e, .. } = &mut self.state {
            *e = edge;
        }
        let at = edge + (f64::from(bit) + 0.5) * self.bit_len;
        let now = self.n as f64;
        if now < at {
            return None;
        }
        if level < self.carrier_level * 0.1 {
            // The carrier went away under the character (its end, or a glitch).
            self.state = State::Idle;
            return None;
        }
        // Linear interpolation of the discriminator at the bit centre.
        let frac = (1.0 - (now - at)).clamp(0.0, 1.0) as f32;
        let value = self.prev_d + (d - self.prev_d) * frac;
        let one = value > 0.0;
        match bit {
            0 if one => {
                // A glitch, not a start bit.
                self.state = State::Idle;
                None
            }
            0 => {
                self.state = State::Char { edge, bit: 1, byte };
                None
            }
            1..=8 => {
                let byte = byte | (u8::from(one) << (bit - 1));
                self.state = State::Char {
                    edge,
                    bit: bit + 1,
                    byte,
                };
                None
            }
            _ => {
                self.state = State::Idle;
                Some(if one {
                    FskEvent::Byte { at: self.n, byte }
                } else {
                    FskEvent::FramingError { at: self.n }
                })
            }
        }
    }
}

/// Test signals: a phase-continuous FSK modulator with async framing, white noise and level
/// helpers. Only for tests, so that the demodulator can be driven through timings an
/// external encoder cannot produce; the independent check is `minimodem` (see the tests).
#[cfg(test)]
pub(crate) mod testsig {
    use super::{FskStandard, SAMPLE_RATE};

    /// How to send a caller-ID burst.
    #[derive(Debug, Clone, Copy)]
    pub struct Burst {
        pub standard: FskStandard,
        pub baud: f64,
        pub seizure_bits: usize,
        pub mark_bits: usize,
        /// Extra mark bits between characters.
        pub gap_bits: usize,
        /// Peak amplitude (full scale = 1.0).
        pub amplitude: f64,
    }

    impl Burst {
        pub fn new(standard: FskStandard) -> Self {
            Burst {
                standard,
                baud: 1200.0,
                seizure_bits: 300,
                mark_bits: 180,
                gap_bits: 0,
                amplitude: 0.3,
            }
        }
    }

    /// The bit sequence: seizure (0101…), mark, then each byte 8-N-1, then 4 mark bits.
    pub fn bits(b: &Burst, bytes: &[u8]) -> Vec<bool> {
        let mut out: Vec<bool> = (0..b.seizure_bits).map(|i| i % 2 == 1).collect();
        out.extend(std::iter::repeat_n(true, b.mark_bits));
        for &byte in bytes {
            out.push(false);
            out.extend((0..8).map(|i| byte >> i & 1 == 1));
            out.push(true);
            out.extend(std::iter::repeat_n(true, b.gap_bits));
        }
        out.extend(std::iter::repeat_n(true, 4));
        out
    }

    /// Phase-continuous FSK of `bits` at `b.baud`, as floats in [-1, 1].
    pub fn modulate(b: &Burst, bits: &[bool]) -> Vec<f64> {
        let per_bit = f64::from(SAMPLE_RATE) / b.baud;
        let total = (bits.len() as f64 * per_bit).ceil() as usize;
        let mut phase = 0.0f64;
        (0..total)
            .map(|n| {
                let idx = ((n as f64 / per_bit) as usize).min(bits.len() - 1);
                let hz = if bits[idx] {
                    b.standard.mark_hz()
                } else {
                    b.standard.space_hz()
                };
                phase += std::f64::consts::TAU * f64::from(hz) / f64::from(SAMPLE_RATE);
                b.amplitude * phase.sin()
            })
            .collect()
    }

    /// A deterministic xorshift generator with Gaussian output.
    pub struct Noise(u64);

    impl Noise {
        pub fn new(seed: u64) -> Self {
            Noise(seed | 1)
        }
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        pub fn gaussian(&mut self) -> f64 {
            let u1 = self.uniform().max(1e-12);
            let u2 = self.uniform();
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        }
    }

    /// Adds white Gaussian noise so that signal power / noise power = `snr_db`, measured
    /// over the samples where the signal is present.
    pub fn add_noise(signal: &[f64], snr_db: f64, seed: u64) -> Vec<f64> {
        let power = signal.iter().map(|x| x * x).sum::<f64>() / signal.len().max(1) as f64;
        let sigma = (power / 10f64.powf(snr_db / 10.0)).sqrt();
        let mut noise = Noise::new(seed);
        signal
            .iter()
            .map(|x| x + sigma * noise.gaussian())
            .collect()
    }

    /// Pads with `before` and `after` samples of silence (which get noise too if added later).
    pub fn pad(signal: &[f64], before: usize, after: usize) -> Vec<f64> {
        let mut out = vec![0.0; before];
        out.extend_from_slice(signal);
        out.extend(std::iter::repeat_n(0.0, after));
        out
    }

    /// To S16, saturating.
    pub fn to_i16(signal: &[f64]) -> Vec<i16> {
        signal
            .iter()
            .map(|x| (x * 32767.0).round().clamp(-32768.0, 32767.0) as i16)
            .collect()
    }

    /// Reads a mono 16-bit WAV written by an external tool.
    pub fn read_wav(path: &std::path::Path) -> Vec<i16> {
        let mut reader = hound::WavReader::open(path).expect("wav written by the test tool");
        reader
            .samples::<i16>()
            .collect::<Result<_, _>>()
            .expect("16-bit samples")
    }
}

#[cfg(test)]
mod tests {
    use super::testsig::{add_noise, bits, modulate, pad, to_i16, Burst};
    use super::*;

    /// Runs `samples` through a fresh demodulator in 20 ms frames; returns the events.
    fn run(cfg: FskConfig, samples: &[i16]) -> Vec<FskEvent> {
        let mut demod = FskDemod::new(cfg);
        let mut events = Vec::new();
        for frame in samples.chunks(160) {
            demod.process(frame, |e| events.push(e));
        }
        events
    }

    fn bytes_of(events: &[FskEvent]) -> Vec<u8> {
        events
            .iter()
            .filter_map(|e| match e {
                FskEvent::Byte { byte, .. } => Some(*byte),
                _ => None,
            })
            .collect()
    }

    const PAYLOAD: &[u8] = b"\x80\x10Hello, caller!\x00\xff";

    fn signal(b: &Burst, snr_db: Option<f64>, seed: u64) -> Vec<i16> {
        let clean = pad(&modulate(b, &bits(b, PAYLOAD)), 800, 800);
        match snr_db {
            Some(snr) => to_i16(&add_noise(&clean, snr, seed)),
            None => to_i16(&clean),
        }
    }

    #[test]
    fn clean_bytes_both_standards() {
        for std in [FskStandard::Bell202, FskStandard::V23] {
            let b = Burst::new(std);
            let ev = run(FskConfig::new(std), &signal(&b, None, 1));
            assert_eq!(bytes_of(&ev), PAYLOAD, "{std:?}");
            assert!(matches!(ev[0], FskEvent::Seizure { .. }), "{ev:?}");
            assert!(matches!(ev[1], FskEvent::Mark { .. }), "{ev:?}");
            assert!(
                matches!(ev.last(), Some(FskEvent::CarrierLost { .. })),
                "{ev:?}"
            );
        }
    }

    #[test]
    fn twenty_db_snr_and_baud_deviation() {
        for std in [FskStandard::Bell202, FskStandard::V23] {
            for baud in [1176.0, 1188.0, 1200.0, 1212.0, 1224.0] {
                for seed in 1..=5 {
                    let mut b = Burst::new(std);
                    b.baud = baud;
                    let ev = run(FskConfig::new(std), &signal(&b, Some(20.0), seed));
                    assert_eq!(bytes_of(&ev), PAYLOAD, "{std:?} {baud} seed {seed}");
                }
            }
        }
    }

    #[test]
    fn twelve_db_snr_at_nominal_rate() {
        for std in [FskStandard::Bell202, FskStandard::V23] {
            for seed in 11..=15 {
                let b = Burst::new(std);
                let ev = run(FskConfig::new(std), &signal(&b, Some(12.0), seed));
                assert_eq!(bytes_of(&ev), PAYLOAD, "{std:?} seed {seed}");
            }
        }
    }

    #[test]
    fn seizure_and_mark_lengths_vary() {
        for (seizure, mark) in [(300, 180), (0, 80), (100, 55), (300, 205), (50, 155)] {
            let mut b = Burst::new(FskStandard::V23);
            b.seizure_bits = seizure;
            b.mark_bits = mark;
            b.gap_bits = 3;
            let ev = run(FskConfig::new(b.standard), &signal(&b, Some(20.0), 7));
            assert_eq!(bytes_of(&ev), PAYLOAD, "seizure {seizure} mark {mark}");
            let seized = ev.iter().any(|e| matches!(e, FskEvent::Seizure { .. }));
            assert_eq!(seized, seizure >= 30, "seizure {seizure}");
        }
    }

    #[test]
    fn too_short_a_mark_does_not_arm_framing() {
        let mut b = Burst::new(FskStandard::Bell202);
        b.mark_bits = 20;
        let ev = run(FskConfig::new(b.standard), &signal(&b, None, 1));
        assert!(bytes_of(&ev).is_empty(), "{ev:?}");
    }

    #[test]
    fn noise_alone_frames_nothing() {
        let silence = vec![0.0; 8000 * 3];
        let mut noise = super::testsig::Noise::new(3);
        let noisy: Vec<f64> = silence.iter().map(|_| 0.1 * noise.gaussian()).collect();
        for std in [FskStandard::Bell202, FskStandard::V23] {
            let ev = run(FskConfig::new(std), &to_i16(&noisy));
            assert!(ev.is_empty(), "{ev:?}");
        }
    }

    #[test]
    fn quiet_tones_below_the_floor_are_ignored() {
        let mut b = Burst::new(FskStandard::Bell202);
        b.amplitude = 0.002; // -54 dBFS
        let ev = run(FskConfig::new(b.standard), &signal(&b, None, 1));
        assert!(ev.is_empty(), "{ev:?}");
    }

    #[test]
    fn events_carry_sample_positions() {
        let b = Burst::new(FskStandard::Bell202);
        let ev = run(FskConfig::new(b.standard), &signal(&b, None, 1));
        let per_bit = 8000.0 / 1200.0;
        let Some(FskEvent::Mark { at }) = ev.get(1).copied() else {
            panic!("{ev:?}")
        };
        // Framing is armed 40 mark bits into the mark signal, which starts after 300 bits.
        let expected = 800.0 + (300.0 + 40.0) * per_bit;
        assert!(
            (at as f64 - expected).abs() < 2.0 * per_bit,
            "{at} vs {expected}"
        );
        let positions: Vec<u64> = ev.iter().map(event_at).collect();
        assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
    }

    fn event_at(e: &FskEvent) -> u64 {
        match *e {
            FskEvent::Seizure { at }
            | FskEvent::Mark { at }
            | FskEvent::Byte { at, .. }
            | FskEvent::FramingError { at }
            | FskEvent::CarrierLost { at } => at,
        }
    }
}
