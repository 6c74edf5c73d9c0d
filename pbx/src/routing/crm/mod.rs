//! The on-device CRM: contacts and leads with their activities, and what happens to a call
//! missed because of the schedule (SPEC §5, the four cases).
//!
//! Contacts are added, edited and removed through [`Crm::save`] and [`Crm::remove`] and
//! imported from CSV or vCard through [`import`] and [`Crm::import`] ([`edit`]); every change
//! comes back as a [`CrmEvent`] for the shell to journal, replayed at start by [`Crm::apply`].

pub mod edit;
pub mod import;

pub use edit::{
    ContactChange, ContactDraft, ContactError, CrmEdit, CrmEdited, ImportReport, Refusal,
};

use chrono::{DateTime, Utc};
use firmware_config::entry::{CrmOptions, UnknownCaller};
use firmware_config::number::{Extension, PhoneNumber};
use serde::{Deserialize, Serialize};

/// Something that happened with a contact or lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// When.
    pub at: DateTime<Utc>,
    /// The entry point the call came in on.
    pub entry: Option<String>,
    /// What it was ("missed call after hours").
    pub note: String,
}

/// A known person or company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Stable id.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Company.
    pub company: Option<String>,
    /// Phone numbers, E.164.
    pub numbers: Vec<PhoneNumber>,
    /// The employee responsible for this contact.
    pub responsible: Option<Extension>,
    /// Calls and other activities.
    pub activities: Vec<Activity>,
}

/// A possible customer known only by a number, created from a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    /// Stable id.
    pub id: u64,
    /// The caller's number.
    pub number: PhoneNumber,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Calls and other activities.
    pub activities: Vec<Activity>,
}

/// Which of the four cases of SPEC §5 a missed call fell into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "case", rename_all = "snake_case")]
pub enum CrmCase {
    /// 1. Lookup disabled: the queue's employees are notified.
    LookupDisabled,
    /// 2. The number belongs to a contact: the call is attached to it and the responsible
    ///    employee is notified (the queue's employees when nobody is responsible).
    Contact {
        /// The contact.
        id: u64,
    },
    /// 2. The number belongs to an earlier lead: the call is attached to it and the queue's
    ///    employees are notified.
    KnownLead {
        /// The lead.
        id: u64,
    },
    /// 3. Unknown number, "create a lead": a lead was created and the queue's employees notified.
    LeadCreated {
        /// The new lead.
        id: u64,
    },
    /// 4. Unknown number, "offer to create": the queue's employees are notified, nothing created.
    OfferToCreate,
    /// The number was withheld: nothing to look up; the queue's employees are notified.
    Withheld,
}

/// A change to the CRM for the shell to store (and replay at start with [`Crm::apply`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CrmEvent {
    /// An activity was added to a contact.
    ContactActivity {
        /// The contact.
        id: u64,
        /// The activity.
        activity: Activity,
    },
    /// An activity was added to a lead.
    LeadActivity {
        /// The lead.
        id: u64,
        /// The activity.
        activity: Activity,
    },
    /// A lead was created.
    LeadCreated(Lead),
    /// A contact was added or edited (its activities are kept from the CRM when it exists:
    /// they are journalled one by one as [`CrmEvent::ContactActivity`]).
    ContactSaved(Contact),
    /// A contact was removed.
    ContactRemoved {
        /// The contact.
        id: u64,
    },
}

/// What to do with one missed call: who to notify, the case, and the CRM change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedCallHandling {
    /// Which case.
    pub case: CrmCase,
    /// Who is notified.
    pub notify: Vec<Extension>,
    /// What changed, if anything.
    pub event: Option<CrmEvent>,
}

/// Contacts and leads.
#[derive(Debug, Clone, Default)]
pub struct Crm {
    contacts: Vec<Contact>,
    leads: Vec<Lead>,
    next_lead: u64,
    next_contact: u64,
}

impl Crm {
    /// A CRM holding these contacts and leads.
    pub fn new(contacts: Vec<Contact>, leads: Vec<Lead>) -> Self {
        let next_lead = leads
            .iter()
            .map(|l| l.id.saturating_add(1))
            .max()
            .unwrap_or(1);
        let next_contact = contacts
            .iter()
            .map(|c| c.id.saturating_add(1))
            .max()
            .unwrap_or(1);
        Crm {
            contacts,
            leads,
            next_lead,
            next_contact,
        }
    }

    /// Adds a contact or replaces the one with the same id, as it is (no checks: see
    /// [`Crm::save`] for an edit from outside).
    pub fn upsert_contact(&mut self, contact: Contact) {
        self.next_contact = self.next_contact.max(contact.id.saturating_add(1));
        match self.contacts.iter_mut().find(|c| c.id == contact.id) {
            Some(c) => *c = contact,
            None => self.contacts.push(contact),
        }
    }

    /// The contact with this id.
    pub fn contact(&self, id: u64) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }

    /// The contacts.
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }

    /// The leads.
    pub fn leads(&self) -> &[Lead] {
        &self.leads
    }

    /// The contact a number belongs to.
    pub fn contact_by_number(&self, number: &PhoneNumber) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.numbers.contains(number))
    }

    /// What the lookup would do with a number, without changing anything (for `explain`).
    pub fn classify(&self, options: CrmOptions, number: Option<&PhoneNumber>) -> CrmCase {
        if !options.lookup {
            return CrmCase::LookupDisabled;
        }
        let Some(number) = number else {
            return CrmCase::Withheld;
        };
        if let Some(c) = self.contact_by_number(number) {
            return CrmCase::Contact { id: c.id };
        }
        if let Some(l) = self.leads.iter().find(|l| &l.number == number) {
            return CrmCase::KnownLead { id: l.id };
        }
        match options.unknown_caller {
            UnknownCaller::CreateLead => CrmCase::LeadCreated { id: self.next_lead },
            UnknownCaller::OfferToCreate => CrmCase::OfferToCreate,
        }
    }

    /// Processes a call missed because of the schedule: attaches it, creates a lead, and says
    /// who is notified. `queue` are the entry point's employees.
    pub fn missed_after_hours(
        &mut self,
        options: CrmOptions,
        number: Option<&PhoneNumber>,
        activity: Activity,
        queue: Vec<Extension>,
    ) -> MissedCallHandling {
        let case = self.classify(options, number);
        let (notify, event) = match &case {
            CrmCase::Contact { id } => self.attach_to_contact(*id, activity, queue),
            CrmCase::KnownLead { id } => (queue, self.attach_to_lead(*id, activity)),
            CrmCase::LeadCreated { id } => {
                (queue, number.map(|n| self.create_lead(*id, n, activity)))
            }
            CrmCase::LookupDisabled | CrmCase::OfferToCreate | CrmCase::Withheld => (queue, None),
        };
        MissedCallHandling {
            case,
            notify,
            event,
        }
    }

    fn attach_to_contact(
        &mut self,
        id: u64,
        activity: Activity,
        queue: Vec<Extension>,
    ) -> (Vec<Extension>, Option<CrmEvent>) {
        let Some(c) = self.contacts.iter_mut().find(|c| c.id == id) else {
            return (queue, None);
        };
        c.activities.push(activity.clone());
        let notify = c.responsible.clone().map_or(queue, |r| vec![r]);
        (notify, Some(CrmEvent::ContactActivity { id, activity }))
    }

    fn attach_to_lead(&mut self, id: u64, activity: Activity) -> Option<CrmEvent> {
        let lead = self.leads.iter_mut().find(|l| l.id == id)?;
        lead.activities.push(activity.clone());
        Some(CrmEvent::LeadActivity { id, activity })
    }

    /// Replays one stored change (the shell's CRM journal, at start). A change naming a
    /// contact or lead that does not exist is ignored; a lead created twice is kept once; a
    /// contact saved again keeps the activities it has.
    pub fn apply(&mut self, event: CrmEvent) {
        match event {
            CrmEvent::ContactActivity { id, activity } => {
                if let Some(c) = self.contacts.iter_mut().find(|c| c.id == id) {
                    c.activities.push(activity);
                }
            }
            CrmEvent::LeadActivity { id, activity } => {
                if let Some(l) = self.leads.iter_mut().find(|l| l.id == id) {
                    l.activities.push(activity);
                }
            }
            CrmEvent::LeadCreated(lead) => {
                self.next_lead = self.next_lead.max(lead.id.saturating_add(1));
                if !self.leads.iter().any(|l| l.id == lead.id) {
                    self.leads.push(lead);
                }
            }
            CrmEvent::ContactSaved(contact) => self.store_contact(contact),
            CrmEvent::ContactRemoved { id } => self.contacts.retain(|c| c.id != id),
        }
    }

    /// Adds `contact`, or replaces the one with its id keeping that one's activities.
    fn store_contact(&mut self, mut contact: Contact) {
        self.next_contact = self.next_contact.max(contact.id.saturating_add(1));
        match self.contacts.iter_mut().find(|c| c.id == contact.id) {
            Some(c) => {
                contact.activities = std::mem::take(&mut c.activities);
                *c = contact;
            }
            None => self.contacts.push(contact),
        }
    }

    fn create_lead(&mut self, id: u64, number: &PhoneNumber, activity: Activity) -> CrmEvent {
        let lead = Lead {
            id,
            number: number.clone(),
            created_at: activity.at,
            activities: vec![activity],
        };
        self.next_lead = id.saturating_add(1);
        self.leads.push(lead.clone());
        CrmEvent::LeadCreated(lead)
    }
}

#[cfg(test)]
mod replay_tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    fn activity(secs: i64) -> Activity {
        Activity {
            at: at(secs),
            entry: Some("main".into()),
            note: "missed call after hours".into(),
        }
    }

    #[test]
    fn replaying_the_stored_changes_gives_back_the_same_crm() {
        let options = CrmOptions {
            lookup: true,
            unknown_caller: UnknownCaller::CreateLead,
        };
        let number = PhoneNumber::parse("+48601234567", None).expect("number");
        let other = PhoneNumber::parse("+48601234568", None).expect("number");
        let mut live = Crm::default();
        let mut events = Vec::new();
        for (n, secs) in [(&number, 0), (&number, 60), (&other, 120)] {
            let h = live.missed_after_hours(options, Some(n), activity(secs), Vec::new());
            events.extend(h.event);
        }
        // Through JSON, as the journal stores them.
        let lines: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).expect("encodes"))
            .collect();
        let mut replayed = Crm::default();
        for line in &lines {
            replayed.apply(serde_json::from_str(line).expect("decodes"));
        }
        assert_eq!(replayed.leads(), live.leads());
        assert_eq!(
            replayed.classify(options, Some(&number)),
            live.classify(options, Some(&number))
        );
        // The next lead gets a fresh id, not one already given.
        let third = PhoneNumber::parse("+48601234569", None).expect("number");
        assert_eq!(
            replayed.classify(options, Some(&third)),
            live.classify(options, Some(&third))
        );
        // A stored id at the very end of the range does not overflow.
        let mut last = Crm::default();
        last.apply(CrmEvent::LeadCreated(Lead {
            id: u64::MAX,
            number: third.clone(),
            created_at: at(0),
            activities: Vec::new(),
        }));
        assert_eq!(last.leads().len(), 1);
        // Replaying a creation twice keeps one lead.
        replayed.apply(serde_json::from_str(&lines[0]).expect("decodes"));
        assert_eq!(replayed.leads().len(), live.leads().len());
    }
}
