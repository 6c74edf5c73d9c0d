//! The Lines tab's keys, polling and health checks: keys → actions → requests.

use chrono::TimeDelta;
use pbx::control::protocol::{Event, HealthView, Reply, Request};
use ratatui::crossterm::event::KeyCode;

use super::*;
use crate::testing::{dead_line, idle_line, lines_app, loaded, now, press, type_text};

/// The requests among `commands`.
fn requests(commands: &[Command]) -> Vec<Request> {
    commands
        .iter()
        .filter_map(|c| c.request().cloned())
        .collect()
}

/// `app` at `ms` milliseconds after [`now`], ticked.
fn tick_at(app: &mut App, ms: i64) -> Vec<Request> {
    app.now = now() + TimeDelta::milliseconds(ms);
    requests(&app.tick())
}

#[test]
fn the_diagnostics_are_polled_only_while_the_tab_is_shown() {
    let mut app = loaded();
    assert_eq!(tick_at(&mut app, 0), [], "the dashboard polls nothing");
    assert_eq!(app.next_tick(), None);
    assert_eq!(requests(&type_text(&mut app, "9")), [Request::Lines]);
    assert_eq!(tick_at(&mut app, 100), [], "one request at a time");
    app.on_reply(
        &Request::Lines,
        Reply::Lines {
            lines: vec![idle_line()],
        },
    );
    assert_eq!(app.next_tick(), Some(now() + POLL_EVERY));
    assert_eq!(tick_at(&mut app, 499), []);
    assert_eq!(tick_at(&mut app, 500), [Request::Lines]);
    assert_eq!(tick_at(&mut app, 1200), [], "the last poll is unanswered");
    app.on_reply(
        &Request::Lines,
        Reply::Lines {
            lines: vec![idle_line()],
        },
    );
    assert_eq!(tick_at(&mut app, 1200), [Request::Lines]);
    app.on_reply(
        &Request::Lines,
        Reply::Lines {
            lines: vec![idle_line()],
        },
    );
    // Leaving the tab stops the polling; coming back asks at once.
    type_text(&mut app, "1");
    assert_eq!(tick_at(&mut app, 5000), []);
    assert_eq!(app.next_tick(), None);
    assert_eq!(requests(&press(&mut app, KeyCode::Left)), [Request::Lines]);
}

#[test]
fn an_unanswered_poll_is_given_up_on_and_a_lost_connection_stops_polling() {
    let mut app = loaded();
    type_text(&mut app, "9");
    assert_eq!(app.next_tick(), Some(now() + POLL_GIVE_UP));
    assert_eq!(tick_at(&mut app, 4999), []);
    assert_eq!(tick_at(&mut app, 5000), [Request::Lines]);
    app.on_closed("the daemon stopped");
    assert_eq!(tick_at(&mut app, 20_000), []);
    assert_eq!(app.next_tick(), None);
}

#[test]
fn a_refused_poll_is_shown_on_the_tab_and_polling_goes_on() {
    let mut app = loaded();
    type_text(&mut app, "9");
    app.on_reply(
        &Request::Lines,
        Reply::Error {
            message: "unknown request".into(),
        },
    );
    assert_eq!(app.lines.error.as_deref(), Some("unknown request"));
    assert_eq!(tick_at(&mut app, 500), [Request::Lines]);
    app.on_reply(
        &Request::Lines,
        Reply::Lines {
            lines: vec![idle_line()],
        },
    );
    assert_eq!(app.lines.error, None);
}

#[test]
fn c_asks_for_a_check_of_the_selected_line_and_its_result_is_shown() {
    let mut app = lines_app(vec![idle_line(), dead_line()]);
    press(&mut app, KeyCode::Down);
    let sent = requests(&type_text(&mut app, "c"));
    assert_eq!(
        sent,
        [Request::CheckLine {
            line: "line2".into()
        }]
    );
    assert_eq!(
        app.note.as_ref().map(|n| n.text.as_str()),
        Some("check asked for line2")
    );
    let asked = Request::CheckLine {
        line: "line2".into(),
    };
    app.on_reply(
        &asked,
        Reply::CheckStarted {
            line: "line2".into(),
        },
    );
    // The same (old) result again is not the check's.
    app.on_reply(
        &Request::Lines,
        Reply::Lines {
            lines: vec![idle_line(), dead_line()],
        },
    );
    assert!(app.lines.check.is_some());
    let mut works = dead_line();
    works.health = Some(HealthView {
        at: now() + TimeDelta::seconds(4),
        ok: true,
        detail: "dial tone after 0.3 s".into(),
    });
    app.on_reply(
        &Request::Lines,
        Reply::Lines {
            lines: vec![idle_line(), works],
        },
    );
    let note = app.note.clone().expect("a note");
    assert_eq!(note.text, "line2 works: dial tone after 0.3 s");
    assert_eq!(note.tone, Tone::Good);
    assert_eq!(app.lines.check, None);
}

#[test]
fn a_failed_check_of_a_line_never_checked_before_is_reported_dead() {
    let mut line = idle_line();
    line.health = None;
    let mut app = lines_app(vec![line.clone()]);
    type_text(&mut app, "c");
    app.on_reply(
        &Request::Lines,
        Reply::Lines {
            lines: vec![line.clone()],
        },
    );
    assert!(app.lines.check.is_some(), "no result yet");
    line.health = Some(HealthView {
        at: now(),
        ok: false,
        detail: "no dial tone within 3 s".into(),
    });
    app.on_reply(&Request::Lines, Reply::Lines { lines: vec![line] });
    let note = app.note.clone().expect("a note");
    assert_eq!(note.text, "line1 is dead: no dial tone within 3 s");
    assert_eq!(note.tone, Tone::Bad);
}

#[test]
fn a_check_of_an_unknown_line_is_refused_and_forgotten() {
    let mut app = lines_app(vec![idle_line()]);
    let asked = requests(&type_text(&mut app, "c"));
    app.on_reply(
        &asked[0],
        Reply::Error {
            message: "no line 'line1'".into(),
        },
    );
    assert_eq!(app.lines.check, None);
    let note = app.note.clone().expect("a note");
    assert_eq!(note.tone, Tone::Bad);
    assert!(note.text.contains("no line 'line1'"), "{}", note.text);
    // A notification (the daemon's alert) is shown like any other.
    app.on_event(Event::Notification {
        employees: Vec::new(),
        text: "Line line1 is dead: no dial tone within 3 s".into(),
    });
    assert!(app
        .note
        .expect("a note")
        .text
        .starts_with("Line line1 is dead"));
}

#[test]
fn c_with_no_line_sends_nothing() {
    let mut app = lines_app(Vec::new());
    assert_eq!(requests(&type_text(&mut app, "c")), []);
    assert_eq!(app.lines.check, None);
}

#[test]
fn up_and_down_choose_a_line_that_stays_chosen_across_polls() {
    let mut app = lines_app(vec![idle_line(), dead_line()]);
    assert_eq!(app.lines.current().map(|l| l.name.as_str()), Some("line1"));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.lines.current().map(|l| l.name.as_str()), Some("line2"));
    // The configuration changed: line2 comes first now.
    app.on_reply(
        &Request::Lines,
        Reply::Lines {
            lines: vec![dead_line(), idle_line()],
        },
    );
    assert_eq!(app.lines.selected, 0);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.lines.current().map(|l| l.name.as_str()), Some("line2"));
    app.on_reply(
        &Request::Lines,
        Reply::Lines {
            lines: vec![idle_line()],
        },
    );
    assert_eq!(app.lines.current().map(|l| l.name.as_str()), Some("line1"));
}

#[test]
fn page_keys_scroll_the_events_within_bounds_and_a_new_line_starts_at_the_newest() {
    let mut app = lines_app(vec![idle_line(), dead_line()]);
    let events = idle_line().events.len();
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.lines.scroll, 5);
    press(&mut app, KeyCode::PageUp);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.lines.scroll, events - 1, "the oldest stays in view");
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.lines.scroll, events - 6);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.lines.scroll, 0);
}

#[test]
fn r_reloads_the_configuration_and_polls_at_once() {
    let mut app = lines_app(vec![idle_line()]);
    app.now = now() + TimeDelta::milliseconds(100);
    assert_eq!(
        requests(&type_text(&mut app, "r")),
        [Request::GetConfig, Request::Lines]
    );
}

#[test]
fn the_tab_keys_and_quit_work_as_on_the_other_tabs() {
    let mut app = lines_app(vec![idle_line()]);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Dashboard, "the Lines tab is the last");
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.tab, Tab::Lines);
    type_text(&mut app, "q");
    assert!(app.quit);
}
