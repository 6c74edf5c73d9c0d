//! Drawing: a pure function of the [`App`] state, one module per screen.
//!
//! Few colours (red for refusals, green for saves), reverse video for the selection, so the
//! screens read on dark and light terminals alike; everything fits 80×24.

mod calendar;
mod contacts;
mod dashboard;
mod editors;
mod employee;
mod entry;
mod help;
mod history;
mod lines;
mod lists;
mod overlay;
mod system;

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

/// How the tabs are written in the header: roomy, tight, or with titles cut short.
#[derive(Clone, Copy)]
enum TabStyle {
    /// ` 1 Dashboard  2 Employees `.
    Roomy,
    /// ` 1 Dashboard 2 Employees`, the selected one padded.
    Tight,
    /// Tight, titles other than the selected one cut to this many characters.
    Cut(usize),
}

fn tab_spans(app: &App, style: TabStyle) -> Vec<Span<'static>> {
    Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, tab)| {
            let here = *tab == app.tab;
            let title: String = match style {
                TabStyle::Cut(n) if !here => tab.title().chars().take(n).collect(),
                _ => tab.title().to_string(),
            };
            let pad = if here || matches!(style, TabStyle::Roomy) {
                " "
            } else {
                ""
            };
            let look = if here { selected() } else { Style::new() };
            Span::styled(format!(" {} {title}{pad}", i + 1), look)
        })
        .collect()
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    // A store near its storage limit is marked on every screen (the dashboard says which).
    let revision = match app.revision {
        _ if app.storage.warnings().next().is_some() => "⚠ storage ".to_string(),
        Some(r) => format!("rev {r} "),
        None => String::new(),
    };
    let width = usize::from(area.width);
    let wide = |spans: &[Span], extra: usize| {
        spans.iter().map(Span::width).sum::<usize>() + extra <= width
    };
    let roomy = tab_spans(app, TabStyle::Roomy);
    let spans = if wide(&roomy, revision.len()) {
        roomy
    } else {
        [
            TabStyle::Tight,
            TabStyle::Cut(6),
            TabStyle::Cut(5),
            TabStyle::Cut(4),
            TabStyle::Cut(1),
        ]
        .into_iter()
        .map(|s| tab_spans(app, s))
        .find(|spans| wide(spans, 0))
        .unwrap_or_default()
    };
    let mut room = wide(&spans, revision.chars().count() + 1);
    let revision = if !room && app.storage.warnings().next().is_some() {
        room = wide(&spans, 3);
        "⚠ ".to_string()
    } else {
        revision
    };
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    if room {
        frame.render_widget(Paragraph::new(revision).right_aligned(), area);
    }
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
        (
            Some(Editor::System(_) | Editor::Outbound(_) | Editor::Webhook(_) | Editor::Storage(_)),
            _,
        ) => system::draw(frame, area, app),
        (None, Tab::Dashboard) => dashboard::draw(frame, area, app),
        (None, Tab::Employees) => lists::employees(frame, area, app),
        (None, Tab::Groups) => lists::groups(frame, area, app),
        (None, Tab::Schedules) => lists::schedules(frame, area, app),
        (None, Tab::Entries) => lists::entries(frame, area, app),
        (None, Tab::History) => history::draw(frame, area, app),
        (None, Tab::System) => system::draw(frame, area, app),
        (None, Tab::Contacts) => contacts::draw(frame, area, app),
        (None, Tab::Lines) => lines::draw(frame, area, app),
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
