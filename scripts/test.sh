#!/usr/bin/env bash
# Runs every test: installs what the tests need, checks formatting and lints, runs the unit
# and end-to-end tests, builds, lints, installs, upgrades and purges the Debian packages
# (tests/package/run.sh), cross-builds all binaries for the two ARM targets and runs the
# configuration crate's tests and the analog lines' DSP tests under qemu for both (so an
# endianness, 32-bit or floating-point difference fails).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "formatting"
cargo fmt --all --check
step "lints"
cargo clippy --workspace --all-targets -- -D warnings
step "build"
cargo build --workspace --bins
step "tests (x86_64)"
cargo test --workspace
step "Debian packages (build all three, lintian, install, upgrade, purge; ARM binaries under qemu)"
bash tests/package/run.sh

for target in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
  step "cross build ($target)"
  cargo build --workspace --bins --target "$target"
  step "firmware-config tests under qemu ($target)"
  timeout 1800 cargo test -p firmware-config --target "$target"
  step "line DSP tests under qemu ($target)"
  timeout 1800 cargo test -p pbx --lib --target "$target" line::dsp
done
