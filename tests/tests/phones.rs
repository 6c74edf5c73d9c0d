//! Real softphones (headless baresip, see `centrala_e2e::baresip`) against each other and
//! against the daemon.
//!
//! - A direct call between two phones, without the daemon, checks the whole audio path of the
//!   harness: each phone must have heard the other's tone.
//! - Through the daemon: both phones register, one calls the other by extension, and each
//!   must hear the other's tone through Centrala's RTP relay, also between a µ-law phone and
//!   an A-law phone (transcoded).

use std::time::Duration;

use centrala_e2e::audio::Recording;
use centrala_e2e::baresip::{AnswerMode, CallOutcome, Codec, Phone, PhoneConfig};
use centrala_e2e::pbx::Pbx;

const TONE_A: f64 = 1000.0;
const TONE_B: f64 = 600.0;
/// The Polish ringback tone's frequency (the test office's tone plan).
const RINGBACK_PL: f64 = 425.0;

/// Asserts that `phone`'s latest call heard `expected` and not `other`.
#[track_caller]
fn assert_heard(phone: &Phone, expected: f64, other: f64) {
    let rec = phone.last_recording();
    let heard = Recording::read(&rec.received);
    let summary = format!(
        "{} heard {}: {}",
        phone.user(),
        rec.received.display(),
        heard.describe(&[expected, other])
    );
    eprintln!("{summary}");
    assert!(heard.audible() >= Duration::from_millis(1000), "{summary}");
    assert!(heard.tone_fraction(expected) > 0.8, "{summary}");
    assert!(heard.tone_fraction(other) < 0.05, "{summary}");
    // What it sent is its own tone: the recording of the other direction is not a copy.
    let sent = Recording::read(&rec.sent);
    assert!(
        sent.tone_fraction(other) > 0.8,
        "{} sent: {}",
        phone.user(),
        sent.describe(&[other])
    );
}

#[test]
fn two_phones_call_each_other_directly_and_hear_each_others_tone() {
    let mut a = Phone::start(PhoneConfig::direct("alice").tone(TONE_A));
    let mut b = Phone::start(
        PhoneConfig::direct("bob")
            .tone(TONE_B)
            .answer(AnswerMode::Manual),
    );
    a.dial(&b.uri());
    let incoming = b.wait_event("CALL_INCOMING");
    assert_eq!(incoming.direction, "incoming");
    assert!(
        incoming.peer.starts_with("sip:alice@127.0.0.1"),
        "{incoming:?}"
    );
    a.wait_event("CALL_RINGING");
    b.answer();
    match a.wait_call() {
        CallOutcome::Established(e) => assert_eq!(e.peer, b.uri()),
        CallOutcome::Closed(e) => panic!("the direct call failed: {e:?}\n{}", a.log_tail(30)),
    }
    b.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_secs(2));
    a.hangup();
    a.wait_event("CALL_CLOSED");
    let closed = b.wait_event("CALL_CLOSED");
    assert_eq!(closed.call_id, incoming.call_id);
    assert_heard(&b, TONE_A, TONE_B);
    assert_heard(&a, TONE_B, TONE_A);
}

#[test]
fn a_wrong_password_does_not_register() {
    let mut pbx = Pbx::start();
    let mut phone = Phone::start(PhoneConfig::registered("101", pbx.port()).password("not-it"));
    let refused = phone.try_wait_registered();
    eprintln!("registration refused: {refused:?}");
    assert!(refused.is_err(), "registered with a wrong password");
    pbx.drain_log();
    let log = pbx.stop();
    assert!(!log.contains("phone registered"), "{log}");
}

/// Two phones register as the devices of employees 101 and 102.
fn two_registered_phones(pbx: &mut Pbx) -> (Phone, Phone) {
    two_phones_with(pbx, Codec::Pcmu, Codec::Pcmu)
}

/// [`two_registered_phones`], each phone offering only the given law.
fn two_phones_with(pbx: &mut Pbx, law_a: Codec, law_b: Codec) -> (Phone, Phone) {
    let a = PhoneConfig::registered("101", pbx.port())
        .tone(TONE_A)
        .codec(law_a);
    let b = PhoneConfig::registered("102", pbx.port())
        .tone(TONE_B)
        .codec(law_b)
        .answer(AnswerMode::Manual);
    let mut a = Phone::start(a);
    let mut b = Phone::start(b);
    a.wait_registered();
    b.wait_registered();
    pbx.wait_for_all(&["phone registered", "user=101"]);
    pbx.wait_for_all(&["phone registered", "user=102"]);
    (a, b)
}

#[test]
fn phones_register_with_the_daemon() {
    let mut pbx = Pbx::start();
    let (a, b) = two_registered_phones(&mut pbx);
    drop((a, b));
    pbx.stop();
}

#[test]
fn a_phone_calls_another_through_the_daemon_and_both_hear_each_other() {
    talk_through_the_daemon(Codec::Pcmu, Codec::Pcmu);
}

#[test]
fn a_mu_law_phone_and_an_a_law_phone_hear_each_other_through_transcoding() {
    talk_through_the_daemon(Codec::Pcmu, Codec::Pcma);
}

/// 101 calls 102 by extension; each must hear the other's tone.
fn talk_through_the_daemon(law_a: Codec, law_b: Codec) {
    let mut pbx = Pbx::start();
    let (mut a, mut b) = two_phones_with(&mut pbx, law_a, law_b);
    a.dial(&pbx.uri("102"));
    b.wait_event("CALL_INCOMING");
    // The caller hears Centrala's ringback meanwhile (early media). Answer in another second
    // than the 183 came: baresip's sndfile names recordings by the second, and the early
    // stream's file would otherwise be overwritten by the call's.
    std::thread::sleep(Duration::from_millis(1500));
    b.answer();
    match a.wait_call() {
        CallOutcome::Established(_) => {}
        CallOutcome::Closed(e) => panic!(
            "the call to 102 was not established: {}\n{}",
            e.param,
            pbx.log_text()
        ),
    }
    b.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_secs(2));
    a.hangup();
    a.wait_event("CALL_CLOSED");
    b.wait_event("CALL_CLOSED");
    assert_heard(&b, TONE_A, TONE_B);
    assert_heard(&a, TONE_B, TONE_A);
    // The call's recording starts with the early media: 1 s of the 425 Hz tone, then quiet.
    let heard = Recording::read(&a.last_recording().received);
    let ringback = heard.slice(0.0, 1.2);
    assert!(
        ringback.tone_fraction(RINGBACK_PL) > 0.8,
        "ringback before the answer: {}",
        ringback.describe(&[RINGBACK_PL, TONE_B])
    );
    pbx.stop();
}
