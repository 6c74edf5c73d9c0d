//! Employees: the people whose phones Centrala rings.

use serde::{Deserialize, Serialize};

use crate::bounded::{List, Text};
use crate::bounds::{MAX_DEVICES_PER_EMPLOYEE, NAME_LEN, SECRET_LEN, USERNAME_LEN};
use crate::number::{Extension, PhoneNumber};

/// An employee: an extension, a name, the SIP devices that may register for it, an outside
/// number to forward to, and whether queues may offer calls to them now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Employee {
    /// The internal number (2–6 digits); it is also how groups and entry points refer to them.
    pub extension: Extension,
    /// The name shown on phones and in the console.
    pub name: Text<NAME_LEN>,
    /// Mobile or other outside number, in international form; where "forward to an employee"
    /// sends a call.
    #[serde(default)]
    pub mobile: Option<PhoneNumber>,
    /// Whether queues offer calls to this employee.
    #[serde(default)]
    pub presence: Presence,
    /// The SIP accounts (desk phone, softphone, ...) that register as this employee.
    #[serde(default)]
    pub devices: List<SipDevice, MAX_DEVICES_PER_EMPLOYEE>,
}

/// One SIP account of an employee: the digest credentials a phone registers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SipDevice {
    /// The digest user name (unique across the appliance).
    pub username: Text<USERNAME_LEN>,
    /// The digest password.
    pub password: Text<SECRET_LEN>,
}

/// Whether an employee takes queue calls. Anyone not available is skipped by every queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// At work and taking calls.
    #[default]
    Available,
    /// On a break: skipped by queues.
    OnBreak,
    /// Off work: skipped by queues.
    Off,
}
