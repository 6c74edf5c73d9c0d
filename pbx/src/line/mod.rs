//! Analog telephone lines (FXO ports): the line state machine ([`fxo`]), sans-IO and fed the
//! time, and the line's audio through ALSA on a thread of its own ([`alsa_pcm`]).

pub mod alsa_pcm;
pub mod fxo;
