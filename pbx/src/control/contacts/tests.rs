use std::sync::Arc;

use chrono::DateTime;
use firmware_config::entry::{CrmOptions, UnknownCaller};
use firmware_config::number::PhoneNumber;

use super::*;
use crate::control::protocol::{decode_request, encode_line, ServerMessage};
use crate::routing::crm::{Activity, ContactDraft, CrmEvent};
use crate::routing::{self, Router};
use crate::sip::endpoint::Endpoint;
use crate::switch;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
}

fn switch_with(crm: Crm) -> Switch {
    let config = match firmware_config::default::factory_default() {
        Ok((config, _)) => Arc::new(config),
        Err(e) => panic!("no randomness: {e:?}"),
    };
    let endpoint = Endpoint::new(Arc::clone(&config), [7; 32]);
    Switch::new(endpoint, Router::new(config, crm, at(0)))
}

/// What the switch hands the shell to journal.
fn journalled(sw: &mut Switch) -> Vec<CrmEvent> {
    std::iter::from_fn(|| sw.poll_output())
        .filter_map(|o| match o {
            switch::Output::Routed(routing::Output::Crm(e)) => Some(e),
            _ => None,
        })
        .collect()
}

fn ask(sw: &mut Switch, line: &str) -> CrmAnswer {
    let request = decode_request(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let action = prepare(request.request).unwrap_or_else(|| panic!("not a CRM request"));
    answer(
        sw,
        CrmRequest {
            user: "ala".into(),
            action,
        },
        at(60),
    )
}

#[test]
fn a_saved_contact_is_answered_with_its_id_journalled_and_audited() {
    let mut sw = switch_with(Crm::default());
    let a = ask(
        &mut sw,
        r#"{"v":1,"id":1,"request":"save_contact","contact":{"name":"Jan Kowalski","numbers":["601 234 567"],"responsible":"102"}}"#,
    );
    let Reply::ContactSaved { contact } = &a.reply else {
        panic!("{:?}", a.reply)
    };
    assert_eq!(contact.kind, ContactKind::Contact);
    assert_eq!(contact.numbers[0].to_string(), "+48601234567");
    let id = contact.id;
    let audit = a.audit.unwrap_or_else(|| panic!("audited"));
    assert_eq!(audit.by, "ala");
    assert_eq!(audit.changed, [format!("contact #{id} 'Jan Kowalski'")]);
    assert!(audit.items[0].before.is_none());
    assert_eq!(
        audit.items[0].after.as_ref().map(|v| v["name"].clone()),
        Some("Jan Kowalski".into())
    );
    assert!(matches!(journalled(&mut sw).as_slice(), [CrmEvent::ContactSaved(c)] if c.id == id));

    // An edit with problems: each named by its field; nothing journalled or audited.
    let a = ask(
        &mut sw,
        &format!(
            r#"{{"v":1,"id":2,"request":"save_contact","contact":{{"id":{id},"name":"","numbers":["x1"],"responsible":"199"}}}}"#
        ),
    );
    let Reply::Invalid { problems } = &a.reply else {
        panic!("{:?}", a.reply)
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    let c = format!("contact #{id}");
    assert_eq!(
        paths,
        [
            format!("{c}, field 'name'"),
            format!("{c}, field 'numbers[0]'"),
            format!("{c}, field 'responsible'"),
        ]
    );
    assert!(a.audit.is_none());
    assert!(journalled(&mut sw).is_empty());

    // Removed: journalled and audited with the contact before.
    let a = ask(
        &mut sw,
        &format!(r#"{{"v":1,"id":3,"request":"remove_contact","contact":{id}}}"#),
    );
    assert_eq!(a.reply, Reply::ContactRemoved { id });
    assert!(a
        .audit
        .is_some_and(|e| e.items[0].after.is_none() && e.items[0].before.is_some()));
    assert_eq!(journalled(&mut sw), [CrmEvent::ContactRemoved { id }]);
    let a = ask(
        &mut sw,
        &format!(r#"{{"v":1,"id":4,"request":"remove_contact","contact":{id}}}"#),
    );
    assert!(
        matches!(&a.reply, Reply::Invalid { problems } if problems[0].path == format!("contact #{id}, field 'id'"))
    );
}

#[test]
fn a_dry_import_reports_and_stores_nothing_then_the_real_one_stores() {
    let mut sw = switch_with(Crm::default());
    let csv = "nazwa;telefon\nJan;601234567\nEwa;601234568\nBad;12ab\n";
    let request = |dry: bool| {
        serde_json::json!({"v":1,"id":1,"request":"import_contacts","format":"csv","text":csv,"dry_run":dry})
            .to_string()
    };
    let a = ask(&mut sw, &request(true));
    let Reply::Imported { report } = &a.reply else {
        panic!("{:?}", a.reply)
    };
    assert!(report.dry_run);
    assert_eq!((report.added, report.refused.len()), (2, 1));
    assert_eq!(report.refused[0].place, "line 4");
    assert!(a.audit.is_none());
    assert!(journalled(&mut sw).is_empty());
    assert!(sw.router().crm().contacts().is_empty());

    let a = ask(&mut sw, &request(false));
    assert!(matches!(&a.reply, Reply::Imported { report } if !report.dry_run && report.added == 2));
    assert_eq!(a.audit.map(|e| e.changed.len()), Some(2));
    assert_eq!(journalled(&mut sw).len(), 2);
    assert_eq!(sw.router().crm().contacts().len(), 2);
}

#[test]
fn the_list_searches_names_companies_and_digits_and_shows_leads_after_contacts() {
    let config = match firmware_config::default::factory_default() {
        Ok((config, _)) => config,
        Err(e) => panic!("{e:?}"),
    };
    let mut crm = Crm::default();
    for (name, company, number) in [
        ("zofia", Some("Piekarnia"), "601 000 001"),
        ("Adam", None, "22 123 45 67"),
    ] {
        let draft = ContactDraft {
            name: name.into(),
            company: company.map(Into::into),
            numbers: vec![number.into()],
            ..ContactDraft::default()
        };
        crm.save(&draft, &config)
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let options = CrmOptions {
        lookup: true,
        unknown_caller: UnknownCaller::CreateLead,
    };
    let lead = PhoneNumber::parse("+48 700 123 456", None).unwrap_or_else(|e| panic!("{e}"));
    let activity = Activity {
        at: at(5),
        entry: Some("main".into()),
        note: "missed call after hours".into(),
    };
    crm.missed_after_hours(options, Some(&lead), activity.clone(), Vec::new());
    let names = |search: Option<&str>| match list(&crm, search) {
        Reply::Contacts { contacts, total } => {
            assert_eq!(contacts.len(), total);
            contacts
                .iter()
                .map(|c| format!("{:?} {}", c.kind, c.name))
                .collect::<Vec<_>>()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(names(None), ["Contact Adam", "Contact zofia", "Lead "]);
    assert_eq!(names(Some("PIEKAR")), ["Contact zofia"]);
    assert_eq!(names(Some("0-22 123")), ["Contact Adam"]);
    assert_eq!(names(Some("700123")), ["Lead "]);
    assert!(names(Some("nobody")).is_empty());
    let Reply::Contacts { contacts, .. } = list(&crm, Some("700")) else {
        panic!("a list")
    };
    assert_eq!(contacts[0].activities, 1);
    assert_eq!(contacts[0].last_activity, Some(activity));
}

#[test]
fn the_replies_read_back_as_they_were_sent() {
    let mut sw = switch_with(Crm::default());
    let a = ask(
        &mut sw,
        r#"{"v":1,"id":1,"request":"import_contacts","format":"vcard","text":"BEGIN:VCARD\nFN:Jan\nTEL:601234567\nEND:VCARD\nBEGIN:VCARD\nFN:No phone\nEND:VCARD\n"}"#,
    );
    let listed = ask(&mut sw, r#"{"v":1,"id":2,"request":"contacts"}"#);
    for reply in [a.reply, listed.reply] {
        let message = ServerMessage::Reply { id: 1, reply };
        let line = encode_line(&message);
        let back: ServerMessage =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(back, message);
    }
}
