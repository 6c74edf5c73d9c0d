//! The employee editor. A password is shown only while it is new or changed (so it can be
//! typed into the phone); otherwise it is masked.

use firmware_config::employee::Employee;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::editors::row;
use super::lists::draw_list;
use crate::app::{EmployeeRow, ItemEditor};
use crate::describe;

/// Draws the employee editor.
pub(super) fn draw(frame: &mut Frame, area: Rect, e: &ItemEditor<Employee>) {
    let (d, o) = (&e.draft, &e.original);
    let changed = |same: bool| e.new || !same;
    let mut rows: Vec<String> = EmployeeRow::FIXED
        .iter()
        .map(|r| match r {
            EmployeeRow::Name => row("Name", &d.name, changed(d.name == o.name)),
            EmployeeRow::Mobile => {
                let m = d
                    .mobile
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "none".into());
                row("Mobile", &m, changed(d.mobile == o.mobile))
            }
            _ => row(
                "Presence",
                describe::presence(d.presence),
                changed(d.presence == o.presence),
            ),
        })
        .collect();
    for device in &d.devices {
        let stored = !e.new && o.devices.contains(device);
        let password = if stored {
            "••••••••".to_string()
        } else {
            device.password.to_string()
        };
        rows.push(row(
            &format!("Phone {}", device.username),
            &format!("password {password}"),
            !stored,
        ));
    }
    if d.devices.is_empty() {
        rows.push(row("Phones", "none: a adds a phone account", false));
    }
    let title = if e.new {
        format!("New employee {} (unsaved)", d.extension)
    } else if d != o {
        format!("Employee {} (unsaved)", d.extension)
    } else {
        format!("Employee {}", d.extension)
    };
    let head = format!("rev {} · Enter edits the field · * changed", e.base);
    draw_list(frame, area, &title, head, rows, Some(e.row));
}
