//! The relay's decisions, without sockets: where a leg's packets go (symmetric RTP latching)
//! and what a packet received on one leg becomes on the other.
//!
//! **Latching.** Phones behind NAT announce private addresses in their SDP; the packets they
//! send arrive from the NAT's public address. So the source of the first valid RTP packet a
//! leg receives becomes where that leg's outgoing packets go, overriding the SDP address, and
//! a later change of source (NAT rebinding, a phone moving) moves it again. Only packets that
//! parse as RTP and carry one of the leg's negotiated payload types latch, so a stray
//! datagram does not steal the stream.
//!
//! **Relaying.** Audio in the sender's law is transcoded in place to the receiver's law and
//! given its payload type; RFC 4733 telephone-events get the receiver's event payload type
//! (dropped when it has none); anything else (comfort noise, unknown types, malformed bytes)
//! is dropped. Nothing is sent to a leg whose far end said it does not receive.
//!
//! **Restamping.** A relayed packet leaves in the receiving leg's own outgoing stream
//! ([`OutStream`]): the leg's SSRC, the leg's next sequence number, the source's timestamp
//! moved by an offset fixed when the leg's source last changed (so the packets of one
//! telephone-event still share one timestamp), and the marker bit on the first packet after a
//! change. So a phone sees one continuous stream whether it hears music, its peer, or after a
//! transfer another peer. [`relay`] alone leaves the header's stream fields as received;
//! [`forward`], what the engine calls, does both. No allocation.

use std::net::SocketAddr;
use std::time::Instant;

use super::g711::{self, Law};
use super::rtp::Packet;
use super::stream::OutStream;
use super::{LegId, Remote};
use crate::sip::sdp::Direction;

/// What the relay knows of one leg: its negotiated parameters and its latched source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegMedia {
    /// What the far end negotiated, once known.
    pub remote: Option<Remote>,
    /// Where its packets come from (symmetric RTP), once it has sent one.
    pub latched: Option<SocketAddr>,
}

/// What kind of payload a packet carries, as far as the relay cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// G.711 audio in this law.
    Audio(Law),
    /// An RFC 4733 telephone-event.
    TelephoneEvent,
}

/// Why a packet was not relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Not a valid RTP packet.
    Malformed,
    /// The sending leg has no negotiated parameters yet.
    SenderUnknown,
    /// A payload type the sender did not negotiate (or comfort noise).
    UnknownPayloadType,
    /// The receiving leg has no negotiated parameters yet, or no telephone-event type.
    ReceiverCannot,
    /// The receiving leg's far end does not want to receive, or has no address.
    ReceiverDeaf,
}

/// Whether a far end that asked for `direction` wants to receive media.
pub fn receives(direction: Direction) -> bool {
    matches!(direction, Direction::SendRecv | Direction::RecvOnly)
}

impl LegMedia {
    /// Where packets for this leg go: the latched source, else the SDP address; `None` when
    /// the far end does not receive, or nothing is known yet.
    pub fn destination(&self) -> Option<SocketAddr> {
        let remote = self.remote?;
        if !receives(remote.direction) {
            return None;
        }
        self.latched.or(remote.addr)
    }

    /// What a payload type means for this leg's far end, if anything.
    pub fn classify(&self, payload_type: u8) -> Option<Payload> {
        let remote = self.remote?;
        if payload_type == remote.law.payload_type() {
            Some(Payload::Audio(remote.law))
        } else if Some(payload_type) == remote.telephone_event {
            Some(Payload::TelephoneEvent)
        } else {
            None
        }
    }

    /// Notes that `packet` came from `source`: latches the source when the packet is valid
    /// RTP in a negotiated payload type. Returns whether the destination moved.
    pub fn observe(&mut self, packet: &[u8], source: SocketAddr) -> bool {
        if self.latched == Some(source) {
            return false;
        }
        let Ok(layout) = super::rtp::Layout::parse(packet) else {
            return false;
        };
        if self.classify(layout.payload_type).is_none() {
            return false;
        }
        self.latched = Some(source);
        true
    }
}

/// Rewrites the payload of `packet`, received from leg `from`, for leg `to` (in place, same
/// length) and tells where to send it. The header's stream fields (SSRC, sequence number,
/// timestamp, marker) are left as received: [`forward`] restamps them too.
pub fn relay(packet: &mut [u8], from: &LegMedia, to: &LegMedia) -> Result<SocketAddr, Dropped> {
    let mut rtp = Packet::new(packet).map_err(|_| Dropped::Malformed)?;
    relay_payload(&mut rtp, from, to).map(|(destination, _)| destination)
}

/// What the engine does to a packet received from leg `from_id` (whose media is `from`) for
/// leg `to`: [`relay`], then the header restamped into `to`'s outgoing stream at `now` (only
/// when it is relayed: a dropped packet uses no sequence number).
pub fn forward(
    packet: &mut [u8],
    from: &LegMedia,
    from_id: LegId,
    to: &LegMedia,
    stream: &mut OutStream,
    now: Instant,
) -> Result<SocketAddr, Dropped> {
    let mut rtp = Packet::new(packet).map_err(|_| Dropped::Malformed)?;
    let (destination, kind) = relay_payload(&mut rtp, from, to)?;
    let audio = matches!(kind, Payload::Audio(_));
    stream.restamp(&mut rtp, from_id, audio, now);
    Ok(destination)
}

/// [`relay`] on a parsed packet; also tells what it carries.
fn relay_payload(
    rtp: &mut Packet<'_>,
    from: &LegMedia,
    to: &LegMedia,
) -> Result<(SocketAddr, Payload), Dropped> {
    if from.remote.is_none() {
        return Err(Dropped::SenderUnknown);
    }
    let kind = from
        .classify(rtp.layout().payload_type)
        .ok_or(Dropped::UnknownPayloadType)?;
    let target = to.remote.ok_or(Dropped::ReceiverCannot)?;
    let destination = to.destination().ok_or(Dropped::ReceiverDeaf)?;
    match kind {
        Payload::Audio(law) => {
            g711::transcode_in_place(law, target.law, rtp.payload_mut());
            rtp.set_payload_type(target.law.payload_type());
        }
        Payload::TelephoneEvent => {
            let pt = target.telephone_event.ok_or(Dropped::ReceiverCannot)?;
            rtp.set_payload_type(pt);
        }
    }
    Ok((destination, kind))
}

/// One packet through the relay, as the engine's receive path does it: latch `from` on the
/// packet's source, then [`relay`] to `to`. For tests and fuzzing; the engine does the two
/// steps under separate locks.
pub fn on_packet(
    packet: &mut [u8],
    source: SocketAddr,
    from: &mut LegMedia,
    to: &LegMedia,
) -> Result<SocketAddr, Dropped> {
    from.observe(packet, source);
    relay(packet, from, to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::rtp::{Header, HEADER_LEN};

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn leg(sdp: &str, law: Law, te: Option<u8>, direction: Direction) -> LegMedia {
        LegMedia {
            remote: Some(Remote {
                addr: Some(addr(sdp)),
                law,
                telephone_event: te,
                direction,
            }),
            latched: None,
        }
    }

    fn packet(pt: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; HEADER_LEN + payload.len()];
        Header {
            payload_type: pt,
            marker: false,
            seq: 7,
            timestamp: 160,
            ssrc: 42,
        }
        .write(&mut p)
        .unwrap();
        p[HEADER_LEN..].copy_from_slice(payload);
        p
    }

    #[test]
    fn audio_is_transcoded_to_the_receivers_law() {
        let mut a = leg("10.0.0.1:4000", Law::Ulaw, Some(101), Direction::SendRecv);
        let b = leg("192.0.2.2:5000", Law::Alaw, Some(96), Direction::SendRecv);
        let ulaw: Vec<u8> = (0..160).map(|i| i as u8).collect();
        let mut p = packet(0, &ulaw);
        let to = on_packet(&mut p, addr("198.51.100.1:3000"), &mut a, &b);
        assert_eq!(to, Ok(addr("192.0.2.2:5000")));
        assert_eq!(p[1] & 0x7f, 8);
        let mut expected = ulaw.clone();
        g711::transcode_in_place(Law::Ulaw, Law::Alaw, &mut expected);
        assert_eq!(&p[HEADER_LEN..], &expected[..]);
        assert_eq!(a.latched, Some(addr("198.51.100.1:3000")));
    }

    #[test]
    fn same_law_passes_unchanged() {
        let mut a = leg("10.0.0.1:4000", Law::Alaw, None, Direction::SendRecv);
        let b = leg("192.0.2.2:5000", Law::Alaw, None, Direction::SendRecv);
        let mut p = packet(8, &[1, 2, 3]);
        let before = p.clone();
        assert!(on_packet(&mut p, addr("10.0.0.1:4000"), &mut a, &b).is_ok());
        assert_eq!(p, before);
    }

    #[test]
    fn telephone_events_get_the_receivers_type_or_are_dropped() {
        let mut a = leg("10.0.0.1:4000", Law::Ulaw, Some(101), Direction::SendRecv);
        let b = leg("192.0.2.2:5000", Law::Alaw, Some(96), Direction::SendRecv);
        let event = [5, 0x8a, 0x03, 0x20];
        let mut p = packet(101, &event);
        assert!(on_packet(&mut p, addr("10.0.0.1:4000"), &mut a, &b).is_ok());
        assert_eq!(p[1] & 0x7f, 96);
        assert_eq!(&p[HEADER_LEN..], &event);
        let no_te = leg("192.0.2.2:5000", Law::Alaw, None, Direction::SendRecv);
        let mut p = packet(101, &event);
        assert_eq!(relay(&mut p, &a, &no_te), Err(Dropped::ReceiverCannot));
    }

    #[test]
    fn other_payloads_and_garbage_are_dropped() {
        let mut a = leg("10.0.0.1:4000", Law::Ulaw, Some(101), Direction::SendRecv);
        let b = leg("192.0.2.2:5000", Law::Alaw, Some(96), Direction::SendRecv);
        let src = addr("10.0.0.1:4000");
        let mut cn = packet(13, &[40]);
        assert_eq!(
            on_packet(&mut cn, src, &mut a, &b),
            Err(Dropped::UnknownPayloadType)
        );
        let mut alaw_from_ulaw_leg = packet(8, &[1]);
        assert_eq!(
            on_packet(&mut alaw_from_ulaw_leg, src, &mut a, &b),
            Err(Dropped::UnknownPayloadType)
        );
        let mut junk = vec![0x12u8; 30];
        assert_eq!(
            on_packet(&mut junk, src, &mut a, &b),
            Err(Dropped::Malformed)
        );
        let mut p = packet(0, &[1]);
        assert_eq!(
            relay(&mut p, &LegMedia::default(), &b),
            Err(Dropped::SenderUnknown)
        );
        assert_eq!(
            relay(&mut p, &a, &LegMedia::default()),
            Err(Dropped::ReceiverCannot)
        );
    }

    #[test]
    fn nothing_goes_to_a_leg_that_does_not_receive() {
        let mut a = leg("10.0.0.1:4000", Law::Ulaw, None, Direction::SendRecv);
        for direction in [Direction::SendOnly, Direction::Inactive] {
            let b = leg("192.0.2.2:5000", Law::Ulaw, None, direction);
            let mut p = packet(0, &[1]);
            assert_eq!(
                on_packet(&mut p, addr("10.0.0.1:4000"), &mut a, &b),
                Err(Dropped::ReceiverDeaf)
            );
        }
        let b = leg("192.0.2.2:5000", Law::Ulaw, None, Direction::RecvOnly);
        assert!(on_packet(&mut packet(0, &[1]), addr("10.0.0.1:4000"), &mut a, &b).is_ok());
        let mut no_addr = b;
        if let Some(r) = no_addr.remote.as_mut() {
            r.addr = None;
        }
        assert_eq!(
            relay(&mut packet(0, &[1]), &a, &no_addr),
            Err(Dropped::ReceiverDeaf)
        );
    }

    #[test]
    fn forward_restamps_into_the_receivers_stream_and_drops_use_no_number() {
        let mut a = leg("10.0.0.1:4000", Law::Ulaw, Some(101), Direction::SendRecv);
        let b = leg("192.0.2.2:5000", Law::Alaw, Some(96), Direction::SendRecv);
        a.observe(&packet(0, &[1]), addr("10.0.0.1:4000"));
        let mut stream = OutStream::new(0x0b0b, 500, 9000);
        let now = Instant::now();
        let mut p = packet(0, &[0xff; 160]);
        let to = forward(&mut p, &a, LegId(1), &b, &mut stream, now);
        assert_eq!(to, Ok(addr("192.0.2.2:5000")));
        let l = super::super::rtp::Layout::parse(&p).unwrap();
        assert_eq!(
            (l.payload_type, l.marker, l.seq, l.timestamp, l.ssrc),
            (8, true, 500, 9000, 0x0b0b)
        );
        let mut cn = packet(13, &[40]);
        assert!(forward(&mut cn, &a, LegId(1), &b, &mut stream, now).is_err());
        let mut event = packet(101, &[5, 0x0a, 0, 160]);
        assert!(forward(&mut event, &a, LegId(1), &b, &mut stream, now).is_ok());
        let l = super::super::rtp::Layout::parse(&event).unwrap();
        // The same source timestamp (160) as the audio: the same stream timestamp.
        assert_eq!(
            (l.payload_type, l.marker, l.seq, l.timestamp, l.ssrc),
            (96, false, 501, 9000, 0x0b0b)
        );
    }

    #[test]
    fn latching_follows_valid_packets_only() {
        let mut a = leg("10.0.0.1:4000", Law::Ulaw, Some(101), Direction::SendRecv);
        assert_eq!(a.destination(), Some(addr("10.0.0.1:4000")));
        assert!(!a.observe(&[0u8; 20], addr("203.0.113.9:1")));
        assert!(!a.observe(&packet(13, &[1]), addr("203.0.113.9:1")));
        assert!(a.observe(&packet(0, &[1]), addr("198.51.100.1:3000")));
        assert!(!a.observe(&packet(0, &[1]), addr("198.51.100.1:3000")));
        assert_eq!(a.destination(), Some(addr("198.51.100.1:3000")));
        assert!(a.observe(&packet(101, &[1, 2, 3, 4]), addr("198.51.100.1:3002")));
        assert_eq!(a.destination(), Some(addr("198.51.100.1:3002")));
        let mut unknown = LegMedia::default();
        assert!(!unknown.observe(&packet(0, &[1]), addr("198.51.100.1:3000")));
        assert_eq!(unknown.destination(), None);
    }
}
