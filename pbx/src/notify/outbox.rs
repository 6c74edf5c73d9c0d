//! The durable outbox: events not yet acknowledged by the webhook, one file each, so they
//! survive a lost link and a restart.
//!
//! Layout of the outbox directory:
//! - `00000000000000000042.json`: pending event 42, holding the exact body to POST;
//! - `next-id`: the next id to give, in decimal; ids are never reused, even after every
//!   event was delivered and its file removed (a receiver may deduplicate on them). Without a
//!   readable counter (a new outbox, a lost or damaged file, a wiped data directory) numbering
//!   starts after the highest id on disk and at least at the wall clock in milliseconds since
//!   1970, which is above any id an earlier outbox gave unless it gave more than one event
//!   per millisecond of its life (or the clock is far behind);
//! - `*.json.bad`: a file that could not be read or was not a valid event, moved aside;
//! - `*.json.refused`: an event the receiver refused for good (4xx), kept for inspection;
//! - `*.tmp`: a write cut short by a crash; removed at the next start.
//!
//! Every write goes to a temporary file that is synced, renamed into place, and then the
//! directory is synced, so a file is either whole or absent.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing::{info, warn};

/// The file holding the next id.
const COUNTER: &str = "next-id";
/// The extension of a pending event.
const PENDING: &str = ".json";
/// Appended to a file moved aside because it was unreadable or invalid.
const BAD: &str = ".bad";
/// Appended to an event the receiver refused.
const REFUSED: &str = ".refused";
/// The extension of a file being written.
const TEMP: &str = ".tmp";

/// How much the outbox keeps before dropping the oldest events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Pending events at most.
    pub max_events: usize,
    /// Bytes of pending events at most.
    pub max_bytes: u64,
}

impl Default for Limits {
    /// 10,000 events or 16 MiB: days of missed calls for a small office.
    fn default() -> Limits {
        Limits {
            max_events: 10_000,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Why the outbox could not do something.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// A file or the directory could not be read or written.
    #[error("outbox {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The failure.
        #[source]
        source: io::Error,
    },
    /// An event file was not a valid event; it was moved aside as `*.bad`.
    #[error("outbox event {id} is not a valid event ({why}); moved aside")]
    Corrupt {
        /// The event.
        id: u64,
        /// What was wrong.
        why: String,
    },
    /// The event could not be encoded.
    #[error("event could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
    /// Every id was used (after 2^64 events).
    #[error("outbox ids exhausted")]
    Exhausted,
    /// The event is not pending.
    #[error("outbox event {0} is not pending")]
    NotPending(u64),
}

/// A new event was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Its id.
    pub id: u64,
    /// The oldest events dropped to keep within the limits (usually none).
    pub dropped: Vec<u64>,
}

/// The pending events on disk. See the module documentation.
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    next_id: u64,
    /// Pending ids, oldest first, with their sizes in bytes.
    pending: VecDeque<(u64, u64)>,
    bytes: u64,
    limits: Limits,
}

/// What a file in the outbox directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pending(u64),
    /// A `.bad` or `.refused` event: not pending, but its id was used.
    Aside(u64),
    Temp,
    Counter,
    Other,
}

impl Outbox {
    /// Opens (creating it if needed) the outbox in `dir`: removes half-written files, moves
    /// invalid events aside, and resumes numbering after the highest id ever used.
    pub fn open(dir: &Path, limits: Limits) -> Result<Outbox, OutboxError> {
        fs::create_dir_all(dir).map_err(io_at(dir))?;
        let mut outbox = Outbox {
            dir: dir.to_owned(),
            next_id: 1,
            pending: VecDeque::new(),
            bytes: 0,
            limits,
        };
        let mut highest = 0;
        let mut counter = None;
        for entry in fs::read_dir(dir).map_err(io_at(dir))? {
            let entry = entry.map_err(io_at(dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            match kind(&name) {
                Kind::Pending(id) => {
                    highest = highest.max(id);
                    if let Some(size) = outbox.check(id) {
                        outbox.pending.push_back((id, size));
                    }
                }
                Kind::Aside(id) => highest = highest.max(id),
                Kind::Temp => outbox.remove_temp(&entry.path()),
                Kind::Counter => counter = outbox.read_counter(),
                Kind::Other => {}
            }
        }
        outbox.pending.make_contiguous().sort_unstable();
        outbox.bytes = outbox.pending.iter().map(|(_, size)| size).sum();
        let after = highest.saturating_add(1);
        outbox.next_id = match counter {
            Some(n) => n.max(after),
            None => after.max(clock_floor()),
        };
        outbox.enforce_limits();
        if !outbox.pending.is_empty() {
            info!(
                events = outbox.pending.len(),
                first = outbox.pending[0].0,
                "outbox: undelivered events from before"
            );
        }
        Ok(outbox)
    }

    /// Stores a new event whose body `make` builds from its id, and returns the id (and the
    /// oldest events dropped if the outbox is now over its limits). The event is on disk when
    /// this returns.
    pub fn push(
        &mut self,
        make: impl FnOnce(u64) -> Result<Vec<u8>, serde_json::Error>,
    ) -> Result<Pushed, OutboxError> {
        let id = self.next_id;
        let next = id.checked_add(1).ok_or(OutboxError::Exhausted)?;
        let body = make(id)?;
        self.write_atomically(COUNTER, format!("{next}\n").as_bytes())?;
        self.next_id = next;
        self.write_atomically(&file_name(id), &body)?;
        let size = body.len() as u64;
        self.pending.push_back((id, size));
        self.bytes += size;
        let dropped = self.enforce_limits();
        Ok(Pushed { id, dropped })
    }

    /// The body of pending event `id`. An unreadable or invalid file is moved aside (and no
    /// longer pending) and is an error.
    pub fn read(&mut self, id: u64) -> Result<Vec<u8>, OutboxError> {
        if !self.is_pending(id) {
            return Err(OutboxError::NotPending(id));
        }
        let path = self.dir.join(file_name(id));
        let invalid = match fs::read(&path) {
            Ok(body) => match validate(id, &body) {
                Ok(()) => return Ok(body),
                Err(why) => OutboxError::Corrupt { id, why },
            },
            Err(source) => OutboxError::Io { path, source },
        };
        warn!(id, error = %invalid, "outbox: event unreadable; moved aside");
        self.set_aside(id, BAD);
        Err(invalid)
    }

    /// Event `id` was acknowledged: removes it.
    pub fn delivered(&mut self, id: u64) -> Result<(), OutboxError> {
        self.forget(id)?;
        let path = self.dir.join(file_name(id));
        fs::remove_file(&path).map_err(io_at(&path))
    }

    /// Event `id` was refused for good: moves it aside as `*.refused`.
    pub fn refused(&mut self, id: u64) -> Result<(), OutboxError> {
        if !self.is_pending(id) {
            return Err(OutboxError::NotPending(id));
        }
        self.set_aside(id, REFUSED);
        Ok(())
    }

    /// The pending ids, oldest first.
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.pending.iter().map(|(id, _)| *id)
    }

    /// The number of pending events.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The bytes of pending events.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The id the next event gets.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Changes the byte limit; the oldest events are dropped at the next push if the outbox
    /// is over it.
    pub fn set_max_bytes(&mut self, max_bytes: u64) {
        self.limits.max_bytes = max_bytes;
    }

    fn is_pending(&self, id: u64) -> bool {
        self.pending.iter().any(|(i, _)| *i == id)
    }

    /// Removes `id` from the pending list.
    fn forget(&mut self, id: u64) -> Result<(), OutboxError> {
        let at = self
            .pending
            .iter()
            .position(|(i, _)| *i == id)
            .ok_or(OutboxError::NotPending(id))?;
        if let Some((_, size)) = self.pending.remove(at) {
            self.bytes -= size;
        }
        Ok(())
    }

    /// Drops the oldest events until within the limits; returns their ids.
    fn enforce_limits(&mut self) -> Vec<u64> {
        let mut dropped = Vec::new();
        while self.pending.len() > self.limits.max_events
            || (self.bytes > self.limits.max_bytes && !self.pending.is_empty())
        {
            let Some((id, size)) = self.pending.pop_front() else {
                break;
            };
            self.bytes -= size;
            let path = self.dir.join(file_name(id));
            if let Err(e) = fs::remove_file(&path) {
                warn!(id, error = %e, "outbox: dropped event's file could not be removed");
            }
            dropped.push(id);
        }
        if let (Some(first), Some(last)) = (dropped.first(), dropped.last()) {
            warn!(
                count = dropped.len(),
                first,
                last,
                max_events = self.limits.max_events,
                max_bytes = self.limits.max_bytes,
                "outbox full: the oldest undelivered events were dropped"
            );
        }
        dropped
    }

    /// Checks pending event `id` at start; an invalid one is moved aside. Its size if valid.
    fn check(&mut self, id: u64) -> Option<u64> {
        let path = self.dir.join(file_name(id));
        let why = match fs::read(&path) {
            Ok(body) => match validate(id, &body) {
                Ok(()) => return Some(body.len() as u64),
                Err(why) => why,
            },
            Err(e) => e.to_string(),
        };
        warn!(id, %why, "outbox: event file is not a valid event; moved aside");
        rename_aside(&path, BAD);
        None
    }

    /// Moves pending event `id` aside with `suffix` and forgets it.
    fn set_aside(&mut self, id: u64, suffix: &str) {
        let _ = self.forget(id);
        rename_aside(&self.dir.join(file_name(id)), suffix);
    }

    /// The stored counter, if readable; an unreadable one is moved aside.
    fn read_counter(&self) -> Option<u64> {
        let path = self.dir.join(COUNTER);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                warn!(error = %e, "outbox: id counter unreadable; continuing after the highest id on disk");
                return None;
            }
        };
        match text.trim().parse() {
            Ok(n) => Some(n),
            Err(_) => {
                warn!(content = %text.trim(), "outbox: id counter corrupt; moved aside, continuing after the highest id on disk");
                rename_aside(&path, BAD);
                None
            }
        }
    }

    fn remove_temp(&self, path: &Path) {
        info!(file = %path.display(), "outbox: removing a write cut short");
        if let Err(e) = fs::remove_file(path) {
            warn!(file = %path.display(), error = %e, "outbox: cannot remove");
        }
    }

    /// Writes `name` whole or not at all: temporary file, sync, rename, sync the directory.
    fn write_atomically(&self, name: &str, bytes: &[u8]) -> Result<(), OutboxError> {
        let temp = self.dir.join(format!("{name}{TEMP}"));
        let target = self.dir.join(name);
        let write = || -> io::Result<()> {
            let mut file = fs::File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()
        };
        if let Err(source) = write() {
            let _ = fs::remove_file(&temp);
            return Err(OutboxError::Io { path: temp, source });
        }
        fs::rename(&temp, &target).map_err(io_at(&target))?;
        sync_dir(&self.dir)
    }
}

/// Milliseconds since 1970 by the wall clock (1 if the clock is before 1970): where
/// numbering starts without a counter.
fn clock_floor() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 2))
}

/// The file name of pending event `id`: zero-padded so names sort like ids.
pub fn file_name(id: u64) -> String {
    format!("{id:020}{PENDING}")
}

/// What a directory entry is, by its name.
fn kind(name: &str) -> Kind {
    if name == COUNTER {
        return Kind::Counter;
    }
    if name.ends_with(TEMP) {
        return Kind::Temp;
    }
    let id = |stem: &str| {
        let digits = stem.strip_suffix(PENDING)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u64>().ok()
    };
    if let Some(id) = id(name) {
        return Kind::Pending(id);
    }
    let aside = name
        .strip_suffix(BAD)
        .or_else(|| name.strip_suffix(REFUSED))
        .and_then(id);
    match aside {
        Some(id) => Kind::Aside(id),
        None => Kind::Other,
    }
}

/// A valid event is a JSON object whose `id` is the one in its file name.
fn validate(id: u64, body: &[u8]) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    match value.get("id").and_then(serde_json::Value::as_u64) {
        Some(i) if i == id => Ok(()),
        Some(i) => Err(format!("holds id {i}")),
        None => Err("no id".to_owned()),
    }
}

/// Renames `path` to `path` + `suffix`, logging a failure.
fn rename_aside(path: &Path, suffix: &str) {
    let mut aside = path.as_os_str().to_owned();
    aside.push(suffix);
    if let Err(e) = fs::rename(path, &aside) {
        warn!(file = %path.display(), error = %e, "outbox: cannot move aside");
    }
}

fn sync_dir(dir: &Path) -> Result<(), OutboxError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at(dir))
}

fn io_at(path: &Path) -> impl Fn(io::Error) -> OutboxError + '_ {
    move |source| OutboxError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests;
