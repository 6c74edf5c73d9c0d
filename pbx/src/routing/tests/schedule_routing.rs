//! SPEC §4: after-hours handling and the night switch, through the router.

use chrono::Duration;
use firmware_config::group::{Distribution, Unanswered};
use firmware_config::schedule::{AfterHours, Forced, NightSwitch};
use firmware_config::time::Instant;

use super::harness::*;
use crate::routing::{CallId, EndCause, Mailbox, Outcome, Output};

fn evening() -> chrono::DateTime<chrono::Utc> {
    monday_10am() + Duration::hours(9) // 19:00 in Warsaw
}

// 1. "voicemail: a greeting plays (a built-in default, or the admin's own audio file), then
//     the caller's message is recorded and stored for the entry point's employees"
#[test]
fn after_hours_voicemail_uses_the_admins_greeting_or_the_default() {
    let mut c = office(Distribution::InOrder, Unanswered::WaitForAgent);
    after_hours(&mut c, AfterHours::Voicemail);
    let mut h = Harness::at(c.clone(), evening());
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert!(out.contains(&Output::Voicemail {
        call: CallId(1),
        mailbox: Mailbox::Entry("main".into()),
        greeting: None
    }));
    assert!(rung(&out).is_empty());
    let r = record(&out).expect("record");
    assert_eq!(
        (r.outcome.clone(), r.after_hours),
        (Outcome::Voicemail, true)
    );

    c.schedules.as_mut_slice()[0].voicemail_greeting = Some(text("/var/lib/centrala/closed.wav"));
    let mut h = Harness::at(c, evening());
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert!(out.iter().any(|o| matches!(o, Output::Voicemail { greeting: Some(g), .. } if g == "/var/lib/centrala/closed.wav")));
}

// 2. "forward to a number in international format"
#[test]
fn after_hours_forwards_to_a_number() {
    let mut c = office(Distribution::InOrder, Unanswered::WaitForAgent);
    after_hours(&mut c, AfterHours::ForwardToNumber(num("+48 600 999 888")));
    let mut h = Harness::at(c, evening());
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert!(out.contains(&Output::ForwardToNumber {
        call: CallId(1),
        number: num("+48 600 999 888")
    }));
    assert!(
        !out.iter().any(|o| matches!(o, Output::Notify(_))),
        "a forwarded call is not missed"
    );
}

// 3. "hang up: the call is rejected without being answered"
#[test]
fn after_hours_hang_up_rejects_without_answering() {
    let mut c = office(Distribution::InOrder, Unanswered::WaitForAgent);
    after_hours(&mut c, AfterHours::HangUp);
    let mut h = Harness::at(c, evening());
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert!(out.contains(&Output::End {
        call: CallId(1),
        cause: EndCause::ClosedHangUp
    }));
    assert!(!out.iter().any(|o| matches!(
        o,
        Output::HoldMusic { .. } | Output::Voicemail { .. } | Output::Ringback { .. }
    )));
    assert_eq!(
        record(&out).expect("record").outcome,
        Outcome::Rejected {
            cause: EndCause::ClosedHangUp
        }
    );
}

#[test]
fn during_working_hours_calls_go_to_the_queue() {
    let mut h = Harness::new(office(Distribution::InOrder, Unanswered::WaitForAgent));
    assert_eq!(rung(&h.call_entry(1, "+48 601 111 111", "main")), ["101"]);
}

// "An admin can also force an entry point open or closed until a given time"
#[test]
fn the_night_switch_forces_closed_then_the_schedule_applies_again_by_itself() {
    let mut c = office(Distribution::InOrder, Unanswered::WaitForAgent);
    after_hours(&mut c, AfterHours::HangUp);
    let until = monday_10am() + Duration::hours(2);
    c.schedules.as_mut_slice()[0].night_switch = Some(NightSwitch {
        state: Forced::Closed,
        until: Instant(until.timestamp()),
    });
    let mut h = Harness::new(c);
    let out = h.call_entry(1, "+48 601 111 111", "main");
    assert!(out.contains(&Output::End {
        call: CallId(1),
        cause: EndCause::ClosedHangUp
    }));
    h.advance(2 * 3600);
    assert_eq!(rung(&h.call_entry(2, "+48 601 111 112", "main")), ["101"]);
}

#[test]
fn the_night_switch_forces_open_at_night() {
    let mut c = office(Distribution::InOrder, Unanswered::WaitForAgent);
    let until = evening() + Duration::hours(3);
    c.schedules.as_mut_slice()[0].night_switch = Some(NightSwitch {
        state: Forced::Open,
        until: Instant(until.timestamp()),
    });
    let mut h = Harness::at(c, evening());
    assert_eq!(rung(&h.call_entry(1, "+48 601 111 111", "main")), ["101"]);
}

// "An entry point with no schedule is always open."
#[test]
fn an_entry_point_without_a_schedule_is_always_open() {
    let mut c = office(Distribution::InOrder, Unanswered::WaitForAgent);
    c.entry_points.as_mut_slice()[1].schedule = None;
    let mut h = Harness::at(c, evening() + Duration::days(5));
    assert_eq!(rung(&h.call_entry(1, "+48 601 111 111", "main")), ["101"]);
}
