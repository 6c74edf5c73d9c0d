//! The System tab: the sections on the left, the selected (or open) section's fields on the
//! right; the settings the daemon reads only at start sit under a line that says so.

use firmware_config::outbound::Outbound;
use firmware_config::storage::Storage;
use firmware_config::system::{System, Webhook};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, List, ListItem, ListState};
use ratatui::Frame;

use super::editors::row;
use super::lists::draw_list;
use super::{heading, selected};
use crate::app::{App, Editor, ItemEditor, Section, SystemRow};
use crate::describe::settings as words;

/// The system editor's labels, in [`SystemRow::ALL`]'s order.
const SYSTEM_LABELS: [&str; 10] = [
    "Office name",
    "Country code",
    "Tone country",
    "Outside prefix",
    "Voicemail number",
    "Outside calls to",
    "SIP listen",
    "RTP ports",
    "Control socket",
    "Data directory",
];

/// The line above the settings that wait for a restart.
const RESTART_LINE: &str = "  ↻ these take effect after the daemon restarts:";

/// Draws the System tab (with its open editor, if any).
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let Some(config) = &app.config else { return };
    let [left, right] =
        Layout::horizontal([Constraint::Length(14), Constraint::Min(20)]).areas(area);
    let base = app.revision.unwrap_or_default();
    let open = match &app.editor {
        Some(Editor::System(e)) => Some(system(frame, right, e, true)),
        Some(Editor::Outbound(e)) => Some(outbound(frame, right, e, true)),
        Some(Editor::Webhook(e)) => Some(webhook(frame, right, e, true)),
        Some(Editor::Storage(e)) => Some(storage(frame, right, e, true, app)),
        _ => None,
    };
    let section = open.unwrap_or_else(|| {
        let section = Section::at(app.selection());
        match section {
            Section::System => system(frame, right, &preview(base, &config.system), false),
            Section::Outbound => outbound(frame, right, &preview(base, &config.outbound), false),
            Section::Webhook => webhook(frame, right, &preview(base, &config.webhook), false),
            Section::Storage => storage(frame, right, &preview(base, &config.storage), false, app),
        }
    });
    sections(frame, left, section, open.is_some());
}

fn preview<T: Clone>(base: u64, item: &T) -> ItemEditor<T> {
    ItemEditor::new(base, item.clone())
}

/// The list of sections: the cursor while no editor is open, else a mark on the open one.
fn sections(frame: &mut Frame, area: Rect, at: Section, editing: bool) {
    let block = Block::bordered().title(" Sections ").title_style(heading());
    let items: Vec<ListItem> = Section::ALL
        .iter()
        .map(|s| ListItem::new(s.title()))
        .collect();
    let index = Section::ALL.iter().position(|s| *s == at);
    let list = if editing {
        List::new(items)
            .highlight_symbol("▸")
            .highlight_style(heading())
    } else {
        List::new(items).highlight_style(selected())
    };
    let mut state = ListState::default().with_selected(index);
    frame.render_stateful_widget(list.block(block), area, &mut state);
}

/// The head line: the revision, and what Enter does.
fn head(base: u64, editing: bool, extra: &str) -> String {
    let what = if editing {
        "Enter edits the field · * changed"
    } else {
        "Enter edits these settings"
    };
    format!("rev {base} · {what}{extra}")
}

/// Rows from labelled lines: a line is marked changed when the stored item has no line with
/// its label and value.
fn marked(
    labels: impl Iterator<Item = String>,
    new: &[(String, String)],
    old: &[(String, String)],
) -> Vec<String> {
    labels
        .zip(new)
        .map(|(label, line)| row(&label, &line.1, !old.contains(line)))
        .collect()
}

fn system(frame: &mut Frame, area: Rect, e: &ItemEditor<System>, editing: bool) -> Section {
    let (new, old) = (words::system(&e.draft), words::system(&e.original));
    let labels = SYSTEM_LABELS.iter().map(|l| l.to_string());
    let mut rows = marked(labels, &new, &old);
    let first_restart = SystemRow::ALL
        .iter()
        .position(|r| r.needs_restart())
        .unwrap_or(rows.len());
    rows.insert(first_restart, RESTART_LINE.to_string());
    let at = editing.then_some(e.row + usize::from(e.row >= first_restart));
    let title = titled("System settings", e.draft != e.original);
    draw_list(frame, area, &title, head(e.base, editing, ""), rows, at);
    Section::System
}

fn outbound(frame: &mut Frame, area: Rect, e: &ItemEditor<Outbound>, editing: bool) -> Section {
    let (new, old) = (words::outbound(&e.draft), words::outbound(&e.original));
    let fixed = [
        "Office at once",
        "Office per hour",
        "Each at once",
        "Each per hour",
    ];
    let mut rows = marked(fixed.iter().map(|l| l.to_string()), &new, &old);
    for p in &e.draft.blocked_prefixes {
        let stored = e.original.blocked_prefixes.contains(p);
        rows.push(row(
            "Blocked prefix",
            &format!("{p} (never dialled)"),
            !stored,
        ));
    }
    if e.draft.blocked_prefixes.is_empty() {
        rows.push(row("Blocked prefix", "none: a adds one", false));
    }
    let title = titled("Outside-call limits", e.draft != e.original);
    let head = head(e.base, editing, " · 0 = none");
    draw_list(frame, area, &title, head, rows, editing.then_some(e.row));
    Section::Outbound
}

fn webhook(
    frame: &mut Frame,
    area: Rect,
    e: &ItemEditor<Option<Webhook>>,
    editing: bool,
) -> Section {
    let (new, old) = (
        words::webhook(e.draft.as_ref()),
        words::webhook(e.original.as_ref()),
    );
    let labels = ["Webhook", "URL", "Secret", "Timeout"];
    let mut rows = marked(labels.iter().map(|l| l.to_string()), &new, &old);
    if e.draft.is_none() {
        let changed = e.original.is_some();
        rows[0] = row("Webhook", "off: events are not posted anywhere", changed);
    }
    let title = titled("Webhook", e.draft != e.original);
    let head = head(e.base, editing, "");
    draw_list(frame, area, &title, head, rows, editing.then_some(e.row));
    Section::Webhook
}

/// The storage limits, each with what its store holds now (as last measured).
fn storage(
    frame: &mut Frame,
    area: Rect,
    e: &ItemEditor<Storage>,
    editing: bool,
    app: &App,
) -> Section {
    let (new, old) = (words::storage(&e.draft), words::storage(&e.original));
    let labels = [
        "Call records",
        "Audit log",
        "Voicemail",
        "Webhook outbox",
        "Warn at",
    ];
    let mut rows = marked(labels.iter().map(|l| l.to_string()), &new, &old);
    for (row, store) in rows.iter_mut().zip(firmware_config::storage::Store::ALL) {
        if let Some(u) = app.storage.stores.iter().find(|u| u.store == store) {
            let used = words::bytes(u.used_bytes);
            let mark = if u.warning { " ⚠" } else { "" };
            row.push_str(&format!("  (holds {used}{mark})"));
        }
    }
    let title = titled("Storage limits", e.draft != e.original);
    let head = head(e.base, editing, " · oldest removed first");
    draw_list(frame, area, &title, head, rows, editing.then_some(e.row));
    Section::Storage
}

fn titled(title: &str, changed: bool) -> String {
    if changed {
        format!("{title} (unsaved)")
    } else {
        title.to_string()
    }
}
