//! The Contacts tab's keys: what they do to the state and what they send.

use pbx::control::protocol::{Reply, Request};
use pbx::routing::crm::import::ImportFormat;
use pbx::routing::crm::{ImportReport, Refusal};
use ratatui::crossterm::event::KeyCode;

use super::*;
use crate::app::Command;
use crate::testing::{contacts_app, loaded, press, type_text};

fn requests(commands: &[Command]) -> Vec<Request> {
    commands
        .iter()
        .filter_map(|c| c.request().cloned())
        .collect()
}

fn typed(app: &mut App, text: &str) -> Vec<Command> {
    type_text(app, text);
    press(app, KeyCode::Enter)
}

fn erase(app: &mut App) {
    for _ in 0..60 {
        press(app, KeyCode::Backspace);
    }
}

#[test]
fn showing_the_tab_asks_for_the_list_and_a_search_asks_again() {
    let mut app = loaded();
    let sent = type_text(&mut app, "8");
    assert_eq!(requests(&sent), [Request::Contacts { search: None }]);
    let mut app = contacts_app();
    assert_eq!(app.contacts.rows.len(), 3);
    type_text(&mut app, "/");
    let sent = typed(&mut app, "kowal");
    assert_eq!(
        requests(&sent),
        [Request::Contacts {
            search: Some("kowal".into())
        }]
    );
    assert_eq!(app.contacts.search, "kowal");
}

#[test]
fn a_new_contact_is_typed_field_by_field_and_saved_whole() {
    let mut app = contacts_app();
    type_text(&mut app, "a");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        match &app.overlay {
            Some(Overlay::Input(i)) => i.error.clone(),
            _ => None,
        }
        .as_deref(),
        Some("the name is empty")
    );
    typed(&mut app, "Ewa Lis");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "601 111 222, +48 22 333 44 55");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "1002");
    let sent = type_text(&mut app, "s");
    let sent = requests(&sent);
    let [Request::SaveContact { contact }] = sent.as_slice() else {
        panic!("expected one SaveContact, got {sent:?}");
    };
    assert_eq!(contact.id, None);
    assert_eq!(contact.name, "Ewa Lis");
    assert_eq!(contact.numbers, ["601 111 222", "+48 22 333 44 55"]);
    assert_eq!(contact.responsible.as_deref(), Some("1002"));
    // Saved: the form closes and the list is asked again.
    let reply = Reply::ContactSaved {
        contact: Box::new(crate::testing::contacts()[1].clone()),
    };
    let again = app.on_reply(
        &Request::SaveContact {
            contact: contact.clone(),
        },
        reply,
    );
    assert_eq!(app.contacts.view, ContactsView::List);
    assert_eq!(requests(&again), [Request::Contacts { search: None }]);
}

#[test]
fn a_refused_contact_keeps_the_form_and_lists_the_problems() {
    let mut app = contacts_app();
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    erase(&mut app);
    typed(&mut app, "12");
    let sent = type_text(&mut app, "s");
    let sent = requests(&sent);
    let [request] = sent.as_slice() else {
        panic!("expected one request: {sent:?}");
    };
    let problems = vec![pbx::control::protocol::FieldProblem {
        path: "numbers[0]".into(),
        message: "'12' is not a phone number".into(),
    }];
    app.on_reply(request, Reply::Invalid { problems });
    assert!(matches!(app.overlay, Some(Overlay::Problems(_))));
    press(&mut app, KeyCode::Esc);
    let ContactsView::Form(form) = &app.contacts.view else {
        panic!("the form stays open: {:?}", app.contacts.view);
    };
    assert_eq!(form.draft.numbers, ["12"]);
    assert_eq!(form.draft.id, Some(1));
}

#[test]
fn a_lead_opens_as_a_new_contact_with_its_number() {
    let mut app = contacts_app();
    type_text(&mut app, "jj");
    type_text(&mut app, "x");
    assert_eq!(
        app.contacts.view,
        ContactsView::List,
        "a lead is not deleted"
    );
    press(&mut app, KeyCode::Enter);
    let ContactsView::Form(form) = &app.contacts.view else {
        panic!("expected the form");
    };
    assert_eq!(form.draft.id, None);
    assert_eq!(form.draft.numbers, ["+48698765432"]);
}

#[test]
fn delete_asks_first_and_only_enter_deletes() {
    let mut app = contacts_app();
    type_text(&mut app, "x");
    assert!(matches!(
        app.contacts.view,
        ContactsView::Remove { id: 1, .. }
    ));
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.contacts.view, ContactsView::List);
    type_text(&mut app, "x");
    let sent = press(&mut app, KeyCode::Enter);
    assert_eq!(requests(&sent), [Request::RemoveContact { contact: 1 }]);
}

#[test]
fn an_import_reads_the_file_shows_the_dry_run_and_imports_on_enter() {
    let mut app = contacts_app();
    type_text(&mut app, "i");
    let sent = typed(&mut app, "/tmp/klienci.vcf");
    assert_eq!(sent, [Command::ReadFile("/tmp/klienci.vcf".into())]);
    let text = "BEGIN:VCARD\nFN:Ewa\nTEL:601111222\nEND:VCARD\n".to_string();
    let sent = app.on_file("/tmp/klienci.vcf", Ok(text.clone()));
    let sent = requests(&sent);
    let [dry @ Request::ImportContacts {
        dry_run: true,
        format: ImportFormat::Vcard,
        ..
    }] = sent.as_slice()
    else {
        panic!("expected a dry run: {sent:?}");
    };
    let dry = dry.clone();
    let report = ImportReport {
        dry_run: true,
        added: 1,
        merged: 0,
        unchanged: 0,
        refused: vec![Refusal {
            place: "card 2".into(),
            name: Some("Bez Numeru".into()),
            reason: "no phone number".into(),
        }],
    };
    app.on_reply(&dry, Reply::Imported { report });
    let ContactsView::Report(pending) = &app.contacts.view else {
        panic!("expected the report: {:?}", app.contacts.view);
    };
    assert_eq!(pending.path, "/tmp/klienci.vcf");
    let sent = press(&mut app, KeyCode::Enter);
    assert_eq!(
        requests(&sent),
        [Request::ImportContacts {
            format: ImportFormat::Vcard,
            text,
            dry_run: false
        }]
    );
}

#[test]
fn a_file_that_cannot_be_read_says_why_and_sends_nothing() {
    let mut app = contacts_app();
    let sent = app.on_file("/nowhere.csv", Err("No such file or directory".into()));
    assert!(sent.is_empty());
    let note = app
        .note
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert_eq!(note, "Cannot read /nowhere.csv: No such file or directory");
    assert_eq!(format_of("kontakty.CSV"), ImportFormat::Csv);
    assert_eq!(format_of("Kontakty.VCF"), ImportFormat::Vcard);
}
