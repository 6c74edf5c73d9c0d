//! SPEC §5: caller lookup for calls missed because of the schedule, and who is notified.

use chrono::Duration;
use firmware_config::entry::{CrmOptions, UnknownCaller};
use firmware_config::group::{Distribution, Unanswered};
use firmware_config::schedule::AfterHours;

use super::harness::*;
use crate::routing::crm::{Contact, CrmCase, CrmEvent};
use crate::routing::{Input, MissedBecause, NotifyEvent, Output};

fn closed_office(lookup: bool, unknown: UnknownCaller) -> Harness {
    let mut c = office(Distribution::InOrder, Unanswered::WaitForAgent);
    after_hours(&mut c, AfterHours::Voicemail);
    c.entry_points.as_mut_slice()[1].crm = CrmOptions {
        lookup,
        unknown_caller: unknown,
    };
    let mut h = Harness::at(c, monday_10am() + Duration::hours(10));
    h.feed(Input::Contact(Contact {
        id: 7,
        name: "Hurtownia Kowalski".into(),
        company: Some("Kowalski sp. z o.o.".into()),
        numbers: vec![num("+48 601 222 333")],
        responsible: Some(ext("104")),
        activities: vec![],
    }));
    h
}

fn notified(out: &[Output]) -> (Vec<String>, Option<CrmCase>) {
    out.iter()
        .find_map(|o| match o {
            Output::Notify(n) => match &n.event {
                NotifyEvent::MissedCall {
                    why: MissedBecause::Schedule,
                    crm,
                    ..
                } => Some((
                    n.employees.iter().map(|e| e.to_string()).collect(),
                    crm.clone(),
                )),
                _ => None,
            },
            _ => None,
        })
        .expect("a missed-call notification")
}

// 1. "Lookup disabled for the entry point: the employees of its queue get a missed-call notification."
#[test]
fn lookup_disabled_notifies_the_queues_employees() {
    let mut h = closed_office(false, UnknownCaller::CreateLead);
    let out = h.call_entry(1, "+48 601 222 333", "main");
    assert_eq!(
        notified(&out),
        (
            vec!["101".into(), "102".into(), "103".into()],
            Some(CrmCase::LookupDisabled)
        )
    );
    assert!(!out.iter().any(|o| matches!(o, Output::Crm(_))));
}

// 2. "Lookup enabled and the number belongs to a contact: the call is attached to that contact
//     as an activity and the contact's responsible employee is notified."
#[test]
fn a_known_contact_gets_the_call_and_its_responsible_employee_is_notified() {
    let mut h = closed_office(true, UnknownCaller::CreateLead);
    let out = h.call_entry(1, "+48 601 222 333", "main");
    assert_eq!(
        notified(&out),
        (vec!["104".into()], Some(CrmCase::Contact { id: 7 }))
    );
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Crm(CrmEvent::ContactActivity { id: 7, .. }))));
    assert_eq!(h.router.crm().contacts()[0].activities.len(), 1);
}

// 3. "Lookup enabled, number unknown, option create a lead automatically: a new lead is created
//     with a "call" activity and the queue's employees are notified."
#[test]
fn an_unknown_number_creates_a_lead_and_notifies_the_queue() {
    let mut h = closed_office(true, UnknownCaller::CreateLead);
    let out = h.call_entry(1, "+48 609 000 001", "main");
    let (who, case) = notified(&out);
    assert_eq!(who, ["101", "102", "103"]);
    assert!(matches!(case, Some(CrmCase::LeadCreated { .. })));
    let lead = &h.router.crm().leads()[0];
    assert_eq!(
        (lead.number.clone(), lead.activities.len()),
        (num("+48609000001"), 1)
    );
    // The same number again is now a known lead: no second lead.
    let out = h.call_entry(2, "+48 609 000 001", "main");
    assert!(matches!(notified(&out).1, Some(CrmCase::KnownLead { .. })));
    assert_eq!(h.router.crm().leads().len(), 1);
}

// 4. "Lookup enabled, number unknown, option offer to create a record: the queue's employees
//     are notified, and no record is created."
#[test]
fn offer_to_create_notifies_the_queue_and_creates_nothing() {
    let mut h = closed_office(true, UnknownCaller::OfferToCreate);
    let out = h.call_entry(1, "+48 609 000 001", "main");
    assert_eq!(
        notified(&out),
        (
            vec!["101".into(), "102".into(), "103".into()],
            Some(CrmCase::OfferToCreate)
        )
    );
    assert!(h.router.crm().leads().is_empty());
    assert!(!out.iter().any(|o| matches!(o, Output::Crm(_))));
}

#[test]
fn a_withheld_number_cannot_be_looked_up_and_the_queue_is_notified() {
    let mut h = closed_office(true, UnknownCaller::CreateLead);
    let out = h.feed(Input::Offer {
        call: crate::routing::CallId(1),
        caller: crate::routing::Caller::Withheld,
        target: crate::routing::Target::Entry("main".into()),
    });
    assert_eq!(notified(&out).1, Some(CrmCase::Withheld));
    assert!(h.router.crm().leads().is_empty());
}

#[test]
fn after_hours_hang_up_is_also_a_call_missed_because_of_the_schedule() {
    let mut h = closed_office(true, UnknownCaller::CreateLead);
    let mut c = (**h.router.config()).clone();
    after_hours(&mut c, AfterHours::HangUp);
    h.feed(Input::Config(std::sync::Arc::new(c)));
    let out = h.call_entry(1, "+48 601 222 333", "main");
    assert_eq!(notified(&out).0, ["104"]);
}
