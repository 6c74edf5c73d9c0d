//! Analog telephone lines (FXO): the line state machine, its audio and signalling shells, and
//! the telephony DSP it uses.

pub mod dsp;
