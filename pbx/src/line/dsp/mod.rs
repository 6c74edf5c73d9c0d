//! Telephony DSP for analog lines: pure Rust, fed `&[i16]` frames of 8 kHz S16 mono, time in
//! sample counts, no allocation per frame.

pub mod callerid;
pub mod echo;
pub mod fsk;
