//! The History tab's state: which view is shown (calls, statistics per group, voicemail,
//! notifications), the calls' filters, the lists last received, and the requests that fetch
//! them.

use firmware_config::Config;
use pbx::control::protocol::{
    GroupStats, NotificationView, RecordView, Reply, Request, VoicemailView, HISTORY_KEPT,
    NOTIFICATIONS_KEPT,
};

/// The History tab's views, in the order `v` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// Finished calls, newest first, with filters.
    Calls,
    /// Per-group statistics.
    Statistics,
    /// Voicemail messages of every mailbox.
    Voicemail,
    /// Notifications employees were sent.
    Notifications,
}

impl Pane {
    /// Every view, in order.
    pub const ALL: [Pane; 4] = [
        Pane::Calls,
        Pane::Statistics,
        Pane::Voicemail,
        Pane::Notifications,
    ];

    /// The view's title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Calls => "Calls",
            Pane::Statistics => "Statistics",
            Pane::Voicemail => "Voicemail",
            Pane::Notifications => "Notifications",
        }
    }

    fn next(self) -> Pane {
        let at = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ALL[(at + 1) % Pane::ALL.len()]
    }
}

/// What the History tab shows and knows.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// The view shown.
    pub pane: Pane,
    /// Calls: only missed ones.
    pub missed_only: bool,
    /// Calls: only those through this group.
    pub group: Option<String>,
    /// The selected row of the view shown.
    pub selected: usize,
    /// The calls last received (for the filters above).
    pub records: Vec<RecordView>,
    /// The statistics last received.
    pub statistics: Vec<GroupStats>,
    /// The voicemail messages last received.
    pub voicemail: Vec<VoicemailView>,
    /// The notifications last received.
    pub notifications: Vec<NotificationView>,
    /// Whether the view shown has been received since it was asked for.
    pub loaded: bool,
}

impl Default for History {
    fn default() -> History {
        History::new()
    }
}

impl History {
    /// The calls view, unfiltered, nothing received yet.
    pub fn new() -> History {
        History {
            pane: Pane::Calls,
            missed_only: false,
            group: None,
            selected: 0,
            records: Vec::new(),
            statistics: Vec::new(),
            voicemail: Vec::new(),
            notifications: Vec::new(),
            loaded: false,
        }
    }

    /// The request that fetches the view shown.
    pub fn request(&self) -> Request {
        match self.pane {
            Pane::Calls => Request::History {
                limit: HISTORY_KEPT,
                missed_only: self.missed_only,
                group: self.group.clone(),
            },
            Pane::Statistics => Request::Statistics,
            Pane::Voicemail => Request::Voicemail { employee: None },
            Pane::Notifications => Request::Notifications {
                limit: NOTIFICATIONS_KEPT,
            },
        }
    }

    /// Shows the next view; the request that fetches it.
    pub fn next_pane(&mut self) -> Request {
        self.pane = self.pane.next();
        self.refetch()
    }

    /// Toggles "missed only" (switching to the calls view); the request that fetches it.
    pub fn toggle_missed(&mut self) -> Request {
        self.pane = Pane::Calls;
        self.missed_only = !self.missed_only;
        self.refetch()
    }

    /// The next group filter: none, then each group of `config` in order, then none again
    /// (switching to the calls view); the request that fetches it.
    pub fn cycle_group(&mut self, config: Option<&Config>) -> Request {
        self.pane = Pane::Calls;
        let names: Vec<String> = config
            .map(|c| c.groups.iter().map(|g| g.name.to_string()).collect())
            .unwrap_or_default();
        let at = self
            .group
            .as_ref()
            .and_then(|g| names.iter().position(|n| n == g));
        self.group = match at {
            None if self.group.is_none() => names.first().cloned(),
            None => None,
            Some(i) => names.get(i + 1).cloned(),
        };
        self.refetch()
    }

    /// Marks the view shown as asked for again; its request.
    pub fn refetch(&mut self) -> Request {
        self.loaded = false;
        self.selected = 0;
        self.request()
    }

    /// Takes in a reply; true when it was one of the History tab's.
    pub fn on_reply(&mut self, reply: &Reply) -> bool {
        let pane = match reply {
            Reply::History { records } => {
                self.records = records.clone();
                Pane::Calls
            }
            Reply::Statistics { groups } => {
                self.statistics = groups.clone();
                Pane::Statistics
            }
            Reply::Voicemail { messages } => {
                self.voicemail = messages.clone();
                Pane::Voicemail
            }
            Reply::Notifications { notifications } => {
                self.notifications = notifications.clone();
                Pane::Notifications
            }
            _ => return false,
        };
        if pane == self.pane {
            self.loaded = true;
            self.selected = self.selected.min(self.len().saturating_sub(1));
        }
        true
    }

    /// The number of rows of the view shown.
    pub fn len(&self) -> usize {
        match self.pane {
            Pane::Calls => self.records.len(),
            Pane::Statistics => self.statistics.len(),
            Pane::Voicemail => self.voicemail.len(),
            Pane::Notifications => self.notifications.len(),
        }
    }

    /// Whether the view shown has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the selection one row down, or up.
    pub fn step(&mut self, down: bool) {
        self.selected = if down {
            (self.selected + 1).min(self.len().saturating_sub(1))
        } else {
            self.selected.saturating_sub(1)
        };
    }
}

#[cfg(test)]
mod tests;
