//! Entry points: the numbers calls arrive on, and where each sends them.

use serde::{Deserialize, Serialize};

use crate::bounded::Text;
use crate::bounds::{KEY_LEN, PATH_LEN};
use crate::number::{Extension, PhoneNumber};

/// An entry point ("number" in the seed pages): an analog line, a trunk DID or an internal
/// service number, with its own routing, schedule, hold music and CRM options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryPoint {
    /// The entry point's name (used by `centrala explain --entry`).
    pub name: Text<KEY_LEN>,
    /// Where calls come from.
    pub source: EntrySource,
    /// Where calls go during working hours.
    pub destination: Destination,
    /// The schedule that decides working hours; always open when absent.
    #[serde(default)]
    pub schedule: Option<Text<KEY_LEN>>,
    /// Hold music (a WAV file); the built-in music when absent.
    #[serde(default)]
    pub hold_music: Option<Text<PATH_LEN>>,
    /// What the CRM does with calls missed because of the schedule.
    #[serde(default)]
    pub crm: CrmOptions,
}

/// Where an entry point's calls come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntrySource {
    /// Every call on the named FXO line.
    AnalogLine(Text<KEY_LEN>),
    /// Calls from the named trunk to one DID.
    TrunkDid(TrunkDid),
    /// An internal number that employees dial.
    Internal(Extension),
}

/// A DID on a SIP trunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkDid {
    /// The trunk's name.
    pub trunk: Text<KEY_LEN>,
    /// The dialled number, in international form.
    pub did: PhoneNumber,
}

/// Where an entry point sends a call in working hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// One employee, by extension.
    Employee(Extension),
    /// A queue group, by name.
    Group(Text<KEY_LEN>),
}

/// Caller lookup for calls missed because of the schedule (SPEC §5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrmOptions {
    /// Look the caller's number up among contacts and leads.
    #[serde(default)]
    pub lookup: bool,
    /// What to do when the number is not found.
    #[serde(default)]
    pub unknown_caller: UnknownCaller,
}

/// What the CRM does with a number it does not know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownCaller {
    /// Create a lead with a "call" activity and notify the queue's employees.
    CreateLead,
    /// Notify the queue's employees, offering to create a record; create nothing.
    #[default]
    OfferToCreate,
}
