//! Shared test fixtures: a small office, a console that has loaded it, and typing.

use chrono::{DateTime, Utc};
use firmware_config::sample::{office as sample_office, Size};
use firmware_config::Config;
use pbx::control::protocol::{Reply, Request};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::action;
use crate::app::{App, Command};

/// 10 employees, 2 groups, 2 schedules with 2 holidays, 2 entry points.
pub fn office() -> Config {
    let mut c = sample_office(
        Size {
            employees: 10,
            groups: 2,
            schedules: 2,
            holidays: 2,
        },
        1,
    );
    c.system.name = firmware_config::bounded::Text::new("Acme Sp. z o.o.").expect("fits");
    c
}

/// Monday 5 January 2026, 10:00 in Warsaw.
pub fn now() -> DateTime<Utc> {
    "2026-01-05T09:00:00Z".parse().expect("a time")
}

/// A console that has loaded [`office`] at revision 3.
pub fn loaded() -> App {
    let mut app = App::new("ola", now());
    let hello = Request::Hello {
        client: "test".into(),
        user: "ola".into(),
    };
    app.on_reply(
        &hello,
        Reply::Hello {
            version: 1,
            office: "Acme Sp. z o.o.".into(),
        },
    );
    app.on_reply(
        &Request::GetConfig,
        Reply::Config {
            revision: 3,
            config: Box::new(office()),
        },
    );
    app
}

/// Presses one key, as the event loop would.
pub fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    match action(key, app.mode()) {
        Some(a) => app.on_action(a),
        None => Vec::new(),
    }
}

/// Types `text`, one key per character.
pub fn type_text(app: &mut App, text: &str) -> Vec<Command> {
    text.chars()
        .flat_map(|c| press(app, KeyCode::Char(c)))
        .collect()
}
