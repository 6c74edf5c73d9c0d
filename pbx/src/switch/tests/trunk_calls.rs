//! Calls across a SIP trunk in virtual time: a provider simulated at 192.0.2.99 sends calls to
//! our DID and answers the INVITEs Centrala sends out (with a digest challenge first).

use firmware_config::bounded::Text;
use firmware_config::entry::{Destination, EntryPoint, EntrySource, TrunkDid};
use firmware_config::group::Unanswered;
use firmware_config::number::PhoneNumber;
use firmware_config::trunk::SipTrunk;

use super::*;
use crate::routing::Outcome;
use crate::sip::trunk::auth::{self, Challenge};

const PROVIDER: &str = "192.0.2.99:5060";
const PASSWORD: &str = "trunk-secret";

fn number(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, None).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn text<const N: usize>(s: &str) -> Text<N> {
    Text::new(s).unwrap_or_else(|_| panic!("{s} too long"))
}

/// The test office with a trunk `op` at the provider, outbound prefix `0`, and the DID
/// +48 22 123 45 67 leading to the group `office`.
fn office_with_trunk(c: &mut firmware_config::Config) {
    let trunk = SipTrunk {
        name: text("op"),
        host: text("192.0.2.99"),
        port: 5060,
        transport: Transport::Udp,
        username: text("office"),
        password: text(PASSWORD),
        register: false,
        register_expiry_secs: 600,
        caller_id: Some(number("+48221234567")),
    };
    assert!(c.trunks.push(trunk).is_ok());
    c.system.outbound_prefix = Some(text("0"));
    let entry = EntryPoint {
        name: text("main"),
        source: EntrySource::TrunkDid(TrunkDid {
            trunk: text("op"),
            did: number("+48221234567"),
        }),
        destination: Destination::Group(text("office")),
        schedule: None,
        hold_music: None,
        crm: Default::default(),
    };
    assert!(c.entry_points.push(entry).is_ok());
}

/// The provider's response to `req` (To tag added for a final response).
fn provider_reply(sim: &mut Sim, req: &Parsed, code: u16, extra: &str, sdp: Option<&str>) {
    let via: String = message::header_values(req, "Via")
        .map(|v| format!("Via: {v}\r\n"))
        .collect();
    let from = message::header(req, "From").unwrap_or_default();
    let to = message::header(req, "To").unwrap_or_default();
    let tag = if req.head.to_tag.is_some() || code < 200 {
        ""
    } else {
        ";tag=prov"
    };
    let body = sdp.unwrap_or_default();
    let ctype = if sdp.is_some() {
        "Content-Type: application/sdp\r\n"
    } else {
        ""
    };
    let text = format!(
        "SIP/2.0 {code} Whatever\r\n{via}From: {from}\r\nTo: {to}{tag}\r\nCall-ID: {cid}\r\n\
         CSeq: {cseq} {m}\r\nContact: <sip:gw@{PROVIDER}>\r\n{extra}{ctype}\
         Content-Length: {len}\r\n\r\n{body}",
        cid = req.head.call_id,
        cseq = req.head.cseq,
        m = req.head.cseq_method.as_str(),
        len = body.len(),
    );
    sim.send(addr(PROVIDER), &text);
}

/// The INVITEs the provider received (retransmissions left out).
fn invites_at_provider(sim: &mut Sim) -> Vec<Parsed> {
    let mut seen = Vec::new();
    sim.take(addr(PROVIDER))
        .into_iter()
        .filter(|p| method(p).as_deref() == Some("INVITE"))
        .filter(|p| {
            let branch = p.head.vias.first().and_then(|v| v.branch.clone());
            let new = !seen.contains(&branch);
            seen.push(branch);
            new
        })
        .collect()
}

/// Checks the digest an INVITE carries against the provider's password.
fn check_credentials(invite: &Parsed, nonce: &str) {
    let value = message::header(invite, "Proxy-Authorization").expect("Proxy-Authorization");
    let field = |name: &str| {
        let start = value.find(&format!("{name}=")).expect(name) + name.len() + 1;
        let rest = value[start..].trim_start_matches('"');
        rest[..rest.find(['"', ',']).unwrap_or(rest.len())].to_owned()
    };
    assert_eq!(field("username"), "office");
    assert_eq!(field("nonce"), nonce);
    let challenge = Challenge::parse(&format!(
        "Digest realm=\"prov\", nonce=\"{nonce}\", qop=\"auth\""
    ))
    .expect("challenge");
    let uri = field("uri");
    let request = auth::Request {
        method: "INVITE",
        uri: &uri,
        username: "office",
        password: PASSWORD,
    };
    let nc = u32::from_str_radix(&field("nc"), 16).expect("nc");
    let expected = auth::response(&challenge, &request, &field("cnonce"), nc);
    assert_eq!(field("response"), expected, "the digest is right");
}

fn challenge_header(nonce: &str) -> String {
    format!("Proxy-Authenticate: Digest realm=\"prov\", nonce=\"{nonce}\", qop=\"auth\"\r\n")
}

#[test]
fn an_employee_dials_out_through_the_trunk_with_credentials_and_the_office_number() {
    let mut sim = Sim::with(office_with_trunk);
    let mut anna = Phone::new(&mut sim, "101", 5061);
    anna.invite(&mut sim, "0601234567");
    let first = invites_at_provider(&mut sim);
    assert_eq!(first.len(), 1, "one INVITE to the provider");
    let inv = &first[0];
    assert_eq!(
        message::request_uri(inv),
        Some("sip:+48601234567@192.0.2.99")
    );
    let from = message::header(inv, "From").unwrap_or_default();
    assert!(from.contains("sip:+48221234567@192.0.2.99"), "{from}");
    assert!(from.contains("Anna Nowak"), "{from}");
    assert!(message::sdp_body(inv).is_some(), "an SDP offer");
    // 407: the INVITE goes again with credentials and the next CSeq.
    provider_reply(&mut sim, inv, 407, &challenge_header("n1"), None);
    let again = invites_at_provider(&mut sim);
    assert_eq!(again.len(), 1, "{:?}", methods(&again));
    check_credentials(&again[0], "n1");
    assert_eq!(again[0].head.cseq, inv.head.cseq + 1);
    assert_eq!(again[0].head.call_id, inv.head.call_id);
    // Ringing at the far end: the employee hears ringback.
    provider_reply(&mut sim, &again[0], 180, "", None);
    assert_eq!(codes(&sim.take(anna.at)), [183]);
    // Answered: the employee is connected to the outside number.
    provider_reply(&mut sim, &again[0], 200, "", Some(&answer_sdp(7000)));
    let acks = sim.take(addr(PROVIDER));
    assert_eq!(methods(&acks), ["ACK"]);
    assert_eq!(
        acks[0].head.cseq, again[0].head.cseq,
        "the ACK has the INVITE's CSeq"
    );
    let ok = sim.take(anna.at);
    assert_eq!(codes(&ok), [200]);
    assert!(bridged(&sim), "{:?}", sim.media);
    anna.in_dialog(&mut sim, "ACK", &ok[0], None, Some(anna.cseq));
    // The employee hangs up: BYE to the provider.
    anna.in_dialog(&mut sim, "BYE", &ok[0], None, None);
    assert_eq!(methods(&sim.take(addr(PROVIDER))), ["BYE"]);
    let record = sim.routed.iter().find_map(|o| match o {
        routing::Output::Record(r) => Some(r.clone()),
        _ => None,
    });
    let record = record.expect("a call record");
    assert_eq!(
        record.outcome,
        Outcome::Forwarded {
            to: number("+48601234567")
        }
    );
}

#[test]
fn wrong_trunk_credentials_end_the_call_with_403_instead_of_looping() {
    let mut sim = Sim::with(office_with_trunk);
    let mut anna = Phone::new(&mut sim, "101", 5061);
    anna.invite(&mut sim, "0601234567");
    let inv = invites_at_provider(&mut sim).remove(0);
    provider_reply(&mut sim, &inv, 407, &challenge_header("n1"), None);
    let again = invites_at_provider(&mut sim).remove(0);
    provider_reply(&mut sim, &again, 407, &challenge_header("n1"), None);
    assert!(invites_at_provider(&mut sim).is_empty(), "no third INVITE");
    assert_eq!(codes(&sim.take(anna.at)), [403]);
}

#[test]
fn a_busy_outside_number_gives_the_employee_busy() {
    let mut sim = Sim::with(office_with_trunk);
    let mut anna = Phone::new(&mut sim, "101", 5061);
    anna.invite(&mut sim, "0601234567");
    let inv = invites_at_provider(&mut sim).remove(0);
    provider_reply(&mut sim, &inv, 486, "", None);
    assert_eq!(codes(&sim.take(anna.at)), [486]);
}

#[test]
fn an_employee_hanging_up_before_the_answer_cancels_the_outside_call() {
    let mut sim = Sim::with(office_with_trunk);
    let mut anna = Phone::new(&mut sim, "101", 5061);
    let (branch, call_id) = anna.invite(&mut sim, "0601234567");
    let inv = invites_at_provider(&mut sim).remove(0);
    provider_reply(&mut sim, &inv, 180, "", None);
    sim.take(anna.at);
    let cancel = format!(
        "CANCEL sip:0601234567@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch};rport\r\n\
         From: <sip:101@127.0.0.1>;tag=ft101\r\nTo: <sip:0601234567@127.0.0.1>\r\n\
         Call-ID: {call_id}\r\nCSeq: {c} CANCEL\r\nContent-Length: 0\r\n\r\n",
        at = anna.at,
        c = anna.cseq,
    );
    sim.send(anna.at, &cancel);
    assert_eq!(methods(&sim.take(addr(PROVIDER))), ["CANCEL"]);
}

#[test]
fn an_unauthenticated_invite_for_an_outside_number_is_challenged_logged_and_never_sent_out() {
    let mut sim = Sim::with(office_with_trunk);
    let stranger = addr("198.51.100.7:5060");
    let text = "INVITE sip:0048700123456@127.0.0.1 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKevil;rport\r\n\
        From: <sip:101@127.0.0.1>;tag=x\r\nTo: <sip:0048700123456@127.0.0.1>\r\n\
        Call-ID: evil\r\nCSeq: 1 INVITE\r\nContact: <sip:x@198.51.100.7>\r\n\
        Content-Length: 0\r\n\r\n";
    sim.send(stranger, text);
    assert_eq!(codes(&sim.take(stranger)), [401]);
    assert!(invites_at_provider(&mut sim).is_empty());
    assert!(
        sim.events.iter().any(|e| matches!(e,
            endpoint::Event::OutsideRefused { target, .. } if target == "0048700123456")),
        "{:?}",
        sim.events
    );
}

#[test]
fn a_providers_call_to_our_did_rings_the_entry_points_group_and_keeps_the_caller_id() {
    let mut sim = Sim::with(office_with_trunk);
    let piotr = Phone::new(&mut sim, "102", 5062);
    let text = format!(
        "INVITE sip:48221234567@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PROVIDER};branch=z9hG4bKin1;rport\r\n\
         From: \"Jan\" <sip:+48601234567@192.0.2.99>;tag=pin\r\nTo: <sip:48221234567@127.0.0.1>\r\n\
         Call-ID: inbound-1\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@{PROVIDER}>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{SDP}",
        len = SDP.len()
    );
    sim.send(addr(PROVIDER), &text);
    let to_provider = sim.take(addr(PROVIDER));
    assert!(
        codes(&to_provider).iter().all(|c| *c < 300),
        "not refused: {:?}",
        codes(&to_provider)
    );
    let rung = sim.take(piotr.at);
    assert_eq!(methods(&rung), ["INVITE"], "the group's member rings");
    let from = message::header(&rung[0], "From").unwrap_or_default();
    assert!(from.contains("+48601234567"), "{from}");
    // An unknown DID is refused.
    let other = text
        .replace("48221234567@", "48229999999@")
        .replace("inbound-1", "inbound-2")
        .replace("z9hG4bKin1", "z9hG4bKin2");
    sim.send(addr(PROVIDER), &other);
    assert_eq!(codes(&sim.take(addr(PROVIDER))), [404]);
}

#[test]
fn an_unanswered_group_forwards_the_outside_caller_out_with_their_own_number() {
    let mut sim = Sim::with(|c| {
        office_with_trunk(c);
        let g = c
            .groups
            .as_mut_slice()
            .iter_mut()
            .find(|g| g.name.as_str() == "office");
        let g = g.expect("office group");
        g.unanswered = Unanswered::ForwardToNumber(number("+48609000111"));
    });
    let _piotr = Phone::new(&mut sim, "102", 5062);
    let text = format!(
        "INVITE sip:+48221234567@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PROVIDER};branch=z9hG4bKin1;rport\r\n\
         From: <sip:+48601234567@192.0.2.99>;tag=pin\r\nTo: <sip:+48221234567@127.0.0.1>\r\n\
         Call-ID: inbound-1\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@{PROVIDER}>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{SDP}",
        len = SDP.len()
    );
    sim.send(addr(PROVIDER), &text);
    sim.take(addr(PROVIDER));
    sim.advance(TimeDelta::seconds(21));
    let out = invites_at_provider(&mut sim);
    assert_eq!(out.len(), 1, "forwarded out once");
    assert_eq!(
        message::request_uri(&out[0]),
        Some("sip:+48609000111@192.0.2.99")
    );
    let from = message::header(&out[0], "From").unwrap_or_default();
    assert!(
        from.contains("sip:+48601234567@"),
        "the caller's own number: {from}"
    );
}

#[test]
fn a_phone_on_the_providers_ip_but_another_port_is_still_a_phone() {
    let mut sim = Sim::with(office_with_trunk);
    let mut anna = Phone::at(&mut sim, "101", addr("192.0.2.99:5070"));
    anna.invite(&mut sim, "0601234567");
    assert_eq!(invites_at_provider(&mut sim).len(), 1, "her call goes out");
    assert!(
        !sim.events
            .iter()
            .any(|e| matches!(e, endpoint::Event::NotConnected { .. })),
        "{:?}",
        sim.events
    );
}

/// Anna's 200 OK's `Warning`, or the refusal's.
fn warning_of(ps: &[Parsed]) -> String {
    ps.iter()
        .find_map(|p| message::header(p, "Warning").map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn a_blocked_premium_number_is_refused_with_the_reason_and_never_sent_out() {
    let mut sim = Sim::with(|c| {
        office_with_trunk(c);
        let premium = firmware_config::outbound::NumberPrefix::parse("+48 70").expect("prefix");
        assert!(c.outbound.blocked_prefixes.push(premium).is_ok());
    });
    let mut anna = Phone::new(&mut sim, "101", 5061);
    // +48 70x is premium rate in Poland.
    anna.invite(&mut sim, "0701234567");
    let to_anna = sim.take(anna.at);
    assert_eq!(codes(&to_anna), [403]);
    assert!(
        warning_of(&to_anna).contains("blocked prefix"),
        "{}",
        warning_of(&to_anna)
    );
    assert!(invites_at_provider(&mut sim).is_empty());
    assert!(sim.events.iter().any(|e| matches!(e,
        endpoint::Event::OutsideRefused { by: Some(b), .. } if b.to_string() == "101")));
}

#[test]
fn an_employee_over_their_concurrent_limit_is_refused_until_a_call_ends() {
    let mut sim = Sim::with(|c| {
        office_with_trunk(c);
        c.outbound.max_concurrent_per_employee = 1;
    });
    let mut anna = Phone::new(&mut sim, "101", 5061);
    anna.invite(&mut sim, "0601234567");
    let first = invites_at_provider(&mut sim).remove(0);
    provider_reply(&mut sim, &first, 180, "", None);
    sim.take(anna.at);
    // A second outside call while the first rings: over her limit of one.
    anna.invite(&mut sim, "0601234568");
    let to_anna = sim.take(anna.at);
    assert_eq!(codes(&to_anna), [403]);
    assert!(
        warning_of(&to_anna).contains("max_concurrent_per_employee"),
        "{}",
        warning_of(&to_anna)
    );
    assert!(invites_at_provider(&mut sim).is_empty());
    // The first call fails at the provider; once it is gone her next call goes out.
    provider_reply(&mut sim, &first, 486, "", None);
    sim.take(anna.at);
    sim.advance(TimeDelta::seconds(1));
    anna.invite(&mut sim, "0601234569");
    assert_eq!(invites_at_provider(&mut sim).len(), 1, "admitted again");
}

#[test]
fn the_routers_forwards_count_against_the_office_limit() {
    let mut sim = Sim::with(|c| {
        office_with_trunk(c);
        c.outbound.max_per_hour = 1;
        c.outbound.max_per_hour_per_employee = 1;
        let g = c
            .groups
            .as_mut_slice()
            .iter_mut()
            .find(|g| g.name.as_str() == "office");
        g.expect("office group").unanswered = Unanswered::ForwardToNumber(number("+48609000111"));
    });
    let mut anna = Phone::new(&mut sim, "101", 5061);
    // Anna's own outside call uses the office's one call this hour…
    anna.invite(&mut sim, "0601234567");
    assert_eq!(invites_at_provider(&mut sim).len(), 1);
    // …so a caller the group cannot serve is not forwarded out: the call ends instead.
    let _piotr = Phone::new(&mut sim, "102", 5062);
    let text = format!(
        "INVITE sip:+48221234567@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PROVIDER};branch=z9hG4bKin9;rport\r\n\
         From: <sip:+48601000000@192.0.2.99>;tag=pin9\r\nTo: <sip:+48221234567@127.0.0.1>\r\n\
         Call-ID: inbound-9\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@{PROVIDER}>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{SDP}",
        len = SDP.len()
    );
    sim.send(addr(PROVIDER), &text);
    sim.advance(TimeDelta::seconds(21));
    let at_provider = sim.take(addr(PROVIDER));
    let new_invites: Vec<&Parsed> = at_provider
        .iter()
        .filter(|p| method(p).as_deref() == Some("INVITE"))
        .filter(|p| p.head.call_id != "inbound-9" && p.head.cseq == 1)
        .filter(|p| message::request_uri(p) == Some("sip:+48609000111@192.0.2.99"))
        .collect();
    assert!(new_invites.is_empty(), "not forwarded out");
    assert!(
        codes(&at_provider).contains(&403),
        "{:?}",
        codes(&at_provider)
    );
}

#[test]
fn after_hours_the_did_forwards_the_caller_out_through_the_trunk() {
    let config = format!(
        "{CONFIG}
[[schedules]]
name = \"closed\"
time_zone = \"Europe/Warsaw\"
days_off = \"open_seven_days\"
after_hours = {{ forward_to_number = \"+48 609 000 222\" }}
hours = {{ mon = [\"09:00-17:00\"] }}
night_switch = {{ state = \"closed\", until = \"2030-01-01T00:00:00Z\" }}
"
    );
    let mut sim = Sim::with_text(&config, |c| {
        office_with_trunk(c);
        let main = c
            .entry_points
            .as_mut_slice()
            .iter_mut()
            .find(|e| e.name.as_str() == "main");
        main.expect("main").schedule = Some(text("closed"));
    });
    let piotr = Phone::new(&mut sim, "102", 5062);
    let invite = format!(
        "INVITE sip:+48221234567@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PROVIDER};branch=z9hG4bKah1;rport\r\n\
         From: <sip:+48601234567@192.0.2.99>;tag=pah\r\nTo: <sip:+48221234567@127.0.0.1>\r\n\
         Call-ID: after-hours-1\r\nCSeq: 1 INVITE\r\nContact: <sip:gw@{PROVIDER}>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{SDP}",
        len = SDP.len()
    );
    sim.send(addr(PROVIDER), &invite);
    // Nobody rings; the call goes straight back out to the after-hours number, presenting
    // the caller's own number.
    assert!(!methods(&sim.take(piotr.at)).contains(&"INVITE".to_owned()));
    let out: Vec<Parsed> = invites_at_provider(&mut sim)
        .into_iter()
        .filter(|p| p.head.call_id != "after-hours-1")
        .collect();
    assert_eq!(out.len(), 1, "forwarded out once");
    assert_eq!(
        message::request_uri(&out[0]),
        Some("sip:+48609000222@192.0.2.99")
    );
    let from = message::header(&out[0], "From").unwrap_or_default();
    assert!(from.contains("sip:+48601234567@"), "{from}");
}

#[test]
fn a_provider_sending_new_nonces_forever_is_answered_three_times_then_refused() {
    let mut sim = Sim::with(office_with_trunk);
    let mut anna = Phone::new(&mut sim, "101", 5061);
    anna.invite(&mut sim, "0601234567");
    let mut invite = invites_at_provider(&mut sim).remove(0);
    for n in 0..3 {
        provider_reply(
            &mut sim,
            &invite,
            407,
            &challenge_header(&format!("n{n}")),
            None,
        );
        invite = invites_at_provider(&mut sim).remove(0);
    }
    provider_reply(&mut sim, &invite, 407, &challenge_header("n3"), None);
    assert!(invites_at_provider(&mut sim).is_empty(), "no fifth INVITE");
    assert_eq!(codes(&sim.take(anna.at)), [403]);
}
