//! The help bar: the keys that work right now, always visible.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{App, Calendar, Editor, EmployeeRow, GroupRow, Overlay, Pane, ScheduleRow, Tab};

/// The keys that work now and what they do.
pub fn help(app: &App) -> Vec<(&'static str, &'static str)> {
    if let (None, Some(cal)) = (&app.overlay, &app.calendar) {
        return calendar_keys(cal);
    }
    match (&app.overlay, &app.editor) {
        (Some(Overlay::Input(_)), _) => {
            vec![("Enter", "accept"), ("Esc", "cancel"), ("Bksp", "erase")]
        }
        (Some(Overlay::Picker(_)), _) => {
            vec![
                ("type", "search"),
                ("↑↓", "choose"),
                ("Enter", "pick"),
                ("Esc", "cancel"),
            ]
        }
        (Some(Overlay::Confirm { .. }), _) => vec![("Enter/s", "save"), ("Esc", "back to editing")],
        (Some(Overlay::Conflict { .. }), _) => vec![("r", "reload, keep my edit"), ("Esc", "back")],
        (Some(Overlay::Problems(_)), _) => vec![("Esc", "back to editing")],
        (None, Some(Editor::Group(e))) => group_keys(GroupRow::at(e.row)),
        (None, Some(Editor::Schedule(e))) => schedule_keys(ScheduleRow::at(e.row)),
        (None, Some(Editor::Employee(e))) => employee_keys(EmployeeRow::at(e.row)),
        (None, Some(Editor::Entry(_))) => vec![
            ("↑↓", "move"),
            ("Enter", "change"),
            ("s", "save"),
            ("Esc", "close"),
        ],
        (None, None) if app.tab == Tab::History => history_keys(app.history.pane),
        (None, None) => list_keys(app.tab),
    }
}

fn calendar_keys(cal: &Calendar) -> Vec<(&'static str, &'static str)> {
    if !cal.typed.is_empty() {
        return vec![
            ("Enter", "go to time"),
            ("Bksp", "erase"),
            ("Esc", "clear"),
            ("↑↓", "day"),
        ];
    }
    let mut keys = vec![
        ("↑↓", "day"),
        ("←→", "hour"),
        ("0-9:", "type time"),
        ("Enter", "explain"),
    ];
    let esc = if cal.explanation.is_some() {
        "close panel"
    } else {
        "close"
    };
    keys.extend([("Esc", esc), ("q", "quit")]);
    keys
}

fn group_keys(row: GroupRow) -> Vec<(&'static str, &'static str)> {
    let mut keys = vec![("↑↓", "move")];
    match row {
        GroupRow::Member(_) => keys.extend([("K/J", "reorder"), ("x", "remove")]),
        GroupRow::Distribution => keys.push(("Enter", "next")),
        _ => keys.push(("Enter", "edit")),
    }
    keys.extend([("a", "add member"), ("s", "save"), ("Esc", "close")]);
    keys
}

fn schedule_keys(row: ScheduleRow) -> Vec<(&'static str, &'static str)> {
    let mut keys = Vec::new();
    match row {
        // No arrows on a day's row, to make room for w: the keys must fit in 80 columns.
        ScheduleRow::Hours(_) => {
            keys.extend([("Enter", "hours"), ("o", "day off"), ("w", "copy to week")])
        }
        ScheduleRow::Holiday(_) => keys.extend([("↑↓", "move"), ("x", "delete")]),
        _ => keys.extend([("↑↓", "move"), ("Enter", "edit")]),
    }
    keys.extend([("a", "add holiday"), ("s", "save"), ("Esc", "close")]);
    keys
}

fn employee_keys(row: EmployeeRow) -> Vec<(&'static str, &'static str)> {
    let mut keys = vec![("↑↓", "move")];
    match row {
        EmployeeRow::Device(_) => keys.extend([("Enter", "password"), ("x", "remove")]),
        EmployeeRow::Presence => keys.push(("Enter", "next")),
        _ => keys.push(("Enter", "edit")),
    }
    keys.extend([("a", "add phone"), ("s", "save"), ("Esc", "close")]);
    keys
}

fn list_keys(tab: Tab) -> Vec<(&'static str, &'static str)> {
    let mut keys = vec![("1-6/Tab", "screens")];
    match tab {
        Tab::Dashboard => {}
        Tab::Entries => keys.extend([("Enter", "edit"), ("a", "add"), ("c", "calendar")]),
        Tab::Employees => keys.extend([("Enter", "edit"), ("a", "add"), ("p", "presence")]),
        Tab::Groups => keys.extend([("↑↓", "move"), ("Enter", "edit"), ("a", "add")]),
        Tab::Schedules => keys.extend([("Enter", "edit"), ("a", "add"), ("n", "night switch")]),
        Tab::History => {}
    }
    keys.extend([("r", "reload"), ("q", "quit")]);
    keys
}

/// The History tab: change view, and on the calls the filters (which also lead back to the
/// calls from another view).
fn history_keys(pane: Pane) -> Vec<(&'static str, &'static str)> {
    let mut keys = vec![("1-6/Tab", "screens"), ("v", "view"), ("↑↓", "move")];
    if pane == Pane::Calls {
        keys.extend([("m", "missed"), ("g", "group")]);
    } else {
        keys.push(("m/g", "calls"));
    }
    keys.extend([("r", "refresh"), ("q", "quit")]);
    keys
}

/// Draws the help bar.
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let key = Style::new().add_modifier(Modifier::REVERSED);
    let mut spans = Vec::new();
    for (k, what) in help(app) {
        spans.push(Span::styled(format!(" {k} "), key));
        spans.push(Span::raw(format!(" {what} ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn width(keys: &[(&str, &str)]) -> usize {
        keys.iter()
            .map(|(k, what)| k.chars().count() + what.chars().count() + 4)
            .sum()
    }

    /// Every editor row's keys fit an 80-column terminal: a key cut off is a key never found.
    #[test]
    fn every_editor_rows_keys_fit_in_80_columns() {
        let mut bars = Vec::new();
        for row in 0..ScheduleRow::FIXED + 2 {
            bars.push(schedule_keys(ScheduleRow::at(row)));
        }
        for row in 0..GroupRow::FIXED.len() + 2 {
            bars.push(group_keys(GroupRow::at(row)));
        }
        for row in 0..6 {
            bars.push(employee_keys(EmployeeRow::at(row)));
        }
        for tab in Tab::ALL {
            bars.push(list_keys(tab));
        }
        for bar in bars {
            assert!(width(&bar) <= 80, "{bar:?} takes {} columns", width(&bar));
        }
    }
}
