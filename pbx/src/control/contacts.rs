//! The CRM's contacts over the control socket, sans-IO: the contact requests become
//! [`CrmAction`]s ([`prepare`]; an import's text is parsed there, on the shell's blocking
//! pool), which the SIP loop — where the router and its CRM live — answers with [`answer`]:
//! the reply, and for an accepted change the audit log's entry (written by the shell).
//!
//! Decisions:
//! - **The router owns the CRM.** A change goes to it as a [`CrmEdit`]; it checks it against
//!   the running configuration and hands the journal's events out as router outputs, so the
//!   CRM's file is written in one place, in order with the leads the router creates.
//! - **No revision.** Contacts are not part of the configuration; the last save wins.
//! - **Problems name their field**: `contact #4, field 'numbers[1]'` (or `new contact, …`).

use chrono::{DateTime, Utc};

use super::audit::CrmEntry;
use super::protocol::{ContactKind, ContactView, FieldProblem, Reply, Request, CONTACTS_LISTED};
use crate::routing::crm::import::parse;
use crate::routing::crm::{Contact, Crm, CrmEdit, CrmEdited, Lead};
use crate::switch::Switch;

/// The longest search text looked at, in characters.
const MAX_SEARCH: usize = 100;

/// What the SIP loop is asked to do with the CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrmAction {
    /// List contacts and leads matching a search.
    List {
        /// The search text; all when `None`.
        search: Option<String>,
    },
    /// Change the CRM.
    Edit(CrmEdit),
}

/// One CRM request for the SIP loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmRequest {
    /// Who asks (for the audit log).
    pub user: String,
    /// What.
    pub action: CrmAction,
}

/// The SIP loop's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmAnswer {
    /// For the client.
    pub reply: Reply,
    /// For the audit log, when something changed.
    pub audit: Option<CrmEntry>,
}

/// The action for a contact request (an import is parsed here: run it off the SIP loop);
/// `None` for any other request.
pub fn prepare(request: Request) -> Option<CrmAction> {
    Some(match request {
        Request::Contacts { search } => CrmAction::List { search },
        Request::SaveContact { contact } => CrmAction::Edit(CrmEdit::Save(contact)),
        Request::RemoveContact { contact } => CrmAction::Edit(CrmEdit::Remove(contact)),
        Request::ImportContacts {
            format,
            text,
            dry_run,
        } => CrmAction::Edit(CrmEdit::Import {
            records: parse(format, &text),
            dry_run,
        }),
        _ => return None,
    })
}

/// Carries out `request` on the switch's router at `now`.
pub fn answer(switch: &mut Switch, request: CrmRequest, now: DateTime<Utc>) -> CrmAnswer {
    let edit = match request.action {
        CrmAction::List { search } => {
            return CrmAnswer {
                reply: list(switch.router().crm(), search.as_deref()),
                audit: None,
            }
        }
        CrmAction::Edit(edit) => edit,
    };
    let about = match &edit {
        CrmEdit::Save(draft) => draft.id,
        CrmEdit::Remove(id) => Some(*id),
        CrmEdit::Import { .. } => None,
    };
    let (reply, changes) = match switch.edit_crm(now, edit) {
        CrmEdited::Saved(change) => {
            let reply = match &change.after {
                Some(c) => Reply::ContactSaved {
                    contact: Box::new(contact_view(
                        switch.router().crm().contact(c.id).unwrap_or(c),
                    )),
                },
                None => Reply::Error {
                    message: "the contact was not saved (a bug)".into(),
                },
            };
            (reply, vec![change])
        }
        CrmEdited::Removed(change) => {
            let id = change.before.as_ref().map_or(0, |c| c.id);
            (Reply::ContactRemoved { id }, vec![change])
        }
        CrmEdited::Invalid(problems) => {
            let problems = problems
                .iter()
                .map(|p| FieldProblem {
                    path: format!("{}, field '{}'", subject(about), p.field()),
                    message: p.to_string(),
                })
                .collect();
            (Reply::Invalid { problems }, Vec::new())
        }
        CrmEdited::Imported { report, changes } => (Reply::Imported { report }, changes),
    };
    let audit = (!changes.is_empty()).then(|| CrmEntry::new(now, &request.user, &changes));
    CrmAnswer { reply, audit }
}

/// The contact a change is about: `contact #4`, or `new contact`.
fn subject(id: Option<u64>) -> String {
    match id {
        Some(id) => format!("contact #{id}"),
        None => "new contact".into(),
    }
}

/// Contacts by name, then leads with the newest activity first; at most
/// [`CONTACTS_LISTED`], with how many matched.
pub fn list(crm: &Crm, search: Option<&str>) -> Reply {
    let query = Query::new(search.unwrap_or_default());
    let mut contacts: Vec<&Contact> = crm.contacts().iter().filter(|c| query.contact(c)).collect();
    contacts.sort_by_cached_key(|c| (c.name.to_lowercase(), c.id));
    let mut leads: Vec<&Lead> = crm.leads().iter().filter(|l| query.lead(l)).collect();
    leads.sort_by_key(|l| {
        let last = l.activities.last().map_or(l.created_at, |a| a.at);
        (std::cmp::Reverse(last), l.id)
    });
    let total = contacts.len() + leads.len();
    let rows = contacts
        .into_iter()
        .map(contact_view)
        .chain(leads.into_iter().map(lead_view))
        .take(CONTACTS_LISTED)
        .collect();
    Reply::Contacts {
        contacts: rows,
        total,
    }
}

/// A contact as listed.
pub fn contact_view(c: &Contact) -> ContactView {
    ContactView {
        kind: ContactKind::Contact,
        id: c.id,
        name: c.name.clone(),
        company: c.company.clone(),
        numbers: c.numbers.clone(),
        responsible: c.responsible.clone(),
        activities: c.activities.len(),
        last_activity: c.activities.last().cloned(),
    }
}

fn lead_view(l: &Lead) -> ContactView {
    ContactView {
        kind: ContactKind::Lead,
        id: l.id,
        name: String::new(),
        company: None,
        numbers: vec![l.number.clone()],
        responsible: None,
        activities: l.activities.len(),
        last_activity: l.activities.last().cloned(),
    }
}

/// A search: text (lower case) and, when it looks like a number, its digits.
struct Query {
    text: String,
    digits: Option<String>,
}

impl Query {
    fn new(search: &str) -> Query {
        let text: String = search.trim().chars().take(MAX_SEARCH).collect();
        let numeric = text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()/.".contains(c));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let digits = digits.trim_start_matches('0').to_owned();
        Query {
            text: text.to_lowercase(),
            digits: (numeric && !digits.is_empty()).then_some(digits),
        }
    }

    fn words(&self, fields: &[Option<&str>]) -> bool {
        fields
            .iter()
            .flatten()
            .any(|f| f.to_lowercase().contains(&self.text))
    }

    fn number(&self, n: &firmware_config::number::PhoneNumber) -> bool {
        self.digits
            .as_ref()
            .is_some_and(|d| n.digits().contains(d.as_str()))
    }

    fn contact(&self, c: &Contact) -> bool {
        if self.text.is_empty() {
            return true;
        }
        let responsible = c.responsible.as_ref().map(|r| r.as_str());
        self.words(&[Some(&c.name), c.company.as_deref(), responsible])
            || c.numbers.iter().any(|n| self.number(n))
    }

    fn lead(&self, l: &Lead) -> bool {
        self.text.is_empty() || self.number(&l.number)
    }
}

#[cfg(test)]
mod tests;
