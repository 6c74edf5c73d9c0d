//! One open leg: its socket, the state the packet paths read, and its receive loop.
//!
//! Each leg is an `Arc<Leg>` shared by its receive task, its bridged peer's receive task
//! (which sends through this leg's socket) and the player clock. The state sits behind a
//! small mutex held only for a few words' work: copying parameters out, or stamping one
//! packet into the leg's outgoing stream ([`OutStream`]: the relay transcodes and restamps a
//! packet for this leg under it, the clock stamps a frame), so that the relay and the clock
//! number one stream between them. No path ever holds two legs' locks at once, so there is
//! no lock order to get wrong. (The recording's lock is taken after the state lock is
//! released, and the recording never takes a leg's lock.)
//!
//! Besides relaying, the receive path hands the leg's audio to its recording, if any, and,
//! when the leg is not bridged, turns its telephone-events into [`Event::Dtmf`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc::UnboundedSender;

use super::bridge::{self, LegMedia, Payload};
use super::dtmf;
use super::recording::Slot;
use super::rtp::Layout;
use super::stream::OutStream;
use super::{Event, LegId};

/// The largest datagram relayed; longer ones are cut (and then fail to parse or are relayed
/// short: G.711 at 20 ms is 172 bytes).
const MAX_DATAGRAM: usize = 1500;

/// What is sent to a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Nothing (new, or muted).
    Nothing,
    /// What its bridged peer sends.
    Relay,
    /// A player's audio (what the leg sends is discarded).
    Player,
}

/// A leg's mutable state.
#[derive(Debug)]
pub struct LegState {
    /// Negotiated parameters and latched source.
    pub media: LegMedia,
    /// The leg this one's packets are relayed to.
    pub peer: Option<Arc<Leg>>,
    /// What is sent to this leg.
    pub output: Output,
    /// Its telephone-events, told apart into key presses.
    pub dtmf: dtmf::Detector,
    /// The RTP stream sent to it, whatever the source (relay or player).
    pub stream: OutStream,
}

/// An open leg.
#[derive(Debug)]
pub struct Leg {
    /// Which leg.
    pub id: LegId,
    /// Its RTP socket: it receives the far end's packets and sends everything to it.
    pub socket: UdpSocket,
    /// Where what happens asynchronously is reported.
    pub events: UnboundedSender<Event>,
    /// Its recording, if any.
    pub recording: Arc<Slot>,
    state: Mutex<LegState>,
}

impl Leg {
    /// A new leg on `socket`, reporting to `events`: nothing known, nothing sent.
    pub fn new(id: LegId, socket: UdpSocket, events: UnboundedSender<Event>) -> Leg {
        Leg {
            id,
            socket,
            events,
            recording: Arc::default(),
            state: Mutex::new(LegState {
                media: LegMedia::default(),
                peer: None,
                output: Output::Nothing,
                dtmf: dtmf::Detector::default(),
                stream: OutStream::random(),
            }),
        }
    }

    /// Locks the state (a panic elsewhere while holding it leaves valid data: recovered).
    pub fn state(&self) -> MutexGuard<'_, LegState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Undoes this leg's bridge, both ways. Locks one leg at a time.
    pub fn unbridge(self: &Arc<Leg>) {
        let peer = {
            let mut state = self.state();
            if state.output == Output::Relay {
                state.output = Output::Nothing;
            }
            state.peer.take()
        };
        let Some(peer) = peer else { return };
        let mut theirs = peer.state();
        if theirs.peer.as_ref().is_some_and(|p| Arc::ptr_eq(p, self)) {
            theirs.peer = None;
            if theirs.output == Output::Relay {
                theirs.output = Output::Nothing;
            }
        }
    }
}

/// Receives the leg's packets until the task is aborted.
pub async fn receive(leg: Arc<Leg>) {
    let mut buf = [0u8; MAX_DATAGRAM];
    loop {
        match leg.socket.recv_from(&mut buf).await {
            Ok((len, source)) => on_packet(&leg, &mut buf[..len], source),
            Err(e) => {
                tracing::debug!(leg = leg.id.0, error = %e, "RTP receive error");
                // Never spin on a persistent error.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// One received packet: latch, record, detect DTMF, then relay to the peer if there is one
/// that listens.
fn on_packet(leg: &Leg, packet: &mut [u8], source: SocketAddr) {
    let layout = Layout::parse(packet).ok();
    let (from, peer, digit) = {
        let mut state = leg.state();
        if state.media.observe(packet, source) {
            tracing::debug!(leg = leg.id.0, %source, "RTP source latched");
        }
        let peer = match state.output {
            Output::Player => None,
            Output::Nothing | Output::Relay => state.peer.clone(),
        };
        let kind = layout.and_then(|l| state.media.classify(l.payload_type).zip(Some(l)));
        let digit = match kind {
            Some((Payload::TelephoneEvent, l)) if state.peer.is_none() => {
                let payload = &packet[l.payload_start..l.payload_end];
                state.dtmf.on_packet(l.ssrc, l.timestamp, l.marker, payload)
            }
            _ => None,
        };
        (state.media, peer, digit)
    };
    if let Some(digit) = digit {
        tracing::debug!(leg = leg.id.0, %digit, "DTMF");
        let _ = leg.events.send(Event::Dtmf { leg: leg.id, digit });
    }
    if let Some((Payload::Audio(law), l)) =
        layout.and_then(|l| from.classify(l.payload_type).zip(Some(l)))
    {
        let payload = &packet[l.payload_start..l.payload_end];
        leg.recording.on_audio(law, l.ssrc, l.timestamp, payload);
    }
    let Some(peer) = peer else { return };
    let forwarded = {
        let mut state = peer.state();
        if state.output != Output::Relay {
            return;
        }
        let to = state.media;
        let now = Instant::now();
        bridge::forward(packet, &from, leg.id, &to, &mut state.stream, now)
    };
    if let Ok(destination) = forwarded {
        // A full socket buffer drops the packet, as the network would.
        if let Err(e) = peer.socket.try_send_to(packet, destination) {
            tracing::trace!(leg = peer.id.0, error = %e, "RTP send failed");
        }
    }
}
