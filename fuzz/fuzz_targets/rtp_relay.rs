//! Arbitrary bytes through the media relay's per-packet path (`pbx::media::bridge::on_packet`):
//! latch on the packet's source, then relay from leg A to leg B.
//!
//! Input: byte 0 holds the legs' parameters (bit 0: A's law is A-law, bit 1: B's law is
//! A-law, bit 2: A has telephone-event, bit 3: B has, bits 4-5: B's direction, bit 6: B has no
//! SDP address, bit 7: A has no parameters at all); byte 1 is A's telephone-event payload type,
//! byte 2 B's; the rest is the datagram.
//!
//! Invariants: nothing panics; the packet keeps its length; only the payload-type bits of
//! byte 1 and the payload change; a relayed packet is valid RTP with B's payload type, an
//! audio payload is the transcoded input, and nothing is relayed to a B that does not
//! receive or to a payload type A did not negotiate.
//!
//! Then the same datagram twice through `forward` (relay and restamp into B's own outgoing
//! stream): what it relays carries B's stream's SSRC, and the second copy's sequence number
//! is the first's plus one.

#![no_main]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use pbx::media::bridge::{forward, on_packet, receives, LegMedia, Payload};
use pbx::media::stream::OutStream;
use pbx::media::LegId;
use pbx::media::g711::{self, Law};
use pbx::media::rtp::Layout;
use pbx::media::Remote;
use pbx::sip::sdp::Direction;

fn law(bit: bool) -> Law {
    if bit {
        Law::Alaw
    } else {
        Law::Ulaw
    }
}

fn legs(flags: u8, te_a: u8, te_b: u8) -> (LegMedia, LegMedia) {
    let bit = |n: u8| flags & (1 << n) != 0;
    let direction = match (flags >> 4) & 3 {
        0 => Direction::SendRecv,
        1 => Direction::SendOnly,
        2 => Direction::RecvOnly,
        _ => Direction::Inactive,
    };
    let a = Remote {
        addr: Some(SocketAddr::from(([10, 0, 0, 1], 4000))),
        law: law(bit(0)),
        telephone_event: bit(2).then_some(te_a & 0x7f),
        direction: Direction::SendRecv,
    };
    let b = Remote {
        addr: (!bit(6)).then(|| SocketAddr::from(([192, 0, 2, 2], 5000))),
        law: law(bit(1)),
        telephone_event: bit(3).then_some(te_b & 0x7f),
        direction,
    };
    let a = LegMedia {
        remote: (!bit(7)).then_some(a),
        latched: None,
    };
    let b = LegMedia {
        remote: Some(b),
        latched: None,
    };
    (a, b)
}

fuzz_target!(|data: &[u8]| {
    let [flags, te_a, te_b, rest @ ..] = data else {
        return;
    };
    let (mut a, b) = legs(*flags, *te_a, *te_b);
    check_forward(&a, &b, rest);
    let original = rest.to_vec();
    let mut packet = rest.to_vec();
    let source = SocketAddr::from(([198, 51, 100, 7], 3000));
    let result = on_packet(&mut packet, source, &mut a, &b);
    assert_eq!(packet.len(), original.len());
    let Ok(destination) = result else {
        assert_eq!(packet, original, "a dropped packet was changed");
        return;
    };
    let before = Layout::parse(&original).expect("a relayed packet was valid RTP");
    let after = Layout::parse(&packet).expect("the relayed packet is valid RTP");
    let (Some(ra), Some(rb)) = (a.remote, b.remote) else {
        panic!("relayed without both legs' parameters");
    };
    assert!(receives(rb.direction), "relayed to a leg that does not receive");
    assert_eq!(a.latched, Some(source));
    assert_eq!(Some(destination), b.latched.or(rb.addr));
    assert_eq!(packet[0], original[0]);
    assert_eq!(packet[1] & 0x80, original[1] & 0x80, "marker changed");
    assert_eq!(packet[2..before.payload_start], original[2..before.payload_start]);
    assert_eq!(packet[before.payload_end..], original[before.payload_end..]);
    match a.classify(before.payload_type) {
        Some(Payload::Audio(from)) => {
            assert_eq!(after.payload_type, rb.law.payload_type());
            let mut expected = original[before.payload_start..before.payload_end].to_vec();
            g711::transcode_in_place(from, rb.law, &mut expected);
            assert_eq!(&packet[after.payload_start..after.payload_end], &expected[..]);
        }
        Some(Payload::TelephoneEvent) => {
            assert_eq!(Some(after.payload_type), rb.telephone_event);
            assert_eq!(packet[before.payload_start..], original[before.payload_start..]);
        }
        None => panic!("relayed a payload type A did not negotiate ({ra:?})"),
    }
});

/// Two copies of `datagram` forwarded from A into B's outgoing stream.
fn check_forward(a: &LegMedia, b: &LegMedia, datagram: &[u8]) {
    let mut stream = OutStream::new(0x0102_0304, 65_534, 1_000);
    let now = std::time::Instant::now();
    let mut first = datagram.to_vec();
    let Ok(_) = forward(&mut first, a, LegId(1), b, &mut stream, now) else {
        return;
    };
    let mut second = datagram.to_vec();
    forward(&mut second, a, LegId(1), b, &mut stream, now).expect("the same packet again");
    let ssrc = |p: &[u8]| u32::from_be_bytes([p[8], p[9], p[10], p[11]]);
    let seq = |p: &[u8]| u16::from_be_bytes([p[2], p[3]]);
    assert_eq!(ssrc(&first), stream.ssrc());
    assert_eq!(ssrc(&second), stream.ssrc());
    assert_eq!(seq(&second), seq(&first).wrapping_add(1));
}
