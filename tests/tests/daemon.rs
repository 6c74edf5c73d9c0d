//! The daemon as a process: starts on the embedded default, says what it serves, stops
//! cleanly on SIGTERM; starts on the default loudly when both slots are corrupt.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, MutexGuard};
use std::time::Duration;

use centrala_e2e::bin;

/// Both tests run the factory default, which serves SIP on 0.0.0.0:5060 (UDP and TCP): they
/// take turns, or the second daemon cannot bind and exits.
fn default_port() -> MutexGuard<'static, ()> {
    static PORT_5060: Mutex<()> = Mutex::new(());
    PORT_5060
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts `centrala` and returns it with a channel of its log lines.
fn start(dir: &std::path::Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(dir)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start centrala");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Collects log lines until one contains `needle` (10 s at most).
fn wait_for(rx: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => {
                let done = line.contains(needle);
                seen.push(line);
                if done {
                    return seen;
                }
            }
            Err(_) => panic!("no log line with {needle:?}; saw:\n{}", seen.join("\n")),
        }
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    child.wait().expect("wait")
}

#[test]
fn runs_on_the_default_and_stops_on_sigterm() {
    let _port = default_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, rx) = start(dir.path());
    let log = wait_for(&rx, ": ready").join("\n");
    assert!(log.contains("created the factory default"), "{log}");
    assert_eq!(log.matches("SIP password generated").count(), 3, "{log}");
    assert!(
        log.contains("group=office") && log.contains("entry=reception"),
        "{log}"
    );
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status}");
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("SIGTERM received")),
        "{rest:?}"
    );

    // Second start: loads what the first stored, shows no password.
    let (mut child, rx) = start(dir.path());
    let log = wait_for(&rx, ": ready").join("\n");
    assert!(
        log.contains("configuration loaded") && !log.contains("password"),
        "{log}"
    );
    assert!(terminate(&mut child).success());
}

#[test]
fn both_slots_corrupt_runs_the_default_loudly_and_keeps_the_files() {
    let _port = default_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let junk_a = b"CNTRLCFG but then nothing useful".to_vec();
    let junk_b = vec![0u8; 100];
    std::fs::write(dir.path().join("slot-a.bin"), &junk_a).expect("write");
    std::fs::write(dir.path().join("slot-b.bin"), &junk_b).expect("write");
    let (mut child, rx) = start(dir.path());
    let log = wait_for(&rx, ": ready").join("\n");
    assert!(log.contains("NO USABLE CONFIGURATION"), "{log}");
    assert!(log.contains("slot=A") && log.contains("slot=B"), "{log}");
    assert!(terminate(&mut child).success());
    assert_eq!(
        std::fs::read(dir.path().join("slot-a.bin")).expect("a"),
        junk_a
    );
    assert_eq!(
        std::fs::read(dir.path().join("slot-b.bin")).expect("b"),
        junk_b
    );
}
