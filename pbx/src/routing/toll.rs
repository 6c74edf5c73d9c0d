//! The toll-fraud guard, sans-IO: decides whether an outside call may go out through a trunk.
//!
//! Only two kinds of caller ever reach a trunk: an employee who dialled an outside number
//! (authenticated by the registrar; the shell names them) and the router's own forwarding of a
//! caller (to a mobile or an outside number). Anyone else never gets this far. For those two the
//! guard applies the configuration's `[outbound]` limits and `system.allowed_country_codes`:
//!
//! - the destination's country must be allowed (every country when the list is empty) and the
//!   number must not start with a blocked prefix;
//! - calls in progress at once, per employee and for the whole office;
//! - calls started in any 60 minutes (a sliding window of admissions, whether or not they were
//!   answered), per employee and for the whole office.
//!
//! Forwarding counts against the office-wide limits only. A limit of 0 means none may go out.
//! The guard is fed the current time; it never reads a clock. It remembers only admissions of
//! the last 60 minutes (pruned on every admission) and the calls in progress.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use firmware_config::number::{CountryCode, Extension, PhoneNumber};
use firmware_config::outbound::Outbound;
use firmware_config::Config;

use super::CallId;

/// The length of the window the hourly limits count admissions in.
pub fn window() -> TimeDelta {
    TimeDelta::minutes(60)
}

/// Why an outside call is refused. The text is for an administrator: it goes to the log and
/// into a SIP Warning header, so it names the setting and holds no double quotes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The extension that dialled is not an employee in the configuration.
    #[error("extension {0} is not an employee, so it may not call outside numbers")]
    NotAnEmployee(Extension),
    /// Outside calls are turned off.
    #[error(
        "outside calls are turned off (outbound.max_concurrent or outbound.max_per_hour is 0)"
    )]
    OutsideCallsOff,
    /// Employees may not dial outside numbers themselves.
    #[error(
        "employees may not dial outside numbers (outbound.max_concurrent_per_employee or \
         outbound.max_per_hour_per_employee is 0); {employee} was refused"
    )]
    EmployeesMayNotCallOut {
        /// Who dialled.
        employee: Extension,
    },
    /// The destination's country is not among those outside calls may reach.
    #[error(
        "calls to +{country} are not allowed (system.allowed_country_codes); {number} was refused"
    )]
    CountryNotAllowed {
        /// The number dialled.
        number: PhoneNumber,
        /// Its country code.
        country: CountryCode,
    },
    /// The destination starts with a blocked prefix.
    #[error("{number} starts with the blocked prefix {prefix} (outbound.blocked_prefixes)")]
    BlockedPrefix {
        /// The number dialled.
        number: PhoneNumber,
        /// The prefix, as `+digits`.
        prefix: String,
    },
    /// The office already has as many outside calls as it may have at once.
    #[error(
        "the office already has {limit} outside call(s) in progress (outbound.max_concurrent)"
    )]
    TooManyConcurrent {
        /// The limit.
        limit: u8,
    },
    /// The employee already has as many outside calls as they may have at once.
    #[error(
        "{employee} already has {limit} outside call(s) in progress \
         (outbound.max_concurrent_per_employee)"
    )]
    TooManyConcurrentForEmployee {
        /// Who dialled.
        employee: Extension,
        /// The limit.
        limit: u8,
    },
    /// The office started as many outside calls in the last 60 minutes as it may.
    #[error(
        "the office has made {limit} outside call(s) in the last 60 minutes \
         (outbound.max_per_hour); the next may go out at {}", rfc3339(.until)
    )]
    TooManyThisHour {
        /// The limit.
        limit: u16,
        /// When the window has room again (unless the limit changes).
        until: DateTime<Utc>,
    },
    /// The employee started as many outside calls in the last 60 minutes as they may.
    #[error(
        "{employee} has made {limit} outside call(s) in the last 60 minutes \
         (outbound.max_per_hour_per_employee); the next may go out at {}", rfc3339(.until)
    )]
    TooManyThisHourForEmployee {
        /// Who dialled.
        employee: Extension,
        /// The limit.
        limit: u16,
        /// When the window has room again (unless the limit changes).
        until: DateTime<Utc>,
    },
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Decides whether an outside call may go out through a trunk.
#[derive(Debug, Clone)]
pub struct TollGuard {
    limits: Outbound,
    /// Country codes outside calls may reach; every country when empty.
    allowed: Vec<CountryCode>,
    employees: HashSet<Extension>,
    /// Outside calls in progress, and the employee who dialled each (`None`: forwarding).
    active: HashMap<CallId, Option<Extension>>,
    /// When each of the office's outside calls of the last 60 minutes was admitted, oldest
    /// first.
    office_window: VecDeque<DateTime<Utc>>,
    /// The same, per employee; an employee without calls in the window has no entry.
    employee_windows: HashMap<Extension, VecDeque<DateTime<Utc>>>,
}

impl TollGuard {
    /// A guard with the limits of `config` and no calls yet.
    pub fn new(config: &Config) -> Self {
        let mut guard = TollGuard {
            limits: Outbound::default(),
            allowed: Vec::new(),
            employees: HashSet::new(),
            active: HashMap::new(),
            office_window: VecDeque::new(),
            employee_windows: HashMap::new(),
        };
        guard.configure(config);
        guard
    }

    /// Takes the limits, allowed countries and employees of a new configuration, keeping the
    /// calls in progress and the admissions of the last 60 minutes (they count against the new
    /// limits; nothing already admitted is cut off).
    pub fn configure(&mut self, config: &Config) {
        self.limits = config.outbound.clone();
        self.allowed = config.system.allowed_country_codes.to_vec();
        self.employees = config
            .employees
            .iter()
            .map(|e| e.extension.clone())
            .collect();
    }

    /// Admits the outside call `call` to `number`, counting it, or says why not.
    ///
    /// `by`: the employee who dialled (`Some`, authenticated by the caller of this function) or
    /// the router's own forwarding of a caller (`None`; counts against the office-wide limits
    /// only). Give each outside call (trunk leg) its own id: an id already in progress is
    /// checked against the number rules again but not counted twice (a re-sent request).
    pub fn admit(
        &mut self,
        now: DateTime<Utc>,
        call: CallId,
        by: Option<&Extension>,
        number: &PhoneNumber,
    ) -> Result<(), Refusal> {
        self.prune(now);
        self.check_caller(by)?;
        self.check_number(number)?;
        if self.active.contains_key(&call) {
            return Ok(());
        }
        if let Some(employee) = by {
            self.check_employee_limits(employee)?;
        }
        self.check_office_limits()?;
        self.count(now, call, by);
        Ok(())
    }

    /// The outside call ended (idempotent; unknown ids are ignored). It stays counted in the
    /// hourly window.
    pub fn release(&mut self, call: CallId) {
        self.active.remove(&call);
    }

    /// Outside calls in progress.
    pub fn active_calls(&self) -> usize {
        self.active.len()
    }

    fn check_caller(&self, by: Option<&Extension>) -> Result<(), Refusal> {
        if let Some(employee) = by {
            if !self.employees.contains(employee) {
                return Err(Refusal::NotAnEmployee(employee.clone()));
            }
        }
        if !self.limits.allows_outside_calls() {
            return Err(Refusal::OutsideCallsOff);
        }
        match by {
            Some(employee) if !self.limits.allows_employee_calls() => {
                Err(Refusal::EmployeesMayNotCallOut {
                    employee: employee.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    fn check_number(&self, number: &PhoneNumber) -> Result<(), Refusal> {
        let country = number.country_code();
        if !self.allowed.is_empty() && !self.allowed.contains(&country) {
            return Err(Refusal::CountryNotAllowed {
                number: number.clone(),
                country,
            });
        }
        match self.limits.blocked_prefix(number) {
            Some(prefix) => Err(Refusal::BlockedPrefix {
                number: number.clone(),
                prefix: prefix.to_string(),
            }),
            None => Ok(()),
        }
    }

    fn check_employee_limits(&self, employee: &Extension) -> Result<(), Refusal> {
        let limit = self.limits.max_concurrent_per_employee;
        let in_progress = self
            .active
            .values()
            .filter(|by| by.as_ref() == Some(employee))
            .count();
        if in_progress >= usize::from(limit) {
            return Err(Refusal::TooManyConcurrentForEmployee {
                employee: employee.clone(),
                limit,
            });
        }
        let limit = self.limits.max_per_hour_per_employee;
        let admitted = self.employee_windows.get(employee);
        match admitted.and_then(|w| full_until(w, limit)) {
            Some(until) => Err(Refusal::TooManyThisHourForEmployee {
                employee: employee.clone(),
                limit,
                until,
            }),
            None => Ok(()),
        }
    }

    fn check_office_limits(&self) -> Result<(), Refusal> {
        let limit = self.limits.max_concurrent;
        if self.active.len() >= usize::from(limit) {
            return Err(Refusal::TooManyConcurrent { limit });
        }
        let limit = self.limits.max_per_hour;
        match full_until(&self.office_window, limit) {
            Some(until) => Err(Refusal::TooManyThisHour { limit, until }),
            None => Ok(()),
        }
    }

    fn count(&mut self, now: DateTime<Utc>, call: CallId, by: Option<&Extension>) {
        self.active.insert(call, by.cloned());
        self.office_window.push_back(now);
        if let Some(employee) = by {
            let admitted = self.employee_windows.entry(employee.clone()).or_default();
            admitted.push_back(now);
        }
    }

    /// Forgets admissions older than the window. If the clock went back, newer admissions
    /// stay counted until it catches up (stricter, never looser).
    fn prune(&mut self, now: DateTime<Utc>) {
        let cutoff = now - window();
        prune_window(&mut self.office_window, cutoff);
        self.employee_windows.retain(|_, w| {
            prune_window(w, cutoff);
            !w.is_empty()
        });
    }

    /// Admissions remembered, for the memory bound's tests.
    #[cfg(test)]
    fn remembered(&self) -> (usize, usize) {
        let per_employee = self.employee_windows.values().map(VecDeque::len).sum();
        (self.office_window.len(), per_employee)
    }
}

fn prune_window(window: &mut VecDeque<DateTime<Utc>>, cutoff: DateTime<Utc>) {
    while window.front().is_some_and(|t| *t <= cutoff) {
        window.pop_front();
    }
}

/// When a window holding `limit` or more admissions has room for one more: when all but
/// `limit - 1` of them have left it. `None` when it has room now. (A limit of 0 never gets
/// here: it turns outside calls off before any count is looked at.)
fn full_until(admitted: &VecDeque<DateTime<Utc>>, limit: u16) -> Option<DateTime<Utc>> {
    let limit = usize::from(limit);
    if admitted.len() < limit {
        return None;
    }
    let oldest_kept = admitted.get(admitted.len() - limit)?;
    Some(*oldest_kept + window())
}

#[cfg(test)]
mod tests;
