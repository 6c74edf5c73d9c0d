//! Changing contacts from outside the router: saving one (new or edited), removing one, and
//! importing many, each checked against the configuration (the default country code for
//! national numbers, the employees for the responsible one).
//!
//! Decisions:
//! - **Checked once, here.** A draft's numbers are text as typed (`601 234 567`,
//!   `+48 601…`, `0048…`) and are parsed with the configured default country code; every
//!   problem is returned at once, each naming its field ([`ContactError::field`]).
//! - **A number belongs to one contact.** Saving a contact with a number of another is
//!   refused; an imported record whose number is known is merged into that contact (its new
//!   numbers added, the name kept, a missing company or responsible filled in), never
//!   duplicated. A record whose numbers belong to two contacts is refused.
//! - **Activities are the CRM's.** An edit changes the name, company, numbers and the
//!   responsible employee; the calls attached to the contact stay.

use std::collections::{BTreeMap, HashMap};

use firmware_config::number::{Extension, NumberError, PhoneNumber};
use firmware_config::Config;
use serde::{Deserialize, Serialize};

use super::import::Record;
use super::{Contact, Crm, CrmEvent};

/// The most contacts the CRM keeps.
pub const MAX_CONTACTS: usize = 10_000;
/// The most numbers one contact has.
pub const MAX_NUMBERS: usize = 16;
/// The longest name or company, in characters.
pub const MAX_TEXT: usize = 100;

/// A contact as the console or an import proposes it: numbers and the responsible employee as
/// typed, checked by [`Crm::save`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDraft {
    /// The contact edited; `None` for a new one (the CRM gives it an id).
    #[serde(default)]
    pub id: Option<u64>,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Company.
    #[serde(default)]
    pub company: Option<String>,
    /// Phone numbers in any usual form; national ones take the default country code.
    #[serde(default)]
    pub numbers: Vec<String>,
    /// The responsible employee's extension.
    #[serde(default)]
    pub responsible: Option<String>,
}

/// Why a contact cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// The id names no contact.
    #[error("there is no contact #{0}")]
    NoSuchContact(u64),
    /// The CRM holds [`MAX_CONTACTS`] already.
    #[error("the CRM is full ({MAX_CONTACTS} contacts)")]
    Full,
    /// No name.
    #[error("the name is empty")]
    EmptyName,
    /// A name longer than [`MAX_TEXT`].
    #[error("the name is longer than {MAX_TEXT} characters")]
    NameTooLong,
    /// A company longer than [`MAX_TEXT`].
    #[error("the company is longer than {MAX_TEXT} characters")]
    CompanyTooLong,
    /// No phone number.
    #[error("there is no phone number")]
    NoNumber,
    /// More than [`MAX_NUMBERS`] numbers.
    #[error("more than {MAX_NUMBERS} phone numbers")]
    TooManyNumbers,
    /// A number that does not parse.
    #[error("'{text}' is not a phone number: {why}")]
    BadNumber {
        /// Its position in the draft's numbers.
        index: usize,
        /// As typed.
        text: String,
        /// Why.
        why: NumberError,
    },
    /// A number of another contact.
    #[error("{number} already belongs to contact #{id} '{name}'")]
    NumberTaken {
        /// Its position in the draft's numbers.
        index: usize,
        /// The number.
        number: PhoneNumber,
        /// The contact it belongs to.
        id: u64,
        /// That contact's name.
        name: String,
    },
    /// The responsible employee is not an extension.
    #[error("'{text}' is not an extension: {why}")]
    BadResponsible {
        /// As typed.
        text: String,
        /// Why.
        why: NumberError,
    },
    /// The responsible employee does not exist.
    #[error("there is no employee {0}")]
    UnknownResponsible(Extension),
}

impl ContactError {
    /// The field the problem is in: `id`, `name`, `company`, `numbers`, `numbers[2]`,
    /// `responsible`.
    pub fn field(&self) -> String {
        match self {
            ContactError::NoSuchContact(_) | ContactError::Full => "id".into(),
            ContactError::EmptyName | ContactError::NameTooLong => "name".into(),
            ContactError::CompanyTooLong => "company".into(),
            ContactError::NoNumber | ContactError::TooManyNumbers => "numbers".into(),
            ContactError::BadNumber { index, .. } | ContactError::NumberTaken { index, .. } => {
                format!("numbers[{index}]")
            }
            ContactError::BadResponsible { .. } | ContactError::UnknownResponsible(_) => {
                "responsible".into()
            }
        }
    }
}

/// One contact before and after a change (without activities), for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChange {
    /// Before; `None` for a new contact.
    pub before: Option<Contact>,
    /// After; `None` for a removed contact.
    pub after: Option<Contact>,
}

impl ContactChange {
    /// The contact in words: `contact #4 'Jan Kowalski'`.
    pub fn item(&self) -> String {
        match self.after.as_ref().or(self.before.as_ref()) {
            Some(c) => format!("contact #{} '{}'", c.id, c.name),
            None => "contact".into(),
        }
    }
}

/// What an import did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Nothing was stored: this is what the import would do.
    pub dry_run: bool,
    /// New contacts.
    pub added: usize,
    /// Records merged into a contact with the same number (which changed).
    pub merged: usize,
    /// Records already known as they are (nothing to change).
    pub unchanged: usize,
    /// Records not imported, in the order of the file.
    pub refused: Vec<Refusal>,
}

/// One record that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Where in the file: `line 4`, `card 2`.
    pub place: String,
    /// The record's name, when it has one.
    pub name: Option<String>,
    /// Why, for a person.
    pub reason: String,
}

/// A draft's fields, checked.
struct Checked {
    name: String,
    company: Option<String>,
    numbers: Vec<PhoneNumber>,
    /// Where each number is in the draft's numbers.
    positions: Vec<usize>,
    responsible: Option<Extension>,
}

/// One line of text: trimmed, control characters (line breaks) made spaces.
fn clean(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.trim().to_owned()
}

/// Checks every field of `draft` but the numbers' owners.
fn check(draft: &ContactDraft, config: &Config) -> Result<Checked, Vec<ContactError>> {
    let mut problems = Vec::new();
    let name = clean(&draft.name);
    if name.is_empty() {
        problems.push(ContactError::EmptyName);
    } else if name.chars().count() > MAX_TEXT {
        problems.push(ContactError::NameTooLong);
    }
    let company = draft
        .company
        .as_deref()
        .map(clean)
        .filter(|c| !c.is_empty());
    if company
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_TEXT)
    {
        problems.push(ContactError::CompanyTooLong);
    }
    let (numbers, positions) = check_numbers(draft, config, &mut problems);
    let responsible = check_responsible(draft, config, &mut problems);
    if problems.is_empty() {
        Ok(Checked {
            name,
            company,
            numbers,
            positions,
            responsible,
        })
    } else {
        Err(problems)
    }
}

fn check_numbers(
    draft: &ContactDraft,
    config: &Config,
    problems: &mut Vec<ContactError>,
) -> (Vec<PhoneNumber>, Vec<usize>) {
    let country = Some(config.system.default_country_code);
    let mut numbers: Vec<PhoneNumber> = Vec::new();
    let mut positions = Vec::new();
    for (index, text) in draft.numbers.iter().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        match PhoneNumber::parse(text, country) {
            Ok(n) if numbers.contains(&n) => {}
            Ok(n) => {
                numbers.push(n);
                positions.push(index);
            }
            Err(why) => problems.push(ContactError::BadNumber {
                index,
                text: clean(text).chars().take(40).collect(),
                why,
            }),
        }
    }
    let bad = problems
        .iter()
        .any(|p| matches!(p, ContactError::BadNumber { .. }));
    if numbers.is_empty() && !bad {
        problems.push(ContactError::NoNumber);
    } else if numbers.len() > MAX_NUMBERS {
        problems.push(ContactError::TooManyNumbers);
    }
    (numbers, positions)
}

fn check_responsible(
    draft: &ContactDraft,
    config: &Config,
    problems: &mut Vec<ContactError>,
) -> Option<Extension> {
    let text = draft.responsible.as_deref().map(str::trim)?;
    if text.is_empty() {
        return None;
    }
    match Extension::parse(text) {
        Ok(e) if config.employee(&e).is_some() => Some(e),
        Ok(e) => {
            problems.push(ContactError::UnknownResponsible(e));
            None
        }
        Err(why) => {
            problems.push(ContactError::BadResponsible {
                text: clean(text).chars().take(40).collect(),
                why,
            });
            None
        }
    }
}

/// A change of the CRM from outside the router (the control socket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrmEdit {
    /// Add or edit one contact.
    Save(ContactDraft),
    /// Remove one contact.
    Remove(u64),
    /// Import parsed records ([`super::import::parse`]); with `dry_run` nothing changes.
    Import {
        /// The records and the refusals of the parser, in the file's order.
        records: Vec<Result<Record, Refusal>>,
        /// Only say what would happen.
        dry_run: bool,
    },
}

/// What came of a [`CrmEdit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrmEdited {
    /// The contact was saved.
    Saved(ContactChange),
    /// The contact was removed.
    Removed(ContactChange),
    /// Nothing changed: these are the problems.
    Invalid(Vec<ContactError>),
    /// The import's report, and the contacts it changed (none when dry).
    Imported {
        /// What was (or would be) done.
        report: ImportReport,
        /// The contacts changed.
        changes: Vec<ContactChange>,
    },
}

/// A contact without its activities (as journalled and audited).
fn bare(contact: &Contact) -> Contact {
    Contact {
        activities: Vec::new(),
        ..contact.clone()
    }
}

impl Crm {
    /// Carries out one change checked against `config`; the events are for the journal
    /// (none when nothing changed).
    pub fn edit(&mut self, edit: CrmEdit, config: &Config) -> (CrmEdited, Vec<CrmEvent>) {
        match edit {
            CrmEdit::Save(draft) => match self.save(&draft, config) {
                Ok((change, event)) => (CrmEdited::Saved(change), vec![event]),
                Err(problems) => (CrmEdited::Invalid(problems), Vec::new()),
            },
            CrmEdit::Remove(id) => match self.remove(id) {
                Ok((change, event)) => (CrmEdited::Removed(change), vec![event]),
                Err(problem) => (CrmEdited::Invalid(vec![problem]), Vec::new()),
            },
            CrmEdit::Import { records, dry_run } => {
                let (mut report, changes, events) = if dry_run {
                    let (report, _, _) = self.clone().import(records, config);
                    (report, Vec::new(), Vec::new())
                } else {
                    self.import(records, config)
                };
                report.dry_run = dry_run;
                (CrmEdited::Imported { report, changes }, events)
            }
        }
    }

    /// Saves a contact: a new one (`id` none) gets the next id; an edited one keeps its
    /// activities. Returns the change and the event to journal, or every problem found.
    pub fn save(
        &mut self,
        draft: &ContactDraft,
        config: &Config,
    ) -> Result<(ContactChange, CrmEvent), Vec<ContactError>> {
        let before = match draft.id {
            Some(id) => match self.contact(id) {
                Some(c) => Some(bare(c)),
                None => return Err(vec![ContactError::NoSuchContact(id)]),
            },
            None => None,
        };
        let checked = check(draft, config)?;
        let id = match draft.id {
            Some(id) => id,
            None => self
                .fresh_contact_id()
                .ok_or_else(|| vec![ContactError::Full])?,
        };
        let taken: Vec<ContactError> = checked
            .numbers
            .iter()
            .zip(&checked.positions)
            .filter_map(|(number, &index)| {
                let owner = self.contact_by_number(number).filter(|c| c.id != id)?;
                Some(ContactError::NumberTaken {
                    index,
                    number: number.clone(),
                    id: owner.id,
                    name: owner.name.clone(),
                })
            })
            .collect();
        if !taken.is_empty() {
            return Err(taken);
        }
        let after = Contact {
            id,
            name: checked.name,
            company: checked.company,
            numbers: checked.numbers,
            responsible: checked.responsible,
            activities: Vec::new(),
        };
        self.store_contact(after.clone());
        let event = CrmEvent::ContactSaved(after.clone());
        let change = ContactChange {
            before,
            after: Some(after),
        };
        Ok((change, event))
    }

    /// The id a new contact gets (ids start at 1); none when the CRM is full or the ids ran
    /// out (a stored id at the end of the range).
    fn fresh_contact_id(&self) -> Option<u64> {
        let id = self.next_contact.max(1);
        let free = self.contacts.len() < MAX_CONTACTS && self.contact(id).is_none();
        free.then_some(id)
    }

    /// Removes a contact (its activities go with it).
    pub fn remove(&mut self, id: u64) -> Result<(ContactChange, CrmEvent), ContactError> {
        let before = self
            .contact(id)
            .map(bare)
            .ok_or(ContactError::NoSuchContact(id))?;
        self.contacts.retain(|c| c.id != id);
        let change = ContactChange {
            before: Some(before),
            after: None,
        };
        Ok((change, CrmEvent::ContactRemoved { id }))
    }

    /// Imports parsed records in order (see the module documentation for merging). Returns
    /// the report, the contacts changed and the events to journal.
    pub fn import(
        &mut self,
        records: Vec<Result<Record, Refusal>>,
        config: &Config,
    ) -> (ImportReport, Vec<ContactChange>, Vec<CrmEvent>) {
        let mut run = ImportRun {
            index: self
                .contacts
                .iter()
                .flat_map(|c| c.numbers.iter().map(move |n| (n.clone(), c.id)))
                .collect(),
            report: ImportReport::default(),
            changes: Vec::new(),
            events: Vec::new(),
        };
        for record in records {
            match record {
                Ok(r) => run.one(self, r, config),
                Err(refusal) => run.report.refused.push(refusal),
            }
        }
        (run.report, run.changes, run.events)
    }
}

/// One import under way.
struct ImportRun {
    /// Every known number's contact.
    index: HashMap<PhoneNumber, u64>,
    report: ImportReport,
    changes: Vec<ContactChange>,
    events: Vec<CrmEvent>,
}

impl ImportRun {
    fn refuse(&mut self, record: &Record, reason: String) {
        let name = clean(&record.draft.name);
        self.report.refused.push(Refusal {
            place: record.place.clone(),
            name: (!name.is_empty()).then_some(name),
            reason,
        });
    }

    fn one(&mut self, crm: &mut Crm, mut record: Record, config: &Config) {
        if record.draft.name.trim().is_empty() {
            // A company's card or row without a person's name is named after the company.
            record.draft.name = record.draft.company.clone().unwrap_or_default();
        }
        let checked = match check(&record.draft, config) {
            Ok(c) => c,
            Err(problems) => {
                let reason = problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                return self.refuse(&record, reason);
            }
        };
        let owners: BTreeMap<u64, ()> = checked
            .numbers
            .iter()
            .filter_map(|n| self.index.get(n).map(|id| (*id, ())))
            .collect();
        let owners: Vec<u64> = owners.into_keys().collect();
        match owners.as_slice() {
            [] => self.add(crm, &record, checked),
            [id] => self.merge(crm, &record, *id, checked),
            many => {
                let names: Vec<String> = many
                    .iter()
                    .filter_map(|id| crm.contact(*id))
                    .map(|c| format!("#{} '{}'", c.id, c.name))
                    .collect();
                let reason = format!(
                    "its numbers belong to several contacts: {}",
                    names.join(", ")
                );
                self.refuse(&record, reason);
            }
        }
    }

    fn add(&mut self, crm: &mut Crm, record: &Record, checked: Checked) {
        let Some(id) = crm.fresh_contact_id() else {
            return self.refuse(record, ContactError::Full.to_string());
        };
        let contact = Contact {
            id,
            name: checked.name,
            company: checked.company,
            numbers: checked.numbers,
            responsible: checked.responsible,
            activities: Vec::new(),
        };
        for n in &contact.numbers {
            self.index.insert(n.clone(), contact.id);
        }
        crm.store_contact(contact.clone());
        self.report.added += 1;
        self.events.push(CrmEvent::ContactSaved(contact.clone()));
        self.changes.push(ContactChange {
            before: None,
            after: Some(contact),
        });
    }

    fn merge(&mut self, crm: &mut Crm, record: &Record, id: u64, checked: Checked) {
        let Some(before) = crm.contact(id).map(bare) else {
            return self.refuse(record, ContactError::NoSuchContact(id).to_string());
        };
        let mut after = before.clone();
        for n in checked.numbers {
            if !after.numbers.contains(&n) {
                after.numbers.push(n);
            }
        }
        if after.numbers.len() > MAX_NUMBERS {
            let reason = format!(
                "contact #{id} '{}' would have {}",
                before.name,
                ContactError::TooManyNumbers
            );
            return self.refuse(record, reason);
        }
        if after.company.is_none() {
            after.company = checked.company;
        }
        if after.responsible.is_none() {
            after.responsible = checked.responsible;
        }
        if after == before {
            self.report.unchanged += 1;
            return;
        }
        for n in &after.numbers {
            self.index.insert(n.clone(), id);
        }
        crm.store_contact(after.clone());
        self.report.merged += 1;
        self.events.push(CrmEvent::ContactSaved(after.clone()));
        self.changes.push(ContactChange {
            before: Some(before),
            after: Some(after),
        });
    }
}

#[cfg(test)]
mod tests;
