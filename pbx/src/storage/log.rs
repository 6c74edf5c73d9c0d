//! A log file bounded by [`super::rotation`]: appended one line at a time, rotated into
//! generations (`<name>.1` … `<name>.3`) and trimmed, oldest first, within its limit.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use firmware_config::storage::Store;
use tracing::info;

use super::live::Live;
use super::{rotation, GENERATIONS};

/// How large a log may grow.
#[derive(Debug, Clone)]
pub enum LogLimit {
    /// Never rotated (a journal replayed whole).
    Unbounded,
    /// At most this many bytes in all generations.
    Fixed(u64),
    /// As the running configuration's storage limit of this store says.
    Live(Arc<Live>, Store),
}

impl LogLimit {
    /// The limit now, in bytes (`None`: unbounded).
    pub fn bytes(&self) -> Option<u64> {
        match self {
            LogLimit::Unbounded => None,
            LogLimit::Fixed(b) => Some(*b),
            LogLimit::Live(live, store) => Some(live.bytes(*store)),
        }
    }

    fn live(&self) -> Option<(&Live, Store)> {
        match self {
            LogLimit::Live(live, store) => Some((live, *store)),
            _ => None,
        }
    }
}

/// The file of generation `n` of the log at `path` (0: the current file).
pub fn generation(path: &Path, n: usize) -> PathBuf {
    if n == 0 {
        return path.to_path_buf();
    }
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// Every generation's file, oldest first (the order to read them in).
pub fn generations_oldest_first(path: &Path) -> Vec<PathBuf> {
    (0..GENERATIONS)
        .rev()
        .map(|n| generation(path, n))
        .collect()
}

/// One bounded log. See the module documentation.
#[derive(Debug)]
pub struct RotatingLog {
    path: PathBuf,
    limit: LogLimit,
    mode: u32,
    sync: bool,
    file: Option<File>,
    size: u64,
    older: [u64; GENERATIONS - 1],
    line: Vec<u8>,
}

impl RotatingLog {
    /// A log at `path` within `limit`, created 0644, not synced (opened at the first line).
    pub fn new(path: PathBuf, limit: LogLimit) -> RotatingLog {
        RotatingLog {
            path,
            limit,
            mode: 0o644,
            sync: false,
            file: None,
            size: 0,
            older: [0; GENERATIONS - 1],
            line: Vec::new(),
        }
    }

    /// Files are created readable by the owner only.
    pub fn owner_only(mut self) -> RotatingLog {
        self.mode = 0o600;
        self
    }

    /// Each line is synced to disk before [`RotatingLog::append`] returns.
    pub fn synced(mut self) -> RotatingLog {
        self.sync = true;
        self
    }

    /// The current file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `line` and a newline (rotating first if needed). After a failure the file is
    /// opened again at the next line.
    pub fn append(&mut self, line: &str) -> std::io::Result<()> {
        let result = self.try_append(line);
        if result.is_err() {
            self.file = None;
        }
        result
    }

    fn try_append(&mut self, line: &str) -> std::io::Result<()> {
        if self.file.is_none() {
            self.open()?;
        }
        let incoming = line.len() as u64 + 1;
        if let Some(limit) = self.limit.bytes() {
            self.make_room(incoming, limit)?;
        }
        if self.file.is_none() {
            self.open()?;
        }
        self.line.clear();
        self.line.extend_from_slice(line.as_bytes());
        self.line.push(b'\n');
        let Some(file) = self.file.as_mut() else {
            return Err(std::io::Error::other("the log file is not open"));
        };
        file.write_all(&self.line)?;
        if self.sync {
            file.sync_data()?;
        }
        self.size += incoming;
        if let Some((live, _)) = self.limit.live() {
            live.written();
        }
        Ok(())
    }

    /// Opens the current file and reads the sizes of every generation.
    fn open(&mut self) -> std::io::Result<()> {
        let file = open_for_append(&self.path, self.mode)?;
        self.size = file.metadata()?.len();
        for (i, size) in self.older.iter_mut().enumerate() {
            *size = std::fs::metadata(generation(&self.path, i + 1)).map_or(0, |m| m.len());
        }
        self.file = Some(file);
        Ok(())
    }

    /// Rotates and removes old generations as [`rotation`] decides.
    fn make_room(&mut self, incoming: u64, limit: u64) -> std::io::Result<()> {
        let plan = rotation(self.size, &self.older, incoming, limit);
        if plan.rotate {
            self.file = None;
            remove(&generation(&self.path, GENERATIONS - 1))?;
            for n in (0..GENERATIONS - 1).rev() {
                let from = generation(&self.path, n);
                if n == 0 || from.exists() {
                    std::fs::rename(&from, generation(&self.path, n + 1))?;
                }
            }
            self.older = [self.size, self.older[0], self.older[1]];
            info!(file = %self.path.display(), bytes = self.size, limit, "log rotated");
            self.size = 0;
        }
        let mut removed = 0;
        for n in plan.keep..GENERATIONS - 1 {
            if self.older[n] > 0 || generation(&self.path, n + 1).exists() {
                remove(&generation(&self.path, n + 1))?;
                info!(
                    file = %generation(&self.path, n + 1).display(), bytes = self.older[n], limit,
                    "oldest log generation removed to stay within the limit"
                );
                self.older[n] = 0;
                removed += 1;
            }
        }
        if let (Some((live, store)), true) = (self.limit.live(), removed > 0) {
            live.removed(store, removed);
        }
        Ok(())
    }
}

/// Removes a file; a missing one is fine.
fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Opens (or creates with `mode`) `path` for appending; ends a cut last line with a newline.
fn open_for_append(path: &Path, mode: u32) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(mode)
        .open(path)?;
    let len = file.metadata()?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            file.write_all(b"\n")?;
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use firmware_config::storage::Storage;

    fn total(path: &Path) -> u64 {
        (0..GENERATIONS + 2)
            .map(|n| std::fs::metadata(generation(path, n)).map_or(0, |m| m.len()))
            .sum()
    }

    fn lines(path: &Path) -> Vec<u64> {
        generations_oldest_first(path)
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .flat_map(|t| {
                t.lines()
                    .filter_map(|l| l.trim_start_matches('#').parse().ok())
                    .collect::<Vec<u64>>()
            })
            .collect()
    }

    /// A line of 100 bytes (with its newline) numbered `n`.
    fn line(n: u64) -> String {
        format!("#{n:098}")
    }

    #[test]
    fn a_log_stays_within_its_limit_and_keeps_the_newest_lines_in_order() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("calls.jsonl");
        let mut log = RotatingLog::new(path.clone(), LogLimit::Fixed(4000));
        for n in 0..500 {
            log.append(&line(n)).unwrap_or_else(|e| panic!("{e}"));
            assert!(total(&path) <= 4000, "after line {n}: {}", total(&path));
        }
        assert!(!generation(&path, GENERATIONS).exists());
        let kept = lines(&path);
        assert_eq!(kept.last(), Some(&499));
        assert!(kept.windows(2).all(|w| w[1] == w[0] + 1), "{kept:?}");
        assert!(
            kept.len() >= 30,
            "most of the limit is used: {}",
            kept.len()
        );
    }

    #[test]
    fn a_lower_live_limit_removes_the_oldest_generations_at_the_next_line() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("audit.log");
        let mut storage = Storage {
            audit_kib: 256,
            ..Storage::default()
        };
        let live = Live::new(&storage);
        let mut log = RotatingLog::new(path.clone(), LogLimit::Live(live.clone(), Store::Audit));
        for n in 0..2000 {
            log.append(&line(n)).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(total(&path) > 150 * 1024);
        assert_eq!(live.removed_counts(), [0; 4]);
        storage.audit_kib = 64;
        live.set(&storage);
        log.append(&line(2000)).unwrap_or_else(|e| panic!("{e}"));
        assert!(total(&path) <= 64 * 1024, "{}", total(&path));
        assert!(live.removed_counts()[1] >= 1);
        assert_eq!(lines(&path).last(), Some(&2000));
    }

    #[test]
    fn an_unbounded_log_is_never_rotated_and_a_cut_line_is_ended() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("crm.jsonl");
        std::fs::write(&path, "#1\n#2").unwrap_or_else(|e| panic!("{e}"));
        let mut log = RotatingLog::new(path.clone(), LogLimit::Unbounded);
        for n in 3..300 {
            log.append(&line(n)).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(!generation(&path, 1).exists());
        let kept = lines(&path);
        assert_eq!(kept[..3], [1, 2, 3]);
    }

    #[test]
    fn owner_only_files_are_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("audit.log");
        let mut log = RotatingLog::new(path.clone(), LogLimit::Fixed(1000))
            .owner_only()
            .synced();
        for n in 0..40 {
            log.append(&line(n)).unwrap_or_else(|e| panic!("{e}"));
        }
        for n in 0..2 {
            let mode = std::fs::metadata(generation(&path, n))
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            assert_eq!(mode, 0o600, "generation {n}");
        }
    }
}
