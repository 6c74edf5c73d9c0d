//! What the router asks the shell to do.

use chrono::{DateTime, Utc};
use firmware_config::number::{Extension, PhoneNumber};
use serde::{Deserialize, Serialize};

use super::crm::CrmEvent;
use super::input::{CallId, Caller};
use super::record::CallRecord;

/// One action for the shell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Output {
    /// Let the caller hear ringing (the call is not answered).
    Ringback {
        /// The call.
        call: CallId,
    },
    /// Ring every registered phone of an employee for this call.
    Ring {
        /// The call.
        call: CallId,
        /// Whose phones.
        employee: Extension,
    },
    /// Stop ringing an employee's phones for this call.
    StopRinging {
        /// The call.
        call: CallId,
        /// Whose phones.
        employee: Extension,
    },
    /// Connect the caller to the employee who answered.
    Connect {
        /// The call.
        call: CallId,
        /// Who answered.
        employee: Extension,
    },
    /// Answer the call (if not yet) and play hold music until told otherwise.
    HoldMusic {
        /// The call.
        call: CallId,
        /// The entry point's own music file; the built-in music when `None`.
        file: Option<String>,
    },
    /// Send the call out to an outside number; the router is done with it.
    ForwardToNumber {
        /// The call.
        call: CallId,
        /// Where to.
        number: PhoneNumber,
    },
    /// Answer the call, play the greeting and record a message; the router is done with it.
    Voicemail {
        /// The call.
        call: CallId,
        /// Whose mailbox.
        mailbox: Mailbox,
        /// The admin's greeting file; the built-in greeting when `None`.
        greeting: Option<String>,
    },
    /// End the call: rejected without answer if it was never answered, hung up otherwise.
    End {
        /// The call.
        call: CallId,
        /// Why.
        cause: EndCause,
    },
    /// A call is over for the router: store its record.
    Record(CallRecord),
    /// Tell employees something (SIP MESSAGE, console, webhook).
    Notify(Notification),
    /// The CRM changed: store it.
    Crm(CrmEvent),
}

/// Whose voicemail box a message goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Mailbox {
    /// One employee's.
    Employee(Extension),
    /// An entry point's, shared by its employees.
    Entry(String),
}

/// Why the router ended a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndCause {
    /// After hours with "hang up": rejected without answering (SIP 603 / 480).
    ClosedHangUp,
    /// Nobody answered and nothing else was configured (simultaneously + wait for an agent).
    NoAnswer,
    /// The dialled employee is on a call (SIP 486).
    Busy,
    /// The number leads nowhere (SIP 404).
    NotFound,
    /// Queue groups forward to each other in a circle; stopped by the run-time guard.
    ForwardLoop,
    /// A forward was configured to an employee without an outside number.
    NoForwardTarget,
}

/// Something employees are told.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// Who is told.
    pub employees: Vec<Extension>,
    /// What happened.
    pub event: NotifyEvent,
}

/// The events employees are notified of.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotifyEvent {
    /// A call was missed.
    MissedCall {
        /// The call.
        call: CallId,
        /// Who called.
        caller: Caller,
        /// Where it came in.
        entry: Option<String>,
        /// When.
        at: DateTime<Utc>,
        /// Why it was missed.
        why: MissedBecause,
        /// What the CRM did with it (only for calls missed because of the schedule).
        crm: Option<super::crm::CrmCase>,
    },
}

/// Why a call counts as missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissedBecause {
    /// It came outside working hours.
    Schedule,
    /// The caller hung up before anyone answered.
    CallerHungUp,
    /// Nobody answered (simultaneously + wait for an agent, or a forwarding loop).
    NoAnswer,
}
