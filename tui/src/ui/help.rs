//! The help bar: the keys that work right now, always visible.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{
    App, Calendar, ContactsView, Editor, EmployeeRow, GroupRow, OutboundRow, Overlay, Pane,
    ScheduleRow, SystemRow, Tab, WebhookRow,
};

/// A key and what it does.
type Key = (&'static str, &'static str);

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
        (Some(Overlay::Delete { .. }), _) => vec![("y", "delete"), ("n/Esc", "keep it")],
        (Some(Overlay::NotDeleted { conflict, .. }), _) => {
            let mut keys = vec![("Esc", "back")];
            if *conflict {
                keys.insert(0, ("r", "reload"));
            }
            keys
        }
        (None, Some(Editor::Group(e))) => group_keys(GroupRow::at(e.row)),
        (None, Some(Editor::Schedule(e))) => schedule_keys(ScheduleRow::at(e.row)),
        (None, Some(Editor::Employee(e))) => employee_keys(EmployeeRow::at(e.row)),
        (None, Some(Editor::System(e))) => system_keys(SystemRow::at(e.row)),
        (None, Some(Editor::Outbound(e))) => outbound_keys(OutboundRow::at(e.row)),
        (None, Some(Editor::Webhook(e))) => webhook_keys(WebhookRow::at(e.row)),
        (None, Some(Editor::Storage(_))) => settings_keys(&[("Enter", "edit")], None),
        (None, Some(Editor::Entry(_))) => vec![
            ("↑↓", "move"),
            ("Enter", "change"),
            ("s", "save"),
            ("Esc", "close"),
        ],
        (None, None) if app.tab == Tab::History => history_keys(app.history.pane),
        (None, None) if app.tab == Tab::Contacts => contacts_keys(&app.contacts.view),
        (None, None) if app.tab == Tab::Lines => lines_keys(),
        (None, None) => list_keys(app.tab),
    }
}

fn contacts_keys(view: &ContactsView) -> Vec<Key> {
    match view {
        ContactsView::List => vec![
            (Tab::KEYS, "screens"),
            ("/", "search"),
            ("a", "add"),
            ("Enter", "edit"),
            ("x", "delete"),
            ("i", "import"),
            ("q", "quit"),
        ],
        ContactsView::Form(_) => vec![
            ("↑↓", "move"),
            ("Enter", "edit"),
            ("s", "save"),
            ("Esc", "close"),
        ],
        ContactsView::Report(_) => vec![("Enter", "import"), ("Esc", "import nothing")],
        ContactsView::Remove { .. } => vec![("Enter", "delete"), ("Esc", "keep it")],
    }
}

/// The Lines tab: choose a line, check it now, scroll its events.
fn lines_keys() -> Vec<Key> {
    vec![
        (Tab::KEYS, "screens"),
        ("↑↓", "line"),
        ("c", "check now"),
        ("PgUp/Dn", "events"),
        ("r", "refresh"),
        ("q", "quit"),
    ]
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

/// The keys of the System tab's editors: move, edit, save, close, and what the row adds.
fn settings_keys(row_keys: &[Key], extra: Option<Key>) -> Vec<Key> {
    let mut keys = vec![("↑↓", "move")];
    keys.extend_from_slice(row_keys);
    keys.extend(extra);
    keys.extend([("s", "save"), ("Esc", "close")]);
    keys
}

fn system_keys(row: SystemRow) -> Vec<Key> {
    match row {
        SystemRow::ToneCountry => settings_keys(&[("Enter", "next")], None),
        _ => settings_keys(&[("Enter", "edit")], None),
    }
}

fn outbound_keys(row: OutboundRow) -> Vec<Key> {
    let add = Some(("a", "add prefix"));
    match row {
        OutboundRow::Blocked(_) => settings_keys(&[("x", "remove")], add),
        _ => settings_keys(&[("Enter", "edit")], add),
    }
}

fn webhook_keys(row: WebhookRow) -> Vec<Key> {
    match row {
        WebhookRow::Enabled => settings_keys(&[("Enter", "on/off")], None),
        _ => settings_keys(&[("Enter", "edit")], None),
    }
}

fn list_keys(tab: Tab) -> Vec<Key> {
    let mut keys = vec![(Tab::KEYS, "screens")];
    match tab {
        Tab::Dashboard | Tab::History => {}
        Tab::Entries => keys.extend([("Enter", "edit"), ("a", "add"), ("c", "calendar")]),
        Tab::Employees => keys.extend([("Enter", "edit"), ("a", "add"), ("p", "presence")]),
        Tab::Groups => keys.extend([("↑↓", "move"), ("Enter", "edit"), ("a", "add")]),
        Tab::Schedules => keys.extend([("Enter", "edit"), ("a", "add"), ("n", "night switch")]),
        Tab::System => keys.extend([("↑↓", "section"), ("Enter", "edit")]),
        Tab::Contacts | Tab::Lines => {}
    }
    if matches!(
        tab,
        Tab::Employees | Tab::Groups | Tab::Schedules | Tab::Entries
    ) {
        keys.push(("x", "delete"));
    }
    keys.extend([("r", "reload"), ("q", "quit")]);
    keys
}

/// The History tab: change view, and on the calls the filters (which also lead back to the
/// calls from another view).
fn history_keys(pane: Pane) -> Vec<(&'static str, &'static str)> {
    let mut keys = vec![(Tab::KEYS, "screens"), ("v", "view"), ("↑↓", "move")];
    if pane == Pane::Calls {
        keys.extend([("m", "missed"), ("g", "group")]);
    } else {
        keys.push(("m/g", "calls"));
    }
    keys.extend([("r", "refresh"), ("q", "quit")]);
    keys
}

/// The help bar's spans; `tight` drops the space before each key's meaning.
fn spans(keys: &[Key], tight: bool) -> Vec<Span<'static>> {
    let key = Style::new().add_modifier(Modifier::REVERSED);
    let gap = if tight { "" } else { " " };
    keys.iter()
        .flat_map(|(k, what)| {
            [
                Span::styled(format!(" {k} "), key),
                Span::raw(format!("{gap}{what} ")),
            ]
        })
        .collect()
}

/// Draws the help bar, tighter when the keys would not fit otherwise.
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let keys = help(app);
    let roomy = spans(&keys, false);
    let width: usize = roomy.iter().map(Span::width).sum();
    let line = if width > usize::from(area.width) {
        spans(&keys, true)
    } else {
        roomy
    };
    frame.render_widget(Paragraph::new(Line::from(line)), area);
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::KeyCode;

    use super::*;
    use crate::testing::{press, settings_app, type_text};

    /// The width the help bar takes, tightened as it is drawn when too wide.
    fn width(app: &App) -> usize {
        let keys = help(app);
        let roomy: usize = spans(&keys, false).iter().map(Span::width).sum();
        if roomy <= 80 {
            return roomy;
        }
        spans(&keys, true).iter().map(Span::width).sum()
    }

    #[test]
    fn every_list_and_system_editor_row_fits_80_columns() {
        for tab in ["1", "2", "3", "4", "5", "6", "7", "9"] {
            let mut app = settings_app();
            type_text(&mut app, tab);
            assert!(width(&app) <= 80, "tab {tab}: {:?}", help(&app));
            type_text(&mut app, "x");
            assert!(width(&app) <= 80, "tab {tab} deleting: {:?}", help(&app));
        }
        for section in 0..3 {
            let mut app = settings_app();
            for _ in 0..section {
                press(&mut app, KeyCode::Down);
            }
            press(&mut app, KeyCode::Enter);
            for row in 0..12 {
                assert!(
                    width(&app) <= 80,
                    "section {section} row {row}: {:?}",
                    help(&app)
                );
                press(&mut app, KeyCode::Down);
            }
        }
    }

    #[test]
    fn the_lists_of_items_offer_delete_and_the_system_tab_its_sections() {
        let keys = |tab: &str| {
            let mut app = settings_app();
            type_text(&mut app, tab);
            help(&app)
        };
        for tab in ["2", "3", "4", "5"] {
            assert!(keys(tab).contains(&("x", "delete")), "tab {tab}");
        }
        assert!(!keys("7").contains(&("x", "delete")));
        assert!(keys("7").contains(&("↑↓", "section")));
    }

    /// The width `keys` take as drawn (tightened when too wide).
    fn drawn(keys: &[Key]) -> usize {
        let roomy: usize = spans(keys, false).iter().map(Span::width).sum();
        if roomy <= 80 {
            return roomy;
        }
        spans(keys, true).iter().map(Span::width).sum()
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
        bars.push(lines_keys());
        for bar in bars {
            assert!(drawn(&bar) <= 80, "{bar:?} takes {} columns", drawn(&bar));
        }
    }
}
