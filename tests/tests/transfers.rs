//! SPEC §3 with real peers: hold with music, and transfers from a phone's transfer button,
//! blind (baresip sends REFER), attended (REFER with Replaces) and attended but abandoned.
//! Audio is checked in what the caller's phone recorded: each phone sends its own tone, so
//! what the caller hears shows who it talks to. These tests also guard the continuity of the
//! RTP stream Centrala sends each leg across source changes (`pbx/src/media/stream.rs`): when
//! every source had its own SSRC and numbering, baresip 1.0 dropped the packets after a
//! switch as late ("stream: audio: dropping 172 bytes … (Connection timed out)", whenever the
//! new sequence numbers happened to lie behind the old ones) and the caller's recording lost
//! the rest of the call; and the recording must be one file for the whole call.
//!
//! baresip 1.0 has no attended transfer, so for the attended transfer the transferor is SIPp:
//! one scenario answers the caller's call and writes that dialog's identifiers down
//! (`uas_answer_note.xml`), the other places the consultation call and completes the transfer
//! from it with REFER + Replaces (`uac_consult_refer.xml`: the phone-side variant; the usual
//! variant, REFER in the answered call, is covered in `pbx/src/switch/tests/transfers.rs`).
//! The abandoned attended transfer needs none: a baresip employee holds the caller, dials the
//! target on a second line, hangs that call up and resumes the caller.

use std::time::{Duration, Instant};

use centrala_e2e::audio::Recording;
use centrala_e2e::baresip::{AnswerMode, CallOutcome, Phone, PhoneConfig};
use centrala_e2e::pbx::{add_employee, group_mut, password, Pbx};
use centrala_e2e::ports::free_port;
use centrala_e2e::sipp::Sipp;
use firmware_config::group::{Distribution, Unanswered};
use firmware_config::number::Extension;

const CALLER_TONE: f64 = 1000.0;
const AGENT_TONE: f64 = 600.0;
const TARGET_TONE: f64 = 1400.0;

fn phone(pbx: &mut Pbx, user: &str, answer: AnswerMode, tone: f64) -> Phone {
    let config = PhoneConfig::registered(user, pbx.port())
        .answer(answer)
        .tone(tone);
    let mut p = Phone::start(config);
    p.wait_registered();
    pbx.wait_for_all(&["phone registered", &format!("user={user}")]);
    p
}

/// Whether `parts` occur in `timeline` one after the other.
fn in_order(timeline: &str, parts: &[&str]) -> bool {
    let mut rest = timeline;
    for p in parts {
        match rest.find(p) {
            Some(at) => rest = &rest[at + p.len()..],
            None => return false,
        }
    }
    true
}

#[track_caller]
fn established(p: &mut Phone, pbx: &Pbx) {
    match p.wait_call() {
        CallOutcome::Established(_) => {}
        CallOutcome::Closed(e) => panic!(
            "{}'s call was not established: {}\n{}",
            p.user(),
            e.param,
            pbx.log_text()
        ),
    }
}

/// What `p` heard in its only call, after it closed. Panics when the phone made more than
/// one recording of it (reading only the last would check only the last part of the call).
#[track_caller]
fn heard_in_one_recording(p: &Phone) -> Recording {
    let last = p.last_recording();
    let all = p.recordings();
    assert_eq!(
        all.len(),
        1,
        "{} recorded the call in several files (the stream it received changed SSRC): {all:?}",
        p.user()
    );
    Recording::read(&last.received)
}

/// The office group (number 100) with 101 as its only member, ringing 5 s, and 104 as an
/// extra employee who calls in.
fn office_with_one_agent(c: &mut firmware_config::Config) {
    add_employee(c, "104", "Caller Four");
    let g = group_mut(c, "office");
    g.distribution = Distribution::InOrder;
    g.ring_time_secs = 5;
    g.unanswered = Unanswered::WaitForAgent;
    g.members.clear();
    let member: Extension = "101".parse().expect("extension");
    assert!(g.members.push(member).is_ok());
}

/// Waits for the consultation scenario's "Call-ID to-tag from-tag" line.
fn dialog_ids(path: &std::path::Path) -> [String; 3] {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let parts: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        if let [a, b, c] = parts.as_slice() {
            return [a.clone(), b.clone(), c.clone()];
        }
        assert!(
            Instant::now() < deadline,
            "no dialog ids in {path:?}: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn attended_transfer_joins_the_caller_to_the_target_the_employee_consulted() {
    let mut pbx = Pbx::start_with(|c| add_employee(c, "104", "Caller Four"));
    let mut target = phone(&mut pbx, "103", AnswerMode::Auto, TARGET_TONE);
    let mut caller = phone(&mut pbx, "104", AnswerMode::Auto, CALLER_TONE);
    // The employee's phone (102) answers the caller and notes that dialog's identifiers.
    let ids_file = pbx.path("answered-call.txt");
    let ids_path = ids_file.to_string_lossy().to_string();
    let pw = password("102");
    let port = free_port();
    pbx.sipp_from(
        port,
        "register.xml",
        &["-s", "102", "-au", "102", "-ap", &pw],
    )
    .assert_ok();
    let answered = Sipp::new("uas_answer_note.xml", port, pbx.dir())
        .args(&[
            "-s", "102", "-key", "qfile", &ids_path, "-d", "4000", "-timeout", "30s",
        ])
        .spawn();
    caller.dial(&pbx.uri("102"));
    match caller.wait_call() {
        CallOutcome::Established(_) => {}
        CallOutcome::Closed(e) => panic!("not established: {}\n{}", e.param, pbx.log_text()),
    }
    let [call_id, its_tag, our_tag] = dialog_ids(&ids_file);
    // Then the employee calls the target and, once they have talked, transfers from that
    // consultation call: REFER with Replaces naming the caller's call.
    let consult = Sipp::new("uac_consult_refer.xml", free_port(), pbx.dir())
        .target(pbx.port())
        .args(&[
            "-s", "103", "-au", "102", "-ap", &pw, "-key", "caller", "102", "-d", "500", "-key",
            "target", "104", "-key", "qcid", &call_id, "-key", "qto", &our_tag, "-key", "qfrom",
            &its_tag, "-timeout", "30s",
        ])
        .spawn();
    target.wait_event("CALL_ESTABLISHED");
    consult.wait(Duration::from_secs(15)).assert_ok();
    pbx.wait_for_all(&["transferred", "by=102", "to=103", "attended=true"]);
    // The employee's phone hangs up the caller's call too; the caller and the target talk on.
    answered.wait(Duration::from_secs(15)).assert_ok();
    std::thread::sleep(Duration::from_millis(2000));
    caller.hangup();
    caller.wait_event("CALL_CLOSED");
    target.wait_event("CALL_CLOSED");
    let heard = Recording::read(&caller.last_recording().received);
    let timeline = heard.timeline(0.25, &[(TARGET_TONE, 'T')]);
    assert!(
        timeline.contains("TTTTTT"),
        "the caller hears the target: {timeline}"
    );
    pbx.wait_for_all(&["call record", "\"attended\":true"]);
    pbx.stop();
}

#[test]
fn on_hold_the_caller_hears_music_and_after_resume_the_employee_again() {
    let mut pbx = Pbx::start();
    let mut a = phone(&mut pbx, "101", AnswerMode::Auto, CALLER_TONE);
    let mut b = phone(&mut pbx, "102", AnswerMode::Auto, AGENT_TONE);
    a.dial(&pbx.uri("102"));
    established(&mut a, &pbx);
    b.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_millis(1500));
    b.hold();
    std::thread::sleep(Duration::from_millis(2500));
    b.resume();
    std::thread::sleep(Duration::from_millis(2000));
    a.hangup();
    a.wait_event("CALL_CLOSED");
    let heard = heard_in_one_recording(&a);
    let timeline = heard.timeline(0.25, &[(AGENT_TONE, 'A')]);
    assert!(
        in_order(&timeline, &["AA", "mmmm", "AA"]),
        "the employee, hold music, the employee again: {timeline}"
    );
    pbx.stop();
}

#[test]
fn blind_transfer_from_the_phone_connects_the_caller_to_the_target() {
    let mut pbx = Pbx::start_with(office_with_one_agent);
    let mut agent = phone(&mut pbx, "101", AnswerMode::Auto, AGENT_TONE);
    let mut target = phone(&mut pbx, "102", AnswerMode::Manual, TARGET_TONE);
    let mut caller = phone(&mut pbx, "104", AnswerMode::Auto, CALLER_TONE);
    caller.dial(&pbx.uri("100"));
    established(&mut caller, &pbx);
    agent.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_millis(1000));
    agent
        .command("transfer", &pbx.uri("102"))
        .unwrap_or_else(|e| panic!("transfer refused by baresip: {e}"));
    // The transferring phone leaves the call.
    agent.wait_event("CALL_CLOSED");
    target.wait_event("CALL_INCOMING");
    std::thread::sleep(Duration::from_millis(1500));
    target.answer();
    target.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_millis(2000));
    caller.hangup();
    caller.wait_event("CALL_CLOSED");
    target.wait_event("CALL_CLOSED");
    pbx.wait_for_all(&["transferred", "by=101", "to=102", "attended=false"]);
    let heard = heard_in_one_recording(&caller);
    let timeline = heard.timeline(0.25, &[(AGENT_TONE, 'A'), (TARGET_TONE, 'T')]);
    assert!(
        in_order(&timeline, &["AA", "mm", "TTTT"]) && !timeline.contains("TA"),
        "the agent, ringback, then the target: {timeline}"
    );
    // The record says who answered and where the call went.
    pbx.wait_for_all(&[
        "call record",
        "\"transfers\":[{\"from\":\"101\",\"to\":\"102\"",
    ]);
    pbx.stop();
}

#[test]
fn an_unanswered_blind_transfer_ends_the_call_after_the_groups_ring_time() {
    let mut pbx = Pbx::start_with(office_with_one_agent);
    let mut agent = phone(&mut pbx, "101", AnswerMode::Auto, AGENT_TONE);
    let mut target = phone(&mut pbx, "102", AnswerMode::Manual, TARGET_TONE);
    let mut caller = phone(&mut pbx, "104", AnswerMode::Auto, CALLER_TONE);
    caller.dial(&pbx.uri("100"));
    established(&mut caller, &pbx);
    agent.wait_event("CALL_ESTABLISHED");
    agent
        .command("transfer", &pbx.uri("102"))
        .unwrap_or_else(|e| panic!("transfer refused by baresip: {e}"));
    agent.wait_event("CALL_CLOSED");
    target.wait_event("CALL_INCOMING");
    let start = Instant::now();
    // Nobody answers: after the group's 5 s ring time the caller is hung up on.
    caller.wait_event_for("CALL_CLOSED", Duration::from_secs(10));
    let after = start.elapsed();
    assert!(
        after >= Duration::from_secs(4),
        "hung up after {after:?}, before the ring time"
    );
    target.wait_event("CALL_CLOSED");
    pbx.wait_for_all(&["call record", "\"outcome\":{\"kind\":\"transfer_failed\""]);
    pbx.stop();
}

#[test]
fn an_abandoned_attended_transfer_returns_the_caller_to_the_employee() {
    let mut pbx = Pbx::start_with(|c| add_employee(c, "104", "Caller Four"));
    let mut employee = phone(&mut pbx, "102", AnswerMode::Auto, AGENT_TONE);
    let mut target = phone(&mut pbx, "103", AnswerMode::Auto, TARGET_TONE);
    let mut caller = phone(&mut pbx, "104", AnswerMode::Auto, CALLER_TONE);
    caller.dial(&pbx.uri("102"));
    established(&mut caller, &pbx);
    employee.wait_event("CALL_ESTABLISHED");
    std::thread::sleep(Duration::from_millis(1500));
    // The employee holds the caller and consults the target on a second line...
    employee.hold();
    std::thread::sleep(Duration::from_millis(1000));
    employee.dial(&pbx.uri("103"));
    established(&mut employee, &pbx);
    target.wait_event("CALL_ESTABLISHED");
    pbx.wait_for_all(&["answered", "employee=103"]);
    std::thread::sleep(Duration::from_millis(1000));
    // ...hangs up on the target (the newest call is the current one)...
    employee.hangup();
    employee.wait_event("CALL_CLOSED");
    target.wait_event("CALL_CLOSED");
    std::thread::sleep(Duration::from_millis(500));
    // ...and goes back to the caller.
    employee.resume();
    std::thread::sleep(Duration::from_millis(2000));
    caller.hangup();
    caller.wait_event("CALL_CLOSED");
    employee.wait_event("CALL_CLOSED");
    let heard = heard_in_one_recording(&caller);
    let timeline = heard.timeline(0.25, &[(AGENT_TONE, 'A'), (TARGET_TONE, 'T')]);
    assert!(
        in_order(&timeline, &["AA", "mmmm", "AAAA"]) && !timeline.contains('T'),
        "the employee, hold music (never the target), the employee again: {timeline}"
    );
    // The caller's call stayed the employee's: answered by 102, never transferred.
    let record = pbx.wait_for_all(&["call record", "\"value\":\"104\""]);
    assert!(
        record.contains("\"answered_by\":\"102\"") && record.contains("\"transfers\":[]"),
        "{record}"
    );
    pbx.stop();
}
