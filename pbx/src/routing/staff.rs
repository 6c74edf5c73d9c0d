//! What the router knows about each employee right now: ringing, on a call, present.

use firmware_config::employee::Presence;
use firmware_config::number::Extension;
use firmware_config::Config;

use super::input::CallId;
use super::key::{key, KeyMap};

/// The live state of one employee.
#[derive(Debug, Clone)]
struct Person {
    /// Who.
    extension: Extension,
    /// Presence set at run time (overrides the configuration's until it changes there).
    presence: Option<Presence>,
    /// Calls the router does not handle that the employee is on.
    external_calls: u32,
    /// The router's calls the employee is talking on, or calling from (one phone may talk
    /// while another calls).
    on_calls: Vec<CallId>,
    /// The call the employee's phones are ringing for.
    ringing_for: Option<CallId>,
    /// No phone of the employee is registered: queues do not offer them calls.
    offline: bool,
}

impl Person {
    fn new(extension: Extension) -> Person {
        Person {
            extension,
            presence: None,
            external_calls: 0,
            on_calls: Vec::new(),
            ringing_for: None,
            offline: false,
        }
    }

    fn occupied(&self) -> bool {
        self.external_calls > 0 || !self.on_calls.is_empty() || self.ringing_for.is_some()
    }
}

/// The live state of every employee.
#[derive(Debug, Default)]
pub(super) struct Staff {
    /// By [`key`] of the extension.
    people: KeyMap<u64, Person>,
    /// See [`Staff::version`].
    version: u64,
}

impl Staff {
    fn person(&mut self, e: &Extension) -> &mut Person {
        self.people
            .entry(key(e))
            .or_insert_with(|| Person::new(e.clone()))
    }

    fn get(&self, e: &Extension) -> Option<&Person> {
        self.people.get(&key(e))
    }

    /// After a change that may have left the employee free.
    fn maybe_freed(&mut self, e: &Extension) {
        if !self.is_occupied(e) {
            self.version += 1;
        }
    }

    /// True if the employee exists, is available and is neither ringing nor on a call: the
    /// only employees a queue may offer a call to.
    pub fn can_take_queue_call(&self, config: &Config, e: &Extension) -> bool {
        // Occupied first: it is the cheaper test, and the usual answer in a busy queue.
        let p = self.get(e);
        if p.is_some_and(|p| p.occupied() || p.offline) {
            return false;
        }
        let Some(employee) = config.employee(e) else {
            return false;
        };
        let presence = p.and_then(|p| p.presence).unwrap_or(employee.presence);
        presence == Presence::Available
    }

    /// Changes whenever someone may have become able to take a queue call: what was found out
    /// about who cannot holds while it stays the same.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// True if the employee is ringing or on a call (the router's or another).
    pub fn is_occupied(&self, e: &Extension) -> bool {
        self.get(e).is_some_and(Person::occupied)
    }

    /// The employee's presence now.
    pub fn presence(&self, config: &Config, e: &Extension) -> Option<Presence> {
        let configured = config.employee(e)?.presence;
        Some(self.get(e).and_then(|p| p.presence).unwrap_or(configured))
    }

    /// Marks the employee as ringing for `call`.
    pub fn ringing(&mut self, e: &Extension, call: CallId) {
        self.person(e).ringing_for = Some(call);
    }

    /// Ends the employee's ringing for `call` (if it is still that call).
    pub fn stop_ringing(&mut self, e: &Extension, call: CallId) {
        let p = self.person(e);
        if p.ringing_for == Some(call) {
            p.ringing_for = None;
        }
        self.maybe_freed(e);
    }

    /// Marks the employee as on `call` (as well as any other call they are on).
    pub fn on_call(&mut self, e: &Extension, call: CallId) {
        let p = self.person(e);
        if !p.on_calls.contains(&call) {
            p.on_calls.push(call);
        }
    }

    /// Ends the employee's part in `call` (their other calls go on).
    pub fn off_call(&mut self, e: &Extension, call: CallId) {
        self.person(e).on_calls.retain(|c| *c != call);
        self.maybe_freed(e);
    }

    /// Counts a call the router does not handle.
    pub fn external_busy(&mut self, e: &Extension) {
        self.person(e).external_calls += 1;
    }

    /// Ends a call the router does not handle.
    pub fn external_free(&mut self, e: &Extension) {
        let p = self.person(e);
        p.external_calls = p.external_calls.saturating_sub(1);
        self.maybe_freed(e);
    }

    /// Whether any phone of the employee is registered (the SIP shell says; everyone is
    /// reachable until told otherwise).
    pub fn set_reachable(&mut self, e: &Extension, reachable: bool) {
        self.person(e).offline = !reachable;
        if reachable {
            self.maybe_freed(e);
        }
    }

    /// Sets the run-time presence.
    pub fn set_presence(&mut self, e: &Extension, presence: Presence) {
        self.person(e).presence = Some(presence);
        self.maybe_freed(e);
    }

    /// A new configuration: a presence the admin changed there replaces the run-time one.
    pub fn config_replaced(&mut self, old: &Config, new: &Config) {
        self.version += 1;
        for p in self.people.values_mut() {
            let before = old.employee(&p.extension).map(|x| x.presence);
            let after = new.employee(&p.extension).map(|x| x.presence);
            if before != after {
                p.presence = None;
            }
        }
    }
}
