//! Helpers for the end-to-end tests: finding the built binaries and running them.

use std::path::PathBuf;

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

/// The path of a workspace binary, e.g. `centrala`. Tests need `cargo build --workspace --bins`
/// first (the test command does it).
pub fn bin(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}
