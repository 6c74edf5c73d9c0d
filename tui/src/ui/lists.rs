//! The lists: employees, queue groups, schedules, entry points.

use firmware_config::entry::{Destination, EntrySource, UnknownCaller};
use firmware_config::group::Distribution;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, List, ListItem, ListState};
use ratatui::Frame;

use super::{cell, heading, selected};
use crate::app::App;
use crate::describe;

/// Draws a titled list with a heading row and the selection kept in view.
pub(crate) fn draw_list(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    head: String,
    rows: Vec<String>,
    at: Option<usize>,
) {
    let block = Block::bordered()
        .title(format!(" {title} "))
        .title_style(heading());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [head_area, list_area] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Min(1),
    ])
    .areas(inner);
    frame.render_widget(
        ratatui::widgets::Paragraph::new(head).style(heading()),
        head_area,
    );
    let empty = rows.is_empty();
    let items: Vec<ListItem> = if empty {
        vec![ListItem::new("(none)")]
    } else {
        rows.into_iter().map(ListItem::new).collect()
    };
    let mut state = ListState::default().with_selected(if empty { None } else { at });
    frame.render_stateful_widget(
        List::new(items).highlight_style(selected()),
        list_area,
        &mut state,
    );
}

/// The employees.
pub(super) fn employees(frame: &mut Frame, area: Rect, app: &App) {
    let Some(config) = &app.config else { return };
    let head = format!(
        "{} {} {} {}",
        cell("Ext", 7),
        cell("Name", 30),
        cell("Presence", 11),
        "Phones"
    );
    let rows = config
        .employees
        .iter()
        .map(|e| {
            let online = app
                .live
                .registrations
                .iter()
                .filter(|r| r.extension == e.extension)
                .count();
            format!(
                "{} {} {} {}/{}",
                cell(e.extension.as_str(), 7),
                cell(&e.name, 30),
                cell(describe::presence(e.presence), 11),
                online,
                e.devices.len()
            )
        })
        .collect();
    draw_list(frame, area, "Employees", head, rows, Some(app.selection()));
}

fn short_distribution(d: Distribution) -> &'static str {
    match d {
        Distribution::InOrder => "in order",
        Distribution::Evenly => "evenly",
        Distribution::Simultaneously => "all at once",
    }
}

/// The queue groups.
pub(super) fn groups(frame: &mut Frame, area: Rect, app: &App) {
    let Some(config) = &app.config else { return };
    let head = format!(
        "{} {} {} {} {}",
        cell("Name", 16),
        cell("Number", 7),
        cell("Distribution", 12),
        cell("Ring", 5),
        "Members"
    );
    let rows = config
        .groups
        .iter()
        .map(|g| {
            let members = g
                .members
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            format!(
                "{} {} {} {} {}",
                cell(&g.name, 16),
                cell(g.number.as_str(), 7),
                cell(short_distribution(g.distribution), 12),
                cell(&format!("{} s", g.ring_time_secs), 5),
                members
            )
        })
        .collect();
    draw_list(
        frame,
        area,
        "Queue groups",
        head,
        rows,
        Some(app.selection()),
    );
}

/// The schedules.
pub(super) fn schedules(frame: &mut Frame, area: Rect, app: &App) {
    let Some(config) = &app.config else { return };
    let head = format!(
        "{} {} {} {}",
        cell("Name", 14),
        cell("Time zone", 17),
        cell("Days off", 18),
        "Night switch"
    );
    let rows = config
        .schedules
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {}",
                cell(&s.name, 14),
                cell(&s.time_zone, 17),
                cell(&describe::days_off(&s.days_off), 18),
                describe::night_switch(s.night_switch.as_ref(), &s.time_zone)
            )
        })
        .collect();
    draw_list(frame, area, "Schedules", head, rows, Some(app.selection()));
}

/// The entry points.
pub(super) fn entries(frame: &mut Frame, area: Rect, app: &App) {
    let Some(config) = &app.config else { return };
    let head = format!(
        "{} {} {} {} {}",
        cell("Name", 14),
        cell("Source", 20),
        cell("Goes to", 14),
        cell("Schedule", 12),
        "CRM"
    );
    let rows = config
        .entry_points
        .iter()
        .map(|e| {
            let source = match &e.source {
                EntrySource::AnalogLine(l) => format!("line {l}"),
                EntrySource::TrunkDid(t) => format!("{} {}", t.trunk, t.did),
                EntrySource::Internal(x) => format!("internal {x}"),
            };
            let dest = match &e.destination {
                Destination::Employee(x) => format!("employee {x}"),
                Destination::Group(g) => format!("group {g}"),
            };
            let crm = match (e.crm.lookup, e.crm.unknown_caller) {
                (false, _) => "off",
                (true, UnknownCaller::CreateLead) => "lead",
                (true, UnknownCaller::OfferToCreate) => "offer",
            };
            let schedule = e
                .schedule
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "always".into());
            format!(
                "{} {} {} {} {crm}",
                cell(&e.name, 14),
                cell(&source, 20),
                cell(&dest, 14),
                cell(&schedule, 12)
            )
        })
        .collect();
    draw_list(
        frame,
        area,
        "Entry points",
        head,
        rows,
        Some(app.selection()),
    );
}
