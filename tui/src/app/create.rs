//! Starting new groups, schedules and entry points from their lists (`a`): the console asks
//! what it cannot guess (the name; a group's number; where an entry point's calls come from),
//! then opens the editor on a draft built from the factory templates, saved like any edit.

use firmware_config::bounded::Text;
use firmware_config::bounds::KEY_LEN;
use firmware_config::default::{new_entry, new_group, new_schedule};
use firmware_config::entry::{Destination, EntrySource, TrunkDid};
use firmware_config::Config;

use super::editors::{Editor, ItemEditor};
use super::overlay::{Choice, InputFor, PickFor, Picker};
use super::{App, Overlay, Tab};
use crate::fields;

/// What kind of item is being started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewKind {
    /// A queue group.
    Group,
    /// A schedule.
    Schedule,
    /// An entry point.
    Entry,
}

impl NewKind {
    /// The kind a list tab starts, if it starts one.
    pub fn of(tab: Tab) -> Option<NewKind> {
        match tab {
            Tab::Groups => Some(NewKind::Group),
            Tab::Schedules => Some(NewKind::Schedule),
            Tab::Entries => Some(NewKind::Entry),
            _ => None,
        }
    }

    fn word(self) -> &'static str {
        match self {
            NewKind::Group => "group",
            NewKind::Schedule => "schedule",
            NewKind::Entry => "entry point",
        }
    }

    fn taken(self, config: &Config, name: &str) -> bool {
        match self {
            NewKind::Group => config.groups.iter().any(|g| g.name.as_str() == name),
            NewKind::Schedule => config.schedules.iter().any(|s| s.name.as_str() == name),
            NewKind::Entry => config.entry_points.iter().any(|e| e.name.as_str() == name),
        }
    }
}

/// The picker of where an entry point's calls come from: each analog line, each trunk (a DID
/// on it is asked next) and an internal number (asked next).
pub fn source_picker(config: &Config) -> Picker {
    let lines = config.lines.iter().map(|l| {
        Choice::new(
            format!("line:{}", l.name),
            format!("analog line {}", l.name),
        )
    });
    let trunks = config.trunks.iter().map(|t| {
        Choice::new(
            format!("trunk:{}", t.name),
            format!("a number (DID) on trunk {}", t.name),
        )
    });
    let internal = Choice::new("internal", "an internal number employees dial");
    Picker::new(
        "Calls come from",
        lines
            .chain(trunks)
            .chain(std::iter::once(internal))
            .collect(),
        PickFor::EntrySource,
    )
}

impl App {
    /// Starts a new item of the tab's kind: asks its name.
    pub(super) fn start_new(&mut self, kind: NewKind) {
        if self.config.is_none() {
            return;
        }
        self.new_entry = None;
        self.ask(
            &format!("New {}: name", kind.word()),
            "letters, digits, - _ . (other items refer to it by this name)",
            String::new(),
            InputFor::NewItemName(kind),
        );
    }

    /// Takes the typed name, number or DID of an item being started.
    pub(super) fn edit_new_item_field(
        &mut self,
        purpose: &InputFor,
        text: &str,
    ) -> Result<(), String> {
        let config = self
            .config
            .as_ref()
            .ok_or("the configuration is not loaded yet")?;
        match purpose {
            InputFor::NewItemName(kind) => {
                let name = fields::key(text)?;
                if kind.taken(config, &name) {
                    return Err(format!("there is already a {} '{name}'", kind.word()));
                }
                self.named(*kind, name)?;
            }
            InputFor::NewGroupNumber(name) => {
                let number = fields::extension(text)?;
                if let Some(owner) = config.number_owner(&number) {
                    return Err(format!("{number} is already the number of {owner}"));
                }
                let name = fields::key(name)?;
                self.open_new(Editor::Group(Box::new(
                    self.draft(new_group(name, number))?,
                )));
            }
            InputFor::EntryNumber => {
                let number = fields::extension(text)?;
                let own = self.entry_source_number();
                if let Some(owner) = config.number_owner(&number) {
                    if own.as_ref() != Some(&number) {
                        return Err(format!("{number} is already the number of {owner}"));
                    }
                }
                self.set_entry_source(EntrySource::Internal(number))?;
            }
            InputFor::EntryDid(trunk) => {
                let did = fields::phone_number(text, config.system.default_country_code)?;
                let trunk = Text::new(trunk).map_err(|e| e.to_string())?;
                self.set_entry_source(EntrySource::TrunkDid(TrunkDid { trunk, did }))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The next step once a new item has its name.
    fn named(&mut self, kind: NewKind, name: Text<KEY_LEN>) -> Result<(), String> {
        match kind {
            NewKind::Group => self.ask(
                &format!("New group '{name}': number"),
                "2–6 digits that reach the group, not yet used",
                String::new(),
                InputFor::NewGroupNumber(name.to_string()),
            ),
            NewKind::Schedule => {
                let zone = self
                    .config
                    .as_ref()
                    .and_then(|c| c.schedules.iter().next().map(|s| s.time_zone.clone()))
                    .unwrap_or(Text::new("Europe/Warsaw").map_err(|e| e.to_string())?);
                let draft = self.draft(new_schedule(name, zone))?;
                self.open_new(Editor::Schedule(Box::new(draft)));
            }
            NewKind::Entry => {
                let config = self.config.as_ref().ok_or("not loaded")?;
                self.overlay = Some(Overlay::Picker(source_picker(config)));
                self.new_entry = Some(name);
            }
        }
        Ok(())
    }

    /// A picked source kind: a line is the source; a trunk or an internal number asks more.
    pub(super) fn pick_entry_source(&mut self, key: &str) -> Result<(), String> {
        match key.split_once(':') {
            Some(("line", line)) => {
                let line = Text::new(line).map_err(|e| e.to_string())?;
                self.set_entry_source(EntrySource::AnalogLine(line))
            }
            Some(("trunk", trunk)) => {
                self.ask(
                    &format!("Number dialled on trunk {trunk}"),
                    "the DID, e.g. +48 22 123 45 67",
                    String::new(),
                    InputFor::EntryDid(trunk.to_string()),
                );
                Ok(())
            }
            _ => {
                self.ask(
                    "Internal number",
                    "2–6 digits employees dial, not yet used",
                    String::new(),
                    InputFor::EntryNumber,
                );
                Ok(())
            }
        }
    }

    /// Sets the source of the open entry point, or creates the entry point being started.
    fn set_entry_source(&mut self, source: EntrySource) -> Result<(), String> {
        if let Some(Editor::Entry(e)) = &mut self.editor {
            e.draft.source = source;
            return Ok(());
        }
        let name = self
            .new_entry
            .take()
            .ok_or("no entry point is being started")?;
        let config = self.config.as_ref().ok_or("not loaded")?;
        let destination = first_destination(config)
            .ok_or("add a queue group or an employee first: calls need somewhere to go")?;
        let draft = self.draft(new_entry(name, source, destination))?;
        self.open_new(Editor::Entry(Box::new(draft)));
        Ok(())
    }

    fn entry_source_number(&self) -> Option<firmware_config::number::Extension> {
        match &self.editor {
            Some(Editor::Entry(e)) => match &e.original.source {
                EntrySource::Internal(x) => Some(x.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    fn draft<T: Clone>(&self, item: T) -> Result<ItemEditor<T>, String> {
        let base = self.revision.ok_or("the configuration is not loaded yet")?;
        let mut editor = ItemEditor::new(base, item);
        editor.new = true;
        Ok(editor)
    }

    fn open_new(&mut self, editor: Editor) {
        self.editor = Some(editor);
        self.say(
            super::Tone::Info,
            "New: not stored until you save it (s); Esc twice discards it",
        );
    }
}

/// Where a new entry point's calls go until the admin picks: the first group, else the first
/// employee.
fn first_destination(config: &Config) -> Option<Destination> {
    let group = config.groups.iter().next();
    if let Some(g) = group {
        return Some(Destination::Group(g.name.clone()));
    }
    let employee = config.employees.iter().next();
    employee.map(|e| Destination::Employee(e.extension.clone()))
}

#[cfg(test)]
mod tests;
