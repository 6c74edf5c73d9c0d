//! Media: RTP relay between a call's legs, G.711 transcoding, RFC 4733 telephone-event
//! passthrough, the audio Centrala plays itself (hold music, ringback, voicemail prompts and
//! messages), recording what a leg sends (voicemail) and the DTMF digits it sends.
//!
//! The call layer ([`crate::sip::b2bua`]) decides; the media engine obeys. The call layer owns
//! the port numbers ([`ports::PortPool`], plain data, so calls are tested without sockets) and
//! sends [`Command`]s; the engine binds the sockets, moves the packets and reports what the
//! call layer must know as [`Event`]s: a port that failed to open at once (the return value of
//! [`engine::Engine::apply`]), everything else later, through the engine's event channel. Every leg of every call has its own local RTP port: the
//! PBX anchors all media, so a phone never learns another phone's address, music can replace a
//! party at any moment, and the two legs may use different G.711 laws.

pub mod bridge;
mod clock;
pub mod dtmf;
pub mod engine;
pub mod g711;
mod leg;
pub mod music;
pub mod player;
pub mod ports;
pub mod prompts;
pub mod recorder;
mod recording;
pub mod rtp;
pub mod stream;
pub mod tones;
pub mod wav;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// A built-in prompt, played once; then [`Event::PlayFinished`] and silence.
    Prompt(Prompt),
    /// A WAV file (the admin's greeting, a recorded message), played once; then
    /// [`Event::PlayFinished`] and silence. The leg hears silence while the file loads (off
    /// the runtime); when the file is unreadable, `fallback` is played instead (logged).
    File {
        /// The file.
        path: PathBuf,
        /// What plays when the file cannot be used.
        fallback: Prompt,
    },
}

/// The built-in prompts (spoken English, compiled in; see `scripts/make-prompts.sh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prompt {
    /// "Hello. Nobody can take your call right now. Please leave a message after the tone."
    Greeting,
    /// The tone before recording: 1 kHz for 400 ms (synthesised).
    Beep,
    /// "You have new messages."
    NewMessages,
    /// "You have no messages."
    NoMessages,
    /// "Press 1 for the next message, 2 to hear it again, 7 to delete it."
    Menu,
    /// "Message deleted."
    Deleted,
    /// "End of messages."
    EndOfMessages,
    /// "Thank you. Goodbye."
    Goodbye,
}

/// Why a recording ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordEnd {
    /// It reached its time limit.
    Limit,
    /// The leg sent only silence for the silence time (that trailing silence is cut from the
    /// file and not counted in its duration).
    Silence,
    /// [`Command::StopRecording`] or [`Command::Close`] (or a new `Record` on the leg).
    Stopped,
    /// The file could not be written (the reason); what was written may be incomplete.
    Failed(String),
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
    /// Close the leg's socket and forget it (undoes its bridge, stops its recording).
    Close {
        /// The leg.
        leg: LegId,
    },
    /// Record what the leg sends (G.711 decoded to 16-bit PCM) into a WAV file, 8 kHz mono,
    /// at `path` (parent directories created; an existing file is replaced), until `limit`,
    /// or `silence` of continuous silence, or [`Command::StopRecording`] / [`Command::Close`];
    /// then [`Event::Recorded`]. Independent of what the leg hears or whether it is bridged.
    /// A new `Record` on a leg that records stops the old recording first.
    Record {
        /// The leg.
        leg: LegId,
        /// The WAV file to write.
        path: PathBuf,
        /// The longest recording.
        limit: Duration,
        /// How long the leg may stay silent (or send nothing) before the recording ends.
        silence: Duration,
    },
    /// Ends the leg's recording ([`RecordEnd::Stopped`]); ignored when it records nothing.
    StopRecording {
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
    /// A [`Source::Prompt`] or [`Source::File`] played to its end (not sent when it was
    /// replaced, muted or closed before); the leg now hears silence.
    PlayFinished {
        /// The leg.
        leg: LegId,
    },
    /// A recording ended and its file is complete (sent exactly once per `Record`).
    Recorded {
        /// The leg.
        leg: LegId,
        /// The WAV file.
        path: PathBuf,
        /// The audio in the file, in milliseconds.
        duration_ms: u32,
        /// Why it ended.
        ended: RecordEnd,
    },
    /// The leg sent a DTMF digit (an RFC 4733 telephone-event: `0`-`9`, `*`, `#`, `A`-`D`),
    /// reported once per key press, only while the leg is not bridged (a bridged leg's
    /// events are relayed to its peer instead).
    Dtmf {
        /// The leg.
        leg: LegId,
        /// The digit.
        digit: char,
    },
}
