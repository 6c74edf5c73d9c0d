//! SPEC §2: distribution, ring time, busy members and the unanswered-call actions.

use firmware_config::employee::Presence;
use firmware_config::group::{Distribution, Unanswered};

use super::harness::*;
use crate::routing::{CallId, Decline, EndCause, Input, Outcome, Output};

// "in order (always from the first member down the list)"
#[test]
fn in_order_rings_from_the_first_member_down_the_list() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert!(out.contains(&Output::Ringback { call: CallId(1) }));
    assert_eq!(rung(&out), ["101"]);
    assert_eq!(rung(&h.advance(20)), ["102"]);
    assert_eq!(rung(&h.advance(20)), ["103"]);
}

#[test]
fn in_order_starts_again_from_the_first_member_for_the_next_call() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    h.advance(20);
    h.answer(1, "102");
    h.hang_up(1);
    assert_eq!(rung(&h.call_entry(2, "+48 601 111 112", "main")), ["101"]);
}

// "evenly (round-robin: start after the member who took the previous call; skip busy members)"
#[test]
fn evenly_starts_after_the_member_who_took_the_previous_call() {
    let mut h = Harness::new(office(
        Distribution::Evenly,
        Unanswered::ForwardToLastMember,
    ));
    assert_eq!(rung(&h.call_entry(1, "+48 601 111 111", "main")), ["101"]);
    h.answer(1, "101");
    h.hang_up(1);
    assert_eq!(rung(&h.call_entry(2, "+48 601 111 112", "main")), ["102"]);
    h.answer(2, "102");
    h.hang_up(2);
    assert_eq!(rung(&h.call_entry(3, "+48 601 111 113", "main")), ["103"]);
    h.answer(3, "103");
    h.hang_up(3);
    // ... and round again.
    assert_eq!(rung(&h.call_entry(4, "+48 601 111 114", "main")), ["101"]);
}

#[test]
fn evenly_skips_busy_members_and_wraps_round() {
    let mut h = Harness::new(office(
        Distribution::Evenly,
        Unanswered::ForwardToLastMember,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    h.answer(1, "101"); // 101 now on a call; next start is 102
    h.feed(Input::EmployeeBusy {
        employee: ext("102"),
    });
    let out = h.call_entry(2, "+48 601 111 112", "main");
    assert_eq!(rung(&out), ["103"]);
    // 103 does not answer: the pass wraps past the busy 101 and 102 and ends.
    let out = h.advance(20);
    assert!(rung(&out).is_empty());
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::ForwardToNumber { .. })));
}

// "simultaneously (ring every free member at once; first to answer wins, the others stop ringing)"
#[test]
fn simultaneously_rings_every_free_member_and_the_first_answer_wins() {
    let mut h = Harness::new(office(
        Distribution::Simultaneously,
        Unanswered::ForwardToLastMember,
    ));
    h.feed(Input::Presence {
        employee: ext("102"),
        presence: Presence::OnBreak,
    });
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert_eq!(rung(&out), ["101", "103"]);
    h.advance(5);
    let out = h.answer(1, "103");
    assert_eq!(stopped(&out), ["101"], "the others stop ringing at once");
    assert!(out.contains(&Output::Connect {
        call: CallId(1),
        employee: ext("103")
    }));
    // A late answer by the loser changes nothing.
    assert!(h.answer(1, "101").is_empty());
}

// A regression: when the first member of the rotation cannot take the call, the others are
// still rung at once (the pass used to end there, ringing nobody).
#[test]
fn simultaneously_rings_the_others_when_the_first_member_is_away() {
    let mut h = Harness::new(office(
        Distribution::Simultaneously,
        Unanswered::ForwardToLastMember,
    ));
    h.feed(Input::Presence {
        employee: ext("101"),
        presence: Presence::OnBreak,
    });
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert_eq!(rung(&out), ["102", "103"]);
}

// "ring time: how long one member ... rings before the call moves on"
#[test]
fn a_member_rings_exactly_the_ring_time() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    assert_eq!(
        h.router.poll_timeout(),
        Some(h.now + chrono::Duration::seconds(20))
    );
    assert!(h.advance(19).is_empty());
    let out = h.advance(1);
    assert_eq!(stopped(&out), ["101"]);
    assert_eq!(rung(&out), ["102"]);
}

// "... (or, for simultaneously, the whole group) rings before the call moves on"
#[test]
fn simultaneously_the_whole_group_rings_the_ring_time_once() {
    let mut h = Harness::new(office(
        Distribution::Simultaneously,
        Unanswered::ForwardToLastMember,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    assert!(h.advance(19).is_empty());
    let out = h.advance(1);
    assert_eq!(stopped(&out), ["101", "102", "103"]);
    assert!(rung(&out).is_empty());
    assert!(out.contains(&Output::ForwardToNumber {
        call: CallId(1),
        number: num("+48 600 000 103")
    }));
}

// Declines move the call on at once.
#[test]
fn a_rejected_or_unreachable_member_passes_the_call_on_at_once() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    h.advance(3);
    let out = h.feed(Input::Declined {
        call: CallId(1),
        employee: ext("101"),
        why: Decline::Rejected,
    });
    assert_eq!(rung(&out), ["102"]);
    let out = h.feed(Input::Declined {
        call: CallId(1),
        employee: ext("102"),
        why: Decline::Unreachable,
    });
    assert_eq!(rung(&out), ["103"]);
    assert_eq!(
        h.router.poll_timeout(),
        Some(h.now + chrono::Duration::seconds(20))
    );
}

// 1. "forward to an employee: the call goes out to the mobile number of the group's last member"
#[test]
fn unanswered_forwards_to_the_last_members_mobile() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    let out = h.advance(60);
    assert!(out.contains(&Output::ForwardToNumber {
        call: CallId(1),
        number: num("+48 600 000 103")
    }));
    let r = record(&out).expect("record");
    assert_eq!(
        r.outcome,
        Outcome::Forwarded {
            to: num("+48 600 000 103")
        }
    );
}

// 1. "(or an employee chosen in the group settings)"
#[test]
fn unanswered_forwards_to_the_chosen_employees_mobile() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToEmployee(ext("104")),
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    let out = h.advance(60);
    assert!(out.contains(&Output::ForwardToNumber {
        call: CallId(1),
        number: num("+48 600 000 104")
    }));
}

// 2. "forward to a number: to an external number given in international format"
#[test]
fn unanswered_forwards_to_a_number() {
    let target = num("+44 20 7946 0958");
    let mut h = Harness::new(office(
        Distribution::Evenly,
        Unanswered::ForwardToNumber(target.clone()),
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    let out = h.advance(60);
    assert!(out.contains(&Output::ForwardToNumber {
        call: CallId(1),
        number: target
    }));
}

// 3. "forward to another queue group: the call enters that group's queue"
#[test]
fn unanswered_enters_another_group() {
    let mut c = office(
        Distribution::InOrder,
        Unanswered::ForwardToGroup(text("office")),
    );
    c.groups.as_mut_slice()[0]
        .members
        .retain(|m| m.as_str() == "103"); // "office" has only 103
    let mut h = Harness::new(c);
    h.call_entry(1, "+48 601 111 111", "main");
    let out = h.advance(60); // 101, 102, 103 in sales, 20 s each
    assert_eq!(
        rung(&out),
        ["102", "103", "103"],
        "103 rings again, now for 'office'"
    );
    let out = h.answer(1, "103");
    assert!(out.contains(&Output::Connect {
        call: CallId(1),
        employee: ext("103")
    }));
    let out = h.hang_up(1);
    assert_eq!(record(&out).expect("record").groups, ["sales", "office"]);
    assert_eq!(h.router.statistics()["sales"].forwarded, 1);
    assert_eq!(h.router.statistics()["office"].answered, 1);
}

// 3. "(a chain of groups that loops back must be refused when saved, and guarded at run time)"
#[test]
fn a_forwarding_loop_that_slipped_past_validation_is_stopped_at_run_time() {
    let mut c = office(
        Distribution::InOrder,
        Unanswered::ForwardToGroup(text("office")),
    );
    c.groups.as_mut_slice()[0].unanswered = Unanswered::ForwardToGroup(text("sales"));
    assert!(
        !firmware_config::validate::validate(&c).is_empty(),
        "validation refuses it"
    );
    let mut h = Harness::unvalidated(c);
    h.call_entry(1, "+48 601 111 111", "main");
    let out = h.advance(300);
    assert!(out.contains(&Output::End {
        call: CallId(1),
        cause: EndCause::ForwardLoop
    }));
    let r = record(&out).expect("record");
    assert_eq!(
        (r.outcome.clone(), r.groups.clone()),
        (Outcome::Missed, vec!["sales".into(), "office".into()])
    );
    assert!(h.router.poll_timeout().is_none(), "nothing left running");
}

// 4. "wait for an available agent: the caller stays in the queue, hearing hold music, and
//     the group is tried again and again until a member answers"
#[test]
fn wait_for_agent_plays_hold_music_and_tries_the_group_again_and_again() {
    let mut h = Harness::new(office(Distribution::InOrder, Unanswered::WaitForAgent));
    h.call_entry(1, "+48 601 111 111", "main");
    let out = h.advance(60);
    let music = Output::HoldMusic {
        call: CallId(1),
        file: Some("/var/lib/centrala/music.wav".into()),
    };
    assert_eq!(
        out.iter().filter(|o| **o == music).count(),
        1,
        "hold music once, after the first pass"
    );
    assert_eq!(rung(&out), ["102", "103", "101"], "then round again");
    assert_eq!(rung(&h.advance(40)), ["102", "103"]);
    let out = h.answer(1, "103");
    assert!(out.contains(&Output::Connect {
        call: CallId(1),
        employee: ext("103")
    }));
}

// 4. "if all are busy ... the caller hears hold music; when any agent is ready the call goes to them"
#[test]
fn wait_for_agent_with_everyone_busy_waits_on_hold_until_someone_is_free() {
    let mut h = Harness::new(office(Distribution::InOrder, Unanswered::WaitForAgent));
    for e in ["101", "102", "103"] {
        h.feed(Input::EmployeeBusy { employee: ext(e) });
    }
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert!(rung(&out).is_empty());
    assert!(out.iter().any(|o| matches!(o, Output::HoldMusic { .. })));
    assert!(
        h.advance(600).is_empty(),
        "nothing to do while nobody is free"
    );
    let out = h.feed(Input::EmployeeFree {
        employee: ext("102"),
    });
    assert_eq!(rung(&out), ["102"]);
}

// 4. "when several callers wait they are served first come, first served; as soon as any
//     member becomes free the longest waiting caller goes to that member"
#[test]
fn waiting_callers_are_served_first_come_first_served() {
    let mut h = Harness::new(office(Distribution::InOrder, Unanswered::WaitForAgent));
    for e in ["101", "102", "103"] {
        h.feed(Input::EmployeeBusy { employee: ext(e) });
    }
    for id in 1..=5 {
        h.call_entry(id, &format!("+48 601 111 11{id}"), "main");
        h.advance(7);
    }
    for (free, expected) in [("103", 1), ("101", 2), ("102", 3)] {
        let out = h.feed(Input::EmployeeFree {
            employee: ext(free),
        });
        let ring: Vec<_> = out
            .iter()
            .filter(|o| matches!(o, Output::Ring { .. }))
            .collect();
        assert_eq!(
            ring,
            [&Output::Ring {
                call: CallId(expected),
                employee: ext(free)
            }]
        );
        h.answer(expected, free);
    }
    let waiting: Vec<u64> = h.router.waiting("sales").iter().map(|(c, _)| c.0).collect();
    assert_eq!(waiting, [4, 5]);
    // Caller 2 hangs up after talking: 101 is free and goes to caller 4, the longest waiting.
    let out = h.hang_up(2);
    assert!(out.contains(&Output::Ring {
        call: CallId(4),
        employee: ext("101")
    }));
}

// 4. "If the group's distribution is simultaneously, this option instead ends the call after
//     one unanswered pass and records it as missed."
#[test]
fn simultaneously_with_wait_for_agent_ends_after_one_pass_as_missed() {
    let mut h = Harness::new(office(
        Distribution::Simultaneously,
        Unanswered::WaitForAgent,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    let out = h.advance(20);
    assert!(out.contains(&Output::End {
        call: CallId(1),
        cause: EndCause::NoAnswer
    }));
    assert!(!out.iter().any(|o| matches!(o, Output::HoldMusic { .. })));
    assert_eq!(record(&out).expect("record").outcome, Outcome::Missed);
    assert_eq!(h.router.statistics()["sales"].missed, 1);
    assert!(h.router.poll_timeout().is_none());
}

// "Busy members (on a call, ringing for another caller, on break) are not offered a call."
#[test]
fn busy_ringing_on_break_and_off_members_are_never_offered_a_call() {
    let mut h = Harness::new(office(
        Distribution::InOrder,
        Unanswered::ForwardToLastMember,
    ));
    h.feed(Input::Presence {
        employee: ext("101"),
        presence: Presence::OnBreak,
    });
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert_eq!(rung(&out), ["102"], "101 is on break");
    // 102 is ringing for caller 1: caller 2 skips it.
    let out = h.call_entry(2, "+48 601 111 112", "main");
    assert_eq!(rung(&out), ["103"]);
    h.answer(2, "103"); // 103 on a call
    h.feed(Input::Presence {
        employee: ext("102"),
        presence: Presence::Off,
    });
    let out = h.call_entry(3, "+48 601 111 113", "main");
    assert!(
        rung(&out).is_empty(),
        "101 on break, 102 ringing, 103 on a call"
    );
}

// "Hold music: each entry point can name its own audio file; a built-in default always exists."
#[test]
fn hold_music_is_the_entry_points_own_or_the_built_in_default() {
    let mut c = office(Distribution::InOrder, Unanswered::WaitForAgent);
    c.entry_points.as_mut_slice()[1].hold_music = None;
    let mut h = Harness::new(c);
    for e in ["101", "102", "103"] {
        h.feed(Input::EmployeeBusy { employee: ext(e) });
    }
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert!(out.contains(&Output::HoldMusic {
        call: CallId(1),
        file: None
    }));
}

// The caller gives up while waiting.
#[test]
fn a_caller_who_hangs_up_while_ringing_stops_the_ringing_and_is_missed() {
    let mut h = Harness::new(office(
        Distribution::Simultaneously,
        Unanswered::ForwardToLastMember,
    ));
    h.call_entry(1, "+48 601 111 111", "main");
    h.advance(4);
    let out = h.feed(Input::CallerHungUp { call: CallId(1) });
    assert_eq!(stopped(&out), ["101", "102", "103"]);
    let r = record(&out).expect("record");
    assert_eq!((r.outcome.clone(), r.wait_ms), (Outcome::Missed, 4000));
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Notify(n) if n.employees.len() == 3)));
    assert!(h.router.poll_timeout().is_none());
    assert_eq!(
        rung(&h.call_entry(2, "+48 601 111 112", "main")).len(),
        3,
        "all free again"
    );
}
