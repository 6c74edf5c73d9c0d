//! SPEC §3 over SIP: REFER from a phone's transfer button, blind and attended (with
//! Replaces, in either of the transferor's dialogs), in virtual time.

use super::*;

/// A request in a dialog the phone answered (it is the callee): From is the INVITE's To
/// with the phone's tag.
fn as_callee(p: &mut Phone, sim: &mut Sim, method: &str, invite: &Parsed, extra: &str) {
    let branch = p.branch();
    let to = message::header(invite, "From").unwrap_or_default();
    let from = format!(
        "{};tag=tt{}",
        message::header(invite, "To").unwrap_or_default(),
        p.user
    );
    p.cseq += 1;
    let text = format!(
        "{method} sip:x@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch};rport\r\n\
         From: {from}\r\nTo: {to}\r\nCall-ID: {cid}\r\nCSeq: {c} {method}\r\n\
         Contact: <sip:{u}@{at}>\r\n{extra}Content-Length: 0\r\n\r\n",
        at = p.at,
        cid = invite.head.call_id,
        u = p.user,
        c = p.cseq + 20,
    );
    sim.send(p.at, &text);
}

/// A request in a dialog the phone started (it is the caller), from the 200 it got.
fn as_caller(p: &mut Phone, sim: &mut Sim, method: &str, ok: &Parsed, extra: &str) {
    let branch = p.branch();
    p.cseq += 1;
    let text = format!(
        "{method} sip:x@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch};rport\r\n\
         From: {from}\r\nTo: {to}\r\nCall-ID: {cid}\r\nCSeq: {c} {method}\r\n\
         Contact: <sip:{u}@{at}>\r\n{extra}Content-Length: 0\r\n\r\n",
        at = p.at,
        from = message::header(ok, "From").unwrap_or_default(),
        to = message::header(ok, "To").unwrap_or_default(),
        cid = ok.head.call_id,
        u = p.user,
        c = p.cseq,
    );
    sim.send(p.at, &text);
}

/// `caller` calls `to`, whose phone answers; returns the INVITE the callee got and the 200
/// the caller got (ACKed).
fn connected(sim: &mut Sim, caller: &mut Phone, callee: &Phone, to: &str) -> (Parsed, Parsed) {
    caller.invite(sim, to);
    sim.take(caller.at);
    let inv = sim.take(callee.at).remove(0);
    let port = 6000 + callee.at.port() % 100;
    callee.respond(sim, &inv, 200, Some(&answer_sdp(port)));
    sim.take(callee.at);
    let ok = sim.take(caller.at).remove(0);
    caller.in_dialog(sim, "ACK", &ok, None, Some(caller.cseq));
    (inv, ok)
}

/// The sipfrag status of the NOTIFY among `msgs`, answered 200.
fn notified(p: &Phone, sim: &mut Sim, msgs: &[Parsed]) -> String {
    let n = msgs
        .iter()
        .find(|m| method(m).as_deref() == Some("NOTIFY"))
        .unwrap_or_else(|| panic!("no NOTIFY in {:?}", methods(msgs)));
    assert_eq!(message::header(n, "Event"), Some("refer"));
    assert!(message::header(n, "Subscription-State").is_some_and(|s| s.starts_with("terminated")));
    p.respond(sim, n, 200, None);
    String::from_utf8_lossy(message::body(n)).trim().to_owned()
}

fn plays_ringback(sim: &Sim) -> bool {
    sim.media.iter().any(|c| {
        matches!(
            c,
            Command::Play {
                source: crate::media::Source::Ringback(_),
                ..
            }
        )
    })
}

#[test]
fn blind_transfer_rings_the_target_and_connects_the_caller() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    let mut ewa = Phone::new(&mut sim, "103", 5003);
    let (inv, _) = connected(&mut sim, &mut anna, &piotr, "102");
    sim.media.clear();
    let refer_to = "Refer-To: <sip:103@127.0.0.1>\r\n";
    as_callee(&mut piotr, &mut sim, "REFER", &inv, refer_to);
    let to_piotr = sim.take(piotr.at);
    assert_eq!(codes(&to_piotr), [202]);
    assert_eq!(notified(&piotr, &mut sim, &to_piotr), "SIP/2.0 200 OK");
    assert!(
        plays_ringback(&sim),
        "the caller hears ringback: {:?}",
        sim.media
    );
    assert!(
        sim.take(anna.at).is_empty(),
        "the caller's phone is not disturbed"
    );
    // The transferor hangs up; the caller stays.
    as_callee(&mut piotr, &mut sim, "BYE", &inv, "");
    assert_eq!(codes(&sim.take(piotr.at)), [200]);
    assert!(sim.take(anna.at).is_empty());
    let e_inv = sim.take(ewa.at).remove(0);
    assert_eq!(method(&e_inv).as_deref(), Some("INVITE"));
    assert!(message::header(&e_inv, "From").is_some_and(|f| f.contains("sip:101@")));
    sim.media.clear();
    ewa.respond(&mut sim, &e_inv, 200, Some(&answer_sdp(6003)));
    assert_eq!(methods(&sim.take(ewa.at)), ["ACK"]);
    assert!(bridged(&sim), "caller and target talk");
    ewa.in_dialog_as_callee(&mut sim, "BYE", &e_inv, None);
    assert_eq!(codes(&sim.take(ewa.at)), [200]);
    assert_eq!(methods(&sim.take(anna.at)), ["BYE"]);
}

#[test]
fn an_unanswered_blind_transfer_hangs_up_the_caller_after_the_ring_time() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    let ewa = Phone::new(&mut sim, "103", 5003);
    let (inv, _) = connected(&mut sim, &mut anna, &piotr, "102");
    let refer_to = "Refer-To: <sip:103@127.0.0.1>\r\n";
    as_callee(&mut piotr, &mut sim, "REFER", &inv, refer_to);
    let to_piotr = sim.take(piotr.at);
    notified(&piotr, &mut sim, &to_piotr);
    as_callee(&mut piotr, &mut sim, "BYE", &inv, "");
    let e_inv = sim.take(ewa.at).remove(0);
    ewa.respond(&mut sim, &e_inv, 180, None);
    sim.advance(TimeDelta::seconds(29));
    assert!(sim.take(anna.at).is_empty());
    sim.advance(TimeDelta::seconds(1));
    assert_eq!(methods(&sim.take(ewa.at)), ["CANCEL"]);
    assert_eq!(methods(&sim.take(anna.at)), ["BYE"], "the call ends");
}

#[test]
fn a_refer_from_the_calling_side_or_to_nowhere_is_refused_and_the_call_goes_on() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    let (inv, ok) = connected(&mut sim, &mut anna, &piotr, "102");
    let refer_to = "Refer-To: <sip:103@127.0.0.1>\r\n";
    as_caller(&mut anna, &mut sim, "REFER", &ok, refer_to);
    assert_eq!(codes(&sim.take(anna.at)), [403]);
    let nowhere = "Refer-To: <sip:abc@127.0.0.1>\r\n";
    as_callee(&mut piotr, &mut sim, "REFER", &inv, nowhere);
    assert_eq!(codes(&sim.take(piotr.at)), [404]);
    as_callee(&mut piotr, &mut sim, "REFER", &inv, "");
    assert_eq!(codes(&sim.take(piotr.at)), [400]);
    let tel = "Refer-To: <tel:+48221234567>\r\n";
    as_callee(&mut piotr, &mut sim, "REFER", &inv, tel);
    assert_eq!(codes(&sim.take(piotr.at)), [400]);
    // Still connected: the callee's BYE reaches the caller.
    as_callee(&mut piotr, &mut sim, "BYE", &inv, "");
    assert_eq!(methods(&sim.take(anna.at)), ["BYE"]);
}

/// Anna calls Piotr (call P); Piotr holds her and calls Ewa (call Q), who answers. Returns
/// (P's INVITE to Piotr, Q's INVITE to Ewa, Q's 200 to Piotr).
fn consultation(
    sim: &mut Sim,
    anna: &mut Phone,
    piotr: &mut Phone,
    ewa: &Phone,
) -> (Parsed, Parsed, Parsed) {
    let (p_inv, _) = connected(sim, anna, piotr, "102");
    let hold = SDP.replace("a=sendrecv", "a=sendonly");
    piotr.in_dialog_as_callee(sim, "INVITE", &p_inv, Some(&hold));
    assert_eq!(codes(&sim.take(piotr.at)), [200]);
    let (q_inv, q_ok) = connected(sim, piotr, ewa, "103");
    (p_inv, q_inv, q_ok)
}

fn replaces(call_id: &str, to_tag: &str, from_tag: &str) -> String {
    format!(
        "Refer-To: <sip:x@127.0.0.1?Replaces={}%3Bto-tag%3D{to_tag}%3Bfrom-tag%3D{from_tag}>\r\n",
        call_id.replace('@', "%40")
    )
}

#[test]
fn attended_transfer_joins_the_caller_and_the_target() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    let mut ewa = Phone::new(&mut sim, "103", 5003);
    let (p_inv, q_inv, q_ok) = consultation(&mut sim, &mut anna, &mut piotr, &ewa);
    sim.media.clear();
    // The usual way: REFER in the answered call, Replaces naming the consultation dialog as
    // Piotr sees it.
    let to_tag = q_ok.head.to_tag.clone().unwrap_or_default();
    let from_tag = q_ok.head.from_tag.clone().unwrap_or_default();
    let refer = replaces(&q_ok.head.call_id, &to_tag, &from_tag);
    as_callee(&mut piotr, &mut sim, "REFER", &p_inv, &refer);
    let to_piotr = sim.take(piotr.at);
    assert_eq!(codes(&to_piotr), [202]);
    assert_eq!(notified(&piotr, &mut sim, &to_piotr), "SIP/2.0 200 OK");
    assert!(bridged(&sim), "Anna and Ewa are bridged: {:?}", sim.media);
    // Piotr hangs up both calls; nobody else is disturbed.
    as_callee(&mut piotr, &mut sim, "BYE", &p_inv, "");
    as_caller(&mut piotr, &mut sim, "BYE", &q_ok, "");
    assert_eq!(codes(&sim.take(piotr.at)), [200, 200]);
    assert!(sim.take(anna.at).is_empty());
    assert!(sim.take(ewa.at).is_empty(), "Ewa stays on the line");
    // Ewa hangs up: Anna's call ends.
    ewa.in_dialog_as_callee(&mut sim, "BYE", &q_inv, None);
    assert_eq!(codes(&sim.take(ewa.at)), [200]);
    assert_eq!(methods(&sim.take(anna.at)), ["BYE"]);
    sim.advance(TimeDelta::seconds(60));
    assert_eq!(sim.sw.endpoint().calls(), 0, "both calls are gone");
}

#[test]
fn attended_transfer_also_works_from_the_consultation_dialog() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    let ewa = Phone::new(&mut sim, "103", 5003);
    let (p_inv, _q_inv, q_ok) = consultation(&mut sim, &mut anna, &mut piotr, &ewa);
    sim.take(anna.at);
    sim.media.clear();
    // REFER in the consultation call, Replaces naming the answered call's dialog (Piotr's
    // tag is tt102; Centrala's is the From tag of the INVITE Piotr got).
    let ours = p_inv.head.from_tag.clone().unwrap_or_default();
    let refer = replaces(&p_inv.head.call_id, &ours, "tt102");
    as_caller(&mut piotr, &mut sim, "REFER", &q_ok, &refer);
    let to_piotr = sim.take(piotr.at);
    assert_eq!(codes(&to_piotr), [202]);
    notified(&piotr, &mut sim, &to_piotr);
    assert!(bridged(&sim));
    as_caller(&mut piotr, &mut sim, "BYE", &q_ok, "");
    as_callee(&mut piotr, &mut sim, "BYE", &p_inv, "");
    assert_eq!(codes(&sim.take(piotr.at)), [200, 200]);
    assert!(sim.take(ewa.at).is_empty(), "Ewa stays on the line");
    assert_eq!(sim.sw.router().active_calls(), 1, "one call: Anna with Ewa");
}

#[test]
fn hanging_up_on_the_target_lets_the_employee_resume_the_caller() {
    let mut sim = Sim::new();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    let ewa = Phone::new(&mut sim, "103", 5003);
    let (p_inv, _q_inv, q_ok) = consultation(&mut sim, &mut anna, &mut piotr, &ewa);
    as_caller(&mut piotr, &mut sim, "BYE", &q_ok, "");
    assert_eq!(codes(&sim.take(piotr.at)), [200]);
    assert_eq!(methods(&sim.take(ewa.at)), ["BYE"]);
    sim.media.clear();
    piotr.in_dialog_as_callee(&mut sim, "INVITE", &p_inv, Some(SDP));
    assert_eq!(codes(&sim.take(piotr.at)), [200]);
    assert!(bridged(&sim), "Piotr talks to Anna again");
}
