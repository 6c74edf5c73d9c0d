//! A real terminal for the console: a private tmux server (its own socket in a temp dir) with
//! one session of a fixed size running a command; keys are typed with `send-keys` and the
//! screen is read with `capture-pane`.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long [`Terminal::wait_for`] waits by default.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A tmux session; the server is killed on drop.
pub struct Terminal {
    dir: tempfile::TempDir,
}

impl Terminal {
    /// Starts `command` (run by tmux through the shell) in a `width`×`height` terminal.
    pub fn start(command: &str, width: u16, height: u16) -> Terminal {
        let dir = tempfile::tempdir().expect("tmux dir");
        let t = Terminal { dir };
        let status = t
            .tmux()
            .args(["new-session", "-d", "-s", "console"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .status()
            .expect("tmux runs (scripts/setup.sh installs it)");
        assert!(status.success(), "tmux new-session failed for {command}");
        // Keep the pane after the command exits, so its last screen can still be read.
        let _ = t
            .tmux()
            .args(["set-option", "-t", "console", "remain-on-exit", "on"])
            .status();
        t
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("tmux.sock")
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(self.socket()).arg("-f").arg("/dev/null");
        c
    }

    /// Types tmux key names or literal text, e.g. `["Down", "Enter"]` or `["-l", "Easter"]`.
    pub fn keys(&self, keys: &[&str]) {
        let status = self
            .tmux()
            .args(["send-keys", "-t", "console"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success(), "tmux send-keys {keys:?}");
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", "console"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen contains every one of `needles`; returns the screen, or panics
    /// with the last screen after `within`.
    pub fn wait_for_within(&self, needles: &[&str], within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.screen();
            if needles.iter().all(|n| screen.contains(n)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {needles:?}; last screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// [`Terminal::wait_for_within`] with [`PATIENCE`].
    pub fn wait_for(&self, needles: &[&str]) -> String {
        self.wait_for_within(needles, PATIENCE)
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}
