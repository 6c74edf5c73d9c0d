//! The storage monitor's shell: measures the data directory's stores (on tokio's blocking
//! pool) when the [`Monitor`] says, publishes the report for the control socket, sends it to
//! subscribers when it changed, and alerts once per store crossing the warning level (the log,
//! the console's notifications and the webhook).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use firmware_config::storage::Store;
use tokio::sync::{broadcast, watch};
use tracing::{debug, warn};

use super::live::Live;
use super::log::generation;
use super::{warning_text, Monitor, Usage, GENERATIONS};
use crate::control::audit::FILE_NAME as AUDIT_FILE;
use crate::control::journal::{CALLS_FILE, CRM_FILE, NOTIFICATIONS_FILE};
use crate::control::protocol::{Event, StorageReport, StoreUsage};
use crate::notify::worker::Alerter;
use crate::notify::OUTBOX_DIR;
use crate::voicemail::STORE_DIR;

/// Measures every store under `data_dir` (missing files count as empty).
pub fn measure(data_dir: &Path) -> Usage {
    let mut usage = Usage::default();
    usage.set(Store::Calls, log_bytes(&data_dir.join(CALLS_FILE)));
    usage.set(Store::Audit, log_bytes(&data_dir.join(AUDIT_FILE)));
    usage.set(Store::Voicemail, tree_bytes(&data_dir.join(STORE_DIR)));
    usage.set(Store::Outbox, tree_bytes(&data_dir.join(OUTBOX_DIR)));
    usage.other =
        log_bytes(&data_dir.join(NOTIFICATIONS_FILE)) + log_bytes(&data_dir.join(CRM_FILE));
    usage
}

/// The bytes of a log's generations.
fn log_bytes(path: &Path) -> u64 {
    (0..GENERATIONS)
        .map(|n| std::fs::metadata(generation(path, n)).map_or(0, |m| m.len()))
        .sum()
}

/// The bytes of every file under `dir` (not following links).
pub fn tree_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => tree_bytes(&e.path()),
            Ok(m) if m.is_file() => m.len(),
            _ => 0,
        })
        .sum()
}

/// What the monitor needs.
#[derive(Debug)]
pub struct Watch {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The limits (and the bell rung after writes).
    pub live: Arc<Live>,
    /// Where reports are published (the control socket answers from it).
    pub reports: watch::Sender<StorageReport>,
    /// The control socket's subscribers.
    pub events: broadcast::Sender<Event>,
    /// The webhook, if it runs.
    pub alerter: Option<Alerter>,
}

/// Runs the monitor until the task is dropped.
pub async fn run(watch: Watch) {
    let mut monitor = Monitor::new(Instant::now());
    loop {
        let at = tokio::time::Instant::from_std(monitor.poll_timeout());
        tokio::select! {
            () = tokio::time::sleep_until(at) => {}
            () = watch.live.wait_written() => {
                monitor.written(Instant::now());
                continue;
            }
        }
        if !monitor.due(Instant::now()) {
            continue;
        }
        let dir = watch.data_dir.clone();
        let usage = match tokio::task::spawn_blocking(move || measure(&dir)).await {
            Ok(usage) => usage,
            Err(e) => {
                warn!(error = %e, "storage could not be measured");
                monitor.written(Instant::now());
                continue;
            }
        };
        let limits = watch.live.get();
        let scanned = monitor.scanned(
            Instant::now(),
            Utc::now(),
            &usage,
            &limits,
            watch.live.removed_counts(),
        );
        for crossed in &scanned.crossed {
            alert(&watch, crossed);
        }
        publish(&watch, scanned.report);
    }
}

/// Tells everyone once that a store reached its warning level.
fn alert(watch: &Watch, s: &StoreUsage) {
    let text = warning_text(s);
    warn!(
        store = s.store.noun(),
        used = s.used_bytes,
        limit = s.limit_bytes,
        "{text}: the oldest data will be removed at the limit"
    );
    if let Some(alerter) = &watch.alerter {
        alerter.storage(s, &text);
    }
    let _ = watch.events.send(Event::Notification {
        employees: Vec::new(),
        text,
    });
}

/// Publishes a report; subscribers get it when more than its time changed.
fn publish(watch: &Watch, report: StorageReport) {
    let changed = watch.reports.send_if_modified(|old| {
        let same = old.stores == report.stores && old.warn_percent == report.warn_percent;
        *old = report.clone();
        !same
    });
    if changed {
        debug!("storage report changed");
        let _ = watch.events.send(Event::Storage(report));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_store_and_its_generations_are_measured() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = dir.path();
        let write = |p: PathBuf, n: usize| {
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            std::fs::write(p, vec![b'x'; n]).unwrap_or_else(|e| panic!("{e}"));
        };
        write(d.join(CALLS_FILE), 10);
        write(generation(&d.join(CALLS_FILE), 3), 5);
        write(d.join(AUDIT_FILE), 7);
        write(d.join(STORE_DIR).join("employee-101").join("a.wav"), 100);
        write(d.join(STORE_DIR).join("entry-x").join("b.json"), 3);
        write(d.join(OUTBOX_DIR).join("00000000000000000001.json"), 20);
        write(d.join(CRM_FILE), 1);
        write(d.join(NOTIFICATIONS_FILE), 2);
        let usage = measure(d);
        assert_eq!(usage.stores, [15, 7, 103, 20]);
        assert_eq!(usage.other, 3);
        assert_eq!(measure(&d.join("missing")), Usage::default());
    }
}
