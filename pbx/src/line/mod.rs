//! Analog telephone lines (FXO): the telephony signal processing for now; the line state
//! machine, the ALSA audio and the signalling backends come next (ARCHITECTURE.md, `line/`).

pub mod dsp;
