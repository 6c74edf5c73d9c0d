//! Snapshots of the Lines tab at 80×24: no lines, an idle line with a caller ID and events,
//! a dead line after a failed check, and a line in a call.

use ratatui::crossterm::event::KeyCode;

use super::render;
use crate::testing::{dead_line, idle_line, line_in_call, lines_app, loaded, press, type_text};

/// A snapshot kept with the other screens' (in `ui/snapshots`).
macro_rules! snapshot {
    ($app:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!(render($app));
        })
    };
}

#[test]
fn lines_none_configured() {
    snapshot!(&lines_app(Vec::new()));
}

#[test]
fn lines_while_asking() {
    let mut app = loaded();
    type_text(&mut app, "9");
    snapshot!(&app);
}

#[test]
fn lines_idle_with_a_caller_id_and_events() {
    snapshot!(&lines_app(vec![idle_line(), dead_line()]));
}

#[test]
fn lines_dead_after_a_failed_check() {
    let mut app = lines_app(vec![idle_line(), dead_line()]);
    press(&mut app, KeyCode::Down);
    snapshot!(&app);
}

#[test]
fn lines_in_a_call_with_levels_erle_and_jitter() {
    snapshot!(&lines_app(vec![line_in_call(), dead_line()]));
}

#[test]
fn lines_events_scrolled_back() {
    let mut app = lines_app(vec![idle_line()]);
    press(&mut app, KeyCode::PageUp);
    snapshot!(&app);
}
