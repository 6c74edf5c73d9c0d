//! Helpers for the end-to-end tests: finding the built binaries and running them, the daemon
//! under test ([`pbx`]), SIP peers that talk to it ([`sipp`] scenarios and real [`baresip`]
//! phones), free local ports ([`ports`]) and checks on the audio a phone heard ([`audio`]).

pub mod audio;
pub mod baresip;
pub mod control;
pub mod line;
pub mod pbx;
pub mod ports;
pub mod sipp;
pub mod ssh;
pub mod tmux;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The directory the workspace's binaries are built into (next to the test executable).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/deps/<test> → target/<profile>
    let mut dir = exe.parent().map(PathBuf::from).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// The path of a workspace binary, e.g. `centrala`. The workspace's binaries are built once
/// per test process when one is missing (`cargo test` builds only the tested package's own).
pub fn bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    if !path.exists() {
        build_binaries();
    }
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --bins`",
        path.display()
    );
    path
}

fn build_binaries() {
    static BUILT: OnceLock<bool> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let release = bin_dir().ends_with("release");
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--workspace", "--bins"]);
        if release {
            cmd.arg("--release");
        }
        cmd.status().map(|s| s.success()).unwrap_or(false)
    });
}
