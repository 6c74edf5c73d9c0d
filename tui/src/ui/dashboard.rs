//! The live dashboard: lines, registered phones, calls in progress, callers waiting; under
//! the title, a warning line while a store of the daemon is near its storage limit.

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::{bad, cell, heading};
use crate::app::{App, Connection};

/// Draws the dashboard.
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let warning = storage_warning(app);
    let warning_rows = u16::from(warning.is_some());
    let [title, warned, rest] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(warning_rows),
        Constraint::Min(2),
    ])
    .areas(area);
    draw_title(frame, title, app);
    if let Some(text) = warning {
        frame.render_widget(Paragraph::new(text).style(bad()), warned);
    }
    let [top, bottom] = Layout::vertical([Constraint::Percentage(50); 2]).areas(rest);
    let [lines, queues] = Layout::horizontal([Constraint::Percentage(50); 2]).areas(top);
    let [phones, calls] = Layout::horizontal([Constraint::Percentage(50); 2]).areas(bottom);
    let live = &app.live;
    let none = |what: &str| vec![Line::from(format!("({what})"))];

    let mut text: Vec<Line> = live
        .lines
        .iter()
        .map(|l| Line::from(format!("{} {}", cell(&l.name, 14), l.state)))
        .collect();
    if text.is_empty() {
        text = none("no analog lines");
    }
    boxed(frame, lines, "Lines", text);

    let mut text: Vec<Line> = live
        .queues
        .iter()
        .filter(|q| !q.waiting.is_empty())
        .map(|q| {
            let longest = q.waiting.iter().map(|(_, since)| *since).min();
            let wait = longest.map(|s| duration(app.now, s)).unwrap_or_default();
            Line::from(format!(
                "{} {:>2} waiting, longest {wait}",
                cell(&q.group, 12),
                q.waiting.len()
            ))
        })
        .collect();
    if text.is_empty() {
        text = none("nobody is waiting");
    }
    boxed(frame, queues, "Callers waiting", text);

    let mut text: Vec<Line> = live
        .registrations
        .iter()
        .map(|r| Line::from(format!("{} {}", cell(r.extension.as_str(), 7), r.user)))
        .collect();
    if text.is_empty() {
        text = none("no phone registered");
    }
    boxed(frame, phones, "Registered phones", text);

    let mut text: Vec<Line> = live
        .calls
        .iter()
        .map(|c| {
            Line::from(format!(
                "{:>5} {} {}",
                duration(app.now, c.since),
                cell(&c.caller, 13),
                c.state
            ))
        })
        .collect();
    if text.is_empty() {
        text = none("no calls");
    }
    boxed(frame, calls, "Calls in progress", text);
}

/// `⚠ Storage: voicemail 92 % of 256 MiB · audit log 95 % of 4 MiB`, while a store is at
/// or above its warning level.
pub(super) fn storage_warning(app: &App) -> Option<String> {
    let parts: Vec<String> = app
        .storage
        .warnings()
        .map(|s| {
            let text = pbx::storage::warning_text(s);
            text.trim_start_matches("Storage: ").to_string()
        })
        .collect();
    (!parts.is_empty()).then(|| format!("⚠ Storage: {}", parts.join(" · ")))
}

fn draw_title(frame: &mut Frame, area: Rect, app: &App) {
    let office = if app.office.is_empty() {
        "Centrala"
    } else {
        &app.office
    };
    let state = match &app.connection {
        Connection::Connecting => "connecting…".to_string(),
        Connection::Ready => format!("connected as {}", app.user),
        Connection::Lost(_) => "DISCONNECTED".to_string(),
    };
    // The header has no room for the revision at 80 columns: it is shown here.
    let revision = app
        .revision
        .map(|r| format!("rev {r}"))
        .unwrap_or_else(|| "no configuration yet".into());
    let text = format!("{office} · {revision} · {state}");
    let style = if matches!(app.connection, Connection::Lost(_)) {
        bad()
    } else {
        heading()
    };
    frame.render_widget(Paragraph::new(text).style(style), area);
}

fn boxed(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>) {
    let block = Block::bordered()
        .title(format!(" {title} "))
        .title_style(heading());
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// `m:ss` (or `h:mm:ss`) from `since` to `now`.
pub(crate) fn duration(now: DateTime<Utc>, since: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}
