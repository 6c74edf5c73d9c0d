//! Analog telephone lines (FXO ports): the line state machine ([`fxo`]), sans-IO and fed the
//! time; the line's audio through ALSA on a thread of its own ([`alsa_pcm`]); the signalling
//! backends, GPIO ([`gpio`]), ALSA control switches ([`alsa_ctl`]) and a local socket
//! ([`signal_socket`]); the telephony DSP the line uses ([`dsp`]); a port joining the state
//! machine with its DSP, clocked by the line's own audio ([`port`]), with the echo path it
//! cancels ([`echo_path`]); the caller as the router takes it ([`caller`]); and the gateway
//! that bridges a line to the PBX's SIP side ([`gateway`]).

pub mod alsa_ctl;
pub mod alsa_pcm;
pub mod board;
pub mod caller;
pub mod dsp;
pub mod echo_path;
pub mod fxo;
pub mod gateway;
pub mod gpio;
pub mod health;
pub mod port;
pub mod signal_socket;
