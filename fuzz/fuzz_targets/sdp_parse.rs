//! Arbitrary text as an SDP offer; our offer built from parameters taken from the input.
//!
//! Invariants:
//! - `Sdp::parse` never panics;
//! - what parses prints (Display) as text that parses again to the same description — up to
//!   what Display leaves out by design: the attributes of a refused stream (port 0) — and
//!   prints the same text again;
//! - `answer` never panics; when it fails, it says why truthfully (no audio stream, or no
//!   codec in common); when it succeeds the answer has exactly as many media sections as the
//!   offer (RFC 3264 §6), one stream accepted (the offer's audio stream, at its index) with a
//!   law we asked for, every other one refused with port 0, and it round-trips as above;
//! - our `offer` round-trips exactly, and answering it with a law it contains picks the
//!   first such law, keeps telephone-event and points at the offer's address and port.

#![no_main]

use std::net::IpAddr;

use libfuzzer_sys::fuzz_target;
use pbx::media::g711::Law;
use pbx::sip::sdp::{Direction, Sdp, SdpError, TELEPHONE_EVENT_PT};

const DIRECTIONS: [Direction; 4] = [
    Direction::SendRecv,
    Direction::SendOnly,
    Direction::RecvOnly,
    Direction::Inactive,
];

const LAW_CHOICES: [&[Law]; 4] = [
    &[Law::Ulaw],
    &[Law::Alaw],
    &[Law::Alaw, Law::Ulaw],
    &[Law::Ulaw, Law::Alaw],
];

/// What Display keeps of a description: a refused stream loses its attributes.
fn printable(sdp: &Sdp) -> Sdp {
    let mut sdp = sdp.clone();
    for m in &mut sdp.media {
        if m.port == 0 {
            m.rtpmap.clear();
            m.ptime = None;
            m.direction = Direction::SendRecv;
        }
    }
    sdp
}

/// Display, parse, Display again: same description (as printable), same text.
fn round_trip(sdp: &Sdp, what: &str) {
    let text = sdp.to_string();
    let again = Sdp::parse(&text)
        .unwrap_or_else(|e| panic!("{what} does not parse again ({e}):\n{text}\n{sdp:?}"));
    assert_eq!(
        again,
        printable(sdp),
        "{what} parses back differently:\n{text}"
    );
    assert_eq!(
        again.to_string(),
        text,
        "{what} prints differently the second time"
    );
}

/// Checks one answer to `offer`.
fn check_answer(offer: &Sdp, ours: &[Law], direction: Direction, port: u16, addr: IpAddr) {
    match offer.answer(42, addr, port, ours, direction) {
        Ok((answer, negotiated)) => {
            assert!(
                ours.contains(&negotiated.law),
                "negotiated a law we did not ask for"
            );
            assert_eq!(
                answer.media.len(),
                offer.media.len(),
                "answer has other m= count"
            );
            let accepted: Vec<usize> = (0..answer.media.len())
                .filter(|&i| answer.media[i].port != 0)
                .collect();
            let audio_at = offer
                .media
                .iter()
                .position(|m| m.kind == "audio" && m.port != 0);
            if port != 0 {
                assert_eq!(accepted.len(), 1, "not exactly one stream accepted");
                assert_eq!(
                    Some(accepted[0]),
                    audio_at,
                    "accepted a stream other than audio"
                );
                let (m, _) = answer.audio().expect("the accepted audio stream");
                let pt = negotiated.law.payload_type().to_string();
                assert_eq!(m.formats.first(), Some(&pt), "first format is not the law");
            }
            round_trip(&answer, "an answer");
        }
        Err(SdpError::NoAudio) => assert!(offer.audio().is_none(), "NoAudio with audio"),
        Err(SdpError::NoCommonCodec(_)) => assert!(offer.audio().is_some()),
        Err(e) => panic!("answer failed with a parse error: {e}"),
    }
}

/// Parameters for our own offer, from the input's first bytes.
fn our_offer(data: &[u8]) -> Option<()> {
    let [a, b, c, d, e, f, g, ..] = *data else {
        return None;
    };
    let session_id = u64::from_le_bytes([a, b, c, d, e, f, g, a ^ 0x5a]);
    let version = u64::from(b);
    let addr = match c % 3 {
        0 => IpAddr::from([d, e, f, g]),
        1 => IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, u16::from(d), u16::from(e)]),
        _ => IpAddr::from([0, 0, 0, 0]),
    };
    let port = u16::from_le_bytes([e, f]);
    let laws = LAW_CHOICES[usize::from(g) % LAW_CHOICES.len()];
    let direction = DIRECTIONS[usize::from(g / 4) % DIRECTIONS.len()];
    let offer = Sdp::offer(session_id, version, addr, port, laws, direction);
    round_trip(&offer, "our offer");
    if port != 0 {
        let text = offer.to_string();
        assert_eq!(
            Sdp::parse(&text).ok(),
            Some(offer.clone()),
            "our offer changed:\n{text}"
        );
    }
    for ours in LAW_CHOICES {
        let result = offer.answer(7, IpAddr::from([127, 0, 0, 1]), 20000, ours, direction);
        if port == 0 {
            assert!(
                matches!(result, Err(SdpError::NoAudio)),
                "port 0 offer answered"
            );
            continue;
        }
        let expected = laws.iter().copied().find(|l| ours.contains(l));
        match (result, expected) {
            (Ok((_, n)), Some(law)) => {
                assert_eq!(n.law, law, "picked {:?}, not the first common law", n.law);
                assert_eq!(n.telephone_event, Some(TELEPHONE_EVENT_PT));
                let remote = (!addr.is_unspecified()).then_some((addr, port));
                assert_eq!(n.remote, remote, "remote address");
            }
            (Err(SdpError::NoCommonCodec(_)), None) => {}
            (other, _) => panic!("answer to our offer: {other:?}, expected {expected:?}"),
        }
        check_answer(&offer, ours, direction, 20000, IpAddr::from([127, 0, 0, 1]));
    }
    Some(())
}

fuzz_target!(|data: &[u8]| {
    let _ = our_offer(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sdp) = Sdp::parse(text) else {
        return;
    };
    round_trip(&sdp, "a parsed description");
    let port = u16::from(data.first().copied().unwrap_or(0)) * 256 + 1;
    for (i, ours) in LAW_CHOICES.iter().enumerate() {
        let addr = if i % 2 == 0 {
            IpAddr::from([192, 0, 2, 1])
        } else {
            IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
        };
        check_answer(&sdp, ours, DIRECTIONS[i], port, addr);
    }
    check_answer(
        &sdp,
        &[Law::Alaw],
        Direction::SendRecv,
        0,
        IpAddr::from([0, 0, 0, 0]),
    );
});
