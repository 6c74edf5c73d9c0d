//! Drawing: a pure function of the [`App`] state, one module per screen.
//!
//! Few colours (red for refusals, green for saves), reverse video for the selection, so the
//! screens read on dark and light terminals alike; everything fits 80×24.

mod calendar;
mod dashboard;
mod editors;
mod employee;
mod entry;
mod help;
mod history;
mod lists;
mod overlay;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{App, Connection, Editor, Tab, Tone};

pub use help::help;

/// The style of the selected row.
pub(crate) fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// The style of headings.
pub(crate) fn heading() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// The style of refusals and errors.
pub(crate) fn bad() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// Draws the whole console.
pub fn draw(frame: &mut Frame, app: &App) {
    let [header, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(frame, header, app);
    draw_body(frame, body, app);
    draw_status(frame, status, app);
    help::draw(frame, keys, app);
    overlay::draw(frame, body, app);
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    let mut spans = Vec::new();
    for (i, tab) in Tab::ALL.iter().enumerate() {
        let text = format!(" {} {} ", i + 1, tab.title());
        let style = if *tab == app.tab {
            selected()
        } else {
            Style::new()
        };
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let revision = match app.revision {
        Some(r) => format!("rev {r} "),
        None => String::new(),
    };
    frame.render_widget(Paragraph::new(revision).right_aligned(), area);
}

fn draw_body(frame: &mut Frame, area: Rect, app: &App) {
    if app.config.is_none() && app.tab != Tab::Dashboard {
        let text = match &app.connection {
            Connection::Lost(why) => format!("Not connected: {why}"),
            _ => "Reading the configuration…".to_string(),
        };
        frame.render_widget(Paragraph::new(text), area);
        return;
    }
    if let Some(cal) = &app.calendar {
        calendar::draw(frame, area, app, cal);
        return;
    }
    match (&app.editor, app.tab) {
        (Some(Editor::Group(e)), _) => editors::group(frame, area, app, e),
        (Some(Editor::Schedule(e)), _) => editors::schedule(frame, area, e),
        (Some(Editor::Employee(e)), _) => employee::draw(frame, area, e),
        (Some(Editor::Entry(e)), _) => entry::draw(frame, area, e),
        (None, Tab::Dashboard) => dashboard::draw(frame, area, app),
        (None, Tab::Employees) => lists::employees(frame, area, app),
        (None, Tab::Groups) => lists::groups(frame, area, app),
        (None, Tab::Schedules) => lists::schedules(frame, area, app),
        (None, Tab::Entries) => lists::entries(frame, area, app),
        (None, Tab::History) => history::draw(frame, area, app),
    }
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    let Some(note) = &app.note else { return };
    let style = match note.tone {
        Tone::Info => Style::new(),
        Tone::Good => Style::new().fg(Color::Green),
        Tone::Bad => bad(),
    };
    frame.render_widget(Paragraph::new(note.text.as_str()).style(style), area);
}

/// `text` cut to `width` characters, or padded to it.
pub(crate) fn cell(text: &str, width: usize) -> String {
    let mut out: String = text.chars().take(width).collect();
    let len = out.chars().count();
    out.extend(std::iter::repeat_n(' ', width - len));
    out
}

#[cfg(test)]
mod tests;
