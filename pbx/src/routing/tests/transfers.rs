//! SPEC §3: blind and attended transfers of answered calls, in virtual time.

use firmware_config::group::{Distribution, Unanswered};

use super::harness::*;
use crate::routing::{CallId, EndCause, Input, Outcome, Output};

fn transfer(h: &mut Harness, id: u64, by: &str, to: &str) -> Vec<Output> {
    h.feed(Input::Transfer {
        call: CallId(id),
        by: ext(by),
        to: ext(to),
    })
}

/// A call from outside answered by 101 through the sales group.
fn answered_by_101() -> Harness {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    h.advance(3);
    h.answer(1, "101");
    h.advance(40);
    h
}

// "Blind: the employee picks the target and transfers at once. The employee leaves the call;
//  the caller waits (hearing ringback or hold music) until the target answers."
#[test]
fn blind_transfer_rings_the_target_with_ringback_and_connects_on_answer() {
    let mut h = answered_by_101();
    let out = transfer(&mut h, 1, "101", "104");
    assert!(out.contains(&Output::Ringback { call: CallId(1) }));
    assert_eq!(rung(&out), ["104"]);
    // 101 left the call: the sales queue may offer them the next caller at once.
    let out = h.call_entry(2, "+48 601 222 222", "main");
    assert_eq!(rung(&out), ["101"]);
    h.advance(5);
    let out = h.answer(1, "104");
    assert!(out.contains(&Output::Connect {
        call: CallId(1),
        employee: ext("104")
    }));
    h.advance(60);
    let out = h.hang_up(1);
    let r = record(&out).expect("record");
    assert_eq!(r.outcome, Outcome::Answered);
    assert_eq!(r.answered_by, Some(ext("101")));
    assert_eq!(r.transfers.len(), 1);
    assert_eq!(
        (r.transfers[0].from.as_str(), r.transfers[0].to.as_str()),
        ("101", "104")
    );
    assert!(!r.transfers[0].attended);
    // Talk time runs from the first answer to the end, through the transfer.
    assert_eq!(r.talk_ms, 105_000);
}

// "If the target does not answer, the call ends (and is recorded so)."
#[test]
fn an_unanswered_blind_transfer_ends_the_call_after_the_ring_time() {
    let mut h = answered_by_101();
    transfer(&mut h, 1, "101", "104");
    // The call came through sales: its ring time (20 s) applies.
    assert!(h.advance(19).is_empty());
    let out = h.advance(1);
    assert_eq!(stopped(&out), ["104"]);
    assert!(out.contains(&Output::End {
        call: CallId(1),
        cause: EndCause::NoAnswer
    }));
    let r = record(&out).expect("record");
    assert_eq!(r.outcome, Outcome::TransferFailed { to: ext("104") });
    assert_eq!(h.router.active_calls(), 0);
    assert_eq!(h.router.statistics()["sales"].answered, 1);
}

#[test]
fn a_declined_or_busy_transfer_target_ends_the_call_at_once() {
    let mut h = answered_by_101();
    transfer(&mut h, 1, "101", "104");
    let out = h.feed(Input::Declined {
        call: CallId(1),
        employee: ext("104"),
        why: crate::routing::Decline::Busy,
    });
    assert!(matches!(
        record(&out).map(|r| &r.outcome),
        Some(Outcome::TransferFailed { .. })
    ));

    let mut h = answered_by_101();
    h.dial(7, "102", "104");
    let out = transfer(&mut h, 1, "101", "104");
    assert!(rung(&out).is_empty(), "104 is ringing for another call");
    assert!(out.contains(&Output::End {
        call: CallId(1),
        cause: EndCause::NoAnswer
    }));
}

#[test]
fn a_transfer_to_a_number_that_is_no_employee_fails() {
    let mut h = answered_by_101();
    let out = transfer(&mut h, 1, "101", "999");
    assert!(rung(&out).is_empty());
    assert_eq!(
        record(&out).map(|r| r.outcome.clone()),
        Some(Outcome::TransferFailed { to: ext("999") })
    );
}

#[test]
fn only_the_employee_on_the_call_can_transfer_it() {
    let mut h = answered_by_101();
    assert!(transfer(&mut h, 1, "102", "104").is_empty());
    assert!(transfer(&mut h, 9, "101", "104").is_empty());
}

#[test]
fn the_caller_hanging_up_during_a_transfer_stops_the_ringing() {
    let mut h = answered_by_101();
    transfer(&mut h, 1, "101", "104");
    h.advance(4);
    let out = h.feed(Input::CallerHungUp { call: CallId(1) });
    assert_eq!(stopped(&out), ["104"]);
    assert_eq!(
        record(&out).map(|r| r.outcome.clone()),
        Some(Outcome::Answered)
    );
    // 104 is free again: a direct call rings them.
    assert_eq!(rung(&h.dial(2, "102", "104")), ["104"]);
}

// "Attended (consultative): the employee first calls the target while the caller hears hold
//  music, talks to the target, then completes the transfer; the target is then connected to
//  the caller."
#[test]
fn attended_transfer_moves_the_target_onto_the_callers_call() {
    let mut h = answered_by_101();
    // 101 (caller on hold) calls 104, who answers.
    h.dial(2, "101", "104");
    h.advance(2);
    h.answer(2, "104");
    h.advance(30);
    let out = h.feed(Input::Transferred {
        call: CallId(1),
        by: ext("101"),
        to: ext("104"),
        replaced: CallId(2),
    });
    // The consultation call is over (its record says 101 talked to 104).
    let consult = record(&out).expect("consultation record");
    assert_eq!(consult.call, CallId(2));
    assert_eq!(consult.answered_by, Some(ext("104")));
    // 101 is free; 104 is on the caller's call and not offered queue calls.
    let out = h.call_entry(3, "+48 601 333 333", "main");
    assert_eq!(rung(&out), ["101"]);
    assert!(h.dial(4, "102", "104").contains(&Output::End {
        call: CallId(4),
        cause: EndCause::Busy
    }));
    h.advance(10);
    let out = h.hang_up(1);
    let r = record(&out).expect("record");
    assert_eq!(r.answered_by, Some(ext("101")));
    assert_eq!(r.transfers.len(), 1);
    assert!(r.transfers[0].attended);
    assert_eq!(r.transfers[0].to, ext("104"));
    // And 104 is free again.
    assert_eq!(rung(&h.dial(5, "102", "104")), ["104"]);
}
