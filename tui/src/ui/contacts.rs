//! The Contacts tab: the list (contacts, then leads), the contact form, an import's dry-run
//! report and the question before a delete.

use pbx::control::protocol::{ContactKind, ContactView};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::Frame;

use super::editors::row;
use super::lists::draw_list;
use super::overlay::popup;
use super::{bad, cell, heading};
use crate::app::{report_line, App, ContactForm, ContactRow, ContactsView, PendingImport};

/// Draws the tab.
pub(super) fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let c = &app.contacts;
    if let ContactsView::Form(form) = &c.view {
        return draw_form(frame, area, form);
    }
    draw_rows(frame, area, app);
    match &c.view {
        ContactsView::Report(pending) => draw_report(frame, area, pending),
        ContactsView::Remove { name, .. } => {
            let lines = vec![
                Line::from(format!("Delete contact '{name}'? Its calls go with it.")),
                Line::from(""),
                Line::from("Enter deletes, Esc keeps it").style(heading()),
            ];
            popup(frame, area, "Delete contact", lines, bad());
        }
        _ => {}
    }
}

fn draw_rows(frame: &mut Frame, area: Rect, app: &App) {
    let c = &app.contacts;
    let title = match (c.search.is_empty(), c.loaded) {
        (_, false) => "Contacts (asking the daemon…)".to_string(),
        (true, true) => format!("Contacts and leads: {}", c.total),
        (false, true) => format!("Contacts and leads matching '{}': {}", c.search, c.total),
    };
    let head = format!(
        "{} {} {} {} {}",
        cell("Name", 22),
        cell("Company", 14),
        cell("Numbers", 16),
        cell("Resp.", 6),
        "Calls"
    );
    let rows = c.rows.iter().map(line).collect();
    draw_list(frame, area, &title, head, rows, Some(c.selected));
}

/// One contact or lead as a row.
fn line(v: &ContactView) -> String {
    let name = match v.kind {
        ContactKind::Contact => v.name.clone(),
        ContactKind::Lead => format!("(lead {})", v.id),
    };
    let numbers: Vec<String> = v.numbers.iter().map(|n| n.to_string()).collect();
    let numbers = match numbers.len() {
        0 | 1 => numbers.join(""),
        more => format!("{} +{}", numbers[0], more - 1),
    };
    let last = v
        .last_activity
        .as_ref()
        .map(|a| a.at.format(" last %d.%m").to_string())
        .unwrap_or_default();
    format!(
        "{} {} {} {} {}{last}",
        cell(&name, 22),
        cell(v.company.as_deref().unwrap_or(""), 14),
        cell(&numbers, 16),
        cell(v.responsible.as_ref().map(|r| r.as_str()).unwrap_or("-"), 6),
        v.activities
    )
}

fn draw_form(frame: &mut Frame, area: Rect, form: &ContactForm) {
    let (d, o) = (&form.draft, &form.original);
    let value = |r: ContactRow, draft: &pbx::routing::crm::ContactDraft| match r {
        ContactRow::Name => draft.name.clone(),
        ContactRow::Company => draft.company.clone().unwrap_or_else(|| "none".into()),
        ContactRow::Numbers => draft.numbers.join(", "),
        ContactRow::Responsible => draft
            .responsible
            .clone()
            .unwrap_or_else(|| "nobody (the queue's employees)".into()),
    };
    let labels = ["Name", "Company", "Numbers", "Responsible"];
    let rows = ContactRow::ALL
        .iter()
        .zip(labels)
        .map(|(r, label)| row(label, &value(*r, d), value(*r, d) != value(*r, o)))
        .collect();
    let title = match (d.id, form.dirty()) {
        (None, _) => "New contact (unsaved)".to_string(),
        (Some(id), true) => format!("Contact {id} (unsaved)"),
        (Some(id), false) => format!("Contact {id}"),
    };
    let head = "Enter edits the field · * changed · numbers in any usual form".to_string();
    draw_list(frame, area, &title, head, rows, Some(form.row));
}

fn draw_report(frame: &mut Frame, area: Rect, pending: &PendingImport) {
    let r = &pending.report;
    let mut lines = vec![
        Line::from(pending.path.clone()),
        Line::from(report_line(r)),
        Line::from(""),
    ];
    let shown = 8;
    for refusal in r.refused.iter().take(shown) {
        let name = refusal
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        lines.push(
            Line::from(format!("• {}{name}: {}", refusal.place, refusal.reason)).style(bad()),
        );
    }
    if r.refused.len() > shown {
        lines.push(Line::from(format!(
            "… and {} more refused",
            r.refused.len() - shown
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from("Enter imports the rest, Esc imports nothing").style(heading()));
    popup(
        frame,
        area,
        "Import contacts: nothing stored yet",
        lines,
        Style::new(),
    );
}
