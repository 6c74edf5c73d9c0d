//! The entry-point editor.

use firmware_config::entry::EntryPoint;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::editors::row;
use super::lists::draw_list;
use crate::app::{EntryRow, ItemEditor};
use crate::describe;

/// Draws the entry-point editor.
pub(super) fn draw(frame: &mut Frame, area: Rect, e: &ItemEditor<EntryPoint>) {
    let (d, o) = (describe::entry(&e.draft), describe::entry(&e.original));
    let labels = ["Goes to", "Schedule", "CRM lookup", "Unknown caller"];
    let rows = EntryRow::ALL
        .iter()
        .enumerate()
        .map(|(i, _)| row(labels[i], &d[i].1, d[i] != o[i]))
        .collect();
    let mark = if e.draft != e.original {
        " (unsaved)"
    } else {
        ""
    };
    let title = format!("Entry point '{}'{mark}", e.draft.name);
    let head = format!("rev {} · Enter edits the field · * changed", e.base);
    draw_list(frame, area, &title, head, rows, Some(e.row));
}
