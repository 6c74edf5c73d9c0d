//! Starting a new group, schedule and entry point: the questions asked, the refusals, and the
//! Replace that stores the new item.

use firmware_config::entry::{Destination, EntrySource};
use firmware_config::group::Distribution;
use pbx::control::protocol::{Item, Request};
use ratatui::crossterm::event::KeyCode;

use crate::app::{App, Command, Editor, Overlay};
use crate::testing::{loaded, press, type_text};

fn typed(app: &mut App, text: &str) -> Vec<Command> {
    type_text(app, text);
    press(app, KeyCode::Enter)
}

fn input_error(app: &App) -> String {
    match &app.overlay {
        Some(Overlay::Input(i)) => i.error.clone().unwrap_or_default(),
        other => panic!("expected an input field, got {other:?}"),
    }
}

fn saved_item(app: &mut App) -> Item {
    type_text(app, "s");
    assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })));
    match press(app, KeyCode::Enter).as_slice() {
        [Command::Send(Request::Replace { base: 3, item })] => item.clone(),
        other => panic!("expected one Replace on revision 3, got {other:?}"),
    }
}

#[test]
fn a_new_group_asks_a_free_name_and_number_then_is_saved_with_its_members() {
    let mut app = loaded();
    type_text(&mut app, "3a");
    typed(&mut app, "sales team");
    assert!(input_error(&app).contains("' ' is not allowed"), "{app:?}");
    for _ in 0.."sales team".len() {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "group-0");
    assert_eq!(input_error(&app), "there is already a group 'group-0'");
    for _ in 0.."group-0".len() {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "sales");
    typed(&mut app, "1000");
    assert!(
        input_error(&app).contains("already the number of employee 1000"),
        "{}",
        input_error(&app)
    );
    for _ in 0..4 {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "555");
    assert!(matches!(&app.editor, Some(Editor::Group(e)) if e.new));
    type_text(&mut app, "a");
    typed(&mut app, "1001");
    let Item::Group(g) = saved_item(&mut app) else {
        panic!("expected a group")
    };
    assert_eq!(g.name.as_str(), "sales");
    assert_eq!(g.number.as_str(), "555");
    assert_eq!(g.distribution, Distribution::InOrder);
    assert_eq!(
        g.members.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        ["1001"]
    );
}

#[test]
fn a_new_schedule_starts_from_office_hours_in_the_offices_time_zone() {
    let mut app = loaded();
    type_text(&mut app, "4a");
    typed(&mut app, "support");
    let Some(Editor::Schedule(e)) = &app.editor else {
        panic!("expected the schedule editor: {:?}", app.overlay)
    };
    assert!(e.new);
    assert_eq!(e.draft.time_zone.as_str(), "Europe/Warsaw");
    let Item::Schedule(s) = saved_item(&mut app) else {
        panic!("expected a schedule")
    };
    assert_eq!(s.name.as_str(), "support");
    assert_eq!(s.hours.mon.len(), 1);
}

#[test]
fn a_new_entry_point_asks_where_calls_come_from_and_refuses_a_taken_number() {
    let mut app = loaded();
    type_text(&mut app, "5a");
    typed(&mut app, "hotline");
    assert!(
        matches!(&app.overlay, Some(Overlay::Picker(p)) if p.title == "Calls come from"),
        "{:?}",
        app.overlay
    );
    typed(&mut app, "internal");
    typed(&mut app, "7000");
    assert!(
        input_error(&app).contains("entry point 'entry-0'"),
        "{}",
        input_error(&app)
    );
    for _ in 0..4 {
        press(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "7100");
    let Item::EntryPoint(e) = saved_item(&mut app) else {
        panic!("expected an entry point")
    };
    assert_eq!(e.name.as_str(), "hotline");
    assert!(matches!(&e.source, EntrySource::Internal(x) if x.as_str() == "7100"));
    assert!(matches!(&e.destination, Destination::Group(g) if g.as_str() == "group-0"));
    assert_eq!(e.schedule, None);
}

#[test]
fn an_entry_points_source_can_be_changed_in_its_editor() {
    let mut app = loaded();
    type_text(&mut app, "5");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "internal");
    // Its own number is not "taken".
    typed(&mut app, "7000");
    assert!(app.overlay.is_none(), "{:?}", app.overlay);
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "internal");
    typed(&mut app, "7200");
    let Item::EntryPoint(e) = saved_item(&mut app) else {
        panic!("expected an entry point")
    };
    assert_eq!(e.name.as_str(), "entry-0");
    assert!(matches!(&e.source, EntrySource::Internal(x) if x.as_str() == "7200"));
}
