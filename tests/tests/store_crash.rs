//! A process killed (SIGKILL) at random moments while it saves, hundreds of times, never
//! leaves a store that does not load; what loads is always a configuration that was saved.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use centrala_e2e::bin;
use firmware_config::persist::{ConfigStore, Startup};
use firmware_config::store::SlotState;

const KILLS: usize = 200;

fn random_below(n: u64) -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("randomness");
    u64::from_le_bytes(b) % n
}

#[test]
fn killing_a_save_loop_never_leaves_an_unloadable_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut last_generation = 0u64;
    let mut torn = 0usize;
    for round in 0..KILLS {
        let mut child = Command::new(bin("store-torture"))
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start store-torture");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut ready)
            .expect("read ready");
        assert_eq!(ready.trim(), "ready", "round {round}");
        // Anywhere from immediately to a few milliseconds into the loop, down to microseconds.
        std::thread::sleep(Duration::from_micros(random_below(5000)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");

        let (value, reports) = {
            let loaded = ConfigStore::new(dir.path()).load().expect("read the store");
            (loaded.value, loaded.reports)
        };
        let (_, generation, _, config) =
            value.unwrap_or_else(|| panic!("round {round}: nothing loads: {reports:?}"));
        let saved = config
            .system
            .name
            .strip_prefix("torture ")
            .and_then(|n| n.parse::<u64>().ok());
        assert!(
            saved.is_some(),
            "round {round}: a configuration nobody saved: {:?}",
            config.system.name
        );
        // A kill loses at most the save in flight, never one that had completed.
        assert!(
            generation >= last_generation,
            "round {round}: generation went back from {last_generation} to {generation}"
        );
        last_generation = generation;
        torn += reports
            .iter()
            .filter(|r| matches!(r.state, SlotState::Rejected { .. }))
            .count();
    }
    eprintln!("{KILLS} kills, {torn} left a torn slot behind, last generation {last_generation}");
    // The real daemon's start-up path loads the same store.
    let out = Command::new(bin("centrala"))
        .arg("--config-dir")
        .arg(dir.path())
        .args(["config", "export"])
        .output()
        .expect("centrala config export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("name = \"torture "));
    let mut store = ConfigStore::new(dir.path());
    assert!(matches!(
        store.startup().expect("startup"),
        Startup::Loaded { .. }
    ));
}
