//! One call as the router follows it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use firmware_config::group::QueueGroup;
use firmware_config::number::Extension;
use firmware_config::Config;

use super::input::Caller;
use super::output::Mailbox;
use super::record::Transfer;

/// A call the router is handling.
#[derive(Debug)]
pub(super) struct Call {
    pub caller: Caller,
    /// The entry point it came in on.
    pub entry: Option<String>,
    pub offered_at: DateTime<Utc>,
    /// The entry point's hold music.
    pub hold_music: Option<String>,
    /// Groups visited, in order (the run-time loop guard reads it).
    pub groups: Vec<String>,
    /// Employees rung, each once, in order.
    pub offered_to: Vec<Extension>,
    /// True once hold music answered the call.
    pub holding: bool,
    /// The employee who answered first (later ones got it by transfer).
    pub first_answer: Option<Extension>,
    /// Transfers, in order.
    pub transfers: Vec<Transfer>,
    pub state: State,
}

/// Where a call is.
#[derive(Debug)]
pub(super) enum State {
    /// Just offered; not yet placed anywhere.
    Arriving,
    /// Ringing one employee directly; when they do not answer, `then` gets a message.
    Direct {
        employee: Extension,
        deadline: DateTime<Utc>,
        then: Mailbox,
    },
    /// In a queue group.
    Queued(Queued),
    /// Talking to an employee since `at`.
    Connected {
        employee: Extension,
        at: DateTime<Utc>,
        waited_ms: i64,
        group: Option<String>,
    },
    /// Handed on by a blind transfer: `target` rings until `deadline` while the caller hears
    /// ringback; the call was first answered at `at`.
    Transferring {
        target: Extension,
        deadline: DateTime<Utc>,
        at: DateTime<Utc>,
        waited_ms: i64,
        group: Option<String>,
    },
}

/// A call's place in a queue group.
#[derive(Debug)]
pub(super) struct Queued {
    pub group: String,
    /// Its place in the group's queue (arrival order).
    pub seq: u64,
    /// The configuration when the call entered the group: the group's rules if the group is
    /// removed while the call waits.
    pub config: Arc<Config>,
    pub entered_at: DateTime<Utc>,
    /// Members already offered (or skipped as busy) in this pass, as [`key`]s.
    pub tried: Vec<u64>,
    /// Members ringing now.
    pub ringing: Vec<Extension>,
    /// When the ringing times out.
    pub deadline: Option<DateTime<Utc>>,
    /// Where this pass started in the member list (for `evenly`).
    pub pass_start: usize,
    /// One pass went unanswered and the caller now waits for an agent.
    pub waiting: bool,
}

impl Queued {
    /// The group's rules: today's if the group still exists, else those it entered with.
    pub fn rules<'a>(&'a self, current: &'a Config) -> Option<&'a QueueGroup> {
        current
            .group(&self.group)
            .or_else(|| self.config.group(&self.group))
    }

    /// The configuration whose rules for the group apply (see [`Queued::rules`]), to borrow
    /// them from without copying the group.
    pub fn rules_config(&self, current: &Arc<Config>) -> Option<Arc<Config>> {
        [current, &self.config]
            .into_iter()
            .find(|c| c.group(&self.group).is_some())
            .cloned()
    }
}

impl Call {
    /// The deadline of the call's current step, if any.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        match &self.state {
            State::Direct { deadline, .. } | State::Transferring { deadline, .. } => {
                Some(*deadline)
            }
            State::Queued(q) => q.deadline,
            State::Arriving | State::Connected { .. } => None,
        }
    }

    /// Records that an employee was rung for the call.
    pub fn offered(&mut self, e: &Extension) {
        if !self.offered_to.contains(e) {
            self.offered_to.push(e.clone());
        }
    }
}
