use super::*;
use firmware_config::number::PhoneNumber;

const GW: &str = "127.0.0.1:40000";
const PBX: &str = "127.0.0.1:5060";

fn ua() -> Ua {
    Ua::new(
        UaConfig {
            line: "line1".into(),
            local_sip: GW.parse().expect("addr"),
            pbx: PBX.parse().expect("addr"),
            local_rtp: "127.0.0.1:40002".parse().expect("addr"),
            laws: [Law::Alaw, Law::Ulaw],
        },
        42,
    )
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn outputs(ua: &mut Ua) -> Vec<UaOutput> {
    std::iter::from_fn(|| ua.poll_output()).collect()
}

/// The messages sent, parsed.
fn sent(out: &[UaOutput]) -> Vec<Parsed> {
    out.iter()
        .filter_map(|o| match o {
            UaOutput::Send(b) => Some(wire::parse(b).expect("we send valid SIP")),
            _ => None,
        })
        .collect()
}

fn code(p: &Parsed) -> u16 {
    match p.head.start {
        StartLine::Response { code, .. } => code,
        StartLine::Request { .. } => 0,
    }
}

fn method(p: &Parsed) -> String {
    match &p.head.start {
        StartLine::Request { method, .. } => format!("{method:?}"),
        StartLine::Response { .. } => String::new(),
    }
}

const PBX_SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
    m=audio 30000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n";

/// The PBX's response `code` to our request `req`, with a To tag and, for a 200, SDP.
fn answer(req: &Parsed, code: u16) -> Vec<u8> {
    let mut reply =
        Reply::new(code, "X").with(rsip::headers::Contact::new("<sip:pbx@127.0.0.1:5060>").into());
    if code == 200 && method(req) == "Invite" {
        reply = reply.with_sdp(PBX_SDP.into());
    }
    render_response(req, GW.parse().expect("addr"), "pbxtag", reply).to_vec()
}

/// An INVITE from the PBX for `number`.
fn pbx_invite(number: &str, call_id: &str) -> Vec<u8> {
    RequestWriter::new("INVITE", &format!("sip:{number}@{GW}"))
        .header("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpbx1")
        .header("From", "<sip:101@127.0.0.1>;tag=pbxfrom")
        .header("To", &format!("<sip:{number}@{GW}>"))
        .header("Call-ID", call_id)
        .header("CSeq", "1 INVITE")
        .header("Contact", "<sip:centrala@127.0.0.1:5060>")
        .finish(Some(("application/sdp", PBX_SDP.as_bytes())))
        .to_vec()
}

fn pbx_request(method: &str, call_id: &str, cseq: u32, to_tag: &str) -> Vec<u8> {
    RequestWriter::new(method, &format!("sip:line1@{GW}"))
        .header("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKpbx2")
        .header("From", "<sip:101@127.0.0.1>;tag=pbxfrom")
        .header("To", &format!("<sip:x@{GW}>;tag={to_tag}"))
        .header("Call-ID", call_id)
        .header("CSeq", &format!("{cseq} {method}"))
        .finish(None)
        .to_vec()
}

fn caller() -> LineCall {
    LineCall {
        caller: Caller::Number(PhoneNumber::parse("+48221234567", None).expect("number")),
        name: Some("Jan \"K\" Kowalski".into()),
    }
}

#[test]
fn an_answered_line_call_is_offered_bridged_and_ended_with_bye() {
    let mut ua = ua();
    ua.incoming(ms(0), &caller());
    let out = outputs(&mut ua);
    let invite = &sent(&out)[0];
    let from = message::header(invite, "From").expect("From");
    assert!(from.contains("sip:+48221234567@"), "{from}");
    assert!(from.contains("\"Jan K Kowalski\""), "{from}");
    assert!(message::sdp_body(invite).is_some_and(|s| s.contains("RTP/AVP 8 0")));
    assert!(ua.busy());
    // No answer yet: the INVITE is repeated at T1, then after 2 × T1.
    ua.handle_timeout(ms(500));
    assert_eq!(sent(&outputs(&mut ua)).len(), 1);
    ua.received(ms(600), &answer(invite, 180));
    assert!(
        ua.poll_timeout().is_none(),
        "a provisional answer stops the repeats"
    );
    ua.received(ms(2000), &answer(invite, 200));
    let out = outputs(&mut ua);
    assert_eq!(method(&sent(&out)[0]), "Ack");
    let peer = MediaPeer {
        addr: "127.0.0.1:30000".parse().expect("addr"),
        law: Law::Alaw,
    };
    assert!(out.contains(&UaOutput::Media(Some(peer))), "{out:?}");
    ua.line_ended(ms(9000), 480);
    let out = outputs(&mut ua);
    let bye = &sent(&out)[0];
    assert_eq!(method(bye), "Bye");
    assert_eq!(message::request_uri(bye), Some("sip:pbx@127.0.0.1:5060"));
    assert!(out.contains(&UaOutput::Media(None)));
    ua.received(ms(9100), &answer(bye, 200));
    assert!(!ua.busy());
    assert!(ua.poll_timeout().is_none());
}

#[test]
fn a_withheld_caller_is_anonymous_with_privacy() {
    let mut ua = ua();
    let call = LineCall {
        caller: Caller::Withheld,
        name: None,
    };
    ua.incoming(ms(0), &call);
    let invite = &sent(&outputs(&mut ua))[0];
    assert!(message::header(invite, "From").is_some_and(|f| f.contains("sip:anonymous@")));
    assert_eq!(message::header(invite, "Privacy"), Some("id"));
}

#[test]
fn a_call_ended_on_the_line_before_the_pbx_answered_is_cancelled() {
    let mut ua = ua();
    ua.incoming(ms(0), &caller());
    let invite = sent(&outputs(&mut ua)).remove(0);
    ua.received(ms(100), &answer(&invite, 180));
    ua.line_ended(ms(3000), 480);
    let cancel = sent(&outputs(&mut ua)).remove(0);
    assert_eq!(method(&cancel), "Cancel");
    assert_eq!(cancel.head.cseq, invite.head.cseq);
    ua.received(ms(3050), &answer(&cancel, 200));
    ua.received(ms(3060), &answer(&invite, 487));
    let out = outputs(&mut ua);
    assert_eq!(method(&sent(&out)[0]), "Ack");
    assert!(!ua.busy());
}

#[test]
fn an_outside_call_is_dialled_answered_when_connected_and_ended_by_the_pbx() {
    let mut ua = ua();
    ua.received(ms(0), &pbx_invite("+48221234567", "out1"));
    let out = outputs(&mut ua);
    assert_eq!(code(&sent(&out)[0]), 180);
    assert!(out.contains(&UaOutput::Dial("+48221234567".into())));
    // The PBX repeats its INVITE: the 180 again, no second dialling.
    ua.received(ms(500), &pbx_invite("+48221234567", "out1"));
    let again = outputs(&mut ua);
    assert_eq!(code(&sent(&again)[0]), 180);
    assert!(!again.iter().any(|o| matches!(o, UaOutput::Dial(_))));
    ua.connected(ms(4000));
    let out = outputs(&mut ua);
    let ok = &sent(&out)[0];
    assert_eq!(code(ok), 200);
    assert!(message::sdp_body(ok).is_some_and(|s| s.contains("RTP/AVP 8")));
    assert!(out.iter().any(|o| matches!(o, UaOutput::Media(Some(_)))));
    // The 200 is repeated until the ACK comes.
    ua.handle_timeout(ms(4500));
    assert_eq!(code(&sent(&outputs(&mut ua))[0]), 200);
    let tag = ok.head.to_tag.clone().expect("our tag");
    ua.received(ms(4600), &pbx_request("ACK", "out1", 1, &tag));
    assert!(ua.poll_timeout().is_none());
    ua.received(ms(9000), &pbx_request("BYE", "out1", 2, &tag));
    let out = outputs(&mut ua);
    assert_eq!(code(&sent(&out)[0]), 200);
    assert!(out.contains(&UaOutput::HangUp));
    assert!(!ua.busy());
}

#[test]
fn a_busy_number_or_a_dead_line_refuses_the_outside_call_once() {
    let mut ua = ua();
    ua.received(ms(0), &pbx_invite("0601234567", "out2"));
    outputs(&mut ua);
    ua.line_ended(ms(3000), 486);
    let out = outputs(&mut ua);
    assert_eq!(code(&sent(&out)[0]), 486);
    assert!(!ua.busy());
    // A repeated INVITE gets the same refusal, not a second call.
    ua.received(ms(3100), &pbx_invite("0601234567", "out2"));
    let out = outputs(&mut ua);
    assert_eq!(code(&sent(&out)[0]), 486);
    assert!(!out.iter().any(|o| matches!(o, UaOutput::Dial(_))));
}

#[test]
fn a_second_call_while_busy_is_refused_and_garbage_gets_400() {
    let mut ua = ua();
    ua.incoming(ms(0), &caller());
    outputs(&mut ua);
    ua.received(ms(10), &pbx_invite("123", "other"));
    assert_eq!(code(&sent(&outputs(&mut ua))[0]), 486);
    ua.received(ms(20), b"INVITE nonsense\r\n\r\n");
    let out = outputs(&mut ua);
    assert!(out.is_empty() || code(&sent(&out)[0]) == 400, "{out:?}");
}

#[test]
fn an_unanswered_invite_is_given_up_after_32_seconds() {
    let mut ua = ua();
    ua.incoming(ms(0), &caller());
    outputs(&mut ua);
    let mut repeats = 0;
    let mut now = ms(0);
    while let Some(at) = ua.poll_timeout() {
        now = at;
        ua.handle_timeout(now);
        repeats += sent(&outputs(&mut ua)).len();
        assert!(now <= GIVE_UP, "still repeating at {now:?}");
    }
    assert_eq!(now, GIVE_UP);
    assert!((7..=11).contains(&repeats), "{repeats} repeats");
    assert!(!ua.busy());
}
