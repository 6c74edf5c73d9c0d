//! Media: G.711 audio and (later) RTP relay, jitter buffer, players and recorders.

pub mod g711;
