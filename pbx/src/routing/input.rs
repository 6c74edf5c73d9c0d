//! What the router is told: calls arriving, phones answering, people coming and going, time
//! passing, configuration changing.

use std::sync::Arc;

use firmware_config::employee::Presence;
use firmware_config::number::{Extension, PhoneNumber};
use firmware_config::Config;
use serde::Serialize;

use super::crm::Contact;

/// Identifies a call (its caller's leg) for as long as the router handles it; chosen by the
/// shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CallId(pub u64);

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Caller {
    /// An outside number, normalised to E.164.
    Number(PhoneNumber),
    /// An employee calling from their phone.
    Extension(Extension),
    /// The number was withheld or is unavailable.
    Withheld,
}

impl std::fmt::Display for Caller {
    /// An extension as dialled, a number in E.164 with `+`, or `anonymous` (what a SIP From
    /// user part says for a withheld number).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Caller::Number(n) => write!(f, "{n}"),
            Caller::Extension(e) => write!(f, "{e}"),
            Caller::Withheld => f.write_str("anonymous"),
        }
    }
}

/// Where a call is going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// An entry point by name (an analog line's or a trunk DID's calls).
    Entry(String),
    /// A number an employee dialled: an extension, a group's number or an internal entry point.
    Dialled(Extension),
    /// An outside number an employee dialled (after the outbound prefix): the call goes out
    /// through a trunk.
    Outside(PhoneNumber),
}

/// Why a member's phones did not take a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decline {
    /// The employee rejected it.
    Rejected,
    /// The phones answered busy.
    Busy,
    /// No phone of the employee could be reached (none registered, or none answered the
    /// request).
    Unreachable,
}

/// One input to the router.
#[derive(Debug, Clone)]
pub enum Input {
    /// A new call.
    Offer {
        /// Its id.
        call: CallId,
        /// Who calls.
        caller: Caller,
        /// Where to.
        target: Target,
    },
    /// An employee's phone answered a call the router rang it for.
    Answered {
        /// The call.
        call: CallId,
        /// Who answered.
        employee: Extension,
    },
    /// An employee's phones did not take a call the router rang them for.
    Declined {
        /// The call.
        call: CallId,
        /// Whose phones.
        employee: Extension,
        /// Why.
        why: Decline,
    },
    /// The caller hung up before the call was connected.
    CallerHungUp {
        /// The call.
        call: CallId,
    },
    /// A connected call ended (either side hung up).
    CallEnded {
        /// The call.
        call: CallId,
    },
    /// An employee is on a call the router does not handle.
    EmployeeBusy {
        /// Who.
        employee: Extension,
    },
    /// That call ended.
    EmployeeFree {
        /// Who.
        employee: Extension,
    },
    /// An employee's presence changed (from the console or a phone feature code).
    Presence {
        /// Who.
        employee: Extension,
        /// The new presence.
        presence: Presence,
    },
    /// Whether an employee has a registered phone: queues offer calls only to employees who
    /// do (everyone counts as reachable until told otherwise). A call dialled directly still
    /// rings, and is declined as unreachable by the SIP layer.
    Reachable {
        /// Who.
        employee: Extension,
        /// Whether any phone is registered.
        reachable: bool,
    },
    /// Blind transfer: `by`, talking on `call`, hands the caller to the employee `to` and
    /// leaves; the caller hears ringback until `to` answers, and the call ends if they do not.
    Transfer {
        /// The call.
        call: CallId,
        /// The employee handing it on.
        by: Extension,
        /// The employee it goes to.
        to: Extension,
    },
    /// Attended transfer, already carried out by the SIP layer: `by` joined the caller of
    /// `call` to `to`, whom they were talking to on their own call `replaced`. `replaced` is
    /// over; `call` goes on with `to`.
    Transferred {
        /// The caller's call.
        call: CallId,
        /// The employee who transferred.
        by: Extension,
        /// Who the caller talks to now.
        to: Extension,
        /// The consultation call that was merged into `call`.
        replaced: CallId,
    },
    /// Time passed: deadlines at or before `now` are due.
    Timeout,
    /// A new configuration: it applies to every decision from now on.
    Config(Arc<Config>),
    /// A CRM contact was added or changed (matched by id).
    Contact(Contact),
}
