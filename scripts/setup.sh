#!/usr/bin/env bash
# Installs everything Centrala's build and tests need on a fresh Debian 12 machine.
# Idempotent: run it as often as you like. Needs root (or sudo) for apt-get.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  build-essential pkg-config libasound2-dev
  sip-tester baresip tmux openssh-server sox minimodem espeak-ng
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross
  qemu-user lintian
)
CROSS_PACKAGES=(libasound2-dev:arm64 libasound2-dev:armhf)

missing() {
  local out=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
  done
  echo "${out[@]:-}"
}

need=$(missing "${PACKAGES[@]}")
if [ -n "$need" ]; then
  echo "setup: installing $need"
  # apt-get update may exit 100 because of a stale foreign-architecture index; the
  # install below is what must succeed.
  $SUDO apt-get update || true
  # shellcheck disable=SC2086
  $SUDO apt-get install -y --no-install-recommends $need
fi

for arch in arm64 armhf; do
  dpkg --print-foreign-architectures | grep -qx "$arch" || { $SUDO dpkg --add-architecture "$arch"; NEED_UPDATE=1; }
done
need=$(missing "${CROSS_PACKAGES[@]}")
if [ -n "$need" ]; then
  echo "setup: installing $need"
  $SUDO apt-get update || true
  # shellcheck disable=SC2086
  $SUDO apt-get install -y --no-install-recommends $need
fi

still=$(missing "${PACKAGES[@]}" "${CROSS_PACKAGES[@]}")
if [ -n "$still" ]; then
  echo "setup: FAILED to install: $still" >&2
  exit 1
fi

if command -v rustup >/dev/null 2>&1; then
  rustup target add aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf >/dev/null
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
else
  echo "setup: rustup not found; install Rust (rustup) first" >&2
  exit 1
fi
# cargo-deb builds the Debian packages (scripts/package.sh); pinned, so packages are made the
# same way everywhere.
CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version 2>/dev/null | grep -qx "cargo-deb $CARGO_DEB_VERSION"; then
  echo "setup: installing cargo-deb $CARGO_DEB_VERSION"
  cargo install --locked --version "$CARGO_DEB_VERSION" cargo-deb
fi
echo "setup: done"
