//! The Contacts tab: the CRM's contacts and leads, searched, added, edited, deleted and
//! imported from a CSV or vCard file.
//!
//! Contacts are not part of the configuration: they have no revision, and each change is one
//! request (`save_contact`, `remove_contact`). An import reads the file (the event loop does,
//! for [`Command::ReadFile`]), asks the daemon for a dry run and shows its report; only Enter
//! on the report imports. The list is asked again after every change.

use pbx::control::protocol::{ContactKind, ContactView, Reply, Request};
use pbx::routing::crm::import::ImportFormat;
use pbx::routing::crm::{ContactDraft, ImportReport};

use super::overlay::{Choice, InputFor, PickFor, Picker};
use super::{App, Command, Overlay, Tone};
use crate::action::Action;

/// A row of the contact form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactRow {
    /// The name.
    Name,
    /// The company.
    Company,
    /// The numbers, comma-separated.
    Numbers,
    /// The responsible employee.
    Responsible,
}

impl ContactRow {
    /// Every row, in order.
    pub const ALL: [ContactRow; 4] = [
        ContactRow::Name,
        ContactRow::Company,
        ContactRow::Numbers,
        ContactRow::Responsible,
    ];

    /// The row at index `row`.
    pub fn at(row: usize) -> ContactRow {
        Self::ALL
            .get(row)
            .copied()
            .unwrap_or(ContactRow::Responsible)
    }
}

/// A contact being added or edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactForm {
    /// The contact as stored (empty for a new one).
    pub original: ContactDraft,
    /// As edited.
    pub draft: ContactDraft,
    /// The selected row.
    pub row: usize,
    /// Esc was pressed once with unsaved changes.
    pub leaving: bool,
}

impl ContactForm {
    /// True when there is something to save.
    pub fn dirty(&self) -> bool {
        self.draft != self.original || self.draft.id.is_none()
    }
}

/// A file read and dry-run, waiting for Enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingImport {
    /// The file.
    pub path: String,
    /// Its format.
    pub format: ImportFormat,
    /// Its text, sent again to import.
    pub text: String,
    /// What the daemon would do with it.
    pub report: ImportReport,
}

/// What the tab shows over its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactsView {
    /// The list.
    List,
    /// The contact form.
    Form(Box<ContactForm>),
    /// An import's dry-run report.
    Report(Box<PendingImport>),
    /// The question before a contact is deleted.
    Remove {
        /// Its id.
        id: u64,
        /// Its name, for the question.
        name: String,
    },
}

/// The Contacts tab's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contacts {
    /// The rows the daemon sent (contacts, then leads).
    pub rows: Vec<ContactView>,
    /// How many matched in all.
    pub total: usize,
    /// The search text (empty: everything).
    pub search: String,
    /// The selected row.
    pub selected: usize,
    /// True once the daemon has answered.
    pub loaded: bool,
    /// What is shown over the list.
    pub view: ContactsView,
    /// The file whose dry run is awaited.
    pub importing: Option<String>,
}

impl Contacts {
    /// An empty tab, nothing asked yet.
    pub fn new() -> Contacts {
        Contacts {
            rows: Vec::new(),
            total: 0,
            search: String::new(),
            selected: 0,
            loaded: false,
            view: ContactsView::List,
            importing: None,
        }
    }

    /// The request for the list as searched now.
    pub fn fetch(&self) -> Request {
        let search = Some(self.search.clone()).filter(|s| !s.is_empty());
        Request::Contacts { search }
    }

    fn selected_row(&self) -> Option<&ContactView> {
        self.rows.get(self.selected)
    }
}

impl Default for Contacts {
    fn default() -> Self {
        Contacts::new()
    }
}

/// The format a file's name suggests: `.vcf` or `.vcard` is vCard, anything else CSV.
pub fn format_of(path: &str) -> ImportFormat {
    let lower = path.to_lowercase();
    if lower.ends_with(".vcf") || lower.ends_with(".vcard") {
        ImportFormat::Vcard
    } else {
        ImportFormat::Csv
    }
}

/// The draft a stored contact or lead starts an edit from.
fn draft_of(row: &ContactView) -> ContactDraft {
    ContactDraft {
        id: (row.kind == ContactKind::Contact).then_some(row.id),
        name: row.name.clone(),
        company: row.company.clone(),
        numbers: row.numbers.iter().map(|n| n.to_string()).collect(),
        responsible: row.responsible.as_ref().map(|r| r.to_string()),
    }
}

/// An import report in one line.
pub fn report_line(report: &ImportReport) -> String {
    format!(
        "{} added, {} merged, {} unchanged, {} refused",
        report.added,
        report.merged,
        report.unchanged,
        report.refused.len()
    )
}

impl App {
    /// A key on the Contacts tab (with no overlay open).
    pub(super) fn contacts_action(&mut self, action: Action) -> Option<Vec<Command>> {
        match std::mem::replace(&mut self.contacts.view, ContactsView::List) {
            ContactsView::List => self.contacts_list_action(action),
            ContactsView::Form(form) => Some(self.contact_form_action(*form, action)),
            ContactsView::Report(pending) => Some(self.import_report_action(*pending, action)),
            ContactsView::Remove { id, name } => Some(self.remove_action(id, name, action)),
        }
    }

    /// The list's own keys (`None`: a key the other lists share, like the tab keys).
    fn contacts_list_action(&mut self, action: Action) -> Option<Vec<Command>> {
        let c = &mut self.contacts;
        match action {
            Action::Up => c.selected = c.selected.saturating_sub(1),
            Action::Down => c.selected = (c.selected + 1).min(c.rows.len().saturating_sub(1)),
            Action::Search => {
                let text = c.search.clone();
                let hint = "a name, company, number or extension; empty shows all";
                self.ask("Search contacts", hint, text, InputFor::ContactSearch);
            }
            Action::Add => self.open_form(ContactDraft::default()),
            Action::Enter => {
                let draft = c.selected_row().map(draft_of)?;
                self.open_form(draft);
            }
            Action::Delete => {
                let row = c.selected_row()?;
                if row.kind == ContactKind::Lead {
                    self.say(
                        Tone::Info,
                        "A lead is kept with its calls; Enter makes it a contact",
                    );
                    return Some(Vec::new());
                }
                c.view = ContactsView::Remove {
                    id: row.id,
                    name: row.name.clone(),
                };
            }
            Action::Import => {
                let hint = "a CSV (with a header row) or vCard (.vcf) file on this gateway";
                self.ask(
                    "Import contacts from",
                    hint,
                    String::new(),
                    InputFor::ImportPath,
                );
            }
            Action::Reload => return Some(vec![Command::Send(self.contacts.fetch())]),
            _ => return None,
        }
        Some(Vec::new())
    }

    fn open_form(&mut self, draft: ContactDraft) {
        self.contacts.view = ContactsView::Form(Box::new(ContactForm {
            original: draft.clone(),
            draft,
            row: 0,
            leaving: false,
        }));
    }

    fn contact_form_action(&mut self, mut form: ContactForm, action: Action) -> Vec<Command> {
        let row = ContactRow::at(form.row);
        match action {
            Action::Up => form.row = form.row.saturating_sub(1),
            Action::Down => form.row = (form.row + 1).min(ContactRow::ALL.len() - 1),
            Action::Enter if row == ContactRow::Responsible => self.pick_responsible(),
            Action::Enter => self.ask_contact_field(&form.draft, row),
            Action::Save if form.dirty() => {
                let request = Request::SaveContact {
                    contact: form.draft.clone(),
                };
                self.say(Tone::Info, "Saving…");
                self.contacts.view = ContactsView::Form(Box::new(form));
                return vec![Command::Send(request)];
            }
            Action::Save => self.say(Tone::Info, "Nothing changed"),
            Action::Back if form.dirty() && !form.leaving => {
                form.leaving = true;
                self.say(
                    Tone::Info,
                    "Unsaved changes: s saves, Esc again discards them",
                );
            }
            Action::Back => {
                self.note = None;
                return Vec::new();
            }
            _ => {}
        }
        self.contacts.view = ContactsView::Form(Box::new(form));
        Vec::new()
    }

    fn ask_contact_field(&mut self, draft: &ContactDraft, row: ContactRow) {
        let (title, hint, text) = match row {
            ContactRow::Name => ("Name", "a person or a company", draft.name.clone()),
            ContactRow::Company => (
                "Company",
                "empty = none",
                draft.company.clone().unwrap_or_default(),
            ),
            _ => (
                "Numbers",
                "one or more, separated by commas, e.g. +48 601 234 567, 22 123 45 67",
                draft.numbers.join(", "),
            ),
        };
        self.ask(title, hint, text, InputFor::ContactField(row));
    }

    fn pick_responsible(&mut self) {
        let Some(config) = &self.config else { return };
        let none = Choice::new("", "nobody: the queue's employees are told");
        let people = config
            .employees
            .iter()
            .map(|e| Choice::new(e.extension.as_str(), format!("{} {}", e.extension, e.name)));
        let choices = std::iter::once(none).chain(people).collect();
        self.overlay = Some(Overlay::Picker(Picker::new(
            "Responsible employee",
            choices,
            PickFor::Responsible,
        )));
    }

    /// The form open now, to change.
    fn form_mut(&mut self) -> Result<&mut ContactForm, String> {
        match &mut self.contacts.view {
            ContactsView::Form(form) => Ok(form.as_mut()),
            _ => Err("no contact is open".to_owned()),
        }
    }

    /// A typed contact field, search text or import path.
    pub(super) fn edit_contact_field(
        &mut self,
        purpose: &InputFor,
        text: &str,
    ) -> Result<Vec<Command>, String> {
        match purpose {
            InputFor::ContactSearch => {
                self.contacts.search = text.trim().to_owned();
                self.contacts.selected = 0;
                return Ok(vec![Command::Send(self.contacts.fetch())]);
            }
            InputFor::ImportPath => {
                let path = text.trim();
                if path.is_empty() {
                    return Err("type the file's path".to_owned());
                }
                return Ok(vec![Command::ReadFile(path.to_owned())]);
            }
            InputFor::ContactField(row) => {
                let draft = &mut self.form_mut()?.draft;
                match row {
                    ContactRow::Name => {
                        let name = text.trim();
                        if name.is_empty() {
                            return Err("the name is empty".to_owned());
                        }
                        draft.name = name.to_owned();
                    }
                    ContactRow::Company => {
                        draft.company = Some(text.trim().to_owned()).filter(|c| !c.is_empty());
                    }
                    _ => {
                        let numbers: Vec<String> = text
                            .split([',', ';'])
                            .map(str::trim)
                            .filter(|n| !n.is_empty())
                            .map(str::to_owned)
                            .collect();
                        if numbers.is_empty() {
                            return Err("a contact needs at least one number".to_owned());
                        }
                        draft.numbers = numbers;
                    }
                }
            }
            _ => {}
        }
        Ok(Vec::new())
    }

    /// The responsible employee picked (`""`: nobody).
    pub(super) fn pick_responsible_key(&mut self, key: &str) -> Result<(), String> {
        self.form_mut()?.draft.responsible = Some(key.to_owned()).filter(|k| !k.is_empty());
        Ok(())
    }

    /// The event loop read the file at `path` (or could not): a dry run is asked for.
    pub fn on_file(&mut self, path: &str, read: Result<String, String>) -> Vec<Command> {
        match read {
            Ok(text) => {
                self.say(Tone::Info, format!("Checking {path}…"));
                self.contacts.importing = Some(path.to_owned());
                vec![Command::Send(Request::ImportContacts {
                    format: format_of(path),
                    text,
                    dry_run: true,
                })]
            }
            Err(why) => {
                self.say(Tone::Bad, format!("Cannot read {path}: {why}"));
                Vec::new()
            }
        }
    }

    fn import_report_action(&mut self, pending: PendingImport, action: Action) -> Vec<Command> {
        match action {
            Action::Enter | Action::Save => {
                self.say(Tone::Info, format!("Importing {}…", pending.path));
                vec![Command::Send(Request::ImportContacts {
                    format: pending.format,
                    text: pending.text,
                    dry_run: false,
                })]
            }
            Action::Back => {
                self.say(Tone::Info, "Nothing imported");
                Vec::new()
            }
            _ => {
                self.contacts.view = ContactsView::Report(Box::new(pending));
                Vec::new()
            }
        }
    }

    fn remove_action(&mut self, id: u64, name: String, action: Action) -> Vec<Command> {
        match action {
            Action::Enter => {
                self.say(Tone::Info, "Deleting…");
                vec![Command::Send(Request::RemoveContact { contact: id })]
            }
            Action::Back => {
                self.say(Tone::Info, "Nothing deleted");
                Vec::new()
            }
            _ => {
                self.contacts.view = ContactsView::Remove { id, name };
                Vec::new()
            }
        }
    }

    /// A reply about contacts.
    pub(super) fn on_contacts_reply(&mut self, request: &Request, reply: Reply) -> Vec<Command> {
        match reply {
            Reply::Contacts { contacts, total } => {
                let c = &mut self.contacts;
                c.selected = c.selected.min(contacts.len().saturating_sub(1));
                (c.rows, c.total, c.loaded) = (contacts, total, true);
                return Vec::new();
            }
            Reply::ContactSaved { contact } => {
                self.contacts.view = ContactsView::List;
                self.say(Tone::Good, format!("Saved contact '{}'", contact.name));
            }
            Reply::ContactRemoved { .. } => self.say(Tone::Good, "Contact deleted"),
            Reply::Imported { report } if report.dry_run => {
                let Request::ImportContacts { format, text, .. } = request else {
                    return Vec::new();
                };
                self.contacts.view = ContactsView::Report(Box::new(PendingImport {
                    path: self.contacts.importing.take().unwrap_or_default(),
                    format: *format,
                    text: text.clone(),
                    report,
                }));
                self.say(Tone::Info, "Enter imports, Esc imports nothing");
                return Vec::new();
            }
            Reply::Imported { report } => {
                self.say(Tone::Good, format!("Imported: {}", report_line(&report)));
            }
            _ => return Vec::new(),
        }
        vec![Command::Send(self.contacts.fetch())]
    }

    /// The Contacts tab is shown: its list is asked for.
    pub(super) fn contacts_shown(&mut self) -> Vec<Command> {
        self.contacts.view = ContactsView::List;
        vec![Command::Send(self.contacts.fetch())]
    }
}

#[cfg(test)]
mod tests;
