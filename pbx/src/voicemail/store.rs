//! The voicemail store: `<data_dir>/voicemail/<mailbox>/<id>.wav` and `<id>.json` per message.
//!
//! Synchronous `std::fs` calls, small and fast, for the daemon shell. Mailbox directory
//! names come from [`mailbox_dir`] (never a path outside the store: an entry point's name
//! is escaped), and every id given from outside is checked ([`valid_id`]) before it becomes
//! a file name. Metadata is written to a temporary file, synced and renamed over the old one,
//! so a power cut leaves either the old or the new version. Listing skips (with a warning)
//! metadata it cannot read, so one damaged file never hides the others.
//!
//! Bounded ([`VoicemailStore::bounded`]: `storage.voicemail_kib`, all mailboxes together):
//! after a message is saved, while the store is over its limit, the oldest heard messages of
//! any mailbox are removed, then the oldest unheard ones ([`crate::storage::voicemail_victims`]);
//! the message just saved and recordings in progress are never removed. Each removal is
//! logged. Mailboxes no longer configured count and lose their messages like the others.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use thiserror::Error;

use firmware_config::storage::Store;
use firmware_config::Config;

use super::{Change, Mailboxes, Message};
use crate::routing::Mailbox;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A file could not be read, written or removed.
    #[error("voicemail store: {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The metadata could not be encoded or decoded.
    #[error("voicemail metadata {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// An id that is not one of ours (letters, digits and `-`, 1 to 64 of them).
    #[error("not a voicemail message id: {0:?}")]
    BadId(String),
    /// No such message.
    #[error("no voicemail message {0}")]
    NotFound(String),
}

/// The voicemail messages under one data directory.
#[derive(Debug)]
pub struct VoicemailStore {
    root: PathBuf,
    counter: AtomicU32,
    limit: Option<std::sync::Arc<crate::storage::live::Live>>,
}

/// The longest message id.
const MAX_ID: usize = 64;

/// Whether `id` is a safe message id.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The directory name of a mailbox: `employee-<ext>`, or `entry-<name>` with every byte other
/// than ASCII letters, digits and `-` written as `_xx` (hex), so that different names give
/// different directories and none is `.`, `..` or contains a separator.
pub fn mailbox_dir(mailbox: &Mailbox) -> String {
    let (prefix, name) = match mailbox {
        Mailbox::Employee(ext) => ("employee-", ext.as_str()),
        Mailbox::Entry(name) => ("entry-", name.as_str()),
    };
    let mut dir = String::from(prefix);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            dir.push(char::from(b));
        } else {
            dir.push_str(&format!("_{b:02x}"));
        }
    }
    dir
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl VoicemailStore {
    /// The store under `data_dir` (nothing is created until a message is).
    pub fn new(data_dir: impl Into<PathBuf>) -> VoicemailStore {
        VoicemailStore {
            root: data_dir.into().join(super::STORE_DIR),
            counter: AtomicU32::new(0),
            limit: None,
        }
    }

    /// The store under `data_dir`, kept within `live`'s voicemail limit.
    pub fn bounded(
        data_dir: impl Into<PathBuf>,
        live: std::sync::Arc<crate::storage::live::Live>,
    ) -> VoicemailStore {
        VoicemailStore {
            limit: Some(live),
            ..VoicemailStore::new(data_dir)
        }
    }

    /// The mailbox's directory.
    pub fn dir(&self, mailbox: &Mailbox) -> PathBuf {
        self.root.join(mailbox_dir(mailbox))
    }

    /// A new message id for `mailbox` at `now` (`YYYYMMDD-HHMMSS-mmm-N`, sorting by time), and
    /// the WAV path to record it to. The id's files do not exist yet.
    pub fn new_recording_path(&self, mailbox: &Mailbox, now: DateTime<Utc>) -> (String, PathBuf) {
        let dir = self.dir(mailbox);
        let stamp = now.format("%Y%m%d-%H%M%S-%3f");
        loop {
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            let id = format!("{stamp}-{n}");
            let wav = dir.join(format!("{id}.wav"));
            if !wav.exists() && !dir.join(format!("{id}.json")).exists() {
                return (id, wav);
            }
        }
    }

    /// The WAV file of a message.
    pub fn wav_path(&self, mailbox: &Mailbox, id: &str) -> Result<PathBuf, StoreError> {
        Ok(self.dir(mailbox).join(format!("{}.wav", checked(id)?)))
    }

    fn json_path(&self, mailbox: &Mailbox, id: &str) -> Result<PathBuf, StoreError> {
        Ok(self.dir(mailbox).join(format!("{}.json", checked(id)?)))
    }

    /// Saves a message's metadata (creating or replacing it) atomically.
    pub fn save(&self, message: &Message) -> Result<(), StoreError> {
        let path = self.json_path(&message.mailbox, &message.id)?;
        let dir = self.dir(&message.mailbox);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let json = serde_json::to_vec_pretty(message).map_err(|source| StoreError::Json {
            path: path.clone(),
            source,
        })?;
        let tmp = path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()
        };
        write().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    }

    /// The mailbox's messages, oldest first. Metadata that cannot be read is skipped (logged).
    pub fn list(&self, mailbox: &Mailbox) -> Vec<Message> {
        let dir = self.dir(mailbox);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "voicemail mailbox unreadable");
                return Vec::new();
            }
        };
        let mut messages: Vec<Message> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .filter_map(|path| match read(&path) {
                Ok(message) => Some(message),
                Err(e) => {
                    tracing::warn!(error = %e, "voicemail message skipped");
                    None
                }
            })
            .collect();
        messages.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
        messages
    }

    /// One message's metadata.
    pub fn get(&self, mailbox: &Mailbox, id: &str) -> Result<Message, StoreError> {
        let path = self.json_path(mailbox, id)?;
        match read(&path) {
            Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Err(StoreError::NotFound(id.to_owned()))
            }
            other => other,
        }
    }

    /// Marks a message heard.
    pub fn mark_heard(&self, mailbox: &Mailbox, id: &str) -> Result<(), StoreError> {
        let mut message = self.get(mailbox, id)?;
        if !message.heard {
            message.heard = true;
            self.save(&message)?;
        }
        Ok(())
    }

    /// Deletes a message (its WAV and its metadata; a missing WAV is not an error).
    pub fn delete(&self, mailbox: &Mailbox, id: &str) -> Result<(), StoreError> {
        let json = self.json_path(mailbox, id)?;
        let wav = self.wav_path(mailbox, id)?;
        let gone = |path: &Path| match std::fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io(path)(e)),
        };
        let had_wav = gone(&wav)?;
        let had_json = gone(&json)?;
        if had_wav || had_json {
            Ok(())
        } else {
            Err(StoreError::NotFound(id.to_owned()))
        }
    }

    /// Carries out a change the call layer asked for. Discarding a recording whose file is
    /// already gone (the engine could not create it) is not an error.
    pub fn apply(&self, change: &Change) -> Result<(), StoreError> {
        match change {
            Change::Save(message) => {
                self.save(message)?;
                self.make_room(message);
                Ok(())
            }
            Change::Discard { mailbox, id } => {
                let wav = self.wav_path(mailbox, id)?;
                match std::fs::remove_file(&wav) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&wav)(e)),
                    _ => Ok(()),
                }
            }
            Change::MarkHeard { mailbox, id } => self.mark_heard(mailbox, id),
            Change::Delete { mailbox, id } => self.delete(mailbox, id),
        }
    }

    /// Removes the oldest messages (heard first) while the store is over its limit, never
    /// `kept` (the message just saved). Returns how many were removed.
    pub fn make_room(&self, kept: &Message) -> usize {
        let Some(live) = &self.limit else {
            return 0;
        };
        let limit = live.bytes(Store::Voicemail);
        let (total, candidates) = self.weigh(kept);
        let victims = crate::storage::voicemail_victims(&candidates, total, limit);
        let mut removed = 0;
        for (dir, id, heard) in &victims {
            let json = dir.join(format!("{id}.json"));
            let wav = dir.join(format!("{id}.wav"));
            let gone = [&wav, &json]
                .into_iter()
                .try_for_each(|p| match std::fs::remove_file(p) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                });
            match gone {
                Ok(()) => {
                    removed += 1;
                    tracing::warn!(
                        dir = %dir.display(), %id, heard, limit,
                        "voicemail store full: the oldest message removed"
                    );
                }
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), %id, error = %e, "voicemail message could not be removed")
                }
            }
        }
        if removed > 0 {
            live.removed(Store::Voicemail, removed as u64);
        }
        live.written();
        removed
    }

    /// The store's size in bytes, and every stored message but `kept` with its size, keyed
    /// by its directory, id and whether it was heard.
    fn weigh(&self, kept: &Message) -> (u64, Vec<crate::storage::Candidate<Victim>>) {
        let kept_dir = self.dir(&kept.mailbox);
        let mut total = 0;
        let mut candidates = Vec::new();
        let Ok(boxes) = std::fs::read_dir(&self.root) else {
            return (0, candidates);
        };
        for dir in boxes.filter_map(Result::ok).map(|e| e.path()) {
            let Ok(files) = std::fs::read_dir(&dir) else {
                continue;
            };
            for path in files.filter_map(Result::ok).map(|e| e.path()) {
                let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                total += size;
                if path.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let Ok(message) = read(&path) else { continue };
                let Some(id) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
                    continue;
                };
                if dir == kept_dir && id == kept.id {
                    continue;
                }
                let wav = path.with_extension("wav");
                let bytes = size + std::fs::metadata(&wav).map_or(0, |m| m.len());
                candidates.push(crate::storage::Candidate {
                    key: (dir.clone(), id, message.heard),
                    bytes,
                    heard: message.heard,
                    received_at: message.received_at,
                });
            }
        }
        (total, candidates)
    }

    /// Every mailbox the configuration has (each employee's and each entry point's) with its
    /// messages. Messages of mailboxes no longer configured stay on disk, unlisted.
    pub fn read_all(&self, config: &Config) -> Mailboxes {
        let employees = config
            .employees
            .iter()
            .map(|e| Mailbox::Employee(e.extension.clone()));
        let entries = config
            .entry_points
            .iter()
            .map(|e| Mailbox::Entry(e.name.to_string()));
        let mut all = Mailboxes::new();
        for mailbox in employees.chain(entries) {
            let messages = self.list(&mailbox);
            all.insert(mailbox, messages);
        }
        all
    }

    /// The mailbox's (new, heard) message counts, for message-waiting indication.
    pub fn counts(&self, mailbox: &Mailbox) -> (usize, usize) {
        let messages = self.list(mailbox);
        let new = messages.iter().filter(|m| !m.heard).count();
        (new, messages.len() - new)
    }
}

/// A message that may be removed: its mailbox's directory, its id, whether it was heard.
type Victim = (PathBuf, String, bool);

fn checked(id: &str) -> Result<&str, StoreError> {
    if valid_id(id) {
        Ok(id)
    } else {
        Err(StoreError::BadId(id.to_owned()))
    }
}

fn read(path: &Path) -> Result<Message, StoreError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    serde_json::from_slice(&bytes).map_err(|source| StoreError::Json {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use firmware_config::number::Extension;

    fn employee(ext: &str) -> Mailbox {
        Mailbox::Employee(Extension::parse(ext).unwrap())
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    /// Records (an empty WAV file) and saves a message.
    fn leave(store: &VoicemailStore, mailbox: &Mailbox, secs: i64, caller: &str) -> Message {
        let (id, wav) = store.new_recording_path(mailbox, at(secs));
        std::fs::create_dir_all(wav.parent().unwrap()).unwrap();
        std::fs::write(&wav, b"RIFF").unwrap();
        let message = Message {
            id,
            mailbox: mailbox.clone(),
            caller: caller.into(),
            entry: Some("Main line".into()),
            received_at: at(secs),
            duration_ms: 4200,
            heard: false,
        };
        store.save(&message).unwrap();
        message
    }

    #[test]
    fn messages_are_saved_listed_marked_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = VoicemailStore::new(dir.path());
        let mb = employee("101");
        assert!(store.list(&mb).is_empty());
        let late = leave(&store, &mb, 60, "+48221234567");
        let early = leave(&store, &mb, 0, "withheld");
        leave(&store, &employee("102"), 30, "103");
        assert!(dir
            .path()
            .join("voicemail/employee-101")
            .join(format!("{}.json", early.id))
            .is_file());
        assert_eq!(store.list(&mb), [early.clone(), late.clone()]);
        assert_eq!(store.counts(&mb), (2, 0));

        store.mark_heard(&mb, &early.id).unwrap();
        assert!(store.get(&mb, &early.id).unwrap().heard);
        assert_eq!(store.counts(&mb), (1, 1));

        let wav = store.wav_path(&mb, &late.id).unwrap();
        assert!(wav.is_file());
        store.delete(&mb, &late.id).unwrap();
        assert!(!wav.exists());
        assert_eq!(store.list(&mb).len(), 1);
        assert!(matches!(
            store.delete(&mb, &late.id),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.mark_heard(&mb, &late.id),
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(store.counts(&employee("102")), (1, 0));
    }

    #[test]
    fn changes_are_applied_and_every_mailbox_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = VoicemailStore::new(dir.path());
        let mb = employee("101");
        let kept = leave(&store, &mb, 0, "withheld");
        // A recording the call layer names (no metadata yet), saved through a change.
        let id = "20270115-080000-000-abc";
        let wav = super::super::message_file(dir.path(), &mb, id, "wav");
        std::fs::write(&wav, b"RIFF").unwrap();
        let mut saved = kept.clone();
        saved.id = id.into();
        store.apply(&Change::Save(saved.clone())).unwrap();
        assert_eq!(store.list(&mb), [kept.clone(), saved.clone()]);
        store
            .apply(&Change::MarkHeard {
                mailbox: mb.clone(),
                id: id.into(),
            })
            .unwrap();
        assert_eq!(store.counts(&mb), (1, 1));
        store
            .apply(&Change::Delete {
                mailbox: mb.clone(),
                id: id.into(),
            })
            .unwrap();
        assert!(!wav.exists());
        // A short recording: its WAV goes; discarding one never written is no error.
        std::fs::write(&wav, b"RIFF").unwrap();
        let discard = Change::Discard {
            mailbox: mb.clone(),
            id: id.into(),
        };
        store.apply(&discard).unwrap();
        assert!(!wav.exists());
        store.apply(&discard).unwrap();
        let bad = Change::Discard {
            mailbox: mb.clone(),
            id: "../x".into(),
        };
        assert!(matches!(store.apply(&bad), Err(StoreError::BadId(_))));

        let config = firmware_config::text::import(
            r#"
trunks = []
lines = []
[system]
name = "Office"
default_country_code = 48
tone_country = "PL"
control_socket = "/run/centrala/control.sock"
data_dir = "/var/lib/centrala"
allowed_country_codes = []
sip_listen = [{ transport = "udp", address = "127.0.0.1:5060" }]
rtp_ports = { first = 10000, last = 10999 }
[[employees]]
extension = "101"
name = "Anna"
devices = [{ username = "101", password = "secret-101" }]
[[entry_points]]
name = "reception"
source = { internal = "200" }
destination = { employee = "101" }
"#,
        )
        .unwrap();
        let all = store.read_all(&config);
        assert_eq!(all.messages(&mb), [kept]);
        assert!(all.messages(&Mailbox::Entry("reception".into())).is_empty());
    }

    /// Records a message of `bytes` bytes of audio into `store` through a save change.
    fn record(store: &VoicemailStore, mailbox: &Mailbox, secs: i64, bytes: usize) -> Message {
        let (id, wav) = store.new_recording_path(mailbox, at(secs));
        std::fs::create_dir_all(wav.parent().unwrap()).unwrap();
        std::fs::write(&wav, vec![0u8; bytes]).unwrap();
        let message = Message {
            id,
            mailbox: mailbox.clone(),
            caller: "withheld".into(),
            entry: None,
            received_at: at(secs),
            duration_ms: 4200,
            heard: false,
        };
        store.apply(&Change::Save(message.clone())).unwrap();
        message
    }

    fn ids(store: &VoicemailStore, mailbox: &Mailbox) -> Vec<String> {
        store.list(mailbox).into_iter().map(|m| m.id).collect()
    }

    #[test]
    fn a_full_store_loses_its_oldest_heard_messages_first_then_the_oldest_unheard() {
        let dir = tempfile::tempdir().unwrap();
        let limits = firmware_config::storage::Storage {
            voicemail_kib: 8,
            ..Default::default()
        };
        let live = crate::storage::live::Live::new(&limits);
        let store = VoicemailStore::bounded(dir.path(), live.clone());
        let (a, b) = (employee("101"), employee("102"));
        let unheard_old = record(&store, &a, 0, 2000);
        let heard_older = record(&store, &b, 10, 2000);
        let heard_newer = record(&store, &a, 20, 2000);
        store.mark_heard(&b, &heard_older.id).unwrap();
        store.mark_heard(&a, &heard_newer.id).unwrap();
        assert_eq!(live.removed_counts()[2], 0, "within the limit so far");
        // The fourth passes 8 KiB: the heard ones go, oldest first, and no more than needed.
        let fourth = record(&store, &b, 30, 2000);
        assert_eq!(ids(&store, &b), std::slice::from_ref(&fourth.id));
        assert_eq!(
            ids(&store, &a),
            [unheard_old.id.clone(), heard_newer.id.clone()]
        );
        let fifth = record(&store, &a, 40, 2000);
        assert_eq!(ids(&store, &a), [unheard_old.id.clone(), fifth.id.clone()]);
        // Nothing heard is left: the oldest unheard goes.
        let sixth = record(&store, &b, 50, 2000);
        assert_eq!(ids(&store, &a), std::slice::from_ref(&fifth.id));
        assert_eq!(ids(&store, &b), [fourth.id, sixth.id]);
        assert_eq!(live.removed_counts()[2], 3);
        assert!(crate::storage::shell::tree_bytes(&dir.path().join("voicemail")) <= 8 * 1024);
    }

    #[test]
    fn the_message_just_saved_and_a_recording_in_progress_are_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let limits = firmware_config::storage::Storage {
            voicemail_kib: 1,
            ..Default::default()
        };
        let live = crate::storage::live::Live::new(&limits);
        let store = VoicemailStore::bounded(dir.path(), live);
        let mb = employee("101");
        let old = record(&store, &mb, 0, 3000);
        let (_, recording) = store.new_recording_path(&mb, at(5));
        std::fs::write(&recording, vec![0u8; 3000]).unwrap();
        let big = record(&store, &mb, 10, 5000);
        assert_eq!(ids(&store, &mb), [big.id]);
        assert!(recording.exists(), "the recording in progress is kept");
        assert!(!store.wav_path(&mb, &old.id).unwrap().exists());
    }

    #[test]
    fn ids_are_unique_and_sort_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = VoicemailStore::new(dir.path());
        let mb = employee("101");
        let (a, pa) = store.new_recording_path(&mb, at(0));
        std::fs::create_dir_all(pa.parent().unwrap()).unwrap();
        std::fs::write(&pa, b"").unwrap();
        // A new store (after a restart) at the same instant does not reuse the taken id.
        let again = VoicemailStore::new(dir.path());
        let (b, _) = again.new_recording_path(&mb, at(0));
        let (c, _) = again.new_recording_path(&mb, at(1));
        assert_ne!(a, b);
        assert!(a.starts_with("20270115-") && valid_id(&a), "{a}");
        assert!(b < c);
    }

    #[test]
    fn unreadable_metadata_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let store = VoicemailStore::new(dir.path());
        let mb = employee("101");
        let good = leave(&store, &mb, 0, "withheld");
        let d = store.dir(&mb);
        std::fs::write(d.join("broken.json"), b"{ not json").unwrap();
        std::fs::write(d.join("other.json"), br#"{"id": 5}"#).unwrap();
        std::fs::write(d.join("x.json.tmp"), b"half written").unwrap();
        assert_eq!(store.list(&mb), [good]);
        assert_eq!(store.counts(&mb), (1, 0));
        assert!(matches!(
            store.get(&mb, "broken"),
            Err(StoreError::Json { .. })
        ));
    }

    #[test]
    fn names_and_ids_cannot_leave_the_store() {
        for name in [
            "..",
            ".",
            "../../etc",
            "a/b",
            "Sales Line",
            "sales_line",
            "ż",
            "",
        ] {
            let d = mailbox_dir(&Mailbox::Entry(name.into()));
            assert!(d.starts_with("entry-"), "{d}");
            assert!(
                d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{name:?} → {d}"
            );
        }
        assert_eq!(mailbox_dir(&Mailbox::Entry("a/b".into())), "entry-a_2fb");
        assert_ne!(
            mailbox_dir(&Mailbox::Entry("Sales Line".into())),
            mailbox_dir(&Mailbox::Entry("Sales_Line".into()))
        );
        assert_eq!(mailbox_dir(&employee("101")), "employee-101");

        let dir = tempfile::tempdir().unwrap();
        let store = VoicemailStore::new(dir.path());
        let mb = employee("101");
        for id in ["../x", "..", "a/b", "", "a.json", &"9".repeat(65)] {
            assert!(
                matches!(store.delete(&mb, id), Err(StoreError::BadId(_))),
                "{id:?}"
            );
            assert!(matches!(
                store.mark_heard(&mb, id),
                Err(StoreError::BadId(_))
            ));
            assert!(store.wav_path(&mb, id).is_err());
        }
        let mut evil = leave(&store, &mb, 0, "withheld");
        evil.id = "../../escape".into();
        assert!(matches!(store.save(&evil), Err(StoreError::BadId(_))));
        assert!(!dir.path().join("escape.json").exists());
    }
}
