//! Deleting a whole item from its list (an employee, a group, a schedule, an entry point): a
//! question naming it, then `Remove`. A refusal (the item is still used, the configuration
//! changed meanwhile) shows the daemon's reasons, and nothing changes.

use firmware_config::Config;
use pbx::control::protocol::{ItemKey, Reply, Request};

use super::{App, Command, Overlay, Tab, Tone};
use crate::action::Action;

/// An item to delete, in words (`group 'sales'`, `employee 1001 (Anna)`).
pub fn key_words(key: &ItemKey, config: Option<&Config>) -> String {
    match key {
        ItemKey::Employee(x) => match config.and_then(|c| c.employee(x)) {
            Some(e) => format!("employee {x} ({})", e.name),
            None => format!("employee {x}"),
        },
        ItemKey::Group(x) => format!("group '{x}'"),
        ItemKey::Schedule(x) => format!("schedule '{x}'"),
        ItemKey::EntryPoint(x) => format!("entry point '{x}'"),
    }
}

impl App {
    /// The key of the item selected on the current list, if it is a list of items.
    fn selected_key(&self) -> Option<ItemKey> {
        let config = self.config.as_ref()?;
        let at = self.selection();
        match self.tab {
            Tab::Employees => config
                .employees
                .get(at)
                .map(|e| ItemKey::Employee(e.extension.clone())),
            Tab::Groups => config
                .groups
                .get(at)
                .map(|g| ItemKey::Group(g.name.to_string())),
            Tab::Schedules => config
                .schedules
                .get(at)
                .map(|s| ItemKey::Schedule(s.name.to_string())),
            Tab::Entries => config
                .entry_points
                .get(at)
                .map(|e| ItemKey::EntryPoint(e.name.to_string())),
            _ => None,
        }
    }

    /// The delete key on a list: asks before anything is sent.
    pub(super) fn ask_delete(&mut self) {
        let Some(key) = self.selected_key() else {
            return;
        };
        let question = format!("Delete {}? y/n", key_words(&key, self.config.as_ref()));
        self.overlay = Some(Overlay::Delete { key, question });
    }

    /// A key while the question is open: `y` sends the removal, `n` or Esc keeps the item.
    pub(super) fn delete_action(
        &mut self,
        key: ItemKey,
        question: String,
        action: Action,
    ) -> Vec<Command> {
        match action {
            Action::Char('y' | 'Y') => {
                let Some(base) = self.revision else {
                    return Vec::new();
                };
                self.say(Tone::Info, "Deleting…");
                vec![Command::Send(Request::Remove { base, key })]
            }
            Action::Char('n' | 'N') | Action::Back => {
                self.say(Tone::Info, "Nothing deleted");
                Vec::new()
            }
            _ => {
                self.overlay = Some(Overlay::Delete { key, question });
                Vec::new()
            }
        }
    }

    /// The daemon refused the removal of `key`: its reasons are shown, nothing changed.
    pub(super) fn delete_refused(&mut self, key: &ItemKey, reply: Reply) {
        let what = key_words(key, self.config.as_ref());
        let (heading, note, reasons, conflict) = match reply {
            // The configuration was valid before: what the removal breaks still uses it.
            Reply::Invalid { problems } => (
                format!("Nothing was deleted: {what} is still in use. The daemon says:"),
                format!("{what} is still in use"),
                problems
                    .into_iter()
                    .map(|p| format!("{}: {}", p.path, p.message))
                    .collect(),
                false,
            ),
            Reply::Conflict { current, changed } => (
                "Nothing was deleted: the configuration changed meanwhile.".to_string(),
                "changed meanwhile; r reloads".to_string(),
                vec![format!(
                    "now revision {current}; changed: {}",
                    changed.join(", ")
                )],
                true,
            ),
            Reply::Error { message } => (
                "Nothing was deleted. The daemon says:".to_string(),
                message.clone(),
                vec![message],
                false,
            ),
            _ => return,
        };
        self.say(Tone::Bad, format!("Not deleted: {note}"));
        self.overlay = Some(Overlay::NotDeleted {
            heading,
            reasons,
            conflict,
        });
    }
}

#[cfg(test)]
mod tests;
