//! Voicemail over SIP in virtual time: a caller after hours leaves a message (greeting, beep,
//! recording, save), an employee listens with DTMF, and phones subscribed to
//! message-summary are told their counts. The media engine's events are fed by hand.

use std::path::PathBuf;

use super::*;
use crate::media::{Event, LegId, Prompt, RecordEnd, Source};
use crate::routing::Mailbox;
use crate::sip::b2bua::{RECORD_LIMIT, RECORD_SILENCE};
use crate::voicemail::{Change, Mailboxes, Message};

/// The test office, with the reception (internal number 200, the "office" group: 102 and 103)
/// closed by its night switch and taking voicemail after hours.
fn closed_config() -> String {
    format!(
        "{CONFIG}
[[schedules]]
name = \"closed\"
time_zone = \"Europe/Warsaw\"
days_off = \"open_seven_days\"
after_hours = \"voicemail\"
hours = {{ mon = [\"09:00-17:00\"] }}
night_switch = {{ state = \"closed\", until = \"2030-01-01T00:00:00Z\" }}

[[entry_points]]
name = \"reception\"
source = {{ internal = \"200\" }}
destination = {{ group = \"office\" }}
schedule = \"closed\"
"
    )
}

fn closed_office() -> Sim {
    let text = closed_config();
    let config = Arc::new(firmware_config::text::import(&text).unwrap_or_else(|e| panic!("{e}")));
    let mut ep = Endpoint::new(Arc::clone(&config), [7; 32]);
    ep.set_local(Local {
        udp: Some(addr("127.0.0.1:5060")),
        tcp: None,
        media_ip: "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}")),
    });
    let router = Router::new(config, Crm::default(), t0());
    Sim {
        sw: Switch::new(ep, router),
        now: t0(),
        inbox: HashMap::new(),
        media: Vec::new(),
        events: Vec::new(),
        routed: Vec::new(),
    }
}

/// Feeds an input and returns the store changes asked for (media commands and SIP messages
/// are collected as usual).
fn feed(sim: &mut Sim, input: Input) -> Vec<Change> {
    sim.sw.handle_input(sim.now, input);
    let mut changes = Vec::new();
    while let Some(o) = sim.sw.poll_output() {
        match o {
            Output::Sip(endpoint::Output::Voicemail(c)) => changes.push(c),
            Output::Sip(endpoint::Output::Transmit { to, bytes, .. }) => {
                let p = wire::parse(&bytes).unwrap_or_else(|e| panic!("unparsable: {e}"));
                sim.inbox.entry(to).or_default().push(p);
            }
            Output::Media(c) => sim.media.push(c),
            _ => {}
        }
    }
    changes
}

fn media(sim: &mut Sim, event: Event) -> Vec<Change> {
    feed(sim, Input::Media(event))
}

/// What was played since the last call, by leg.
fn plays(sim: &mut Sim) -> Vec<(LegId, Source)> {
    std::mem::take(&mut sim.media)
        .into_iter()
        .filter_map(|c| match c {
            Command::Play { leg, source } => Some((leg, source)),
            _ => None,
        })
        .collect()
}

fn prompt(p: Prompt) -> Source {
    Source::Prompt(p)
}

/// 101 calls the closed reception; returns the caller's leg and the 200 (ACKed).
fn call_after_hours(sim: &mut Sim, anna: &mut Phone) -> (LegId, Parsed) {
    anna.invite(sim, "200");
    let to_anna = sim.take(anna.at);
    assert_eq!(codes(&to_anna), [200], "voicemail answers the caller");
    let ok = to_anna[0].clone();
    assert!(message::sdp_body(&ok).is_some());
    anna.in_dialog(sim, "ACK", &ok, None, Some(anna.cseq));
    let played = plays(sim);
    assert_eq!(played.len(), 1, "{played:?}");
    assert_eq!(
        played[0].1,
        prompt(Prompt::Greeting),
        "the built-in greeting"
    );
    (played[0].0, ok)
}

/// Plays out the greeting and the beep; returns the Record command's path.
fn to_recording(sim: &mut Sim, leg: LegId) -> PathBuf {
    assert!(media(sim, Event::PlayFinished { leg }).is_empty());
    assert_eq!(plays(sim), [(leg, prompt(Prompt::Beep))]);
    media(sim, Event::PlayFinished { leg });
    let record = std::mem::take(&mut sim.media);
    match record.as_slice() {
        [Command::Record {
            leg: l,
            path,
            limit,
            silence,
        }] => {
            assert_eq!(*l, leg);
            assert_eq!(*limit, RECORD_LIMIT);
            assert_eq!(*silence, RECORD_SILENCE);
            path.clone()
        }
        other => panic!("expected one Record, got {other:?}"),
    }
}

#[test]
fn after_hours_the_caller_hears_the_greeting_and_the_message_is_saved() {
    let mut sim = closed_office();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    let (leg, _ok) = call_after_hours(&mut sim, &mut anna);
    let to_piotr = methods(&sim.take(piotr.at));
    assert!(
        !to_piotr.iter().any(|m| m == "INVITE"),
        "nobody rings after hours (the missed call is only told by MESSAGE): {to_piotr:?}"
    );
    let path = to_recording(&mut sim, leg);
    let dir = PathBuf::from("/var/lib/centrala/voicemail/entry-reception");
    assert_eq!(path.parent(), Some(dir.as_path()));
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(id.starts_with("20270115-080000-000-"), "{id}");
    assert!(crate::voicemail::store::valid_id(&id), "{id}");

    sim.advance(TimeDelta::seconds(30));
    let changes = media(
        &mut sim,
        Event::Recorded {
            leg,
            path: path.clone(),
            duration_ms: 4200,
            ended: RecordEnd::Silence,
        },
    );
    let expected = Message {
        id,
        mailbox: Mailbox::Entry("reception".into()),
        caller: "101".into(),
        entry: Some("reception".into()),
        received_at: t0(),
        duration_ms: 4200,
        heard: false,
    };
    assert_eq!(changes, [Change::Save(expected)]);
    assert_eq!(plays(&mut sim), [(leg, prompt(Prompt::Goodbye))]);
    media(&mut sim, Event::PlayFinished { leg });
    let bye = sim.take(anna.at);
    assert_eq!(methods(&bye), ["BYE"]);
    anna.respond(&mut sim, &bye[0], 200, None);
    sim.advance(TimeDelta::seconds(1));
    assert_eq!(sim.sw.endpoint().calls(), 0);
    assert!(sim
        .media
        .iter()
        .any(|c| matches!(c, Command::Close { leg: l } if *l == leg)));
}

#[test]
fn a_caller_hanging_up_while_recording_keeps_the_message() {
    let mut sim = closed_office();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let (leg, ok) = call_after_hours(&mut sim, &mut anna);
    let path = to_recording(&mut sim, leg);
    anna.in_dialog(&mut sim, "BYE", &ok, None, None);
    assert_eq!(codes(&sim.take(anna.at)), [200]);
    let stop = sim
        .media
        .iter()
        .position(|c| *c == Command::StopRecording { leg });
    let close = sim.media.iter().position(|c| *c == Command::Close { leg });
    assert!(
        stop.is_some() && close.is_some() && stop < close,
        "{:?}",
        sim.media
    );
    assert_eq!(sim.sw.endpoint().calls(), 0, "the call is gone");
    assert_eq!(
        sim.sw.endpoint().recordings(),
        1,
        "its recording is awaited"
    );
    // The engine reports the stopped recording after the leg closed: the message is kept.
    let changes = media(
        &mut sim,
        Event::Recorded {
            leg,
            path,
            duration_ms: 2500,
            ended: RecordEnd::Stopped,
        },
    );
    assert!(
        matches!(changes.as_slice(), [Change::Save(m)] if m.duration_ms == 2500 && m.caller == "101"),
        "{changes:?}"
    );
    assert_eq!(sim.sw.endpoint().recordings(), 0);
    assert!(plays(&mut sim).is_empty(), "nobody to say goodbye to");
}

#[test]
fn a_recording_under_a_second_is_discarded() {
    let mut sim = closed_office();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let (leg, _) = call_after_hours(&mut sim, &mut anna);
    let path = to_recording(&mut sim, leg);
    let changes = media(
        &mut sim,
        Event::Recorded {
            leg,
            path: path.clone(),
            duration_ms: 400,
            ended: RecordEnd::Silence,
        },
    );
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mailbox = Mailbox::Entry("reception".into());
    assert_eq!(changes, [Change::Discard { mailbox, id }]);
    // A second report for the same leg finds nothing (reported exactly once).
    let again = media(
        &mut sim,
        Event::Recorded {
            leg,
            path,
            duration_ms: 400,
            ended: RecordEnd::Stopped,
        },
    );
    assert!(again.is_empty());
}

#[test]
fn an_unanswered_direct_call_goes_to_the_employees_own_mailbox() {
    let mut sim = closed_office();
    let mut anna = Phone::new(&mut sim, "101", 5001);
    let piotr = Phone::new(&mut sim, "102", 5002);
    anna.invite(&mut sim, "102");
    assert_eq!(codes(&sim.take(anna.at)), [183]);
    let inv = sim.take(piotr.at).remove(0);
    piotr.respond(&mut sim, &inv, 180, None);
    sim.media.clear();
    // The direct ring time runs out: the phone is cancelled and the caller answered.
    sim.advance(TimeDelta::seconds(31));
    let to_piotr = methods(&sim.take(piotr.at));
    // (retransmitted while the phone does not answer it)
    assert!(
        !to_piotr.is_empty() && to_piotr.iter().all(|m| m == "CANCEL"),
        "{to_piotr:?}"
    );
    let answered = codes(&sim.take(anna.at));
    assert!(
        answered.iter().all(|c| *c == 200) && !answered.is_empty(),
        "{answered:?}"
    );
    let played = plays(&mut sim);
    let leg = played
        .iter()
        .find(|(_, s)| *s == prompt(Prompt::Greeting))
        .map(|(l, _)| *l)
        .unwrap_or_else(|| panic!("no greeting in {played:?}"));
    let path = to_recording(&mut sim, leg);
    assert!(
        path.starts_with("/var/lib/centrala/voicemail/employee-102"),
        "{path:?}"
    );
}

/// A message of `mailbox` left `mins` minutes before t0.
fn message(mailbox: Mailbox, id: &str, mins: i64, heard: bool) -> Message {
    Message {
        id: id.into(),
        mailbox,
        caller: "+48221234567".into(),
        entry: None,
        received_at: t0() - TimeDelta::minutes(mins),
        duration_ms: 3000,
        heard,
    }
}

fn reception() -> Mailbox {
    Mailbox::Entry("reception".into())
}

fn own(ext: &str) -> Mailbox {
    Mailbox::Employee(
        firmware_config::number::Extension::parse(ext).unwrap_or_else(|e| panic!("{e}")),
    )
}

/// 102's messages: two in the reception's box (one heard), one of their own; and one of
/// 101's, which 102 never hears.
fn mailboxes() -> Mailboxes {
    let mut m = Mailboxes::new();
    m.insert(
        reception(),
        vec![
            message(reception(), "r-old", 60, true),
            message(reception(), "r-new", 10, false),
        ],
    );
    m.insert(own("102"), vec![message(own("102"), "p-new", 30, false)]);
    m.insert(own("101"), vec![message(own("101"), "a-new", 5, false)]);
    m
}

fn file(mailbox: &Mailbox, id: &str) -> Source {
    Source::File {
        path: crate::voicemail::message_file(
            std::path::Path::new("/var/lib/centrala"),
            mailbox,
            id,
            "wav",
        ),
        fallback: Prompt::Beep,
    }
}

#[test]
fn an_employee_listens_with_dtmf_next_again_and_delete() {
    let mut sim = closed_office();
    feed(&mut sim, Input::Mailboxes(Arc::new(mailboxes())));
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    piotr.invite(&mut sim, "800");
    let to_piotr = sim.take(piotr.at);
    assert_eq!(codes(&to_piotr), [200]);
    piotr.in_dialog(&mut sim, "ACK", &to_piotr[0], None, Some(piotr.cseq));
    let played = plays(&mut sim);
    assert_eq!(played.len(), 1, "{played:?}");
    let (leg, intro) = played[0].clone();
    assert_eq!(intro, prompt(Prompt::NewMessages));

    // Unheard first, newest first: r-new (10 min ago), p-new (30), then the heard r-old.
    let changes = media(&mut sim, Event::PlayFinished { leg });
    assert_eq!(plays(&mut sim), [(leg, file(&reception(), "r-new"))]);
    let heard = Change::MarkHeard {
        mailbox: reception(),
        id: "r-new".into(),
    };
    assert_eq!(changes, [heard]);
    assert!(media(&mut sim, Event::PlayFinished { leg }).is_empty());
    assert_eq!(plays(&mut sim), [(leg, prompt(Prompt::Menu))]);

    // 2: again (no second MarkHeard); 1: next.
    assert!(media(&mut sim, Event::Dtmf { leg, digit: '2' }).is_empty());
    assert_eq!(plays(&mut sim), [(leg, file(&reception(), "r-new"))]);
    let changes = media(&mut sim, Event::Dtmf { leg, digit: '1' });
    assert_eq!(plays(&mut sim), [(leg, file(&own("102"), "p-new"))]);
    assert_eq!(
        changes,
        [Change::MarkHeard {
            mailbox: own("102"),
            id: "p-new".into()
        }]
    );
    // A digit that means nothing is ignored.
    media(&mut sim, Event::Dtmf { leg, digit: '9' });
    assert!(plays(&mut sim).is_empty());

    // 7 while the menu plays: deleted, then the next one (already heard: no MarkHeard).
    media(&mut sim, Event::PlayFinished { leg });
    assert_eq!(plays(&mut sim), [(leg, prompt(Prompt::Menu))]);
    let changes = media(&mut sim, Event::Dtmf { leg, digit: '7' });
    assert_eq!(
        changes,
        [Change::Delete {
            mailbox: own("102"),
            id: "p-new".into()
        }]
    );
    assert_eq!(plays(&mut sim), [(leg, prompt(Prompt::Deleted))]);
    assert!(media(&mut sim, Event::PlayFinished { leg }).is_empty());
    assert_eq!(plays(&mut sim), [(leg, file(&reception(), "r-old"))]);

    // Past the last: end of messages, goodbye, BYE.
    media(&mut sim, Event::Dtmf { leg, digit: '1' });
    assert_eq!(plays(&mut sim), [(leg, prompt(Prompt::EndOfMessages))]);
    media(&mut sim, Event::Dtmf { leg, digit: '7' });
    assert!(plays(&mut sim).is_empty(), "no digits at the end");
    media(&mut sim, Event::PlayFinished { leg });
    assert_eq!(plays(&mut sim), [(leg, prompt(Prompt::Goodbye))]);
    media(&mut sim, Event::PlayFinished { leg });
    assert_eq!(methods(&sim.take(piotr.at)), ["BYE"]);
}

#[test]
fn an_employee_without_messages_hears_so_and_is_hung_up_on() {
    let mut sim = closed_office();
    feed(&mut sim, Input::Mailboxes(Arc::new(mailboxes())));
    let mut ewa = Phone::new(&mut sim, "101", 5001);
    ewa.invite(&mut sim, "800");
    let ok = sim.take(ewa.at);
    assert_eq!(codes(&ok), [200]);
    let played = plays(&mut sim);
    // 101 is not in the office group: only their own box, with one new message.
    assert_eq!(played[0].1, prompt(Prompt::NewMessages));
    let leg = played[0].0;
    media(&mut sim, Event::PlayFinished { leg });
    assert_eq!(plays(&mut sim), [(leg, file(&own("101"), "a-new"))]);

    // Nothing fed from the store: no messages at all.
    let mut sim = closed_office();
    let mut ewa = Phone::new(&mut sim, "103", 5003);
    ewa.invite(&mut sim, "800");
    assert_eq!(codes(&sim.take(ewa.at)), [200]);
    let played = plays(&mut sim);
    assert_eq!(played.len(), 1);
    let (leg, intro) = played[0].clone();
    assert_eq!(intro, prompt(Prompt::NoMessages));
    media(&mut sim, Event::PlayFinished { leg });
    assert_eq!(plays(&mut sim), [(leg, prompt(Prompt::Goodbye))]);
    media(&mut sim, Event::PlayFinished { leg });
    assert_eq!(methods(&sim.take(ewa.at)), ["BYE"]);
}

// ---------------------------------------------------------------------------------------------
// Message-waiting indication
// ---------------------------------------------------------------------------------------------

/// A SUBSCRIBE to message-summary from `p` (credentials when `auth`); `to_tag` for a refresh.
fn subscribe(sim: &mut Sim, p: &mut Phone, expires: u32, to_tag: Option<&str>, auth: bool) {
    p.cseq += 1;
    let branch = p.branch();
    let uri = format!("sip:{}@127.0.0.1", p.user);
    let a = if auth {
        p.auth("SUBSCRIBE", &uri)
    } else {
        String::new()
    };
    let to = match to_tag {
        Some(t) => format!("<{uri}>;tag={t}"),
        None => format!("<{uri}>"),
    };
    let text = format!(
        "SUBSCRIBE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch};rport\r\n\
         From: <{uri}>;tag=mwi{u}\r\nTo: {to}\r\nCall-ID: mwi-{u}\r\nCSeq: {c} SUBSCRIBE\r\n\
         Contact: <sip:{u}@{at}>\r\nEvent: message-summary\r\nExpires: {expires}\r\n\
         Accept: application/simple-message-summary\r\n{a}Content-Length: 0\r\n\r\n",
        at = p.at,
        u = p.user,
        c = p.cseq,
    );
    sim.send(p.at, &text);
}

/// Splits what a phone received into responses and NOTIFYs.
fn responses_and_notifies(sim: &mut Sim, at: SocketAddr) -> (Vec<Parsed>, Vec<Parsed>) {
    sim.take(at).into_iter().partition(|p| code(p).is_some())
}

fn body(p: &Parsed) -> String {
    String::from_utf8_lossy(message::body(p)).into_owned()
}

#[test]
fn a_subscribed_phone_is_told_its_counts_and_every_change() {
    let mut sim = closed_office();
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    subscribe(&mut sim, &mut piotr, 600, None, false);
    let (r, n) = responses_and_notifies(&mut sim, piotr.at);
    assert_eq!(codes(&r), [401], "the same digest check as REGISTER");
    assert!(n.is_empty());

    subscribe(&mut sim, &mut piotr, 600, None, true);
    let (r, n) = responses_and_notifies(&mut sim, piotr.at);
    assert_eq!(codes(&r), [200]);
    assert_eq!(message::header(&r[0], "Expires"), Some("600"));
    let tag = r[0].head.to_tag.clone().unwrap_or_default();
    assert!(!tag.is_empty());
    assert_eq!(methods(&n), ["NOTIFY"]);
    let notify = &n[0];
    assert_eq!(message::header(notify, "Event"), Some("message-summary"));
    assert_eq!(
        message::header(notify, "Subscription-State"),
        Some("active;expires=600")
    );
    assert_eq!(
        message::header(notify, "Content-Type"),
        Some("application/simple-message-summary")
    );
    assert_eq!(notify.head.call_id, "mwi-102");
    assert_eq!(notify.head.from_tag.as_deref(), Some(tag.as_str()));
    assert_eq!(
        body(notify),
        "Messages-Waiting: no\r\nMessage-Account: sip:800@127.0.0.1:5060\r\nVoice-Message: 0/0 (0/0)\r\n"
    );
    piotr.respond(&mut sim, notify, 200, None);

    // A message for the reception (102 is in its group) and one for 101: 102 hears 1 new.
    let mut m = Mailboxes::new();
    m.insert(reception(), vec![message(reception(), "r1", 1, false)]);
    m.insert(own("101"), vec![message(own("101"), "a1", 1, false)]);
    feed(&mut sim, Input::Mailboxes(Arc::new(m.clone())));
    let (_, n) = responses_and_notifies(&mut sim, piotr.at);
    assert_eq!(methods(&n), ["NOTIFY"]);
    assert!(
        body(&n[0]).starts_with("Messages-Waiting: yes\r\n"),
        "{}",
        body(&n[0])
    );
    assert!(body(&n[0]).contains("Voice-Message: 1/0 (0/0)"));
    piotr.respond(&mut sim, &n[0], 200, None);

    // The same counts again: nothing sent.
    m.insert(own("101"), Vec::new());
    feed(&mut sim, Input::Mailboxes(Arc::new(m.clone())));
    assert!(sim.take(piotr.at).is_empty());

    // Heard: 0 new, 1 old.
    m.insert(reception(), vec![message(reception(), "r1", 1, true)]);
    feed(&mut sim, Input::Mailboxes(Arc::new(m.clone())));
    let (_, n) = responses_and_notifies(&mut sim, piotr.at);
    assert!(body(&n[0]).contains("Messages-Waiting: no\r\n"));
    assert!(body(&n[0]).contains("Voice-Message: 0/1 (0/0)"));
    piotr.respond(&mut sim, &n[0], 200, None);

    // A refresh in the dialog: 200 and a NOTIFY again.
    sim.advance(TimeDelta::seconds(100));
    subscribe(&mut sim, &mut piotr, 600, Some(&tag), true);
    let (r, n) = responses_and_notifies(&mut sim, piotr.at);
    assert_eq!(codes(&r), [200]);
    assert_eq!(
        message::header(&n[0], "Subscription-State"),
        Some("active;expires=600")
    );
    piotr.respond(&mut sim, &n[0], 200, None);

    // Unsubscribe: 200 with Expires 0, a terminated NOTIFY, and nothing after.
    subscribe(&mut sim, &mut piotr, 0, Some(&tag), true);
    let (r, n) = responses_and_notifies(&mut sim, piotr.at);
    assert_eq!(codes(&r), [200]);
    assert_eq!(message::header(&r[0], "Expires"), Some("0"));
    let state = message::header(&n[0], "Subscription-State").unwrap_or_default();
    assert!(state.starts_with("terminated"), "{state}");
    m.insert(reception(), Vec::new());
    feed(&mut sim, Input::Mailboxes(Arc::new(m)));
    assert!(sim.take(piotr.at).is_empty());
    // A refresh of the ended subscription: 481.
    subscribe(&mut sim, &mut piotr, 600, Some(&tag), true);
    assert_eq!(codes(&sim.take(piotr.at)), [481]);
}

#[test]
fn a_subscription_expires_or_ends_on_481() {
    let mut sim = closed_office();
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    let mut ewa = Phone::new(&mut sim, "103", 5003);
    // Asking for a day is granted an hour; too short an interval is refused.
    subscribe(&mut sim, &mut piotr, 86_400, None, true);
    let (r, n) = responses_and_notifies(&mut sim, piotr.at);
    assert_eq!(message::header(&r[0], "Expires"), Some("3600"));
    piotr.respond(&mut sim, &n[0], 200, None);
    subscribe(&mut sim, &mut ewa, 10, None, true);
    let (r, _) = responses_and_notifies(&mut sim, ewa.at);
    assert_eq!(codes(&r), [423]);
    subscribe(&mut sim, &mut ewa, 600, None, true);
    let (_, n) = responses_and_notifies(&mut sim, ewa.at);
    // Ewa's phone says the subscription is gone.
    ewa.respond(&mut sim, &n[0], 481, None);

    let mut m = Mailboxes::new();
    m.insert(reception(), vec![message(reception(), "r1", 1, false)]);
    feed(&mut sim, Input::Mailboxes(Arc::new(m)));
    assert!(sim.take(ewa.at).is_empty(), "dropped after 481");
    let (_, n) = responses_and_notifies(&mut sim, piotr.at);
    assert_eq!(methods(&n), ["NOTIFY"]);
    piotr.respond(&mut sim, &n[0], 200, None);

    sim.advance(TimeDelta::milliseconds(3_600_100));
    let (_, n) = responses_and_notifies(&mut sim, piotr.at);
    assert_eq!(methods(&n), ["NOTIFY"]);
    let state = message::header(&n[0], "Subscription-State").unwrap_or_default();
    assert_eq!(state, "terminated;reason=timeout");
}

#[test]
fn other_event_packages_are_refused() {
    let mut sim = closed_office();
    let mut piotr = Phone::new(&mut sim, "102", 5002);
    piotr.cseq += 1;
    let branch = piotr.branch();
    let text = format!(
        "SUBSCRIBE sip:102@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {at};branch={branch}\r\n\
         From: <sip:102@127.0.0.1>;tag=p\r\nTo: <sip:102@127.0.0.1>\r\nCall-ID: pres\r\n\
         CSeq: 1 SUBSCRIBE\r\nContact: <sip:102@{at}>\r\nEvent: presence\r\n\
         Content-Length: 0\r\n\r\n",
        at = piotr.at
    );
    sim.send(piotr.at, &text);
    let r = sim.take(piotr.at);
    assert_eq!(codes(&r), [489]);
    assert_eq!(
        message::header(&r[0], "Allow-Events"),
        Some("message-summary")
    );
}
