//! The entry-point editor.

use firmware_config::entry::EntryPoint;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::editors::{kind, row, unsaved};
use super::lists::draw_list;
use crate::app::{EntryRow, ItemEditor};
use crate::describe;

/// Draws the entry-point editor.
pub(super) fn draw(frame: &mut Frame, area: Rect, e: &ItemEditor<EntryPoint>) {
    let (d, o) = (describe::entry(&e.draft), describe::entry(&e.original));
    let labels = [
        "Comes from",
        "Goes to",
        "Schedule",
        "CRM lookup",
        "Unknown caller",
    ];
    let rows = EntryRow::ALL
        .iter()
        .enumerate()
        .map(|(i, _)| row(labels[i], &d[i].1, d[i] != o[i]))
        .collect();
    let title = format!(
        "{} '{}'{}",
        kind(e.new, "Entry point"),
        e.draft.name,
        unsaved(e.dirty())
    );
    let head = format!("rev {} · Enter edits the field · * changed", e.base);
    draw_list(frame, area, &title, head, rows, Some(e.row));
}
