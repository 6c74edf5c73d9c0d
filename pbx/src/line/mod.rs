//! Analog telephone lines (FXO ports): the line state machine ([`fxo`]), sans-IO and fed the
//! time.

pub mod fxo;
