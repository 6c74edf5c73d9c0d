//! The audit log: `<data_dir>/audit.log`, append-only, one JSON line per accepted change of
//! the configuration — when (UTC), by whom, the revision it became, what changed, and each
//! changed item before and after.
//!
//! Secrets (SIP passwords, the webhook's secret) are written as `"(hidden)"`: the log says
//! that they changed (the item is listed) but not what they are. The file is created owner
//! only (0600). Each line is flushed and synced before [`AuditLog::append`] returns.
//!
//! The log is bounded ([`AuditLog::bounded`]: `storage.audit_kib`): it rotates into
//! `audit.log.1` … `audit.log.3` and the oldest generation is removed first (see
//! [`crate::storage`]). Clones share one file, so the sizes they see agree.
//!
//! Changes of the CRM's contacts (not part of the configuration, so without a revision) are
//! logged in the same file as [`CrmEntry`] lines: `"crm": true`, who, what, each contact
//! before and after.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use firmware_config::Config;
use serde::Serialize;
use serde_json::Value;

use super::core::{item_changes, ItemChange};
use super::protocol::Revision;
use crate::storage::log::{LogLimit, RotatingLog};

/// The audit log's file name inside the data directory.
pub const FILE_NAME: &str = "audit.log";

/// What a secret is written as.
pub const HIDDEN: &str = "(hidden)";

/// Field names whose values are never written.
const SECRET_FIELDS: [&str; 2] = ["password", "secret"];

/// One accepted change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// When it was stored.
    pub at: DateTime<Utc>,
    /// Who made it (the `hello` user, else `unknown`).
    pub by: String,
    /// The revision it became.
    pub revision: Revision,
    /// What changed, in words.
    pub changed: Vec<String>,
    /// Each changed item before and after (secrets hidden).
    pub items: Vec<ItemChange>,
}

impl Entry {
    /// The entry for the change from `before` to `after`, stored as `revision` at `at`.
    pub fn new(
        at: DateTime<Utc>,
        by: &str,
        revision: Revision,
        before: &Config,
        after: &Config,
    ) -> Entry {
        let mut items = item_changes(before, after);
        for item in &mut items {
            item.before.iter_mut().for_each(hide_secrets);
            item.after.iter_mut().for_each(hide_secrets);
        }
        Entry {
            at,
            by: by.to_owned(),
            revision,
            changed: items.iter().map(|i| i.item.clone()).collect(),
            items,
        }
    }
}

/// One accepted change of the CRM's contacts (a save, a removal, an import).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrmEntry {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// Who made it (the `hello` user, else `unknown`).
    pub by: String,
    /// Marks the line as a CRM change (always true).
    pub crm: bool,
    /// What changed, in words (`contact #4 'Jan Kowalski'`).
    pub changed: Vec<String>,
    /// Each contact before and after (none before: added; none after: removed).
    pub items: Vec<ItemChange>,
}

impl CrmEntry {
    /// The entry for `changes` made by `by` at `at`.
    pub fn new(
        at: DateTime<Utc>,
        by: &str,
        changes: &[crate::routing::crm::ContactChange],
    ) -> CrmEntry {
        let value = |c: &Option<crate::routing::crm::Contact>| {
            c.as_ref().and_then(|c| serde_json::to_value(c).ok())
        };
        let items: Vec<ItemChange> = changes
            .iter()
            .map(|c| ItemChange {
                item: c.item(),
                before: value(&c.before),
                after: value(&c.after),
            })
            .collect();
        CrmEntry {
            at,
            by: by.to_owned(),
            crm: true,
            changed: items.iter().map(|i| i.item.clone()).collect(),
            items,
        }
    }
}

/// Replaces the value of every secret field, at any depth, with [`HIDDEN`].
fn hide_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if SECRET_FIELDS.contains(&key.as_str()) && !v.is_null() {
                    *v = Value::String(HIDDEN.to_owned());
                } else {
                    hide_secrets(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(hide_secrets),
        _ => {}
    }
}

/// Why an entry could not be written.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The entry does not encode (cannot happen with our types; said rather than panicked).
    #[error("cannot encode the audit entry: {0}")]
    Encode(serde_json::Error),
    /// The file could not be opened, written or synced.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The audit log of one appliance.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
    file: Arc<Mutex<RotatingLog>>,
}

impl AuditLog {
    /// The log in `data_dir` within the default limit (the directory and file are created by
    /// the first entry).
    pub fn new(data_dir: &Path) -> AuditLog {
        let limit = firmware_config::storage::Storage::default()
            .bytes(firmware_config::storage::Store::Audit);
        AuditLog::bounded(data_dir, LogLimit::Fixed(limit))
    }

    /// The log in `data_dir` within `limit`.
    pub fn bounded(data_dir: &Path, limit: LogLimit) -> AuditLog {
        let path = data_dir.join(FILE_NAME);
        let file = RotatingLog::new(path.clone(), limit).owner_only().synced();
        AuditLog {
            path,
            file: Arc::new(Mutex::new(file)),
        }
    }

    /// The log's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry (an [`Entry`] or a [`CrmEntry`]) as a line, flushed and synced.
    pub fn append<T: Serialize>(&self, entry: &T) -> Result<(), AuditError> {
        let line = serde_json::to_string(entry).map_err(AuditError::Encode)?;
        // A writer that panicked mid-line left nothing the next line cannot follow.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.append(&line).map_err(|source| AuditError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Appends one entry; a failure is logged, not returned (the change is already stored).
    pub fn record(&self, entry: &Entry) {
        match self.append(entry) {
            Ok(()) => tracing::info!(
                revision = entry.revision, by = %entry.by, changed = ?entry.changed,
                "configuration changed"
            ),
            Err(e) => tracing::error!(
                error = %e, revision = entry.revision,
                "the change is stored but NOT in the audit log"
            ),
        }
    }
}

impl AuditLog {
    /// Appends one CRM entry; a failure is logged, not returned (the change is made).
    pub fn record_crm(&self, entry: &CrmEntry) {
        match self.append(entry) {
            Ok(()) => {
                tracing::info!(by = %entry.by, changed = entry.changed.len(), "contacts changed")
            }
            Err(e) => tracing::error!(
                error = %e, by = %entry.by,
                "contacts changed but NOT in the audit log"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn demo() -> Config {
        match firmware_config::default::factory_default() {
            Ok((config, _)) => config,
            Err(e) => panic!("no randomness: {e:?}"),
        }
    }

    fn lines(path: &Path) -> Vec<Value> {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    #[test]
    fn each_change_is_one_line_with_who_what_before_and_after() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = AuditLog::new(&dir.path().join("data"));
        let before = demo();
        let mut after = before.clone();
        after.groups.as_mut_slice()[0].ring_time_secs = 42;
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        log.append(&Entry::new(at, "ala", 5, &before, &after))
            .unwrap_or_else(|e| panic!("{e}"));
        after.employees.as_mut_slice()[0].devices.as_mut_slice()[0].password =
            "a-new-secret-password"
                .try_into()
                .unwrap_or_else(|_| panic!("fits"));
        let previous = after.clone();
        let mut last = after.clone();
        last.employees.as_mut_slice()[0].devices.as_mut_slice()[0].password =
            "another-secret-password"
                .try_into()
                .unwrap_or_else(|_| panic!("fits"));
        log.append(&Entry::new(at, "ola", 6, &previous, &last))
            .unwrap_or_else(|e| panic!("{e}"));

        let entries = lines(log.path());
        assert_eq!(entries.len(), 2);
        let first = &entries[0];
        assert_eq!(first["by"], "ala");
        assert_eq!(first["revision"], 5);
        assert_eq!(first["at"], "2027-01-15T08:00:00Z");
        assert_eq!(first["changed"], serde_json::json!(["group 'office'"]));
        assert_eq!(first["items"][0]["before"]["ring_time_secs"], 20);
        assert_eq!(first["items"][0]["after"]["ring_time_secs"], 42);
        let second = &entries[1];
        assert_eq!(second["changed"], serde_json::json!(["employee 101"]));
        let text = std::fs::read_to_string(log.path()).unwrap_or_default();
        assert!(!text.contains("secret-password"), "{text}");
        assert_eq!(
            second["items"][0]["after"]["devices"][0]["password"],
            HIDDEN
        );
        let mode = std::fs::metadata(log.path())
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_write_failure_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // The data "directory" is a file: nothing can be created under it.
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap_or_else(|e| panic!("{e}"));
        let log = AuditLog::new(&blocker);
        let config = demo();
        let entry = Entry::new(Utc::now(), "ala", 1, &config, &config);
        assert!(matches!(log.append(&entry), Err(AuditError::Io { .. })));
        log.record(&entry);
    }
}
