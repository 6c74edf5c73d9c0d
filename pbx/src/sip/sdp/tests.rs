use super::*;

const BARESIP_OFFER: &str =
    "v=0\r\no=- 1001 2002 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio 10002 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";

fn local() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

#[test]
fn parses_a_softphone_offer() {
    let sdp = Sdp::parse(BARESIP_OFFER).expect("parse");
    assert_eq!((sdp.session_id, sdp.version), (1001, 2002));
    let (audio, addr) = sdp.audio().expect("audio");
    assert_eq!((audio.port, addr), (10002, Some(local())));
    assert_eq!(audio.formats, ["0", "8", "101"]);
    assert_eq!(audio.ptime, Some(20));
}

#[test]
fn answers_with_the_first_offered_law_we_support_and_keeps_telephone_event() {
    let offer = Sdp::parse(BARESIP_OFFER).expect("parse");
    let (answer, n) = offer
        .answer(
            7,
            local(),
            20000,
            &[Law::Alaw, Law::Ulaw],
            Direction::SendRecv,
        )
        .expect("answer");
    assert_eq!(n.law, Law::Ulaw, "the offerer's preference wins");
    assert_eq!(n.telephone_event, Some(101));
    assert_eq!(n.remote, Some((local(), 10002)));
    let text = answer.to_string();
    assert!(text.contains("m=audio 20000 RTP/AVP 0 101\r\n"), "{text}");
    assert!(
        text.contains("a=rtpmap:101 telephone-event/8000") && text.contains("a=sendrecv"),
        "{text}"
    );
    // Our own output parses back.
    assert_eq!(
        Sdp::parse(&text)
            .expect("reparse")
            .audio()
            .expect("audio")
            .0
            .port,
        20000
    );
}

#[test]
fn only_a_law_offered_to_a_ulaw_only_side_is_refused_as_488() {
    let offer = Sdp::parse(&BARESIP_OFFER.replace("0 8 101", "8 101")).expect("parse");
    let err = offer.answer(1, local(), 20000, &[Law::Ulaw], Direction::SendRecv);
    assert!(matches!(err, Err(SdpError::NoCommonCodec(_))));
}

#[test]
fn static_payload_types_without_rtpmap_are_understood() {
    let offer = Sdp::parse("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n").expect("parse");
    let (_, n) = offer
        .answer(
            1,
            local(),
            20000,
            &[Law::Ulaw, Law::Alaw],
            Direction::SendRecv,
        )
        .expect("answer");
    assert_eq!((n.law, n.telephone_event), (Law::Alaw, None));
}

#[test]
fn hold_directions_are_mirrored() {
    for (offered, expected) in [
        ("sendonly", Direction::RecvOnly),
        ("recvonly", Direction::SendOnly),
        ("inactive", Direction::Inactive),
        ("sendrecv", Direction::SendRecv),
    ] {
        let offer = Sdp::parse(&BARESIP_OFFER.replace("a=sendrecv", &format!("a={offered}")))
            .expect("parse");
        let (answer, _) = offer
            .answer(1, local(), 20000, &[Law::Ulaw], Direction::SendRecv)
            .expect("answer");
        assert_eq!(answer.media[0].direction, expected, "offer {offered}");
    }
}

#[test]
fn old_style_hold_with_address_zero_means_no_media_to_them() {
    let offer = Sdp::parse(&BARESIP_OFFER.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0"))
        .expect("parse");
    let (_, n) = offer
        .answer(1, local(), 20000, &[Law::Ulaw], Direction::SendRecv)
        .expect("answer");
    assert_eq!(n.remote, None);
    assert_eq!(n.remote_direction, Direction::SendOnly);
}

#[test]
fn other_streams_are_refused_with_port_zero_in_their_place() {
    let offer = format!("{BARESIP_OFFER}m=video 10004 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n");
    let (answer, _) = Sdp::parse(&offer)
        .expect("parse")
        .answer(1, local(), 20000, &[Law::Ulaw], Direction::SendRecv)
        .expect("answer");
    assert_eq!(answer.media.len(), 2);
    assert_eq!(
        (answer.media[1].kind.as_str(), answer.media[1].port),
        ("video", 0)
    );
}

#[test]
fn garbage_is_refused_with_the_line() {
    assert_eq!(Sdp::parse("hello"), Err(SdpError::NotSdp));
    assert!(matches!(
        Sdp::parse("v=0\r\nm=audio x RTP/AVP 0\r\n"),
        Err(SdpError::Syntax { line: 2, .. })
    ));
    assert!(matches!(
        Sdp::parse("v=0\r\nnonsense\r\n"),
        Err(SdpError::Syntax { line: 2, .. })
    ));
    let no_audio = Sdp::parse("v=0\r\nm=video 5000 RTP/AVP 96\r\n").expect("parse");
    assert_eq!(
        no_audio
            .answer(1, local(), 1, &[Law::Ulaw], Direction::SendRecv)
            .err(),
        Some(SdpError::NoAudio)
    );
}

proptest::proptest! {
    #[test]
    fn parsing_never_panics(s in "\\PC*") {
        let _ = Sdp::parse(&s);
    }

    #[test]
    fn mutated_offers_never_panic(pos in 0usize..300, byte in proptest::num::u8::ANY) {
        let mut b = BARESIP_OFFER.as_bytes().to_vec();
        let p = pos % b.len();
        b[p] = byte;
        if let Ok(s) = String::from_utf8(b) {
            if let Ok(sdp) = Sdp::parse(&s) {
                let _ = sdp.answer(1, local(), 20000, &[Law::Ulaw, Law::Alaw], Direction::SendRecv);
            }
        }
    }
}
