//! Calls through the daemon with real peers: SIPp scenarios for CANCEL and BYE from either
//! side (hold and transfers are in `transfers.rs`), and headless baresip phones for queue groups (who rings, in which
//! order, who is cancelled, and callers waiting for an agent served first come, first served).
//!
//! Every test runs its own daemon (see `centrala_e2e::pbx`) with entry points detached from
//! their schedules, so nothing depends on the wall clock.

use std::time::{Duration, Instant};

use centrala_e2e::audio::Recording;
use centrala_e2e::baresip::{AnswerMode, CallOutcome, Phone, PhoneConfig};
use centrala_e2e::pbx::{add_employee, group_mut, password, Pbx};
use centrala_e2e::ports::free_port;
use centrala_e2e::sipp::{Sipp, SippProcess};
use firmware_config::group::{Distribution, Unanswered};
use firmware_config::number::Extension;

/// The tone the agent's phone sends, told apart from the callers' 1000 Hz.
const AGENT_TONE: f64 = 600.0;

/// A SIPp callee reachable as device `user`: registered from a free port (its Contact is that
/// port), then `scenario` waits for the INVITE on the same port.
fn sipp_callee(pbx: &Pbx, user: &str, scenario: &str, extra: &[&str]) -> SippProcess {
    let port = free_port();
    let pw = password(user);
    pbx.sipp_from(port, "register.xml", &["-s", user, "-au", user, "-ap", &pw])
        .assert_ok();
    let mut args = vec!["-s", user];
    args.extend_from_slice(extra);
    Sipp::new(scenario, port, pbx.dir()).args(&args).spawn()
}

/// The arguments of a SIPp caller authenticating as device 101 and calling `number`.
fn caller_args(number: &str, pause_ms: &str) -> Vec<String> {
    let pw = password("101");
    [
        "-s", number, "-au", "101", "-ap", &pw, "-key", "caller", "101", "-d", pause_ms,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run_caller(pbx: &Pbx, scenario: &str, number: &str, pause_ms: &str) {
    let args = caller_args(number, pause_ms);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = pbx.sipp(scenario, &args);
    assert!(
        run.ok(),
        "{}\n--- daemon log ---\n{}",
        run.report,
        pbx.log_text()
    );
}

/// A registered baresip phone for `user`.
fn phone(pbx: &mut Pbx, user: &str, answer: AnswerMode) -> Phone {
    let mut p = Phone::start(PhoneConfig::registered(user, pbx.port()).answer(answer));
    p.wait_registered();
    pbx.wait_for_all(&["phone registered", &format!("user={user}")]);
    p
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

/// Whether `p` gets an incoming call within `t`; the event is consumed.
fn rings_within(p: &mut Phone, t: Duration) -> bool {
    p.next_event_of(&["CALL_INCOMING"], t).is_some()
}

#[test]
fn a_caller_cancels_while_the_phone_rings() {
    let mut pbx = Pbx::start();
    let mut b = phone(&mut pbx, "102", AnswerMode::Manual);
    run_caller(&pbx, "uac_cancel.xml", "102", "1500");
    b.wait_event("CALL_INCOMING");
    let closed = b.wait_event("CALL_CLOSED");
    assert!(!closed.param.is_empty(), "{closed:?}");
    pbx.wait_for("why=487 Request Terminated");
    pbx.stop();
}

#[test]
fn the_caller_hangs_up_a_connected_call() {
    let mut pbx = Pbx::start();
    let callee = sipp_callee(&pbx, "102", "uas_answer.xml", &[]);
    run_caller(&pbx, "uac_bye.xml", "102", "1000");
    callee.wait(Duration::from_secs(10)).assert_ok();
    pbx.wait_for("connected");
    pbx.wait_for("the caller hung up");
    pbx.stop();
}

#[test]
fn the_called_phone_hangs_up_a_connected_call() {
    let mut pbx = Pbx::start();
    let callee = sipp_callee(&pbx, "102", "uas_bye.xml", &["-d", "1500"]);
    let mut a = phone(&mut pbx, "101", AnswerMode::Auto);
    a.dial(&pbx.uri("102"));
    established(&mut a, &pbx);
    a.wait_event("CALL_CLOSED");
    callee.wait(Duration::from_secs(10)).assert_ok();
    pbx.wait_for("the called phone hung up");
    pbx.stop();
}

/// Employees 101–103 are the group's members (manual answer), 104 is the caller.
fn group_office(distribution: Distribution, ring_secs: u16) -> Pbx {
    Pbx::start_with(|c| {
        add_employee(c, "104", "Caller Four");
        add_employee(c, "105", "Caller Five");
        let g = group_mut(c, "office");
        g.distribution = distribution;
        g.ring_time_secs = ring_secs;
        g.unanswered = Unanswered::WaitForAgent;
    })
}

#[test]
fn simultaneous_ringing_cancels_the_others_when_one_answers() {
    let mut pbx = group_office(Distribution::Simultaneously, 20);
    let mut members: Vec<Phone> = ["101", "102", "103"]
        .iter()
        .map(|u| phone(&mut pbx, u, AnswerMode::Manual))
        .collect();
    let mut caller = phone(&mut pbx, "104", AnswerMode::Auto);
    caller.dial(&pbx.uri("100"));
    for m in members.iter_mut() {
        m.wait_event("CALL_INCOMING");
    }
    members[1].answer();
    established(&mut caller, &pbx);
    members[0].wait_event("CALL_CLOSED");
    members[2].wait_event("CALL_CLOSED");
    members[1].wait_event("CALL_ESTABLISHED");
    pbx.wait_for("connected call=1 employee=102");
    pbx.stop();
}

#[test]
fn in_order_rings_one_member_after_another() {
    let mut pbx = group_office(Distribution::InOrder, 5);
    let mut m: Vec<Phone> = ["101", "102", "103"]
        .iter()
        .map(|u| phone(&mut pbx, u, AnswerMode::Manual))
        .collect();
    let mut caller = phone(&mut pbx, "104", AnswerMode::Auto);
    caller.dial(&pbx.uri("100"));
    let start = Instant::now();
    m[0].wait_event("CALL_INCOMING");
    assert!(
        !rings_within(&mut m[1], Duration::from_secs(3)),
        "102 rang too early"
    );
    assert!(
        rings_within(&mut m[1], Duration::from_secs(5)),
        "102 never rang"
    );
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(4),
        "102 rang after {waited:?}, not after the ring time"
    );
    m[0].wait_event("CALL_CLOSED");
    assert!(
        !rings_within(&mut m[2], Duration::from_millis(500)),
        "103 rang with 102"
    );
    m[1].answer();
    established(&mut caller, &pbx);
    pbx.wait_for("connected call=1 employee=102");
    pbx.stop();
}

#[test]
fn evenly_starts_after_the_member_who_took_the_last_call() {
    let mut pbx = group_office(Distribution::Evenly, 10);
    let mut m: Vec<Phone> = ["101", "102", "103"]
        .iter()
        .map(|u| phone(&mut pbx, u, AnswerMode::Auto))
        .collect();
    let mut caller = phone(&mut pbx, "104", AnswerMode::Auto);
    let mut takers = Vec::new();
    for _ in 0..3 {
        caller.dial(&pbx.uri("100"));
        established(&mut caller, &pbx);
        let taker = m
            .iter_mut()
            .position(|p| {
                p.next_event_of(&["CALL_ESTABLISHED"], Duration::from_secs(2))
                    .is_some()
            })
            .unwrap_or_else(|| panic!("nobody took the call\n{}", pbx.log_text()));
        takers.push(taker);
        caller.hangup();
        caller.wait_event("CALL_CLOSED");
        m[taker].wait_event("CALL_CLOSED");
    }
    assert_eq!(takers, [0, 1, 2], "round robin over 101, 102, 103");
    pbx.stop();
}

#[test]
fn callers_waiting_for_an_agent_are_served_first_come_first_served() {
    let mut pbx = Pbx::start_with(|c| {
        add_employee(c, "104", "Caller Four");
        add_employee(c, "105", "Caller Five");
        let g = group_mut(c, "office");
        g.distribution = Distribution::InOrder;
        g.ring_time_secs = 5;
        g.unanswered = Unanswered::WaitForAgent;
        g.members.clear();
        let member: Extension = "101".parse().expect("extension");
        assert!(g.members.push(member).is_ok());
    });
    let mut agent = Phone::start(PhoneConfig::registered("101", pbx.port()).tone(AGENT_TONE));
    agent.wait_registered();
    let mut other = phone(&mut pbx, "103", AnswerMode::Auto);
    // The only member is busy on a call of their own.
    agent.dial(&pbx.uri("103"));
    established(&mut agent, &pbx);
    other.wait_event("CALL_ESTABLISHED");
    let mut first = phone(&mut pbx, "104", AnswerMode::Auto);
    let mut second = phone(&mut pbx, "105", AnswerMode::Auto);
    first.dial(&pbx.uri("100"));
    established(&mut first, &pbx);
    second.dial(&pbx.uri("100"));
    established(&mut second, &pbx);
    pbx.wait_for_all(&["call started", "caller=105"]);
    // Both wait, hearing hold music, until the agent becomes free; then the caller who came
    // first is served first.
    std::thread::sleep(Duration::from_secs(2));
    agent.hangup();
    agent.wait_event("CALL_CLOSED");
    // (An auto-answering baresip reports no CALL_INCOMING, only CALL_ESTABLISHED.)
    let taken = agent.wait_event_for("CALL_ESTABLISHED", Duration::from_secs(10));
    assert!(taken.peer.contains("104"), "first served: {taken:?}");
    std::thread::sleep(Duration::from_millis(1500));
    agent.hangup();
    agent.wait_event("CALL_CLOSED");
    first.wait_event("CALL_CLOSED");
    let taken = agent.wait_event_for("CALL_ESTABLISHED", Duration::from_secs(10));
    assert!(taken.peer.contains("105"), "then the second: {taken:?}");
    // What the first caller heard: music while waiting (RTP from Centrala), then the agent.
    let heard = Recording::read(&first.last_recording().received);
    let waiting = heard.slice(0.3, 1.8);
    let summary = waiting.describe(&[AGENT_TONE]);
    assert!(
        waiting.audible() >= Duration::from_millis(1200),
        "hold music: {summary}"
    );
    assert!(
        waiting.tone_fraction(AGENT_TONE) < 0.2,
        "not the agent yet: {summary}"
    );
    let end = heard.duration().as_secs_f64();
    let talking = heard.slice(end - 1.0, end);
    assert!(
        talking.tone_fraction(AGENT_TONE) > 0.5,
        "then the agent: {}",
        talking.describe(&[AGENT_TONE])
    );
    pbx.stop();
}

#[test]
fn nobody_answering_in_order_puts_the_caller_on_hold_music_after_the_ring_times() {
    let mut pbx = Pbx::start_with(|c| {
        add_employee(c, "104", "Caller Four");
        let g = group_mut(c, "office");
        g.distribution = Distribution::InOrder;
        g.ring_time_secs = 5;
        g.unanswered = Unanswered::WaitForAgent;
        g.members.clear();
        for m in ["101", "102"] {
            let member: Extension = m.parse().expect("extension");
            assert!(g.members.push(member).is_ok());
        }
    });
    let mut m: Vec<Phone> = ["101", "102"]
        .iter()
        .map(|u| phone(&mut pbx, u, AnswerMode::Manual))
        .collect();
    let mut caller = phone(&mut pbx, "104", AnswerMode::Auto);
    let start = Instant::now();
    caller.dial(&pbx.uri("100"));
    m[0].wait_event("CALL_INCOMING");
    m[1].wait_event_for("CALL_INCOMING", Duration::from_secs(8));
    // Nobody answers: after both ring times the caller is answered with hold music.
    established(&mut caller, &pbx);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(9),
        "answered after {waited:?}, before the two ring times were over"
    );
    std::thread::sleep(Duration::from_secs(2));
    caller.hangup();
    caller.wait_event("CALL_CLOSED");
    let heard = Recording::read(&caller.last_recording().received);
    let end = heard.duration().as_secs_f64();
    let music = heard.slice((end - 1.8).max(0.0), end);
    assert!(
        music.audible() >= Duration::from_millis(1200),
        "hold music after the answer: {}",
        music.describe(&[])
    );
    pbx.stop();
}

#[test]
fn sigterm_hangs_up_calls_in_progress_with_bye() {
    let mut pbx = Pbx::start();
    let mut a = phone(&mut pbx, "101", AnswerMode::Auto);
    let mut b = phone(&mut pbx, "102", AnswerMode::Auto);
    a.dial(&pbx.uri("102"));
    established(&mut a, &pbx);
    b.wait_event("CALL_ESTABLISHED");
    let log = pbx.stop();
    assert!(log.contains("ending every call calls=1"), "{log}");
    let closed_a = a.wait_event("CALL_CLOSED");
    let closed_b = b.wait_event("CALL_CLOSED");
    // baresip reports a BYE it received as "Connection reset by peer" (ECONNRESET).
    for closed in [closed_a, closed_b] {
        assert_eq!(closed.param, "Connection reset by peer", "{closed:?}");
    }
}
