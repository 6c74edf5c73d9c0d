//! SPEC §2 last point: every call ends with a record; statistics; direct calls; live
//! configuration changes.

use std::sync::Arc;

use firmware_config::group::{Distribution, Unanswered};

use super::harness::*;
use crate::routing::{CallId, Caller, EndCause, Input, Mailbox, Outcome, Output};

// "Every call ends with a record: who called, where it entered, which members were offered it,
//  who answered and when, how long it waited and talked, and how it ended"
#[test]
fn an_answered_call_ends_with_a_full_record() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    let start = h.now;
    h.call_entry(1, "+48 601 111 111", "main");
    h.advance(25);
    h.answer(1, "102");
    h.advance(90);
    let out = h.hang_up(1);
    let r = record(&out).expect("record");
    assert_eq!(r.caller, Caller::Number(num("+48601111111")));
    assert_eq!(r.entry.as_deref(), Some("main"));
    assert_eq!(r.offered_to, [ext("101"), ext("102")]);
    assert_eq!(r.answered_by, Some(ext("102")));
    assert_eq!(r.answered_at, Some(start + chrono::Duration::seconds(25)));
    assert_eq!((r.wait_ms, r.talk_ms), (25_000, 90_000));
    assert_eq!(r.outcome, Outcome::Answered);
    assert_eq!(r.groups, ["sales"]);
    assert!(!r.after_hours);
}

// "Missed calls appear in the statistics."
#[test]
fn statistics_count_offered_answered_missed_waits_and_talk() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    h.advance(10);
    h.answer(1, "101");
    h.advance(60);
    h.hang_up(1);
    h.call_entry(2, "+48 601 111 112", "main");
    h.advance(30);
    h.answer(2, "102");
    h.advance(120);
    h.hang_up(2);
    h.call_entry(3, "+48 601 111 113", "main");
    h.advance(45);
    h.feed(Input::CallerHungUp { call: CallId(3) });
    let s = &h.router.statistics()["sales"];
    assert_eq!((s.offered, s.answered, s.missed), (3, 2, 1));
    assert_eq!(s.average_wait_ms(), 20_000);
    assert_eq!(s.longest_wait_ms, 45_000);
    assert_eq!(s.average_talk_ms(), 90_000);
}

#[test]
fn every_kind_of_ending_writes_exactly_one_record() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    let mut records = 0;
    let mut count = |out: Vec<Output>| {
        records += out
            .iter()
            .filter(|o| matches!(o, Output::Record(_)))
            .count()
    };
    count(h.call_entry(1, "+48 601 111 111", "main"));
    count(h.answer(1, "101"));
    count(h.hang_up(1));
    count(h.call_entry(2, "+48 601 111 112", "nowhere"));
    count(h.call_entry(3, "+48 601 111 113", "main"));
    count(h.advance(60));
    count(h.dial(4, "101", "999"));
    count(h.feed(Input::CallerHungUp { call: CallId(77) }));
    count(h.hang_up(1));
    assert_eq!(records, 4);
    assert_eq!(h.router.active_calls(), 0);
}

#[test]
fn an_unknown_entry_point_or_number_is_rejected_as_not_found() {
    let mut h = Harness::new(office(Distribution::InOrder, Unanswered::WaitForAgent));
    let out = h.call_entry(1, "+48 601 111 111", "nowhere");
    assert!(out.contains(&Output::End {
        call: CallId(1),
        cause: EndCause::NotFound
    }));
    let out = h.dial(2, "101", "999");
    assert!(out.contains(&Output::End {
        call: CallId(2),
        cause: EndCause::NotFound
    }));
}

#[test]
fn a_dialled_extension_rings_that_employee_then_goes_to_their_voicemail() {
    let mut h = Harness::new(office(Distribution::InOrder, Unanswered::WaitForAgent));
    let out = h.dial(1, "101", "102");
    assert_eq!(rung(&out), ["102"]);
    let out = h.advance(crate::routing::DIRECT_RING_SECS);
    assert_eq!(stopped(&out), ["102"]);
    assert!(out.contains(&Output::Voicemail {
        call: CallId(1),
        mailbox: Mailbox::Employee(ext("102")),
        greeting: None
    }));
}

#[test]
fn a_dialled_employee_on_a_call_is_busy_and_the_caller_is_not_offered_queue_calls() {
    let mut h = Harness::new(office(Distribution::InOrder, Unanswered::WaitForAgent));
    h.dial(1, "101", "102");
    h.answer(1, "102");
    let out = h.dial(2, "103", "102");
    assert!(out.contains(&Output::End {
        call: CallId(2),
        cause: EndCause::Busy
    }));
    // 101 (calling) and 102 (talking) are both occupied: a queue call goes to 103.
    assert_eq!(rung(&h.call_entry(3, "+48 601 111 111", "main")), ["103"]);
}

#[test]
fn dialling_a_groups_number_enters_the_group() {
    let mut h = Harness::new(office(
        Distribution::Simultaneously,
        Unanswered::WaitForAgent,
    ));
    let out = h.dial(1, "104", "300");
    assert_eq!(rung(&out), ["101", "102", "103"]);
}

// "A configuration snapshot replaced while calls are in progress never drops or mis-routes a
//  call already under way; the new rules apply to new decisions."
#[test]
fn a_new_configuration_applies_to_the_next_decision_without_dropping_calls() {
    let c = office(Distribution::InOrder, Unanswered::ForwardToLastMember);
    let mut h = Harness::new(c.clone());
    h.call_entry(1, "+48 601 111 111", "main");
    h.call_entry(2, "+48 601 111 112", "main"); // rings 102 (101 busy ringing)
    h.answer(2, "102");
    let mut next = c.clone();
    {
        let g = &mut next.groups.as_mut_slice()[1];
        g.members.clear();
        g.members.push(ext("104")).expect("room");
        g.members.push(ext("103")).expect("room");
    }
    let out = h.feed(Input::Config(Arc::new(next)));
    assert!(
        out.is_empty(),
        "nothing stops: 101 keeps ringing, caller 2 keeps talking"
    );
    let out = h.advance(20);
    assert_eq!(stopped(&out), ["101"]);
    assert_eq!(
        rung(&out),
        ["104"],
        "the next member comes from the new list"
    );
    assert!(h
        .hang_up(2)
        .iter()
        .any(|o| matches!(o, Output::Record(r) if r.outcome == Outcome::Answered)));
}

#[test]
fn a_group_removed_while_a_call_waits_keeps_serving_that_call_by_its_old_rules() {
    let c = office(Distribution::InOrder, Unanswered::WaitForAgent);
    let mut h = Harness::new(c.clone());
    h.call_entry(1, "+48 601 111 111", "main");
    let mut next = c.clone();
    next.groups.retain(|g| g.name.as_str() != "sales");
    next.entry_points.retain(|e| e.name.as_str() != "main");
    h.feed(Input::Config(Arc::new(next)));
    let out = h.advance(20);
    assert_eq!(rung(&out), ["102"]);
    assert!(h.answer(1, "102").contains(&Output::Connect {
        call: CallId(1),
        employee: ext("102")
    }));
}

#[test]
fn a_caller_hanging_up_on_a_dialled_extension_stops_its_phones() {
    let mut h = Harness::new(office(Distribution::InOrder, Unanswered::WaitForAgent));
    h.dial(1, "101", "102");
    let out = h.feed(Input::CallerHungUp { call: CallId(1) });
    assert_eq!(stopped(&out), ["102"]);
    assert_eq!(record(&out).expect("record").outcome, Outcome::Missed);
}

#[test]
fn a_call_stopped_by_the_loop_guard_counts_once_in_the_statistics() {
    let mut c = office(
        Distribution::InOrder,
        Unanswered::ForwardToGroup(text("office")),
    );
    c.groups.as_mut_slice()[0].unanswered = Unanswered::ForwardToGroup(text("sales"));
    let mut h = Harness::unvalidated(c);
    h.call_entry(1, "+48 601 111 111", "main");
    h.advance(300);
    for g in ["sales", "office"] {
        let s = &h.router.statistics()[g];
        assert_eq!((s.offered, s.forwarded, s.missed), (1, 1, 0), "{g}");
    }
}

// An employee's outside call: the router sends it out and records where it went.
#[test]
fn an_outside_number_an_employee_dials_goes_out_and_is_recorded_as_forwarded() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    let out = h.feed(Input::Offer {
        call: CallId(7),
        caller: Caller::Extension(ext("101")),
        target: crate::routing::Target::Outside(num("+48 22 123 45 67")),
    });
    assert!(
        out.contains(&Output::ForwardToNumber {
            call: CallId(7),
            number: num("+48221234567"),
        }),
        "{out:?}"
    );
    let r = record(&out).expect("record");
    assert_eq!(r.caller, Caller::Extension(ext("101")));
    assert_eq!(
        r.outcome,
        Outcome::Forwarded {
            to: num("+48221234567")
        }
    );
    assert_eq!(h.router.active_calls(), 0, "the router is done with it");
}
