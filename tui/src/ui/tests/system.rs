//! Snapshots of the System tab's sections, its field editing and refusals, and of deleting
//! whole items, at 80×24.

use pbx::control::protocol::{FieldProblem, Reply};
use ratatui::crossterm::event::KeyCode;

use super::render;
use crate::app::{App, Command};
use crate::testing::{loaded, press, settings_app, type_text};

/// A snapshot kept with the other screens' (in `ui/snapshots`).
macro_rules! snapshot {
    ($app:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!(render($app));
        })
    };
}

/// The System tab with `keys` typed.
fn on(keys: &str) -> App {
    let mut app = settings_app();
    type_text(&mut app, keys);
    app
}

#[test]
fn system_section() {
    snapshot!(&on(""));
}

#[test]
fn outbound_section() {
    snapshot!(&on("j"));
}

#[test]
fn webhook_section() {
    snapshot!(&on("jj"));
}

#[test]
fn webhook_section_when_off() {
    let mut app = loaded();
    type_text(&mut app, "7jj");
    snapshot!(&app);
}

#[test]
fn system_editor_with_changes() {
    let mut app = on("");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "jj");
    press(&mut app, KeyCode::Enter); // tone country → DE
    type_text(&mut app, "jjjjj"); // RTP ports
    snapshot!(&app);
}

#[test]
fn system_field_being_edited() {
    let mut app = on("");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "jjjjjjj");
    press(&mut app, KeyCode::Enter);
    for _ in 0.."10000-10999".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "20000-20999");
    snapshot!(&app);
}

#[test]
fn system_field_refused() {
    let mut app = on("");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "jjjjjjj");
    press(&mut app, KeyCode::Enter);
    for _ in 0.."10000-10999".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "10999-10000");
    press(&mut app, KeyCode::Enter);
    snapshot!(&app);
}

#[test]
fn system_save_shows_the_difference() {
    let mut app = on("");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "jj");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "jjjjj");
    press(&mut app, KeyCode::Enter);
    for _ in 0.."10000-10999".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "20000-20999");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "s");
    snapshot!(&app);
}

#[test]
fn outbound_editor_with_a_new_prefix() {
    let mut app = on("j");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "a");
    type_text(&mut app, "+4819");
    press(&mut app, KeyCode::Enter);
    snapshot!(&app);
}

#[test]
fn webhook_editor() {
    let mut app = on("jj");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "j");
    snapshot!(&app);
}

#[test]
fn storage_section_with_what_each_store_holds() {
    let mut app = on("jjj");
    let report = crate::testing::storage_report();
    app.on_reply(
        &pbx::control::protocol::Request::Storage,
        Reply::Storage(report),
    );
    snapshot!(&app);
}

#[test]
fn storage_limit_refused() {
    let mut app = on("jjj");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "jj");
    press(&mut app, KeyCode::Enter);
    for _ in 0.."256 MiB".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "100 KiB");
    press(&mut app, KeyCode::Enter);
    snapshot!(&app);
}

#[test]
fn delete_asks_first() {
    let mut app = loaded();
    type_text(&mut app, "3jx");
    snapshot!(&app);
}

#[test]
fn delete_refused_by_the_daemon() {
    let mut app = loaded();
    type_text(&mut app, "3x");
    let sent = type_text(&mut app, "y");
    let [Command::Send(request)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    let problem = FieldProblem {
        path: "entry point 'entry-0', field 'destination.group'".into(),
        message: "there is no queue group named 'group-0'".into(),
    };
    app.on_reply(
        request,
        Reply::Invalid {
            problems: vec![problem],
        },
    );
    snapshot!(&app);
}
