//! Telephony DSP for analog lines, pure Rust.
//!
//! The chain works on what an FXO port's sound card gives: 8 kHz, signed 16-bit, mono
//! samples, normally in frames of 160 samples (20 ms), though every detector accepts slices
//! of any length and keeps its own position. Each detector is a plain struct fed `&[i16]`
//! and reporting events stamped with absolute sample counts since it was created — time is
//! counted in samples, never read from a clock, so tests run in virtual time. Nothing
//! allocates per frame: state lives in fixed-size arrays built once.
//!
//! - [`goertzel`]: a Goertzel filter bank (the DFT at a few frequencies over fixed blocks).
//! - [`dtmf`]: a DTMF receiver to ITU-T Q.24 limits, and a DTMF generator for dialling.
//! - [`tones`]: per-country call-progress tone plans (dial, busy, reorder, ringback), a
//!   detector that qualifies their cadences, and a generator.
//! - [`fsk`] and [`callerid`]: 1200 baud FSK (Bell 202, V.23) and caller-ID messages (SDMF,
//!   MDMF), and DTMF caller ID parsed from detected digits.
//! - [`echo`]: the NLMS line echo canceller with double-talk detection.

pub mod callerid;
pub mod dtmf;
pub mod echo;
pub mod fsk;
pub mod goertzel;
pub mod tones;

/// The sample rate of the whole chain, in Hz.
pub const SAMPLE_RATE: u32 = 8000;

/// Samples in one 20 ms frame, the period the audio thread reads and writes.
pub const FRAME_SAMPLES: usize = 160;

/// Peak amplitude, in linear 16-bit units, of a sine at 0 dBm0 (G.711: a full-scale sine is
/// +3.14 dBm0).
pub const DBM0_PEAK: f32 = 22_827.0;

/// Mean power (mean square, linear 16-bit units) of a sine at `dbm0`.
pub fn dbm0_to_power(dbm0: f32) -> f32 {
    let peak = dbm0_to_peak(dbm0);
    peak * peak / 2.0
}

/// Peak amplitude of a sine at `dbm0`.
pub fn dbm0_to_peak(dbm0: f32) -> f32 {
    DBM0_PEAK * 10f32.powf(dbm0 / 20.0)
}

/// The level in dBm0 of a mean power (mean square, linear 16-bit units); −100 for silence.
pub fn power_to_dbm0(power: f32) -> f32 {
    if power <= 0.0 {
        return -100.0;
    }
    10.0 * (power / dbm0_to_power(0.0)).log10()
}

#[cfg(test)]
mod testutil;
