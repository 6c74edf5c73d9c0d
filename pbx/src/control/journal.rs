//! The files behind the call history: `<data_dir>/calls.jsonl` (one router [`CallRecord`] in
//! JSON per line) and `<data_dir>/notifications.jsonl` (one [`NotificationView`] per line),
//! appended to as calls end and employees are told, and read back at start into a
//! [`History`].
//!
//! Decisions:
//! - **Written by the SIP loop, synchronously**: one short line per finished call, through a
//!   buffer flushed after each line (no sync: a power cut may lose the last lines, never the
//!   file). A write failure is logged and the record is still kept in memory.
//! - **Damage is skipped**: at start, lines that do not read are counted and logged once, and
//!   a file that does not end with a newline (cut by a crash) gets one before the next line, so
//!   one damaged line never spoils the next.
//! - **Bounded on flash**: both files are [`RotatingLog`]s: the calls' within the configured
//!   `storage.calls_kib` (live: a new limit applies at the next record), the notifications'
//!   within [`NOTIFICATIONS_LIMIT`]; each is the current file and up to three older generations
//!   (`<name>.1` … `<name>.3`), the oldest removed first. At start the generations are read
//!   oldest first, and only the last [`HISTORY_KEPT`] / [`NOTIFICATIONS_KEPT`] lines are kept
//!   in memory. The CRM's file is never rotated: it is the CRM's state, replayed whole (its
//!   size is reported with the storage usage).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use tracing::{info, warn};

use super::history::{parse_record, record_line, History};
use super::protocol::{NotificationView, HISTORY_KEPT, NOTIFICATIONS_KEPT};
use crate::routing::CallRecord;
use crate::storage::log::{generations_oldest_first, LogLimit, RotatingLog};

/// The call records' file name under the data directory.
pub const CALLS_FILE: &str = "calls.jsonl";
/// The notifications' file name under the data directory.
pub const NOTIFICATIONS_FILE: &str = "notifications.jsonl";
/// The CRM's changes (leads created, activities), replayed at start.
pub const CRM_FILE: &str = "crm.jsonl";
/// The most the notifications' files hold together.
pub const NOTIFICATIONS_LIMIT: u64 = 2 << 20;

/// The history kept in memory and the files it is appended to.
#[derive(Debug)]
pub struct Journal {
    history: History,
    calls: Logged,
    notifications: Logged,
    crm: Logged,
}

impl Journal {
    /// Reads the history under `data_dir` (missing files are an empty history) and opens the
    /// files for appending, the call records' within `calls`.
    pub fn open(data_dir: &Path, calls: LogLimit) -> Journal {
        let calls_path = data_dir.join(CALLS_FILE);
        let notes_path = data_dir.join(NOTIFICATIONS_FILE);
        let mut history = History::new();
        for path in generations_oldest_first(&calls_path) {
            load(&path, HISTORY_KEPT, |line| {
                parse_record(line)
                    .map(|r| history.add_record(r))
                    .map_err(|e| e.to_string())
            });
        }
        for path in generations_oldest_first(&notes_path) {
            load(&path, NOTIFICATIONS_KEPT, |line| {
                serde_json::from_str::<NotificationView>(line)
                    .map(|n| history.add_notification(n))
                    .map_err(|e| e.to_string())
            });
        }
        info!(
            calls = history.records_kept(),
            notifications = history.notifications_kept(),
            dir = %data_dir.display(),
            "call history read"
        );
        Journal {
            history,
            calls: Logged(RotatingLog::new(calls_path, calls)),
            notifications: Logged(RotatingLog::new(
                notes_path,
                LogLimit::Fixed(NOTIFICATIONS_LIMIT),
            )),
            crm: Logged(RotatingLog::new(
                data_dir.join(CRM_FILE),
                LogLimit::Unbounded,
            )),
        }
    }

    /// The CRM changed (a lead created, a call attached): appended to its file.
    pub fn crm_changed(&mut self, event: &crate::routing::crm::CrmEvent) {
        match serde_json::to_string(event) {
            Ok(line) => self.crm.append(&line),
            Err(e) => warn!(error = %e, "CRM change could not be encoded"),
        }
    }

    /// The history in memory.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// A call ended: its record is appended to the file and kept in memory.
    pub fn record(&mut self, record: &CallRecord) {
        let line = match record_line(record) {
            Ok(line) => line,
            Err(e) => {
                warn!(call = record.call.0, error = %e, "call record could not be encoded");
                return;
            }
        };
        info!(record = %line, "call record");
        match parse_record(&line) {
            Ok(view) => self.history.add_record(view),
            Err(e) => warn!(call = record.call.0, error = %e, "call record not kept in memory"),
        }
        self.calls.append(&line);
    }

    /// Employees were told something: appended to the file and kept in memory.
    pub fn notified(&mut self, notification: NotificationView) {
        match serde_json::to_string(&notification) {
            Ok(line) => self.notifications.append(&line),
            Err(e) => warn!(error = %e, "notification could not be encoded"),
        }
        self.history.add_notification(notification);
    }
}

/// The CRM as its stored changes under `data_dir` leave it (empty without the file): read
/// once at start, before the router is made.
pub fn load_crm(data_dir: &Path) -> crate::routing::Crm {
    let mut crm = crate::routing::Crm::default();
    let mut changes = 0usize;
    load(&data_dir.join(CRM_FILE), usize::MAX, |line| {
        let event = serde_json::from_str(line).map_err(|e| e.to_string())?;
        crm.apply(event);
        changes += 1;
        Ok(())
    });
    info!(
        changes,
        leads = crm.leads().len(),
        contacts = crm.contacts().len(),
        "CRM read"
    );
    crm
}

/// Reads `path` line by line, handing each non-empty line to `take` (which keeps the last
/// `keep` of them); lines it refuses are counted and logged once.
fn load(path: &Path, keep: usize, mut take: impl FnMut(&str) -> Result<(), String>) {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            warn!(file = %path.display(), error = %e, "history file not readable; starting empty");
            return;
        }
    };
    let mut bad = 0usize;
    let mut first_bad = None;
    let mut seen = 0usize;
    for (number, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                warn!(file = %path.display(), error = %e, "history file read failed; the rest is skipped");
                break;
            }
        };
        let Ok(text) = std::str::from_utf8(&line) else {
            bad += 1;
            first_bad.get_or_insert((number + 1, "not UTF-8".to_owned()));
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        seen += 1;
        if let Err(why) = take(text) {
            bad += 1;
            first_bad.get_or_insert((number + 1, why));
        }
    }
    if let Some((line, why)) = first_bad {
        warn!(file = %path.display(), bad, first = line, %why, "history lines skipped");
    }
    if seen > keep {
        info!(file = %path.display(), lines = seen, keep, "older history is only in the file");
    }
}

/// A history file whose write failures are logged (the record is still kept in memory).
#[derive(Debug)]
struct Logged(RotatingLog);

impl Logged {
    fn append(&mut self, line: &str) {
        if let Err(e) = self.0.append(line) {
            warn!(file = %self.0.path().display(), error = %e, "history line not written");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::{CallId, Caller, Outcome};
    use crate::storage::GENERATIONS;
    use chrono::{DateTime, Utc};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_600_000 + secs, 0).unwrap_or_else(|| panic!("a time"))
    }

    fn record(call: u64, outcome: Outcome) -> CallRecord {
        CallRecord {
            call: CallId(call),
            caller: Caller::Withheld,
            entry: None,
            offered_at: at(call as i64),
            groups: vec!["office".into()],
            offered_to: Vec::new(),
            answered_by: None,
            answered_at: None,
            ended_at: at(call as i64 + 30),
            wait_ms: 30_000,
            talk_ms: 0,
            transfers: Vec::new(),
            outcome,
            after_hours: false,
        }
    }

    fn calls(j: &Journal) -> Vec<u64> {
        let records = j.history().records(usize::MAX, false, None);
        records.iter().map(|r| r.call).collect()
    }

    #[test]
    fn records_and_notifications_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut j = Journal::open(dir.path(), LogLimit::Fixed(1 << 20));
        assert!(calls(&j).is_empty(), "no file: empty");
        j.record(&record(1, Outcome::Missed));
        j.record(&record(2, Outcome::Voicemail));
        j.notified(NotificationView {
            at: at(5),
            employees: Vec::new(),
            text: "Missed call".into(),
        });
        assert_eq!(calls(&j), [2, 1]);
        drop(j);
        let again = Journal::open(dir.path(), LogLimit::Fixed(1 << 20));
        assert_eq!(calls(&again), [2, 1]);
        let notes = again.history().notifications(10);
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].text, "Missed call");
        assert_eq!(notes[0].at, at(5));
    }

    #[test]
    fn bad_and_cut_lines_are_skipped_and_do_not_spoil_the_next() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(CALLS_FILE);
        let good = record_line(&record(1, Outcome::Missed)).unwrap_or_default();
        let text = format!("{good}\nnot json\n\n\u{0}\n{}", &good[..20]);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let mut j = Journal::open(dir.path(), LogLimit::Fixed(1 << 20));
        assert_eq!(calls(&j), [1]);
        j.record(&record(3, Outcome::Missed));
        drop(j);
        assert_eq!(
            calls(&Journal::open(dir.path(), LogLimit::Fixed(1 << 20))),
            [3, 1]
        );
    }

    #[test]
    fn only_the_last_records_are_kept_in_memory() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut lines = String::new();
        for call in 0..(HISTORY_KEPT as u64 + 3) {
            lines.push_str(&record_line(&record(call, Outcome::Missed)).unwrap_or_default());
            lines.push('\n');
        }
        std::fs::write(dir.path().join(CALLS_FILE), lines).unwrap_or_else(|e| panic!("{e}"));
        let j = Journal::open(dir.path(), LogLimit::Fixed(1 << 20));
        let kept = calls(&j);
        assert_eq!(kept.len(), HISTORY_KEPT);
        assert_eq!(kept.last(), Some(&3));
    }

    #[test]
    fn a_write_failure_keeps_the_record_in_memory() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // A directory where the file should be: every append fails.
        std::fs::create_dir(dir.path().join(CALLS_FILE)).unwrap_or_else(|e| panic!("{e}"));
        let mut j = Journal::open(dir.path(), LogLimit::Fixed(1 << 20));
        j.record(&record(9, Outcome::Missed));
        assert_eq!(calls(&j), [9]);
    }

    #[test]
    fn a_full_file_is_rotated_within_its_limit_and_every_generation_is_read_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(CALLS_FILE);
        let limit = 4000;
        let mut j = Journal::open(dir.path(), LogLimit::Fixed(limit));
        for n in 0..100 {
            j.record(&record(n, Outcome::Missed));
        }
        drop(j);
        let on_disk: Vec<String> = generations_oldest_first(&path)
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        let bytes: usize = on_disk.iter().map(String::len).sum();
        assert!(on_disk.len() > 2, "rotated into generations");
        assert!(bytes as u64 <= limit, "{bytes} bytes on disk");
        let j = Journal::open(dir.path(), LogLimit::Fixed(limit));
        let kept = calls(&j);
        assert_eq!(kept.first(), Some(&99), "the newest is read: {kept:?}");
        let lines: usize = on_disk.iter().map(|t| t.lines().count()).sum();
        assert_eq!(kept.len(), lines, "every line in every file is read back");
        assert!(
            kept.windows(2).all(|w| w[0] == w[1] + 1),
            "the oldest went first"
        );
    }

    #[test]
    fn the_crm_journal_is_never_rotated() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut j = Journal::open(dir.path(), LogLimit::Fixed(1000));
        let event = crate::routing::crm::CrmEvent::ContactRemoved { id: 1 };
        for _ in 0..100 {
            j.crm_changed(&event);
        }
        let generations = generations_oldest_first(&dir.path().join(CRM_FILE));
        assert!(generations[..GENERATIONS - 1].iter().all(|p| !p.exists()));
    }
}
