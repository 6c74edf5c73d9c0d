//! Call records and per-group statistics.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use firmware_config::number::{Extension, PhoneNumber};
use serde::Serialize;

use super::input::{CallId, Caller};
use super::output::EndCause;

/// How a call ended, for the records and statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// An employee answered.
    Answered,
    /// Nobody answered.
    Missed,
    /// Sent to an outside number.
    Forwarded {
        /// Where.
        to: PhoneNumber,
    },
    /// The caller was sent to voicemail.
    Voicemail,
    /// Rejected without answering.
    Rejected {
        /// Why.
        cause: EndCause,
    },
    /// Answered, then handed on by a blind transfer to an employee who did not answer: the
    /// call ended there.
    TransferFailed {
        /// The employee who did not answer.
        to: Extension,
    },
}

/// One hand-over of an answered call from one employee to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// Who handed the call on.
    pub from: Extension,
    /// To whom.
    pub to: Extension,
    /// When the transfer was asked for.
    pub at: DateTime<Utc>,
    /// Attended (the employee talked to the target first) or blind.
    pub attended: bool,
}

/// The record every call ends with (SPEC §2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRecord {
    /// The call.
    pub call: CallId,
    /// Who called.
    pub caller: Caller,
    /// The entry point it came in on (`None` for a dialled extension or group).
    pub entry: Option<String>,
    /// When it arrived.
    pub offered_at: DateTime<Utc>,
    /// Queue groups it went through, in order.
    pub groups: Vec<String>,
    /// Employees whose phones rang for it, in order, each once.
    pub offered_to: Vec<Extension>,
    /// Who answered (the first employee, when the call was transferred).
    pub answered_by: Option<Extension>,
    /// When.
    pub answered_at: Option<DateTime<Utc>>,
    /// When the router was done with it.
    pub ended_at: DateTime<Utc>,
    /// Milliseconds from arrival to answer (or to the end when not answered).
    pub wait_ms: i64,
    /// Milliseconds of conversation.
    pub talk_ms: i64,
    /// Transfers, in order; the last one's `to` is who the caller talked to at the end.
    pub transfers: Vec<Transfer>,
    /// How it ended.
    pub outcome: Outcome,
    /// Whether it came outside working hours.
    pub after_hours: bool,
}

/// Statistics of one queue group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupStats {
    /// Calls that entered the group.
    pub offered: u64,
    /// Calls a member answered.
    pub answered: u64,
    /// Calls that ended in the group unanswered.
    pub missed: u64,
    /// Calls the group passed on (to a number or another group).
    pub forwarded: u64,
    /// Sum of waits until answer, in ms (for the average).
    pub total_wait_ms: i64,
    /// The longest wait of an answered or missed call, in ms.
    pub longest_wait_ms: i64,
    /// Sum of talk time of answered calls, in ms.
    pub total_talk_ms: i64,
}

impl GroupStats {
    /// Average wait of answered calls, in ms.
    pub fn average_wait_ms(&self) -> i64 {
        if self.answered == 0 {
            0
        } else {
            self.total_wait_ms / self.answered as i64
        }
    }

    /// Average talk time of answered calls, in ms.
    pub fn average_talk_ms(&self) -> i64 {
        if self.answered == 0 {
            0
        } else {
            self.total_talk_ms / self.answered as i64
        }
    }
}

/// Statistics of every group, by name.
pub type Statistics = BTreeMap<String, GroupStats>;
