//! Media: RTP relay between a call's legs, G.711 transcoding, RFC 4733 telephone-event
//! passthrough, and the audio Centrala plays itself (hold music, ringback).
//!
//! The call layer ([`crate::sip::b2bua`]) decides; the media engine obeys. The call layer owns
//! the port numbers ([`ports::PortPool`], plain data, so calls are tested without sockets) and
//! sends [`Command`]s; the engine binds the sockets, moves the packets and reports the few
//! things that go wrong as [`Event`]s. Every leg of every call has its own local RTP port: the
//! PBX anchors all media, so a phone never learns another phone's address, music can replace a
//! party at any moment, and the two legs may use different G.711 laws.

pub mod bridge;
mod clock;
pub mod engine;
pub mod g711;
mod leg;
pub mod music;
pub mod player;
pub mod ports;
pub mod rtp;
pub mod tones;
pub mod wav;

use std::net::SocketAddr;
use std::path::PathBuf;

use firmware_config::system::ToneCountry;

use crate::sip::sdp::Direction;
use g711::Law;

/// One leg's media stream: one local RTP port. Chosen by the call layer, unique while open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

/// What the far end of a leg negotiated (from its SDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remote {
    /// Where it said it receives RTP. `None` when it gave no usable address (hold with
    /// 0.0.0.0); packets then go to the latched source, if any.
    pub addr: Option<SocketAddr>,
    /// The G.711 law it sends and expects.
    pub law: Law,
    /// Its RFC 4733 telephone-event payload type, if it has one.
    pub telephone_event: Option<u8>,
    /// The direction the far end asked for: `SendOnly`/`Inactive` means it does not want to
    /// receive (it put us on hold), so nothing is sent to it; `RecvOnly`/`Inactive` means it
    /// will not send.
    pub direction: Direction,
}

/// Audio Centrala generates for a leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Hold music: this WAV file when given and readable, else the built-in music.
    HoldMusic(Option<PathBuf>),
    /// The ringback tone of a country's tone plan.
    Ringback(ToneCountry),
    /// Nothing (comfort: keeps NAT bindings open with silence packets).
    Silence,
}

/// What the call layer asks of the media engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Bind `port` (UDP, on the SIP listen address's IP) for a new leg. Nothing is sent
    /// until [`Command::Remote`].
    Open {
        /// The leg.
        leg: LegId,
        /// The local port from [`ports::PortPool`].
        port: u16,
    },
    /// The far end's negotiated parameters (first answer, and again after every re-INVITE).
    Remote {
        /// The leg.
        leg: LegId,
        /// What it negotiated.
        remote: Remote,
    },
    /// Play generated audio to the leg (replacing whatever it heard: a bridge is undone for
    /// this leg, and what the leg sends is discarded).
    Play {
        /// The leg.
        leg: LegId,
        /// What to play.
        source: Source,
    },
    /// Relay between two legs, each way: what one sends the other hears, transcoded between
    /// laws when they differ, telephone-events passed through with the payload type mapped.
    /// Stops whatever either leg was playing.
    Bridge {
        /// One leg.
        a: LegId,
        /// The other.
        b: LegId,
    },
    /// Stop sending to the leg anything at all (no music, no relay).
    Mute {
        /// The leg.
        leg: LegId,
    },
    /// Close the leg's socket and forget it (undoes its bridge).
    Close {
        /// The leg.
        leg: LegId,
    },
}

/// What the media engine reports to the call layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The port could not be bound (another process holds it): the call layer gives up the
    /// leg and the port is not used again for a while.
    OpenFailed {
        /// The leg.
        leg: LegId,
        /// The port.
        port: u16,
        /// The operating system's reason.
        reason: String,
    },
}
