//! The control socket's decisions, sans-IO: which revision is current, whether a change may be
//! made, what it changes, and what to answer.
//!
//! The [`Core`] holds the configuration now, its revision and a short history of recent
//! revisions (so a conflict can name what changed since the client's base). A change request
//! becomes a [`Decision`]: either an answer at once (a conflict, the problems found, an
//! error) or [`Decision::Save`], which the shell stores and then confirms with
//! [`Core::saved`] (or abandons with [`Core::save_failed`]).
//!
//! A change that makes no difference is answered [`Reply::Saved`] with the current revision
//! and nothing is written.

use std::collections::VecDeque;
use std::sync::Arc;

use firmware_config::bounded::Table;
use firmware_config::outbound::Outbound;
use firmware_config::system::System;
use firmware_config::validate::validate;
use firmware_config::Config;
use serde::Serialize;
use serde_json::Value;

use super::protocol::{Event, FieldProblem, Item, ItemKey, Reply, Request, Revision, VERSION};

/// How many revisions (the current one included) the core remembers for conflicts.
pub const HISTORY: usize = 16;

/// What to do with a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Answer this, nothing else to do.
    Reply(Reply),
    /// Store `config` (valid), then call [`Core::saved`] with the revision it got.
    Save {
        /// The new configuration.
        config: Arc<Config>,
        /// What it changes, in words.
        changed: Vec<String>,
    },
}

/// A save confirmed: what to answer, tell the subscribers, and apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// To the client that asked.
    pub reply: Reply,
    /// To every subscriber.
    pub event: Event,
    /// The configuration before.
    pub before: Arc<Config>,
    /// The configuration now (to hand to the running switch).
    pub config: Arc<Config>,
}

/// The control socket's state. See the module documentation.
#[derive(Debug)]
pub struct Core {
    /// Recent revisions, oldest first; the last one is the current.
    history: VecDeque<(Revision, Arc<Config>)>,
    /// The change being stored.
    pending: Option<(Arc<Config>, Vec<String>)>,
}

impl Core {
    /// A core running on `config` at `revision`.
    pub fn new(revision: Revision, config: Arc<Config>) -> Core {
        let mut history = VecDeque::with_capacity(HISTORY);
        history.push_back((revision, config));
        Core {
            history,
            pending: None,
        }
    }

    /// The current revision.
    pub fn revision(&self) -> Revision {
        self.current().0
    }

    /// The current configuration.
    pub fn config(&self) -> &Arc<Config> {
        &self.current().1
    }

    fn current(&self) -> &(Revision, Arc<Config>) {
        // Never empty: `new` puts one in and `saved` only adds before trimming.
        &self.history[self.history.len() - 1]
    }

    /// Decides a request. `Hello` and `GetConfig` are answered from the current
    /// configuration; changes are checked against it; `Status`, `Subscribe`, the history and
    /// the contact requests belong to the shell and are answered with an error here.
    pub fn handle(&mut self, request: &Request) -> Decision {
        let base = match request {
            Request::Hello { .. } => {
                return Decision::Reply(Reply::Hello {
                    version: VERSION,
                    office: self.config().system.name.to_string(),
                })
            }
            Request::GetConfig => {
                return Decision::Reply(Reply::Config {
                    revision: self.revision(),
                    config: Box::new(Config::clone(self.config())),
                })
            }
            Request::Status
            | Request::Storage
            | Request::Lines
            | Request::CheckLine { .. }
            | Request::Subscribe
            | Request::History { .. }
            | Request::Statistics
            | Request::Voicemail { .. }
            | Request::Notifications { .. }
            | Request::Contacts { .. }
            | Request::SaveContact { .. }
            | Request::RemoveContact { .. }
            | Request::ImportContacts { .. } => {
                return Decision::Reply(error("this request is served by the daemon's shell"))
            }
            Request::Replace { base, .. }
            | Request::Remove { base, .. }
            | Request::SetPresence { base, .. }
            | Request::SetNightSwitch { base, .. } => *base,
        };
        if self.pending.is_some() {
            return Decision::Reply(error("another change is being stored; try again"));
        }
        if base != self.revision() {
            return Decision::Reply(self.conflict(base));
        }
        let mut config = Config::clone(self.config());
        if let Err(reply) = apply(&mut config, request) {
            return Decision::Reply(reply);
        }
        let problems = validate(&config);
        if !problems.is_empty() {
            let problems = problems
                .iter()
                .map(|p| FieldProblem {
                    path: p.location.to_string(),
                    message: p.kind.to_string(),
                })
                .collect();
            return Decision::Reply(Reply::Invalid { problems });
        }
        let changed = changes(self.config(), &config);
        if changed.is_empty() {
            return Decision::Reply(Reply::Saved {
                revision: self.revision(),
            });
        }
        let config = Arc::new(config);
        self.pending = Some((Arc::clone(&config), changed.clone()));
        Decision::Save { config, changed }
    }

    /// The change of the last [`Decision::Save`] was stored as `revision`, by `by`: it is now
    /// the current configuration. `None` when no save was pending.
    pub fn saved(&mut self, revision: Revision, by: &str) -> Option<Saved> {
        let (config, changed) = self.pending.take()?;
        let before = Arc::clone(self.config());
        self.history.push_back((revision, Arc::clone(&config)));
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
        Some(Saved {
            reply: Reply::Saved { revision },
            event: Event::ConfigChanged {
                revision,
                by: by.to_owned(),
                changed,
            },
            before,
            config,
        })
    }

    /// The last [`Decision::Save`] could not be stored: the configuration stays as it was.
    pub fn save_failed(&mut self) {
        self.pending = None;
    }

    /// The conflict for a change based on `base`: what changed between it and now.
    fn conflict(&self, base: Revision) -> Reply {
        let current = self.revision();
        let known = self.history.iter().find(|(r, _)| *r == base);
        let mut changed = match known {
            Some((_, old)) => changes(old, self.config()),
            None => Vec::new(),
        };
        if changed.is_empty() {
            changed.push(format!("the configuration (revision {current})"));
        }
        Reply::Conflict { current, changed }
    }
}

fn error(message: &str) -> Reply {
    Reply::Error {
        message: message.to_owned(),
    }
}

/// Carries out a change request on `config` (not yet validated).
fn apply(config: &mut Config, request: &Request) -> Result<(), Reply> {
    match request {
        Request::Replace { item, .. } => replace(config, item),
        Request::Remove { key, .. } => remove(config, key),
        Request::SetPresence {
            employee, presence, ..
        } => {
            let slot = config.employees.as_mut_slice().iter_mut();
            let mut found = slot.filter(|e| &e.extension == employee);
            let e = found
                .next()
                .ok_or_else(|| error(&format!("there is no employee {employee}")))?;
            e.presence = *presence;
            Ok(())
        }
        Request::SetNightSwitch {
            schedule,
            night_switch,
            ..
        } => {
            let slot = config.schedules.as_mut_slice().iter_mut();
            let mut found = slot.filter(|s| s.name.as_str() == schedule);
            let s = found
                .next()
                .ok_or_else(|| error(&format!("there is no schedule '{schedule}'")))?;
            s.night_switch = night_switch.clone();
            Ok(())
        }
        _ => Err(error("not a change")),
    }
}

fn replace(config: &mut Config, item: &Item) -> Result<(), Reply> {
    match item {
        Item::Employee(e) => upsert(&mut config.employees, e, |x| x.extension == e.extension),
        Item::Group(g) => upsert(&mut config.groups, g, |x| x.name == g.name),
        Item::Schedule(s) => upsert(&mut config.schedules, s, |x| x.name == s.name),
        Item::EntryPoint(p) => upsert(&mut config.entry_points, p, |x| x.name == p.name),
        Item::System(s) => {
            config.system = System::clone(s);
            Ok(())
        }
        Item::Webhook(w) => {
            config.webhook = w.as_deref().cloned();
            Ok(())
        }
        Item::Outbound(o) => {
            config.outbound = Outbound::clone(o);
            Ok(())
        }
        Item::Storage(l) => {
            config.storage = **l;
            Ok(())
        }
    }
}

/// Replaces the item `same` finds, or adds `item` when there is none.
fn upsert<T: Clone, const N: usize>(
    table: &mut Table<T, N>,
    item: &T,
    same: impl Fn(&T) -> bool,
) -> Result<(), Reply> {
    if let Some(slot) = table.as_mut_slice().iter_mut().find(|x| same(x)) {
        *slot = item.clone();
        return Ok(());
    }
    table
        .push(item.clone())
        .map_err(|_| error(&format!("there is room for at most {N} of these")))
}

fn remove(config: &mut Config, key: &ItemKey) -> Result<(), Reply> {
    let removed = match key {
        ItemKey::Employee(x) => take(&mut config.employees, |e| &e.extension == x),
        ItemKey::Group(x) => take(&mut config.groups, |g| g.name.as_str() == x),
        ItemKey::Schedule(x) => take(&mut config.schedules, |s| s.name.as_str() == x),
        ItemKey::EntryPoint(x) => take(&mut config.entry_points, |p| p.name.as_str() == x),
    };
    if removed {
        Ok(())
    } else {
        Err(error(&format!("there is no {}", key_name(key))))
    }
}

fn take<T, const N: usize>(table: &mut Table<T, N>, which: impl Fn(&T) -> bool) -> bool {
    match table.iter().position(which) {
        Some(i) => table.remove(i).is_some(),
        None => false,
    }
}

/// An item's name in words, as [`changes`] writes it.
pub fn key_name(key: &ItemKey) -> String {
    match key {
        ItemKey::Employee(x) => format!("employee {x}"),
        ItemKey::Group(x) => format!("group '{x}'"),
        ItemKey::Schedule(x) => format!("schedule '{x}'"),
        ItemKey::EntryPoint(x) => format!("entry point '{x}'"),
    }
}

/// One item that differs between two configurations, with its JSON form before and after
/// (`None` where it did not exist).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemChange {
    /// The item in words, e.g. `group 'sales'`.
    pub item: String,
    /// Before the change.
    pub before: Option<Value>,
    /// After the change.
    pub after: Option<Value>,
}

/// The items that differ between `old` and `new`, in words (`group 'sales'`, `employee 101`,
/// `system settings`…), in the order of the configuration's sections.
pub fn changes(old: &Config, new: &Config) -> Vec<String> {
    item_changes(old, new).into_iter().map(|c| c.item).collect()
}

/// The items that differ between `old` and `new`, with their before and after.
pub fn item_changes(old: &Config, new: &Config) -> Vec<ItemChange> {
    let mut out = Vec::new();
    single(&mut out, "system settings", &old.system, &new.system);
    single(&mut out, "webhook", &old.webhook, &new.webhook);
    single(
        &mut out,
        "outside-call limits",
        &old.outbound,
        &new.outbound,
    );
    single(&mut out, "storage limits", &old.storage, &new.storage);
    let employee = |e: &firmware_config::employee::Employee| format!("employee {}", e.extension);
    table(&mut out, &old.employees, &new.employees, employee);
    let group = |g: &firmware_config::group::QueueGroup| format!("group '{}'", g.name);
    table(&mut out, &old.groups, &new.groups, group);
    let schedule = |s: &firmware_config::schedule::Schedule| format!("schedule '{}'", s.name);
    table(&mut out, &old.schedules, &new.schedules, schedule);
    let entry = |p: &firmware_config::entry::EntryPoint| format!("entry point '{}'", p.name);
    table(&mut out, &old.entry_points, &new.entry_points, entry);
    let trunk = |t: &firmware_config::trunk::SipTrunk| format!("trunk '{}'", t.name);
    table(&mut out, &old.trunks, &new.trunks, trunk);
    let line = |l: &firmware_config::line::FxoLine| format!("line '{}'", l.name);
    table(&mut out, &old.lines, &new.lines, line);
    out
}

fn json<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

fn single<T: PartialEq + Serialize>(out: &mut Vec<ItemChange>, name: &str, old: &T, new: &T) {
    if old != new {
        out.push(ItemChange {
            item: name.to_owned(),
            before: json(old),
            after: json(new),
        });
    }
}

/// Items matched by their name in words: changed or removed ones in the old order, then added
/// ones in the new order.
fn table<T: PartialEq + Serialize>(
    out: &mut Vec<ItemChange>,
    old: &[T],
    new: &[T],
    name: impl Fn(&T) -> String,
) {
    for o in old {
        let key = name(o);
        match new.iter().find(|n| name(n) == key) {
            Some(n) if n == o => {}
            Some(n) => out.push(ItemChange {
                item: key,
                before: json(o),
                after: json(n),
            }),
            None => out.push(ItemChange {
                item: key,
                before: json(o),
                after: None,
            }),
        }
    }
    for n in new {
        let key = name(n);
        if !old.iter().any(|o| name(o) == key) {
            out.push(ItemChange {
                item: key,
                before: None,
                after: json(n),
            });
        }
    }
}

#[cfg(test)]
mod tests;
