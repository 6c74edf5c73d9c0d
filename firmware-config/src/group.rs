//! Queue groups: several employees answering one number, and what happens when nobody does.

use serde::{Deserialize, Serialize};

use crate::bounded::{List, Text};
use crate::bounds::{KEY_LEN, MAX_MEMBERS_PER_GROUP};
use crate::number::{Extension, PhoneNumber};

/// A queue group (SPEC §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueGroup {
    /// The group's name; other items refer to the group by it.
    pub name: Text<KEY_LEN>,
    /// The internal number that reaches the group.
    pub number: Extension,
    /// Member employees by extension, in order.
    pub members: List<Extension, MAX_MEMBERS_PER_GROUP>,
    /// How calls are spread over the members.
    pub distribution: Distribution,
    /// Seconds one member rings (for `simultaneously`: the whole group) before the call moves
    /// on; between `RING_TIME_MIN_SECS` and `RING_TIME_MAX_SECS`.
    pub ring_time_secs: u16,
    /// What happens after one pass through the group without an answer.
    pub unanswered: Unanswered,
}

/// How a queue group offers a call to its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Always from the first member down the list.
    InOrder,
    /// Round-robin: start after the member who took the previous call.
    Evenly,
    /// Ring every free member at once; the first to answer wins.
    Simultaneously,
}

/// What happens to a call nobody in the group answered (exactly one of the seed's four
/// options; "forward to an employee" has two forms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unanswered {
    /// Forward to the mobile number of the group's last member.
    ForwardToLastMember,
    /// Forward to the mobile number of the named employee.
    ForwardToEmployee(Extension),
    /// Forward to an outside number in international form.
    ForwardToNumber(PhoneNumber),
    /// Enter another queue group.
    ForwardToGroup(Text<KEY_LEN>),
    /// Keep the caller waiting with hold music until a member is free (with `simultaneously`:
    /// end the call after one pass and record it as missed).
    WaitForAgent,
}
