//! Snapshots of the Contacts tab at 80×24: the list, the form, an import's dry-run report and
//! the question before a delete.

use pbx::control::protocol::{Reply, Request};
use pbx::routing::crm::import::ImportFormat;
use pbx::routing::crm::{ImportReport, Refusal};
use ratatui::crossterm::event::KeyCode;

use super::render;
use crate::testing::{contacts_app, press, type_text};

/// A snapshot kept with the other screens' (in `ui/snapshots`).
macro_rules! snapshot {
    ($app:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!(render($app));
        })
    };
}

#[test]
fn contacts_list() {
    snapshot!(&contacts_app());
}

#[test]
fn contact_form_with_a_changed_number() {
    let mut app = contacts_app();
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "jj");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, ", 600 700 800");
    press(&mut app, KeyCode::Enter);
    snapshot!(&app);
}

#[test]
fn contact_import_dry_run_report() {
    let mut app = contacts_app();
    let dry = Request::ImportContacts {
        format: ImportFormat::Csv,
        text: "nazwa;telefon\n".into(),
        dry_run: true,
    };
    app.on_file("/home/admin/klienci.csv", Ok("nazwa;telefon\n".into()));
    let report = ImportReport {
        dry_run: true,
        added: 41,
        merged: 2,
        unchanged: 1,
        refused: vec![
            Refusal {
                place: "line 7".into(),
                name: Some("Hurtownia Kowalski".into()),
                reason: "'22 12' is not a phone number: too short".into(),
            },
            Refusal {
                place: "line 12".into(),
                name: None,
                reason: "no name and no company".into(),
            },
        ],
    };
    app.on_reply(&dry, Reply::Imported { report });
    snapshot!(&app);
}

#[test]
fn contact_delete_asks_first() {
    let mut app = contacts_app();
    type_text(&mut app, "x");
    snapshot!(&app);
}
