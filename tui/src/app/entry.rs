//! The entry-point editor: where calls go, which schedule decides the hours, CRM options.

use firmware_config::bounded::Text;
use firmware_config::entry::{Destination, EntryPoint, UnknownCaller};

use super::editors::{Editor, ItemEditor};
use super::overlay::{Choice, PickFor, Picker};
use super::{App, Overlay};
use crate::action::Action;
use crate::fields;

/// A row of the entry-point editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRow {
    /// Where calls come from.
    Source,
    /// Where calls go in working hours.
    Destination,
    /// The schedule.
    Schedule,
    /// Whether the CRM looks callers up.
    Lookup,
    /// What the CRM does with an unknown number.
    UnknownCaller,
}

impl EntryRow {
    /// Every row, in order.
    pub const ALL: [EntryRow; 5] = [
        EntryRow::Source,
        EntryRow::Destination,
        EntryRow::Schedule,
        EntryRow::Lookup,
        EntryRow::UnknownCaller,
    ];

    /// The row at index `row`.
    pub fn at(row: usize) -> EntryRow {
        Self::ALL
            .get(row)
            .copied()
            .unwrap_or(EntryRow::UnknownCaller)
    }
}

impl App {
    fn entry(&mut self) -> Option<&mut ItemEditor<EntryPoint>> {
        match &mut self.editor {
            Some(Editor::Entry(e)) => Some(e.as_mut()),
            _ => None,
        }
    }

    pub(super) fn entry_action(&mut self, action: Action) {
        let Some(config) = &self.config else { return };
        let Some(Editor::Entry(e)) = &self.editor else {
            return;
        };
        let picker = match (action, EntryRow::at(e.row)) {
            (Action::Enter, EntryRow::Source) => super::create::source_picker(config),
            (Action::Enter, EntryRow::Destination) => {
                let groups = config.groups.iter().map(|g| {
                    Choice::new(
                        format!("g:{}", g.name),
                        format!("group {} ({})", g.name, g.number),
                    )
                });
                let people = config.employees.iter().map(|x| {
                    Choice::new(
                        format!("e:{}", x.extension),
                        format!("employee {} {}", x.extension, x.name),
                    )
                });
                Picker::new(
                    "Calls go to",
                    groups.chain(people).collect(),
                    PickFor::Destination,
                )
            }
            (Action::Enter, EntryRow::Schedule) => {
                let none = Choice::new("", "none: always open");
                let named = config
                    .schedules
                    .iter()
                    .map(|s| Choice::new(s.name.as_str(), s.name.as_str()));
                Picker::new(
                    "Schedule",
                    std::iter::once(none).chain(named).collect(),
                    PickFor::EntrySchedule,
                )
            }
            (Action::Enter, row) => {
                if let Some(e) = self.entry() {
                    toggle(e, row);
                }
                return;
            }
            _ => return,
        };
        self.overlay = Some(Overlay::Picker(picker));
    }

    pub(super) fn pick_for_entry(&mut self, purpose: PickFor, key: &str) -> Result<(), String> {
        let e = self.entry().ok_or("no entry point is open")?;
        match purpose {
            PickFor::Destination => {
                e.draft.destination = match key.split_once(':') {
                    Some(("g", name)) => {
                        Destination::Group(Text::new(name).map_err(|x| x.to_string())?)
                    }
                    Some(("e", ext)) => Destination::Employee(fields::extension(ext)?),
                    _ => return Err(format!("'{key}' is not a destination")),
                };
            }
            _ => {
                e.draft.schedule = match key {
                    "" => None,
                    name => Some(Text::new(name).map_err(|x| x.to_string())?),
                };
            }
        }
        Ok(())
    }
}

fn toggle(e: &mut ItemEditor<EntryPoint>, row: EntryRow) {
    match row {
        EntryRow::Lookup => e.draft.crm.lookup = !e.draft.crm.lookup,
        EntryRow::UnknownCaller => {
            e.draft.crm.unknown_caller = match e.draft.crm.unknown_caller {
                UnknownCaller::CreateLead => UnknownCaller::OfferToCreate,
                UnknownCaller::OfferToCreate => UnknownCaller::CreateLead,
            }
        }
        _ => {}
    }
}
