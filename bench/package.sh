#!/usr/bin/env bash
# The Debian packages' footprint: each .deb's size and Installed-Size, and the daemon's memory
# (VmRSS, VmHWM from /proc) a few seconds after start on the default configuration.
#
#   bench/package.sh            # uses target/debian/centrala_*.deb (scripts/package.sh all)
#   SETTLE=5 bench/package.sh   # seconds between `ready` and the reading (default 3)
#
# The memory is measured on this machine with the amd64 package's binary (extracted with
# dpkg-deb -x, not installed): the factory default configuration, with only its data
# directory and control socket moved into a temp directory so nothing outside it is touched
# (SIP stays on 0.0.0.0:5060, so nothing else may use that port). ARM figures would need a
# board: under qemu-user the RSS is qemu's.
set -euo pipefail
cd "$(dirname "$0")/.."
SETTLE=${SETTLE:-3}

shopt -s nullglob
debs=(target/debian/centrala_*.deb)
[ ${#debs[@]} -gt 0 ] || { echo "no packages in target/debian: run scripts/package.sh all" >&2; exit 1; }

printf '%-40s %12s %16s\n' package "size (KiB)" "installed (KiB)"
for deb in "${debs[@]}"; do
  size=$(( $(stat -c %s "$deb") / 1024 ))
  printf '%-40s %12s %16s\n' "$(basename "$deb")" "$size" "$(dpkg-deb -f "$deb" Installed-Size)"
done

amd64=$(printf '%s\n' "${debs[@]}" | grep '_amd64\.deb$' | sort -V | tail -n1 || true)
[ -n "$amd64" ] || { echo "no amd64 package: no memory figure" >&2; exit 0; }
work=$(mktemp -d)
pid=""
finish() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap finish EXIT
dpkg-deb -x "$amd64" "$work/root"
bin="$work/root/usr/bin/centrala"
"$bin" --config-dir "$work/store" config export 2>/dev/null \
  | sed "s|^data_dir = .*|data_dir = \"$work/data\"|; s|^control_socket = .*|control_socket = \"$work/control.sock\"|" \
  >"$work/default.toml"
grep -q "^data_dir = \"$work/data\"" "$work/default.toml" || { echo "cannot move the data directory" >&2; exit 1; }
"$bin" --config-dir "$work/store" config import "$work/default.toml" >/dev/null 2>&1
RUST_LOG=info "$bin" --config-dir "$work/store" run >"$work/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q ': ready' "$work/daemon.log" && break
  kill -0 "$pid" 2>/dev/null || { echo "the daemon exited:" >&2; cat "$work/daemon.log" >&2; exit 1; }
  sleep 0.1
done
grep -q ': ready' "$work/daemon.log" || { echo "the daemon did not get ready" >&2; exit 1; }
sleep "$SETTLE"
echo
echo "daemon ($(basename "$amd64"), default configuration, ${SETTLE} s after ready):"
grep -E '^(VmRSS|VmHWM):' "/proc/$pid/status"
