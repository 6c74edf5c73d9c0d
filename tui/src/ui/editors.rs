//! The group and schedule editors: one row per field, changed fields marked with `*`.

use firmware_config::group::QueueGroup;
use firmware_config::schedule::Schedule;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::cell;
use super::lists::draw_list;
use crate::app::{App, GroupRow, ItemEditor, ScheduleRow};
use crate::describe;

/// One editor row: a change mark, the label, the value.
pub(super) fn row(label: &str, value: &str, changed: bool) -> String {
    format!(
        "{}{} {value}",
        if changed { "*" } else { " " },
        cell(label, 16)
    )
}

/// The group editor.
pub(super) fn group(frame: &mut Frame, area: Rect, app: &App, e: &ItemEditor<QueueGroup>) {
    let Some(config) = &app.config else { return };
    let (d, o) = (&e.draft, &e.original);
    let mut rows: Vec<String> = GroupRow::FIXED
        .iter()
        .map(|r| match r {
            GroupRow::Number => row("Number", d.number.as_str(), d.number != o.number),
            GroupRow::Distribution => row(
                "Distribution",
                describe::distribution(d.distribution),
                d.distribution != o.distribution,
            ),
            GroupRow::RingTime => row(
                "Ring time",
                &format!("{} s", d.ring_time_secs),
                d.ring_time_secs != o.ring_time_secs,
            ),
            _ => row(
                "When unanswered",
                &describe::unanswered(&d.unanswered),
                d.unanswered != o.unanswered,
            ),
        })
        .collect();
    for (i, m) in d.members.iter().enumerate() {
        let state = config
            .employee(m)
            .map(|e| describe::presence(e.presence))
            .unwrap_or("unknown");
        let name = describe::employee(config, m);
        let moved = o.members.get(i) != Some(m);
        rows.push(row(
            &format!("Member {}", i + 1),
            &format!("{} ({state})", cell(&name, 32)),
            moved,
        ));
    }
    if d.members.is_empty() {
        rows.push(row("Members", "none yet: a adds one", false));
    }
    let title = format!(
        "{} '{}'{}",
        kind(e.new, "Group"),
        d.name,
        unsaved(e.dirty())
    );
    let head = format!("rev {} · Enter edits the field · * changed", e.base);
    draw_list(frame, area, &title, head, rows, Some(e.row));
}

/// The schedule editor.
pub(super) fn schedule(frame: &mut Frame, area: Rect, e: &ItemEditor<Schedule>) {
    let (d, o) = (&e.draft, &e.original);
    let mut rows = Vec::new();
    for i in 0..ScheduleRow::FIXED {
        rows.push(match ScheduleRow::at(i) {
            ScheduleRow::TimeZone => row("Time zone", &d.time_zone, d.time_zone != o.time_zone),
            ScheduleRow::DaysOff => row(
                "Days off",
                &describe::days_off(&d.days_off),
                d.days_off != o.days_off,
            ),
            ScheduleRow::Hours(day) => {
                let mut hours = describe::hours(d, day);
                if describe::is_day_off(&d.days_off, day) {
                    hours.push_str("  (day off)");
                }
                let changed = d.hours.day(day) != o.hours.day(day)
                    || describe::is_day_off(&d.days_off, day)
                        != describe::is_day_off(&o.days_off, day);
                row(&format!("Hours {day}"), &hours, changed)
            }
            _ => row(
                "After hours",
                &describe::after_hours(&d.after_hours),
                d.after_hours != o.after_hours,
            ),
        });
    }
    for h in &d.holidays {
        let new = !o.holidays.contains(h);
        let value = format!("{}: {}", h.name, describe::holiday_dates(h));
        rows.push(row("Holiday", &value, new));
    }
    let title = format!(
        "{} '{}'{}",
        kind(e.new, "Schedule"),
        d.name,
        unsaved(e.dirty())
    );
    let head = format!(
        "rev {} · night switch: {} · * changed",
        e.base,
        describe::night_switch(d.night_switch.as_ref(), &d.time_zone)
    );
    draw_list(frame, area, &title, head, rows, Some(e.row));
}

/// The kind of item an editor holds ("Group"), as "New group" while it is not stored yet.
pub(super) fn kind(new: bool, kind: &str) -> String {
    if new {
        format!("New {}", kind.to_lowercase())
    } else {
        kind.to_string()
    }
}

/// " (unsaved)" after the title of an editor with something to save.
pub(super) fn unsaved(dirty: bool) -> &'static str {
    if dirty {
        " (unsaved)"
    } else {
        ""
    }
}
