//! The lines' diagnostics board: what each line's gateway last reported for the console's
//! line screen (levels, ring and polarity events, caller ID raw and decoded, ERLE, the
//! jitter buffer, the health check), shared between the lines' threads, which write it,
//! and the control server, which reads it for [`Request::Lines`].
//!
//! Alerts (a line found dead by its health check) go to the control server through
//! [`LineAlert`]s, which it passes on to the console and the webhook.
//!
//! [`Request::Lines`]: crate::control::protocol::Request::Lines

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::control::protocol::{CallerIdView, LineDiagnostics, LineEventView};
use crate::line::dsp::callerid::{Absence, CallerId};

/// Events kept per line.
pub const MAX_EVENTS: usize = 30;

/// A line found dead (or alive again) by its health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAlert {
    /// The line.
    pub line: String,
    /// Whether it gave dial tone.
    pub ok: bool,
    /// What happened, in words.
    pub text: String,
}

/// Every configured line's diagnostics.
#[derive(Debug, Default)]
pub struct LineBoard {
    lines: Vec<Mutex<LineDiagnostics>>,
    checks: Vec<AtomicBool>,
}

impl LineBoard {
    /// A board for the lines named `names`, in that order, each `not started` yet.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Arc<LineBoard> {
        let lines = names
            .into_iter()
            .map(|name| {
                Mutex::new(LineDiagnostics {
                    name: name.to_owned(),
                    state: "not started".into(),
                    audio: "not open".into(),
                    ..LineDiagnostics::default()
                })
            })
            .collect::<Vec<_>>();
        let checks = lines.iter().map(|_| AtomicBool::new(false)).collect();
        Arc::new(LineBoard { lines, checks })
    }

    /// Asks line `index`'s gateway to run its health check now.
    pub fn request_check(&self, index: usize) {
        if let Some(flag) = self.checks.get(index) {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Whether a check was asked for line `index` (the request is taken).
    pub fn take_check(&self, index: usize) -> bool {
        self.checks
            .get(index)
            .is_some_and(|flag| flag.swap(false, Ordering::Relaxed))
    }

    /// Every line, as last reported.
    pub fn snapshot(&self) -> Vec<LineDiagnostics> {
        (0..self.lines.len())
            .filter_map(|i| self.line(i).map(|l| l.clone()))
            .collect()
    }

    /// The index of the line called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        (0..self.lines.len()).find(|i| self.line(*i).is_some_and(|l| l.name == name))
    }

    /// Line `index`'s entry, for its gateway to update.
    pub fn line(&self, index: usize) -> Option<MutexGuard<'_, LineDiagnostics>> {
        // A gateway thread that panicked while holding the lock left plain data behind.
        let m = self.lines.get(index)?;
        Some(m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Records `what` on line `index` at `at`, dropping the oldest beyond [`MAX_EVENTS`].
    pub fn event(&self, index: usize, at: DateTime<Utc>, what: impl Into<String>) {
        if let Some(mut l) = self.line(index) {
            if l.events.len() >= MAX_EVENTS {
                l.events.remove(0);
            }
            l.events.push(LineEventView {
                at,
                what: what.into(),
            });
        }
    }
}

/// A decoded caller ID as the console shows it.
pub fn caller_id_view(id: &CallerId, at: DateTime<Utc>) -> CallerIdView {
    // DTMF caller ID is printable digits; an FSK message starts with a control byte.
    let raw = if !id.raw.is_empty() && id.raw.iter().all(u8::is_ascii_graphic) {
        String::from_utf8_lossy(&id.raw).into_owned()
    } else {
        id.raw
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let missing = id.absence.or(id.name_absence).map(|a| match a {
        Absence::Private => "withheld".to_owned(),
        Absence::Unavailable => "unavailable".to_owned(),
    });
    CallerIdView {
        at,
        raw,
        number: id.number.clone(),
        name: id.name.clone(),
        when: id
            .when
            .map(|(mo, d, h, mi)| format!("{mo:02}-{d:02} {h:02}:{mi:02}")),
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_kept_oldest_first_and_bounded() {
        let board = LineBoard::new(["line1", "line2"]);
        let at = DateTime::<Utc>::UNIX_EPOCH;
        for n in 0..(MAX_EVENTS + 5) {
            board.event(1, at, format!("event {n}"));
        }
        let lines = board.snapshot();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].events.is_empty());
        assert_eq!(lines[1].events.len(), MAX_EVENTS);
        assert_eq!(lines[1].events[0].what, "event 5");
        assert_eq!(board.index("line2"), Some(1));
        assert_eq!(board.index("line3"), None);
    }

    #[test]
    fn fsk_caller_id_shows_hex_and_dtmf_shows_digits() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let fsk = CallerId {
            number: Some("221234567".into()),
            name: None,
            when: Some((11, 23, 14, 5)),
            absence: None,
            name_absence: Some(Absence::Private),
            raw: vec![0x80, 0x02, 0x07, 0x01],
        };
        let v = caller_id_view(&fsk, at);
        assert_eq!(v.raw, "80 02 07 01");
        assert_eq!(v.when.as_deref(), Some("11-23 14:05"));
        assert_eq!(v.missing.as_deref(), Some("withheld"));
        let dtmf = CallerId {
            raw: b"A221234567C".to_vec(),
            ..fsk
        };
        assert_eq!(caller_id_view(&dtmf, at).raw, "A221234567C");
    }
}
