//! Overlays drawn over the body: fields, pickers, the save's difference, conflicts, problems.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use super::{bad, heading, selected};
use crate::app::{App, Input, Overlay, Picker};

/// Draws the open overlay, if any, over `area`.
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    match &app.overlay {
        None => {}
        Some(Overlay::Input(input)) => draw_input(frame, area, input),
        Some(Overlay::Picker(picker)) => draw_picker(frame, area, picker),
        Some(Overlay::Confirm { title, changes, .. }) => {
            let mut lines: Vec<Line> = changes.iter().map(|c| Line::from(c.to_string())).collect();
            lines.push(Line::from(""));
            lines.push(Line::from("Enter or s saves, Esc goes back to editing").style(heading()));
            popup(frame, area, title, lines, Style::new());
        }
        Some(Overlay::Conflict { current, changed }) => {
            let mut lines = vec![Line::from(format!(
                "Not saved: the configuration changed meanwhile (now revision {current}):"
            ))];
            lines.extend(changed.iter().map(|c| Line::from(format!("  • {c}"))));
            lines.push(Line::from(""));
            lines.push(
                Line::from("r reloads (your edit is kept, save again to apply it)")
                    .style(heading()),
            );
            lines.push(Line::from("Esc goes back to editing").style(heading()));
            popup(frame, area, "Conflict", lines, bad());
        }
        Some(Overlay::Problems(problems)) => {
            let mut lines = vec![Line::from("Not saved. The daemon refused:")];
            for p in problems {
                lines.push(Line::from(format!("• {}: {}", p.path, p.message)));
            }
            lines.push(Line::from(""));
            lines.push(Line::from("Esc goes back to editing; nothing was lost").style(heading()));
            popup(frame, area, "Invalid", lines, bad());
        }
        Some(Overlay::Delete { question, .. }) => {
            let lines = vec![
                Line::from(question.as_str()),
                Line::from(""),
                Line::from("y deletes it now · n or Esc keeps it").style(heading()),
            ];
            popup(frame, area, "Delete", lines, bad());
        }
        Some(Overlay::NotDeleted {
            heading,
            reasons,
            conflict,
        }) => not_deleted(frame, area, heading, reasons, *conflict),
    }
}

fn not_deleted(frame: &mut Frame, area: Rect, title: &str, reasons: &[String], conflict: bool) {
    let mut lines = vec![Line::from(title.to_string())];
    lines.extend(reasons.iter().map(|r| Line::from(format!("• {r}"))));
    lines.push(Line::from(""));
    if conflict {
        lines.push(Line::from("r reloads; then delete again if still wanted").style(heading()));
    }
    lines.push(Line::from("Esc goes back to the list").style(heading()));
    popup(frame, area, "Not deleted", lines, bad());
}

pub(super) fn popup(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, border: Style) {
    let width = area.width.saturating_sub(4).min(76);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let wrapped: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let height = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .saturating_add(2)
        .min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(format!(" {title} "))
        .border_style(border)
        .title_style(heading());
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [_, v, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, h, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(width),
        Constraint::Fill(1),
    ])
    .areas(v);
    h
}

fn draw_input(frame: &mut Frame, area: Rect, input: &Input) {
    let mut lines = vec![
        Line::from(input.hint.as_str()),
        Line::from(format!("> {}_", input.text)).style(selected()),
    ];
    if let Some(e) = &input.error {
        lines.push(Line::from(e.as_str()).style(bad()));
    }
    popup(frame, area, &input.title, lines, Style::new());
}

fn draw_picker(frame: &mut Frame, area: Rect, picker: &Picker) {
    let width = area.width.saturating_sub(4).min(60);
    let rect = centered(area, width, area.height.saturating_sub(2).min(16));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(format!(" {} ", picker.title))
        .title_style(heading());
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [search, list, error] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(format!("search: {}_", picker.query)), search);
    let visible = picker.visible();
    let items: Vec<ListItem> = visible
        .iter()
        .map(|c| ListItem::new(c.label.as_str()))
        .collect();
    let mut state =
        ListState::default().with_selected((!visible.is_empty()).then_some(picker.selected));
    frame.render_stateful_widget(
        List::new(items).highlight_style(selected()),
        list,
        &mut state,
    );
    let note = match &picker.error {
        Some(e) => Paragraph::new(e.as_str()).style(bad()),
        None if picker.choices.is_empty() => Paragraph::new("nothing to choose from"),
        None if visible.is_empty() => {
            Paragraph::new(format!("nothing matches '{}'", picker.query)).style(bad())
        }
        None => Paragraph::new(format!("{} of {}", visible.len(), picker.choices.len())),
    };
    frame.render_widget(note, error);
}
