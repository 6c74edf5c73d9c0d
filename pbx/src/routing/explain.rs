//! Why a call at an entry point goes where it goes: the answer to "why did this call go to
//! voicemail?", with the same rules the router uses. Used by `centrala explain` and the
//! console's calendar.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use firmware_config::entry::Destination;
use firmware_config::group::{Distribution, Unanswered};
use firmware_config::number::PhoneNumber;
use firmware_config::schedule::AfterHours;
use firmware_config::Config;
use serde::Serialize;

use super::crm::{Crm, CrmCase};
use super::schedule::{status, Reason};

/// The explanation of one moment at one entry point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The entry point.
    pub entry: String,
    /// The moment, in UTC.
    pub at: DateTime<Utc>,
    /// The same moment on the schedule's wall clock, with its zone.
    pub local_time: String,
    /// Whether the entry point is open.
    pub open: bool,
    /// Why, in one sentence.
    pub reason: String,
    /// Why, as data.
    pub reason_detail: Reason,
    /// What happens to a call.
    pub route: Route,
    /// What the CRM does if the call is missed because of the schedule (closed only).
    pub crm: Option<CrmCase>,
}

/// Where a call goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Route {
    /// To a queue group.
    Group {
        /// The group.
        group: String,
        /// How it rings its members.
        distribution: Distribution,
        /// Seconds per member (or for the whole group).
        ring_time_secs: u16,
        /// Members in order, with their configured presence.
        members: Vec<String>,
        /// What happens when nobody answers.
        unanswered: String,
    },
    /// To one employee.
    Employee {
        /// Extension and name.
        employee: String,
    },
    /// Outside hours: the after-hours action.
    AfterHours {
        /// What happens.
        action: String,
    },
}

/// Why there is nothing to explain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// No such entry point.
    #[error("there is no entry point named '{name}' (there are: {known})")]
    UnknownEntry {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
}

/// Explains what happens to a call from `from` at entry point `entry` at moment `at`.
pub fn explain(
    config: &Config,
    crm: &Crm,
    entry: &str,
    at: DateTime<Utc>,
    from: Option<&PhoneNumber>,
) -> Result<Explanation, ExplainError> {
    let Some(e) = config.entry_point(entry) else {
        let known: Vec<&str> = config
            .entry_points
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        return Err(ExplainError::UnknownEntry {
            name: entry.into(),
            known: known.join(", "),
        });
    };
    let schedule = e.schedule.as_ref().and_then(|s| config.schedule(s));
    let st = status(schedule, at);
    let tz: Tz = schedule
        .and_then(|s| s.time_zone.parse().ok())
        .unwrap_or(Tz::UTC);
    let local_time = at
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M:%S %Z (%A)")
        .to_string();
    let (route, crm_case) = match (st.open, schedule) {
        (false, Some(s)) => {
            let action = after_hours_text(&s.after_hours, s.voicemail_greeting.as_deref());
            let case = matches!(s.after_hours, AfterHours::Voicemail | AfterHours::HangUp)
                .then(|| crm.classify(e.crm, from));
            (Route::AfterHours { action }, case)
        }
        _ => (open_route(config, &e.destination), None),
    };
    Ok(Explanation {
        entry: entry.into(),
        at,
        local_time,
        open: st.open,
        reason: st.reason.describe(),
        reason_detail: st.reason,
        route,
        crm: crm_case,
    })
}

fn open_route(config: &Config, destination: &Destination) -> Route {
    match destination {
        Destination::Employee(x) => Route::Employee {
            employee: employee_label(config, x),
        },
        Destination::Group(g) => match config.group(g) {
            Some(g) => Route::Group {
                group: g.name.to_string(),
                distribution: g.distribution,
                ring_time_secs: g.ring_time_secs,
                members: g
                    .members
                    .iter()
                    .map(|m| employee_label(config, m))
                    .collect(),
                unanswered: unanswered_text(
                    config,
                    &g.unanswered,
                    g.members.last(),
                    g.distribution,
                ),
            },
            None => Route::AfterHours {
                action: format!("group '{g}' does not exist: the call is rejected"),
            },
        },
    }
}

fn employee_label(config: &Config, x: &firmware_config::number::Extension) -> String {
    match config.employee(x) {
        Some(e) => {
            format!("{} {} ({:?})", e.extension, e.name, e.presence).replace("OnBreak", "on break")
        }
        None => format!("{x} (no such employee)"),
    }
}

fn mobile_of(config: &Config, x: Option<&firmware_config::number::Extension>) -> String {
    match x.and_then(|x| config.employee(x)) {
        Some(e) => match &e.mobile {
            Some(m) => format!("{} {} at {m}", e.extension, e.name),
            None => format!(
                "{} {} (who has no mobile number: the call ends)",
                e.extension, e.name
            ),
        },
        None => "nobody (the call ends)".into(),
    }
}

fn unanswered_text(
    config: &Config,
    u: &Unanswered,
    last: Option<&firmware_config::number::Extension>,
    d: Distribution,
) -> String {
    match u {
        Unanswered::ForwardToLastMember => format!("forward to the last member's mobile: {}", mobile_of(config, last)),
        Unanswered::ForwardToEmployee(x) => format!("forward to the mobile of {}", mobile_of(config, Some(x))),
        Unanswered::ForwardToNumber(n) => format!("forward to {n}"),
        Unanswered::ForwardToGroup(g) => format!("enter queue group '{g}'"),
        Unanswered::WaitForAgent if d == Distribution::Simultaneously => {
            "wait for an agent with simultaneous ringing: the call ends after one pass, recorded as missed".into()
        }
        Unanswered::WaitForAgent => "wait for an agent: hold music, the group is tried again until someone answers".into(),
    }
}

fn after_hours_text(a: &AfterHours, greeting: Option<&str>) -> String {
    match a {
        AfterHours::Voicemail => match greeting {
            Some(g) => format!("voicemail with the greeting {g}"),
            None => "voicemail with the built-in greeting".into(),
        },
        AfterHours::ForwardToNumber(n) => format!("forward to {n}"),
        AfterHours::HangUp => "hang up without answering".into(),
    }
}

impl Explanation {
    /// The explanation as text for an administrator.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "entry point '{}' at {} ({})\n{}\n",
            self.entry,
            self.at.format("%Y-%m-%dT%H:%M:%SZ"),
            self.local_time,
            self.reason
        );
        match &self.route {
            Route::Group {
                group,
                distribution,
                ring_time_secs,
                members,
                unanswered,
            } => {
                s += &format!(
                    "route: queue group '{group}', {distribution:?}, {ring_time_secs} s\n"
                );
                for m in members {
                    s += &format!("  member {m}\n");
                }
                s += &format!("if nobody answers: {unanswered}\n");
            }
            Route::Employee { employee } => s += &format!("route: employee {employee}\n"),
            Route::AfterHours { action } => s += &format!("route: after hours: {action}\n"),
        }
        if let Some(c) = &self.crm {
            s += &format!("CRM: {}\n", crm_text(c));
        }
        s
    }
}

fn crm_text(c: &CrmCase) -> String {
    match c {
        CrmCase::LookupDisabled => "lookup disabled: the queue's employees are notified".into(),
        CrmCase::Contact { id } => format!("the number is contact {id}: the call is attached and its responsible employee notified"),
        CrmCase::KnownLead { id } => format!("the number is lead {id}: the call is attached and the queue notified"),
        CrmCase::LeadCreated { .. } => "unknown number: a lead is created and the queue's employees notified".into(),
        CrmCase::OfferToCreate => "unknown number: the queue's employees are notified and offered to create a record".into(),
        CrmCase::Withheld => "number withheld: the queue's employees are notified".into(),
    }
}
