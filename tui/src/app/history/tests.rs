use pbx::control::protocol::{Event, Reply, Request, HISTORY_KEPT, NOTIFICATIONS_KEPT};
use ratatui::crossterm::event::KeyCode;

use super::*;
use crate::app::{App, Command, Tab};
use crate::testing::{group_stats, loaded, notifications, press, records, type_text};

fn sent(commands: &[Command]) -> Vec<Request> {
    commands
        .iter()
        .filter_map(|c| c.request().cloned())
        .collect()
}

fn calls(missed_only: bool, group: Option<&str>) -> Request {
    Request::History {
        limit: HISTORY_KEPT,
        missed_only,
        group: group.map(str::to_owned),
    }
}

/// The console on the History tab with the calls received.
fn on_history() -> App {
    let mut app = loaded();
    let asked = type_text(&mut app, "6");
    assert_eq!(sent(&asked), [calls(false, None)]);
    app.on_reply(&calls(false, None), Reply::History { records: records() });
    app
}

#[test]
fn the_tab_asks_for_the_calls_each_time_it_is_shown() {
    let mut app = loaded();
    assert_eq!(sent(&type_text(&mut app, "6")), [calls(false, None)]);
    assert_eq!(app.tab, Tab::History);
    assert!(!app.history.loaded);
    assert!(
        type_text(&mut app, "6").is_empty(),
        "already shown: nothing asked"
    );
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::System, "the System tab follows History");
    assert_eq!(
        sent(&press(&mut app, KeyCode::BackTab)),
        [calls(false, None)]
    );
    app.on_reply(&calls(false, None), Reply::History { records: records() });
    assert!(app.history.loaded);
    assert_eq!(app.history.records.len(), 4);
}

#[test]
fn m_and_g_filter_the_calls_and_g_cycles_through_the_groups() {
    let mut app = on_history();
    assert_eq!(sent(&type_text(&mut app, "m")), [calls(true, None)]);
    assert!(app.history.missed_only && !app.history.loaded);
    assert_eq!(
        sent(&type_text(&mut app, "g")),
        [calls(true, Some("group-0"))]
    );
    assert_eq!(
        sent(&type_text(&mut app, "g")),
        [calls(true, Some("group-1"))]
    );
    assert_eq!(
        sent(&type_text(&mut app, "g")),
        [calls(true, None)],
        "then all again"
    );
    assert_eq!(sent(&type_text(&mut app, "m")), [calls(false, None)]);
}

#[test]
fn v_cycles_the_views_and_asks_for_each() {
    let mut app = on_history();
    let views: Vec<(Pane, Vec<Request>)> = (0..4)
        .map(|_| {
            let asked = sent(&type_text(&mut app, "v"));
            (app.history.pane, asked)
        })
        .collect();
    assert_eq!(
        views,
        [
            (Pane::Statistics, vec![Request::Statistics]),
            (Pane::Voicemail, vec![Request::Voicemail { employee: None }]),
            (
                Pane::Notifications,
                vec![Request::Notifications {
                    limit: NOTIFICATIONS_KEPT
                }]
            ),
            (Pane::Calls, vec![calls(false, None)]),
        ]
    );
    type_text(&mut app, "v");
    assert_eq!(
        sent(&type_text(&mut app, "m")),
        [calls(true, None)],
        "a filter leads back to the calls"
    );
    assert_eq!(app.history.pane, Pane::Calls);
}

#[test]
fn replies_fill_their_view_and_only_the_shown_one_counts_as_loaded() {
    let mut app = on_history();
    type_text(&mut app, "v");
    assert_eq!(app.history.pane, Pane::Statistics);
    app.on_reply(
        &Request::Notifications { limit: 5 },
        Reply::Notifications {
            notifications: notifications(),
        },
    );
    assert_eq!(app.history.notifications.len(), 2);
    assert!(!app.history.loaded, "statistics still awaited");
    app.on_reply(
        &Request::Statistics,
        Reply::Statistics {
            groups: group_stats(),
        },
    );
    assert!(app.history.loaded);
    assert_eq!(app.history.len(), 2);
}

#[test]
fn arrows_move_within_the_rows_and_r_refreshes_both() {
    let mut app = on_history();
    for _ in 0..10 {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(app.history.selected, 3, "stops at the last call");
    press(&mut app, KeyCode::Up);
    assert_eq!(app.history.selected, 2);
    let asked = sent(&type_text(&mut app, "r"));
    assert_eq!(asked, [Request::GetConfig, calls(false, None)]);
    assert_eq!(app.history.selected, 0);
    app.on_reply(
        &calls(false, None),
        Reply::History {
            records: Vec::new(),
        },
    );
    press(&mut app, KeyCode::Down);
    assert_eq!(app.history.selected, 0, "no rows: nothing to move to");
}

#[test]
fn a_notification_refreshes_the_view_shown_on_the_history_tab_only() {
    let mut app = on_history();
    let event = || Event::Notification {
        employees: Vec::new(),
        text: "Missed call from a withheld number (no answer)".into(),
    };
    assert_eq!(sent(&app.on_event(event())), [calls(false, None)]);
    type_text(&mut app, "1");
    assert!(app.on_event(event()).is_empty());
    assert_eq!(
        app.note.as_ref().map(|n| n.text.as_str()),
        Some("Missed call from a withheld number (no answer)")
    );
}

#[test]
fn other_tabs_keep_their_keys() {
    let mut app = loaded();
    type_text(&mut app, "2");
    assert!(
        type_text(&mut app, "m").is_empty(),
        "m means nothing on employees"
    );
    assert!(type_text(&mut app, "v").is_empty());
    assert_eq!(app.history.pane, Pane::Calls);
    assert!(!app.history.missed_only);
}
