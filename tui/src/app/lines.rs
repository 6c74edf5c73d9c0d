//! The Lines tab: each analog line's diagnostics, polled from the daemon while the tab is
//! shown, and the health check asked for on demand.
//!
//! The daemon pushes nothing for line diagnostics, so the console asks for them
//! ([`Request::Lines`]) every [`POLL_EVERY`] while the tab is shown, one request at a time:
//! [`App::tick`] says when to ask, [`App::next_tick`] when the event loop should wake up for
//! it. `c` asks for a health check of the selected line; its result is taken from the line's
//! `health` once a newer one arrives.

use chrono::{DateTime, TimeDelta, Utc};
use pbx::control::protocol::{LineDiagnostics, Reply, Request};

use super::{App, Command, Connection, Tab, Tone};
use crate::action::Action;

/// How often the diagnostics are asked for while the tab is shown.
pub const POLL_EVERY: TimeDelta = TimeDelta::milliseconds(500);

/// How long an unanswered poll blocks the next one (a reply lost to a reconnection, say).
pub const POLL_GIVE_UP: TimeDelta = TimeDelta::seconds(5);

/// A health check asked for and not yet reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCheck {
    /// The line.
    pub line: String,
    /// When its last health check ran before this one was asked (none: never).
    pub before: Option<DateTime<Utc>>,
    /// When it was asked for (the console's clock).
    pub asked_at: DateTime<Utc>,
}

/// The Lines tab's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lines {
    /// Each configured line's diagnostics, as last received, in configuration order.
    pub lines: Vec<LineDiagnostics>,
    /// True once the daemon has answered.
    pub loaded: bool,
    /// The selected line.
    pub selected: usize,
    /// How many of the selected line's newest events are scrolled out of view at the bottom
    /// (0: the newest is shown).
    pub scroll: usize,
    /// Why the daemon refused the last poll, if it did.
    pub error: Option<String>,
    /// When the unanswered poll was sent, if one is.
    pub asked_at: Option<DateTime<Utc>>,
    /// When the last poll was sent.
    pub last_asked: Option<DateTime<Utc>>,
    /// The health check asked for, until its result arrives.
    pub check: Option<PendingCheck>,
}

impl Lines {
    /// Nothing received yet.
    pub fn new() -> Lines {
        Lines::default()
    }

    /// The selected line's diagnostics.
    pub fn current(&self) -> Option<&LineDiagnostics> {
        self.lines.get(self.selected)
    }

    /// When the next poll is due: [`POLL_EVERY`] after the last one, or, while one is
    /// unanswered, when it is given up on ([`POLL_GIVE_UP`]); `now` if none was sent yet.
    pub fn due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match (self.asked_at, self.last_asked) {
            (Some(sent), _) => sent + POLL_GIVE_UP,
            (None, Some(sent)) => sent + POLL_EVERY,
            (None, None) => now,
        }
    }

    /// The poll, if one is due at `now`; marks it as sent.
    fn poll(&mut self, now: DateTime<Utc>) -> Option<Request> {
        if now < self.due(now) {
            return None;
        }
        self.asked_at = Some(now);
        self.last_asked = Some(now);
        Some(Request::Lines)
    }

    /// Takes in the daemon's diagnostics; keeps the same line selected when it is still
    /// there. The result of a pending check, in words, once it has arrived.
    fn received(&mut self, lines: Vec<LineDiagnostics>) -> Option<(Tone, String)> {
        let name = self.current().map(|l| l.name.clone());
        self.lines = lines;
        self.loaded = true;
        self.error = None;
        self.asked_at = None;
        if let Some(at) = name.and_then(|n| self.lines.iter().position(|l| l.name == n)) {
            self.selected = at;
        }
        self.selected = self.selected.min(self.lines.len().saturating_sub(1));
        self.scroll = self.scroll.min(self.max_scroll());
        self.check_result()
    }

    /// The pending check's result, once the line reports a health check newer than the one
    /// it had when the check was asked for (a busy line is checked when it is free).
    fn check_result(&mut self) -> Option<(Tone, String)> {
        let pending = self.check.as_ref()?;
        let line = self.lines.iter().find(|l| l.name == pending.line)?;
        let newer = line
            .health
            .as_ref()
            .filter(|h| Some(h.at) != pending.before);
        let health = newer?;
        let text = if health.ok {
            format!("{} works: {}", line.name, health.detail)
        } else {
            format!("{} is dead: {}", line.name, health.detail)
        };
        let tone = if health.ok { Tone::Good } else { Tone::Bad };
        self.check = None;
        Some((tone, text))
    }

    /// The most the events can be scrolled: all but the oldest out of view.
    fn max_scroll(&self) -> usize {
        self.current()
            .map_or(0, |l| l.events.len().saturating_sub(1))
    }

    fn select(&mut self, down: bool) {
        let before = self.selected;
        self.selected = if down {
            (self.selected + 1).min(self.lines.len().saturating_sub(1))
        } else {
            self.selected.saturating_sub(1)
        };
        if self.selected != before {
            self.scroll = 0;
        }
    }

    /// Scrolls the events towards older ones (`older`) or newer ones, by `by`.
    fn scroll_events(&mut self, older: bool, by: usize) {
        self.scroll = if older {
            (self.scroll + by).min(self.max_scroll())
        } else {
            self.scroll.saturating_sub(by)
        };
    }
}

/// How far PgUp/PgDn scroll the events.
const PAGE: usize = 5;

impl App {
    /// Polls the line diagnostics when the Lines tab is shown and a poll is due (at
    /// [`App::now`]); the requests to send.
    pub fn tick(&mut self) -> Vec<Command> {
        if !self.polling() {
            return Vec::new();
        }
        self.lines
            .poll(self.now)
            .map(Command::Send)
            .into_iter()
            .collect()
    }

    /// When [`App::tick`] next has something to do (none: nothing to poll).
    pub fn next_tick(&self) -> Option<DateTime<Utc>> {
        if !self.polling() {
            return None;
        }
        Some(self.lines.due(self.now))
    }

    /// Whether the diagnostics are polled now: the Lines tab is shown to a connected console.
    fn polling(&self) -> bool {
        self.tab == Tab::Lines && self.connection == Connection::Ready
    }

    /// The Lines tab is shown: asks for the diagnostics at once.
    pub(super) fn lines_shown(&mut self) -> Vec<Command> {
        self.lines.last_asked = None;
        self.tick()
    }

    /// The Lines tab's own keys (`None`: a key the other tabs share).
    pub(super) fn lines_action(&mut self, action: Action) -> Option<Vec<Command>> {
        match action {
            Action::Up | Action::Down => self.lines.select(action == Action::Down),
            Action::PageUp | Action::PageDown => {
                self.lines.scroll_events(action == Action::PageUp, PAGE)
            }
            // `c`: check the selected line now.
            Action::Calendar => return Some(self.ask_check()),
            Action::Reload => {
                self.lines.last_asked = None;
                let mut commands = vec![Command::Send(Request::GetConfig)];
                commands.extend(self.tick());
                return Some(commands);
            }
            _ => return None,
        }
        Some(Vec::new())
    }

    fn ask_check(&mut self) -> Vec<Command> {
        let Some(line) = self.lines.current() else {
            self.say(Tone::Bad, "No line to check");
            return Vec::new();
        };
        let name = line.name.clone();
        self.lines.check = Some(PendingCheck {
            line: name.clone(),
            before: line.health.as_ref().map(|h| h.at),
            asked_at: self.now,
        });
        self.say(Tone::Info, format!("check asked for {name}"));
        vec![Command::Send(Request::CheckLine { line: name })]
    }

    /// Takes in a reply to [`Request::Lines`] or [`Request::CheckLine`].
    pub(super) fn on_lines_reply(&mut self, request: &Request, reply: Reply) {
        match (request, reply) {
            (_, Reply::Lines { lines }) => {
                if let Some((tone, text)) = self.lines.received(lines) {
                    self.say(tone, text);
                }
            }
            (_, Reply::CheckStarted { line }) => self.say(
                Tone::Info,
                format!("check asked for {line}: it runs as soon as the line is free"),
            ),
            (Request::Lines, Reply::Error { message }) => {
                self.lines.asked_at = None;
                self.lines.error = Some(message);
            }
            (Request::CheckLine { line }, Reply::Error { message }) => {
                if self.lines.check.as_ref().is_some_and(|c| &c.line == line) {
                    self.lines.check = None;
                }
                self.say(Tone::Bad, format!("No check of {line}: {message}"));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
