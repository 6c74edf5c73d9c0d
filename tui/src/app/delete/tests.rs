//! Deleting whole items: the question, the removal sent, and refusals that change nothing.

use pbx::control::protocol::{FieldProblem, ItemKey, Reply, Request};
use ratatui::crossterm::event::KeyCode;

use crate::action::Mode;
use crate::app::{App, Command, Overlay, Tone};
use crate::testing::{loaded, press, type_text};

/// On tab `tab` (a digit), row `down`, the delete key pressed.
fn asking(tab: &str, down: usize) -> App {
    let mut app = loaded();
    type_text(&mut app, tab);
    for _ in 0..down {
        press(&mut app, KeyCode::Down);
    }
    type_text(&mut app, "x");
    app
}

fn question(app: &App) -> String {
    match &app.overlay {
        Some(Overlay::Delete { question, .. }) => question.clone(),
        other => panic!("expected the question, got {other:?}"),
    }
}

fn removal(key: ItemKey) -> Request {
    Request::Remove { base: 3, key }
}

#[test]
fn the_delete_key_asks_naming_the_item_and_y_sends_the_removal() {
    let mut app = asking("3", 1);
    assert_eq!(question(&app), "Delete group 'group-1'? y/n");
    assert_eq!(
        app.mode(),
        Mode::Typing,
        "y and n are answers, not commands"
    );
    assert!(type_text(&mut app, "a").is_empty(), "other keys wait");
    assert_eq!(
        type_text(&mut app, "y"),
        [Command::Send(removal(ItemKey::Group("group-1".into())))]
    );
    assert!(app.overlay.is_none());
}

#[test]
fn n_and_esc_keep_the_item() {
    for key in [KeyCode::Char('n'), KeyCode::Esc] {
        let mut app = asking("4", 0);
        assert_eq!(question(&app), "Delete schedule 'hours-0'? y/n");
        assert!(press(&mut app, key).is_empty());
        assert!(app.overlay.is_none());
        assert!(app
            .note
            .as_ref()
            .is_some_and(|n| n.text == "Nothing deleted"));
    }
}

#[test]
fn each_list_names_its_own_kind_of_item() {
    let mut app = asking("2", 2);
    let q = question(&app);
    assert!(q.starts_with("Delete employee 1002 ("), "{q}");
    assert_eq!(
        type_text(&mut app, "Y"),
        [Command::Send(removal(ItemKey::Employee(
            "1002".parse().expect("ext")
        )))]
    );
    let mut app = asking("5", 1);
    assert_eq!(question(&app), "Delete entry point 'entry-1'? y/n");
    // The Delete key works as x does.
    let mut app2 = loaded();
    type_text(&mut app2, "3");
    press(&mut app2, KeyCode::Delete);
    assert_eq!(question(&app2), "Delete group 'group-0'? y/n");
    press(&mut app, KeyCode::Esc);
}

#[test]
fn screens_without_items_ask_nothing() {
    for tab in ["1", "6", "7"] {
        let app = asking(tab, 0);
        assert!(app.overlay.is_none(), "tab {tab}");
    }
}

#[test]
fn a_stored_removal_takes_the_item_off_the_list() {
    let mut app = asking("3", 1);
    let sent = type_text(&mut app, "y");
    let [Command::Send(request)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    app.on_reply(request, Reply::Saved { revision: 4 });
    let config = app.config.as_ref().expect("loaded");
    assert!(config.group("group-1").is_none());
    assert_eq!(config.groups.len(), 1);
    assert_eq!(app.selection(), 0, "the selection stays on the list");
    assert_eq!(app.revision, Some(4));
    let note = app.note.clone().expect("a note");
    assert_eq!(note.tone, Tone::Good);
    assert_eq!(note.text, "Deleted group 'group-1' (revision 4)");
}

#[test]
fn a_refused_removal_shows_the_daemons_reason_and_changes_nothing() {
    let mut app = asking("3", 0);
    let sent = type_text(&mut app, "y");
    let [Command::Send(request)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    let before = app.config.clone();
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
    let Some(Overlay::NotDeleted {
        heading,
        reasons,
        conflict: false,
    }) = &app.overlay
    else {
        panic!("expected the refusal, got {:?}", app.overlay)
    };
    assert!(
        heading.contains("group 'group-0' is still in use"),
        "{heading}"
    );
    assert_eq!(
        reasons,
        &["entry point 'entry-0', field 'destination.group': there is no queue group named 'group-0'"]
    );
    assert!(app.note.as_ref().is_some_and(
        |n| n.tone == Tone::Bad && n.text == "Not deleted: group 'group-0' is still in use"
    ));
    assert_eq!(app.config, before);
    assert_eq!(app.revision, Some(3));
    assert!(type_text(&mut app, "r").is_empty(), "no reload offered");
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
}

#[test]
fn a_removal_on_an_old_revision_offers_a_reload() {
    let mut app = asking("2", 0);
    let sent = type_text(&mut app, "y");
    let [Command::Send(request)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    app.on_reply(
        request,
        Reply::Conflict {
            current: 6,
            changed: vec!["group 'group-0'".into()],
        },
    );
    assert!(matches!(
        app.overlay,
        Some(Overlay::NotDeleted { conflict: true, .. })
    ));
    assert_eq!(
        type_text(&mut app, "r"),
        [Command::Send(Request::GetConfig)]
    );
    assert!(app.overlay.is_none());
    // An error (the item is already gone) is shown the same way.
    let mut app = asking("2", 0);
    let sent = type_text(&mut app, "y");
    let [Command::Send(request)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    app.on_reply(
        request,
        Reply::Error {
            message: "there is no employee 1000".into(),
        },
    );
    assert!(matches!(
        &app.overlay,
        Some(Overlay::NotDeleted { reasons, .. }) if reasons == &["there is no employee 1000"]
    ));
}

/// The daemon's own decision (its control core, sans I/O) on the removal the console sends;
/// a save is answered as the daemon would once it is stored.
fn daemon_answer(app: &mut App) -> (Request, Reply) {
    use pbx::control::core::{Core, Decision};
    let mut core = Core::new(3, std::sync::Arc::new(crate::testing::office()));
    let sent = type_text(app, "y");
    let [Command::Send(request)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    let reply = match core.handle(request) {
        Decision::Reply(reply) => reply,
        Decision::Save { .. } => match core.saved(4, "ola") {
            Some(saved) => saved.reply,
            None => panic!("the save was pending"),
        },
    };
    (request.clone(), reply)
}

#[test]
fn the_daemon_refuses_a_group_still_in_use_and_the_console_shows_why() {
    let mut app = asking("3", 0);
    let (request, reply) = daemon_answer(&mut app);
    assert!(matches!(reply, Reply::Invalid { .. }), "{reply:?}");
    app.on_reply(&request, reply);
    let Some(Overlay::NotDeleted { reasons, .. }) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("entry point") && r.contains("group-0")),
        "{reasons:?}"
    );
    assert!(app
        .config
        .as_ref()
        .is_some_and(|c| c.group("group-0").is_some()));
}

#[test]
fn the_daemon_deletes_what_nothing_uses() {
    // Employee 1000 is a member of group-0: refused.
    let mut app = asking("2", 0);
    let (_, reply) = daemon_answer(&mut app);
    assert!(matches!(reply, Reply::Invalid { .. }), "{reply:?}");
    // Nothing points at an entry point.
    let mut app = asking("5", 1);
    let (request, reply) = daemon_answer(&mut app);
    assert_eq!(reply, Reply::Saved { revision: 4 });
    app.on_reply(&request, reply);
    let config = app.config.as_ref().expect("loaded");
    assert_eq!(config.entry_points.len(), 1);
    assert!(config.entry_point("entry-1").is_none());
    assert_eq!(app.selection(), 0);
}
