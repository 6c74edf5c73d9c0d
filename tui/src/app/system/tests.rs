//! The System tab's keys → actions → state: sections, field editing, local refusals, saving.

use firmware_config::outbound::Outbound;
use firmware_config::system::{System, ToneCountry, Webhook};
use pbx::control::protocol::{FieldProblem, Item, Reply, Request};
use ratatui::crossterm::event::KeyCode;

use crate::app::{App, Command, Editor, Overlay, Section, Tab, Tone};
use crate::testing::{press, settings_app, type_text};

/// Opens the section `down` rows below System.
fn open(down: usize) -> App {
    let mut app = settings_app();
    assert_eq!(app.tab, Tab::System);
    for _ in 0..down {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    app
}

/// Moves to editor row `row` (from the top) and presses Enter.
fn enter_row(app: &mut App, row: usize) {
    for _ in 0..row {
        press(app, KeyCode::Down);
    }
    press(app, KeyCode::Enter);
}

/// Replaces the open field's text with `text` and presses Enter.
fn retype(app: &mut App, text: &str) {
    let Some(Overlay::Input(input)) = &app.overlay else {
        panic!("expected a field, got {:?}", app.overlay)
    };
    for _ in 0..input.text.chars().count() {
        press(app, KeyCode::Backspace);
    }
    type_text(app, text);
    press(app, KeyCode::Enter);
}

fn field_error(app: &App) -> Option<String> {
    match &app.overlay {
        Some(Overlay::Input(input)) => input.error.clone(),
        _ => None,
    }
}

/// s shows the difference (returned), Enter sends the one Replace (returned).
fn save(app: &mut App) -> (Vec<String>, Item) {
    type_text(app, "s");
    let lines = match &app.overlay {
        Some(Overlay::Confirm { changes, .. }) => changes.iter().map(|c| c.to_string()).collect(),
        other => panic!("s shows the difference first, got {other:?}"),
    };
    match press(app, KeyCode::Enter).as_slice() {
        [Command::Send(Request::Replace { base: 3, item })] => (lines, item.clone()),
        other => panic!("expected one Replace on revision 3, got {other:?}"),
    }
}

fn system_of(item: Item) -> System {
    match item {
        Item::System(s) => *s,
        other => panic!("expected the system settings, got {other:?}"),
    }
}

fn outbound_of(item: Item) -> Outbound {
    match item {
        Item::Outbound(o) => *o,
        other => panic!("expected the limits, got {other:?}"),
    }
}

fn webhook_of(item: Item) -> Option<Webhook> {
    match item {
        Item::Webhook(w) => w.map(|w| *w),
        other => panic!("expected the webhook, got {other:?}"),
    }
}

#[test]
fn the_tab_lists_four_sections_and_enter_opens_the_selected_one() {
    let mut app = settings_app();
    assert_eq!(app.list_len(Tab::System), Section::ALL.len());
    type_text(&mut app, "jjjj"); // stays on the last
    assert_eq!(app.selection(), 3);
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.editor, Some(Editor::Storage(_))));
    press(&mut app, KeyCode::Esc);
    type_text(&mut app, "k");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.editor, Some(Editor::Webhook(_))));
}

fn storage_of(item: Item) -> firmware_config::storage::Storage {
    match item {
        Item::Storage(s) => *s,
        other => panic!("expected the storage limits, got {other:?}"),
    }
}

#[test]
fn storage_limits_are_typed_with_units_refused_out_of_range_and_saved_whole() {
    let mut app = open(3);
    enter_row(&mut app, 2); // voicemail
    retype(&mut app, "512 KiB");
    assert!(
        field_error(&app).is_some_and(|e| e.contains("at least 1 MiB")),
        "{:?}",
        field_error(&app)
    );
    retype(&mut app, "0");
    assert!(field_error(&app).is_some_and(|e| e.contains("keep nothing")));
    retype(&mut app, "64 GiB");
    assert!(field_error(&app).is_none(), "{:?}", field_error(&app));
    enter_row(&mut app, 1); // the outbox
    retype(&mut app, "512k");
    enter_row(&mut app, 1); // warn at
    retype(&mut app, "100");
    assert!(field_error(&app).is_some_and(|e| e.contains("50–99")));
    retype(&mut app, "80 %");
    let (lines, item) = save(&mut app);
    let s = storage_of(item);
    assert_eq!(
        (s.voicemail_kib, s.outbox_kib, s.warn_percent),
        (64 << 20, 512, 80)
    );
    assert_eq!(
        s.calls_kib,
        firmware_config::storage::Storage::default().calls_kib
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("voicemail") && l.contains("65536 MiB")),
        "{lines:?}"
    );
}

#[test]
fn the_storage_report_is_kept_from_the_reply_and_each_event() {
    let mut app = settings_app();
    let report = crate::testing::storage_report();
    app.on_reply(&Request::Storage, Reply::Storage(report.clone()));
    assert_eq!(app.storage, report);
    let mut later = report;
    later.stores[2].warning = false;
    app.on_event(pbx::control::protocol::Event::Storage(later.clone()));
    assert_eq!(app.storage, later);
    assert!(app
        .start()
        .iter()
        .any(|c| matches!(c, Command::Send(Request::Storage))));
}

#[test]
fn the_office_name_and_tone_country_are_edited_and_saved_whole() {
    let mut app = open(0);
    press(&mut app, KeyCode::Enter);
    retype(&mut app, "Acme Warszawa");
    assert!(app.overlay.is_none(), "accepted");
    enter_row(&mut app, 2); // tone country: Enter cycles
    let (lines, item) = save(&mut app);
    assert_eq!(
        lines,
        [
            "office name: Acme Sp. z o.o. → Acme Warszawa",
            "tone country: PL (Poland) → DE (Germany)"
        ]
    );
    let s = system_of(item);
    assert_eq!(s.name.as_str(), "Acme Warszawa");
    assert_eq!(s.tone_country, ToneCountry::DE);
    assert_eq!(s.default_country_code.get(), 48, "the rest is as stored");
}

#[test]
fn bad_system_values_are_refused_in_the_console_with_the_reason() {
    // (row, typed, part of the reason)
    let cases = [
        (0, "  ", "empty"),
        (1, "4x", "not a country code"),
        (1, "999", "not an assigned"),
        (3, "0a", "digits only"),
        (4, "8o0", "8o0"),
        (5, "48, 48", "twice"),
        (6, "udp 0.0.0.0", "address:port"),
        (7, "10999-10000", "reversed"),
        (8, "run/centrala.sock", "absolute path"),
    ];
    for (row, typed, reason) in cases {
        let mut app = open(0);
        enter_row(&mut app, row);
        retype(&mut app, typed);
        let error = field_error(&app).unwrap_or_default();
        assert!(
            error.contains(reason),
            "row {row} '{typed}': {error:?} should say {reason:?}"
        );
        press(&mut app, KeyCode::Esc);
        assert_eq!(
            app.editor.as_ref().map(Editor::changed),
            Some(false),
            "row {row}: nothing changed"
        );
        type_text(&mut app, "s");
        assert!(app.overlay.is_none(), "nothing to save");
    }
}

#[test]
fn the_rtp_ports_change_and_the_note_says_a_restart_applies_them() {
    let mut app = open(0);
    enter_row(&mut app, 7);
    retype(&mut app, "20000-20099");
    let (lines, item) = save(&mut app);
    assert_eq!(
        lines,
        ["RTP ports (after a restart): 10000-10999 → 20000-20099"]
    );
    let request = Request::Replace {
        base: 3,
        item: item.clone(),
    };
    app.on_reply(&request, Reply::Saved { revision: 4 });
    let note = app.note.clone().expect("a note");
    assert_eq!(note.tone, Tone::Good);
    assert!(
        note.text.contains("revision 4") && note.text.contains("RTP ports take(s) effect after"),
        "{}",
        note.text
    );
    let stored = app.config.as_ref().map(|c| c.system.rtp_ports.first);
    assert_eq!(stored, Some(20000));
    let Some(Editor::System(e)) = &app.editor else {
        panic!("still editing")
    };
    assert_eq!((e.base, &e.original), (4, &e.draft));
}

#[test]
fn an_empty_field_clears_an_optional_setting() {
    let mut app = open(0);
    enter_row(&mut app, 3); // outside prefix "0"
    retype(&mut app, "");
    enter_row(&mut app, 2); // allowed countries "+48, +49" (row 5)
    retype(&mut app, "");
    let (lines, item) = save(&mut app);
    assert_eq!(
        lines,
        [
            "outside prefix: 0 → none",
            "outside calls to: +48, +49 → every country"
        ]
    );
    let s = system_of(item);
    assert_eq!(s.outbound_prefix, None);
    assert!(s.allowed_country_codes.is_empty());
}

#[test]
fn limits_are_checked_field_by_field_and_against_each_other() {
    let mut app = open(1);
    press(&mut app, KeyCode::Enter); // office at once: 4
    retype(&mut app, "300");
    assert!(field_error(&app).is_some_and(|e| e.contains("0–255")));
    retype(&mut app, "1");
    assert!(app.overlay.is_none());
    // Each employee may still have 2 at once: above the office's 1.
    type_text(&mut app, "s");
    assert!(app.overlay.is_none(), "not offered for saving");
    let note = app.note.clone().expect("a note");
    assert_eq!(note.tone, Tone::Bad);
    assert!(
        note.text.contains("above the office's (1)"),
        "{}",
        note.text
    );
    enter_row(&mut app, 2); // each at once
    retype(&mut app, "1");
    let (lines, item) = save(&mut app);
    assert_eq!(
        lines,
        [
            "office: calls at once: 4 → 1",
            "each employee: at once: 2 → 1"
        ]
    );
    let o = outbound_of(item);
    assert_eq!((o.max_concurrent, o.max_concurrent_per_employee), (1, 1));
}

#[test]
fn blocked_prefixes_are_added_and_removed() {
    let mut app = open(1);
    type_text(&mut app, "a");
    retype(&mut app, "4870");
    assert!(field_error(&app).is_some_and(|e| e.contains("international")));
    retype(&mut app, "+48 70");
    assert!(field_error(&app).is_some_and(|e| e.contains("already blocked")));
    retype(&mut app, "+4819");
    assert!(app.overlay.is_none());
    let Some(Editor::Outbound(e)) = &app.editor else {
        panic!()
    };
    assert_eq!(e.row, 5, "the cursor is on the new prefix");
    type_text(&mut app, "k"); // +4870
    type_text(&mut app, "x");
    let (lines, item) = save(&mut app);
    assert_eq!(
        lines,
        [
            "- blocked +4870: never dialled",
            "+ blocked +4819: never dialled"
        ]
    );
    let o = outbound_of(item);
    let prefixes: Vec<String> = o.blocked_prefixes.iter().map(|p| p.to_string()).collect();
    assert_eq!(prefixes, ["+4819"]);
}

#[test]
fn the_webhook_is_turned_off_and_on_again() {
    let mut app = open(2);
    press(&mut app, KeyCode::Enter); // on → off
    let (lines, item) = save(&mut app);
    assert_eq!(lines[0], "webhook: on → off");
    assert_eq!(webhook_of(item), None);
    // Back on: the stored one returns.
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "s");
    assert!(app.overlay.is_none());
    assert!(app
        .note
        .as_ref()
        .is_some_and(|n| n.text == "Nothing changed"));
}

#[test]
fn a_new_webhook_asks_its_url_and_refuses_other_schemes() {
    let mut app = crate::testing::loaded(); // no webhook
    type_text(&mut app, "7jj");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter); // off → asks the URL
    retype(&mut app, "ftp://crm.example.com");
    assert!(field_error(&app).is_some_and(|e| e.contains("http:// or https://")));
    retype(&mut app, "https://crm.example.com/in");
    enter_row(&mut app, 3); // timeout
    retype(&mut app, "50");
    assert!(field_error(&app).is_some_and(|e| e.contains("out of range")));
    retype(&mut app, "2000");
    type_text(&mut app, "k");
    press(&mut app, KeyCode::Enter); // secret
    retype(&mut app, "topsecret");
    let (lines, item) = save(&mut app);
    assert!(lines.iter().all(|l| !l.contains("topsecret")), "{lines:?}");
    let w = webhook_of(item).expect("on");
    assert_eq!(w.url.as_str(), "https://crm.example.com/in");
    assert_eq!(w.timeout_ms, 2000);
    assert_eq!(w.secret.as_deref(), Some("topsecret"));
}

#[test]
fn a_refusal_by_the_daemon_keeps_the_draft_and_saves_nothing() {
    let mut app = open(0);
    enter_row(&mut app, 4);
    retype(&mut app, "1000"); // employee 1000's extension
    let draft = app.editor.clone();
    let (_, item) = save(&mut app);
    let problems = vec![FieldProblem {
        path: "system settings, field 'voicemail_number'".into(),
        message: "the number 1000 is already used by employee 1000".into(),
    }];
    let request = Request::Replace { base: 3, item };
    app.on_reply(
        &request,
        Reply::Invalid {
            problems: problems.clone(),
        },
    );
    assert_eq!(app.overlay, Some(Overlay::Problems(problems)));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.editor, draft);
    let stored = app
        .config
        .as_ref()
        .and_then(|c| c.system.voicemail_number.clone());
    assert_eq!(stored.map(|v| v.to_string()), Some("800".into()));
}

#[test]
fn a_conflict_reloads_and_keeps_the_draft() {
    let mut app = open(0);
    press(&mut app, KeyCode::Enter);
    retype(&mut app, "Acme 2");
    let (_, item) = save(&mut app);
    let request = Request::Replace { base: 3, item };
    app.on_reply(
        &request,
        Reply::Conflict {
            current: 5,
            changed: vec!["system settings".into()],
        },
    );
    assert!(matches!(app.overlay, Some(Overlay::Conflict { .. })));
    assert_eq!(
        type_text(&mut app, "r"),
        [Command::Send(Request::GetConfig)]
    );
    let mut theirs = crate::testing::settings_office();
    theirs.system.tone_country = ToneCountry::GB;
    app.on_reply(
        &Request::GetConfig,
        Reply::Config {
            revision: 5,
            config: Box::new(theirs),
        },
    );
    let Some(Editor::System(e)) = &app.editor else {
        panic!("still editing")
    };
    assert_eq!(e.base, 5);
    assert_eq!(e.draft.name.as_str(), "Acme 2");
    assert_eq!(e.original.tone_country, ToneCountry::GB);
}

/// The daemon's own decision (its control core, sans I/O) on `item`, based on revision 3 of
/// the settings office.
fn daemon_decides(item: Item) -> pbx::control::core::Decision {
    use pbx::control::core::Core;
    let mut core = Core::new(3, std::sync::Arc::new(crate::testing::settings_office()));
    core.handle(&Request::Replace { base: 3, item })
}

#[test]
fn what_the_console_accepts_the_daemon_stores_and_what_it_cannot_check_the_daemon_refuses() {
    use pbx::control::core::Decision;
    let mut app = open(0);
    enter_row(&mut app, 6);
    retype(&mut app, "udp 127.0.0.1:5070, tcp [::]:5070");
    enter_row(&mut app, 1);
    retype(&mut app, "20000-20003");
    let (_, item) = save(&mut app);
    match daemon_decides(item) {
        Decision::Save { changed, .. } => assert_eq!(changed, ["system settings"]),
        other => panic!("the daemon refused: {other:?}"),
    }
    // The voicemail number may not be an employee's extension: only the daemon knows.
    let mut app = open(0);
    enter_row(&mut app, 4);
    retype(&mut app, "1000");
    let (_, item) = save(&mut app);
    let Decision::Reply(reply @ Reply::Invalid { .. }) = daemon_decides(item.clone()) else {
        panic!("expected a refusal")
    };
    app.on_reply(&Request::Replace { base: 3, item }, reply);
    let Some(Overlay::Problems(problems)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert!(
        problems.iter().any(|p| p.path.contains("voicemail_number")),
        "{problems:?}"
    );
    let webhook_off = Item::Webhook(None);
    assert!(matches!(daemon_decides(webhook_off), Decision::Save { .. }));
}
