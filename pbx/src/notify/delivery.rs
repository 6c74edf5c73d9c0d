//! When to send which event to the webhook (sans-IO): strictly in order, one at a time,
//! with exponential backoff while the receiver fails.
//!
//! The shell asks [`Delivery::poll_send`] for the event to POST now, POSTs it, and reports
//! the [`Outcome`] with [`Delivery::result`]; while nothing can be sent it sleeps until
//! [`Delivery::poll_timeout`] or the next new event. Event N+1 is never sent before N is
//! settled: acknowledged (any 2xx) or refused for good (a 4xx other than 408 and 429, so one
//! event the receiver can never take does not block the queue forever). Anything else —
//! no connection, a timeout, 408, 429, 3xx, 5xx — is retried after 1 s, 2 s, 4 s … up to
//! 5 min between attempts. There is no jitter: one appliance has one receiver, so there is no
//! herd to spread.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long to wait between failed attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// After the first failure.
    pub first: Duration,
    /// The longest wait; the wait doubles after every failure until it reaches this.
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s doubling to 5 min.
    fn default() -> Backoff {
        Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// The wait after the `failures`-th failure in a row (1 for the first).
    pub fn after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

/// What became of one POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx: the receiver has the event.
    Acknowledged,
    /// Worth trying again later: no answer, or a status that may change.
    Failed,
    /// A 4xx other than 408 and 429: the receiver will never take this event.
    Refused,
}

/// The outcome of an HTTP status.
pub fn classify(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Acknowledged,
        408 | 429 => Outcome::Failed,
        400..=499 => Outcome::Refused,
        _ => Outcome::Failed,
    }
}

/// What the shell does after a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The event was acknowledged: remove it from the outbox.
    Delivered(u64),
    /// The event was refused for good: move it aside.
    Refused(u64),
    /// The event stays first in line and is tried again at `at`.
    Retry {
        /// The event.
        id: u64,
        /// Failures in a row so far.
        failures: u32,
        /// When.
        at: Instant,
    },
}

/// Where the machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing in flight; the first event may go now.
    Ready,
    /// The first event was handed out and its result is awaited.
    Sending(u64),
    /// After a failure: nothing goes before this instant.
    Waiting(Instant),
}

/// The delivery state machine. See the module documentation.
#[derive(Debug)]
pub struct Delivery {
    queue: VecDeque<u64>,
    state: State,
    failures: u32,
    backoff: Backoff,
    enabled: bool,
}

impl Delivery {
    /// A machine for the events `pending` (oldest first), sending only while `enabled`
    /// (a webhook is configured).
    pub fn new(
        backoff: Backoff,
        pending: impl IntoIterator<Item = u64>,
        enabled: bool,
    ) -> Delivery {
        Delivery {
            queue: pending.into_iter().collect(),
            state: State::Ready,
            failures: 0,
            backoff,
            enabled,
        }
    }

    /// A new event, last in line.
    pub fn push(&mut self, id: u64) {
        self.queue.push_back(id);
    }

    /// Event `id` is gone (dropped for room, or its file was unreadable): it is not sent, and
    /// if it was in flight its result is no longer awaited.
    pub fn forget(&mut self, id: u64) {
        self.queue.retain(|i| *i != id);
        if self.state == State::Sending(id) {
            self.state = State::Ready;
        }
    }

    /// The webhook was configured (a new URL, or again) or removed. A new configuration is
    /// tried at once, without waiting out the backoff of the old one.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.failures = 0;
        if matches!(self.state, State::Waiting(_)) {
            self.state = State::Ready;
        }
    }

    /// The event to POST now, if any. Call until `None` before sleeping.
    pub fn poll_send(&mut self, now: Instant) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        match self.state {
            State::Sending(_) => return None,
            State::Waiting(at) if now < at => return None,
            State::Waiting(_) | State::Ready => {}
        }
        let id = *self.queue.front()?;
        self.state = State::Sending(id);
        Some(id)
    }

    /// What became of POSTing event `id` at `now`. `None` if `id` was not in flight (its
    /// result no longer matters).
    pub fn result(&mut self, now: Instant, id: u64, outcome: Outcome) -> Option<Settled> {
        if self.state != State::Sending(id) {
            return None;
        }
        match outcome {
            Outcome::Acknowledged | Outcome::Refused => {
                self.queue.retain(|i| *i != id);
                self.failures = 0;
                self.state = State::Ready;
                Some(match outcome {
                    Outcome::Acknowledged => Settled::Delivered(id),
                    _ => Settled::Refused(id),
                })
            }
            Outcome::Failed => {
                self.failures = self.failures.saturating_add(1);
                let at = now + self.backoff.after(self.failures);
                self.state = State::Waiting(at);
                Some(Settled::Retry {
                    id,
                    failures: self.failures,
                    at,
                })
            }
        }
    }

    /// When [`Delivery::poll_send`] next has something, if that depends on time (after a
    /// failure); `None` when only a new event or result can change it.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Waiting(at) if self.enabled && !self.queue.is_empty() => Some(at),
            _ => None,
        }
    }

    /// Events not yet settled.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests;
