#!/usr/bin/env bash
# Builds Centrala's Debian packages (release builds, the no-Docker cross build of
# .cargo/config.toml) into target/debian/:
#
#   scripts/package.sh [amd64|arm64|armhf|all] [cargo-deb options...]
#
# e.g. `scripts/package.sh arm64` for a Raspberry Pi with a 64-bit OS, or
# `scripts/package.sh amd64 --deb-revision 2` for a rebuilt package that upgrades the first.
# Needs what scripts/setup.sh installs (the cross linkers, cargo-deb).
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:-all}
[ $# -gt 0 ] && shift

triple() {
  case "$1" in
    amd64) echo x86_64-unknown-linux-gnu ;;
    arm64) echo aarch64-unknown-linux-gnu ;;
    armhf) echo armv7-unknown-linux-gnueabihf ;;
    *) echo "package.sh: unknown architecture '$1' (amd64, arm64, armhf or all)" >&2; return 1 ;;
  esac
}

case "$arch" in
  all) arches=(amd64 arm64 armhf) ;;
  *) triple "$arch" >/dev/null; arches=("$arch") ;;
esac

command -v cargo-deb >/dev/null || { echo "package.sh: cargo-deb missing; run scripts/setup.sh" >&2; exit 1; }

for a in "${arches[@]}"; do
  t=$(triple "$a")
  echo "==> $a ($t): release build"
  # Both binaries: the daemon (package pbx) and the console (package tui).
  cargo build --release --locked --target "$t" -p pbx --bin centrala -p tui --bin centrala-console
  echo "==> $a: package"
  cargo deb --no-build --locked --target "$t" -p pbx --output target/debian/ "$@"
done
ls -l target/debian/*.deb
