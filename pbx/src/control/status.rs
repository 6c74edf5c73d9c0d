//! The live state for the console: a [`Status`] taken from the running switch, and the
//! [`Pacer`] that decides when subscribers are sent a new one (only when it changed, at most
//! once per [`MIN_GAP`]).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::protocol::{CallView, LineView, QueueView, RegistrationView, Status};
use crate::switch::Switch;

/// The shortest time between two status events.
pub const MIN_GAP: Duration = Duration::from_millis(500);

/// What the switch is doing at `now`: registered phones, calls, callers waiting per group
/// (every configured group, also when nobody waits), analog lines.
pub fn snapshot(switch: &Switch, now: DateTime<Utc>) -> Status {
    let registrar = switch.endpoint().registrar();
    let registrations = registrar
        .bindings(now)
        .map(|b| RegistrationView {
            extension: b.extension.clone(),
            user: b.username.clone(),
            contact: b.contact.clone(),
            expires_at: b.expires_at,
        })
        .collect();
    let router = switch.router();
    let calls = router
        .call_summaries()
        .into_iter()
        .map(|c| CallView {
            id: c.id.0,
            caller: c.caller,
            state: c.state,
            since: c.since,
        })
        .collect();
    let queues = router
        .config()
        .groups
        .iter()
        .map(|g| QueueView {
            group: g.name.to_string(),
            waiting: router
                .waiting(&g.name)
                .into_iter()
                .map(|(id, at)| (id.0, at))
                .collect(),
        })
        .collect();
    Status {
        at: Some(now),
        registrations,
        calls,
        queues,
        lines: lines(switch),
    }
}

/// Each configured analog line and its state in words.
fn lines(switch: &Switch) -> Vec<LineView> {
    use crate::line::gateway::LineState;
    switch
        .endpoint()
        .line_states()
        .into_iter()
        .map(|(name, state)| LineView {
            name,
            state: match state {
                None => "not started".to_owned(),
                Some(LineState::Idle) => "idle".to_owned(),
                Some(LineState::Busy) => "in use".to_owned(),
                Some(LineState::Down(why)) => format!("down: {why}"),
            },
        })
        .collect()
}

/// When to push a status event: after something happened, at most once per gap, and only
/// when the status differs from the one sent last (its time aside). Sans-IO: the caller
/// passes the time.
#[derive(Debug)]
pub struct Pacer {
    gap: Duration,
    touched: bool,
    last_sent_at: Option<Instant>,
    last: Option<Status>,
}

impl Pacer {
    /// A pacer with at least `gap` between two events.
    pub fn new(gap: Duration) -> Pacer {
        Pacer {
            gap,
            touched: true,
            last_sent_at: None,
            last: None,
        }
    }

    /// Something happened that may have changed the status.
    pub fn touch(&mut self) {
        self.touched = true;
    }

    /// When to take a status next (none while nothing happened).
    pub fn poll_timeout(&self, now: Instant) -> Option<Instant> {
        if !self.touched {
            return None;
        }
        Some(match self.last_sent_at {
            Some(at) => (at + self.gap).max(now),
            None => now,
        })
    }

    /// A status taken at `now`: the one to send, if it differs from the last one sent.
    pub fn offer(&mut self, now: Instant, status: Status) -> Option<Status> {
        self.touched = false;
        let same = self.last.as_ref().is_some_and(|last| {
            Status {
                at: None,
                ..last.clone()
            } == Status {
                at: None,
                ..status.clone()
            }
        });
        if same {
            return None;
        }
        self.last_sent_at = Some(now);
        self.last = Some(status.clone());
        Some(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::protocol::LineView;

    fn status(lines: usize, at: i64) -> Status {
        Status {
            at: DateTime::from_timestamp(at, 0),
            lines: (0..lines)
                .map(|i| LineView {
                    name: format!("line{i}"),
                    state: "idle".into(),
                })
                .collect(),
            ..Status::default()
        }
    }

    #[test]
    fn a_change_is_sent_at_once_then_no_faster_than_the_gap() {
        let t0 = Instant::now();
        let mut p = Pacer::new(MIN_GAP);
        assert_eq!(p.poll_timeout(t0), Some(t0));
        assert_eq!(p.offer(t0, status(0, 1)), Some(status(0, 1)));
        assert_eq!(p.poll_timeout(t0), None, "quiet until touched");
        let t1 = t0 + Duration::from_millis(100);
        p.touch();
        assert_eq!(p.poll_timeout(t1), Some(t0 + MIN_GAP));
        let t2 = t0 + MIN_GAP;
        assert_eq!(p.offer(t2, status(1, 2)), Some(status(1, 2)));
        let t3 = t2 + Duration::from_secs(5);
        p.touch();
        assert_eq!(p.poll_timeout(t3), Some(t3), "long quiet: at once");
    }

    #[test]
    fn an_unchanged_status_is_not_sent_again() {
        let t0 = Instant::now();
        let mut p = Pacer::new(MIN_GAP);
        assert!(p.offer(t0, status(1, 1)).is_some());
        p.touch();
        let t1 = t0 + MIN_GAP;
        assert_eq!(p.offer(t1, status(1, 9)), None, "only the time differs");
        assert_eq!(p.poll_timeout(t1), None);
    }
}
