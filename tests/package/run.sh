#!/usr/bin/env bash
# The Debian packages end to end (issue 9), on this machine, as root, without systemd as PID 1:
#
#  1. builds the amd64, arm64 and armhf packages (scripts/package.sh all) and lints them
#     (lintian: no errors);
#  2. installs the amd64 package (dpkg -i) and checks what postinst made (user, groups, data
#     directory) and the unit (systemd-analyze verify, when the tool is here);
#  3. starts the daemon exactly as the installed unit's ExecStart= with its Environment=, as
#     the unit would: user centrala with its groups, only CAP_NET_BIND_SERVICE (ambient and
#     bounding), no new privileges, /run/centrala made as RuntimeDirectory= would, and
#     NOTIFY_SOCKET/WATCHDOG_USEC pointing at a socket this test reads: READY=1 and
#     WATCHDOG=1 must arrive;
#  4. checks it serves SIP (SIPp OPTIONS → 200) and that the console opens over the admin SSH
#     login (centrala-admin-login enable; a private sshd on 127.0.0.1 that includes the
#     installed drop-in; ssh in tmux shows the dashboard; a shell command is refused);
#  5. changes the configuration (centrala config import as the service user), upgrades to a
#     rebuilt package with a higher version, starts again: the change survived, and neither
#     the upgrade nor a start nor a failed start rewrote a configuration slot;
#  6. dpkg -r keeps /var/lib/centrala, dpkg -P removes it (and the admin login);
#  7. runs the arm64 and armhf binaries from their packages under qemu: --version, and
#     `config check` on the default configuration they create and export.
#
# Every check exits non-zero with a message; the daemon, sshd, tmux and the package are
# cleaned up on any exit. PACKAGE_TEST_NO_BUILD=1 reuses the packages in target/debian/.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf 'package test: %s\n' "$*"; }
fail() {
  printf 'package test: FAIL: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i, a system user, setpriv)"
for tool in dpkg dpkg-deb lintian cargo-deb setpriv sipp tmux ssh ssh-keygen python3 qemu-aarch64 qemu-arm; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh installs it)"
done
[ -x /usr/sbin/sshd ] || fail "/usr/sbin/sshd is missing (openssh-server)"
if dpkg-query -W -f='${Status}' centrala 2>/dev/null | grep -Eq 'installed|config-files'; then
  fail "a centrala package is already on this machine; purge it first (dpkg -P centrala)"
fi

VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
[ -n "$VERSION" ] || fail "no workspace version in Cargo.toml"
DEBS=target/debian
UNIT=/usr/lib/systemd/system/centrala.service
STORE=/var/lib/centrala
SOCKET=/run/centrala/control.sock

WORK=$(mktemp -d /tmp/centrala-package-test.XXXXXX)
chmod 0755 "$WORK"
# The e2e tests run the daemon on the factory default as root, which leaves
# /var/lib/centrala (its webhook outbox) behind: kept aside, so install and purge start from
# nothing and the directory is put back afterwards.
SAVED=""
if [ -e "$STORE" ]; then
  SAVED="$WORK/saved-var-lib-centrala"
  mv "$STORE" "$SAVED"
fi
DAEMON_PID=""
READER_PID=""
SSHD_PID=""
BLOCKER_PID=""
INSTALLED=0

cleanup() {
  local rc=$?
  set +e
  [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  for pid in "$READER_PID" "$SSHD_PID" "$BLOCKER_PID"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  tmux -S "$WORK/tmux.sock" kill-server 2>/dev/null
  if [ "$INSTALLED" = 1 ] && dpkg-query -W -f='${Status}' centrala 2>/dev/null | grep -Eq 'installed|config-files'; then
    dpkg -P centrala >/dev/null 2>&1 || say "cleanup: dpkg -P centrala failed"
  fi
  if [ "$rc" -ne 0 ] && [ -f "$WORK/daemon.log" ]; then
    echo "--- the last daemon log:" >&2
    tail -n 30 "$WORK/daemon.log" >&2
  fi
  if [ -n "$SAVED" ] && [ -e "$SAVED" ] && [ ! -e "$STORE" ]; then
    mv "$SAVED" "$STORE"
  fi
  rm -rf "$WORK"
  if [ "$rc" -eq 0 ]; then say "passed"; else say "FAILED (exit $rc)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------
say "1. build and lint the packages"
if [ "${PACKAGE_TEST_NO_BUILD:-}" != 1 ]; then
  rm -f "$DEBS"/centrala_*.deb
  scripts/package.sh all
fi
for arch in amd64 arm64 armhf; do
  deb="$DEBS/centrala_${VERSION}-1_${arch}.deb"
  [ -f "$deb" ] || fail "no package $deb"
  [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "$deb is not for $arch"
  for f in ./usr/bin/centrala ./usr/bin/centrala-console ./usr/sbin/centrala-admin-login \
    ./usr/lib/systemd/system/centrala.service; do
    dpkg-deb -c "$deb" | awk '{print $6}' | grep -qx "$f" || fail "$deb lacks $f"
  done
  say "lintian $deb"
  # Warnings are printed and accepted (README "Tests" lists the expected ones); errors fail.
  lintian --fail-on error "$deb" || fail "lintian reports errors in $deb"
done

# ---------------------------------------------------------------------------------------
say "2. install the amd64 package"
INSTALLED=1
dpkg -i "$DEBS/centrala_${VERSION}-1_amd64.deb" || fail "dpkg -i failed"
id centrala >/dev/null 2>&1 || fail "postinst did not create the user centrala"
groups=" $(id -nG centrala) "
for g in centrala audio gpio centrala-admin; do
  [[ $groups == *" $g "* ]] || fail "centrala is not in group $g: $groups"
done
getent group centrala-admin >/dev/null || fail "no group centrala-admin"
[ "$(getent passwd centrala | cut -d: -f6)" = "$STORE" ] || fail "centrala's home is not $STORE"
[ "$(stat -c '%U %a' "$STORE")" = "centrala 750" ] || fail "$STORE: $(stat -c '%U %a' "$STORE")"
[ -f "$UNIT" ] || fail "no unit at $UNIT"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$UNIT" || fail "systemd-analyze verify $UNIT"
  say "systemd-analyze verify: ok"
else
  say "systemd-analyze is not installed: unit not verified (the systemd package brings it)"
fi

# The unit as systemd would run it.
unit_value() { sed -n "s/^$1=//p" "$UNIT"; }
EXEC_START=$(unit_value ExecStart)
[ -n "$EXEC_START" ] || fail "no ExecStart= in $UNIT"
mapfile -t UNIT_ENV < <(unit_value Environment)
[ "$(unit_value User)" = centrala ] || fail "the unit's User= is not centrala"
[ "$(unit_value Type)" = notify ] || fail "the unit's Type= is not notify"
[ "$(unit_value CapabilityBoundingSet)" = CAP_NET_BIND_SERVICE ] || fail "CapabilityBoundingSet="
WATCHDOG_SEC=$(unit_value WatchdogSec)
[[ $WATCHDOG_SEC =~ ^([0-9]+)s$ ]] || fail "WatchdogSec=$WATCHDOG_SEC is not in seconds"
WATCHDOG_USEC=$((BASH_REMATCH[1] * 1000000))
read -r -a EXEC_ARGV <<<"$EXEC_START"
say "ExecStart: $EXEC_START; Environment: ${UNIT_ENV[*]}"

# A socket standing in for systemd's NOTIFY_SOCKET: every datagram becomes a line.
NOTIFY="$WORK/notify.sock"
cat >"$WORK/notify.py" <<'EOF'
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(log, "a", buffering=1) as out:
    while True:
        out.write(s.recv(4096).decode(errors="replace").replace("\n", " ") + "\n")
EOF
python3 "$WORK/notify.py" "$NOTIFY" "$WORK/notify.log" &
READER_PID=$!
for _ in $(seq 100); do
  [ -S "$NOTIFY" ] && break
  sleep 0.1
done
[ -S "$NOTIFY" ] || fail "the notify socket reader did not start"

# As centrala with its groups, only CAP_NET_BIND_SERVICE, no new privileges (User=,
# AmbientCapabilities=, CapabilityBoundingSet=, NoNewPrivileges= of the unit).
# shellcheck disable=SC2054 # the commas are setpriv's capability lists
AS_SERVICE=(setpriv --reuid=centrala --regid=centrala --init-groups
  --inh-caps=-all,+net_bind_service --ambient-caps=-all,+net_bind_service
  --bounding-set=-all,+net_bind_service --no-new-privs --)
as_service() { "${AS_SERVICE[@]}" "$@"; }

# Starts the daemon as the unit does; $1: "ready" (must say READY=1) or "fail" (must exit
# non-zero without READY=1).
start_daemon() {
  : >"$WORK/notify.log"
  # What systemd does before ExecStart=: StateDirectory= (owned by User=, recursively,
  # StateDirectoryMode=) and RuntimeDirectory= (made fresh).
  chown -R centrala:centrala "$STORE"
  chmod 0750 "$STORE"
  rm -rf /run/centrala
  install -d -m 0755 -o centrala -g centrala /run/centrala
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${UNIT_ENV[@]}" \
    NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC="$WATCHDOG_USEC" \
    "${AS_SERVICE[@]}" "${EXEC_ARGV[@]}" >"$WORK/daemon.log" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 100); do
    if grep -q '^READY=1' "$WORK/notify.log"; then
      [ "$1" = ready ] || fail "the daemon said READY=1 though it should not have started"
      return 0
    fi
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
      local rc=0
      wait "$DAEMON_PID" || rc=$?
      DAEMON_PID=""
      [ "$1" = fail ] && [ "$rc" -ne 0 ] && return 0
      fail "the daemon exited ($rc) before READY=1: $(tail -n 5 "$WORK/daemon.log")"
    fi
    sleep 0.1
  done
  fail "no READY=1 from the daemon within 10 s"
}

stop_daemon() {
  kill -TERM "$DAEMON_PID"
  local rc=0
  wait "$DAEMON_PID" || rc=$?
  DAEMON_PID=""
  [ "$rc" -eq 0 ] || fail "the daemon exited $rc on SIGTERM"
  grep -q '^STOPPING=1' "$WORK/notify.log" || fail "no STOPPING=1 on SIGTERM"
  [ ! -e "$SOCKET" ] || fail "the control socket was left behind"
  rm -rf /run/centrala # RuntimeDirectory= is removed when the service stops
}

slots_digest() { find "$STORE" -maxdepth 1 -type f -name 'slot*' -print0 | sort -z | xargs -0 sha256sum; }

# ---------------------------------------------------------------------------------------
say "3. start the daemon as its unit does"
start_daemon ready
for _ in $(seq 50); do
  grep -q '^WATCHDOG=1' "$WORK/notify.log" && break
  sleep 0.1
done
grep -q '^WATCHDOG=1' "$WORK/notify.log" || fail "no WATCHDOG=1 within 5 s of READY=1"
[ -S "$SOCKET" ] || fail "no control socket at $SOCKET"
[ "$(stat -c '%U %G %a' "$SOCKET")" = "centrala centrala-admin 660" ] \
  || fail "control socket: $(stat -c '%U %G %a' "$SOCKET") (want centrala centrala-admin 660)"
grep -q 'SIP password generated' "$WORK/daemon.log" || fail "no factory default on a first start"
say "READY=1 and WATCHDOG=1 received; control socket $SOCKET"

# ---------------------------------------------------------------------------------------
say "4. SIP and the console"
sipp -sf tests/sipp/options.xml 127.0.0.1:5060 -i 127.0.0.1 -p 5099 -m 1 -timeout 10s \
  -timeout_error -nostdin -trace_err -error_file "$WORK/sipp.err" >"$WORK/sipp.out" 2>&1 \
  || fail "SIPp OPTIONS was not answered 200: $(tail -n 20 "$WORK/sipp.err" 2>/dev/null)"
say "SIP: OPTIONS answered 200"

ssh-keygen -q -t ed25519 -N "" -C centrala-package-test -f "$WORK/admin_key"
mkdir -p /run/sshd # sshd -t (in centrala-admin-login) wants its privilege separation dir
centrala-admin-login enable "$WORK/admin_key.pub" || fail "centrala-admin-login enable"
centrala-admin-login status | grep -q '^enabled' || fail "centrala-admin-login status: not enabled"
id -nG admin | grep -qw centrala-admin || fail "admin is not in centrala-admin"
ssh-keygen -q -t ed25519 -N "" -f "$WORK/host_key"
SSH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $WORK/host_key
PidFile $WORK/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
PrintLastLog no
AcceptEnv TERM
Include /etc/ssh/sshd_config.d/centrala-admin.conf
EOF
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$WORK/sshd_config" 2>"$WORK/sshd.log" &
SSHD_PID=$!
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $SSH_PORT), 1)" 2>/dev/null && break
  sleep 0.1
done
SSH=(ssh -p "$SSH_PORT" -i "$WORK/admin_key" -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes)
# The login can run nothing but the console: a command asked for is not run.
shell_out=$(timeout 20 "${SSH[@]}" admin@127.0.0.1 id 2>&1 </dev/null || true)
[[ $shell_out != *"uid="* ]] || fail "the admin login ran a shell command: $shell_out"
tmux -S "$WORK/tmux.sock" -f /dev/null new-session -d -s console -x 120 -y 40 \
  "TERM=xterm-256color ${SSH[*]} -tt admin@127.0.0.1"
screen=""
for _ in $(seq 150); do
  screen=$(tmux -S "$WORK/tmux.sock" capture-pane -p -t console 2>/dev/null || true)
  [[ $screen == *"1 Dashboard"* && $screen == *"rev "* ]] && break
  sleep 0.1
done
[[ $screen == *"1 Dashboard"* && $screen == *"rev "* ]] \
  || fail "the console's dashboard did not open over ssh admin@: $screen $(tail -n 5 "$WORK/sshd.log")"
tmux -S "$WORK/tmux.sock" send-keys -t console q
say "console: the dashboard opened over the admin SSH login"

# ---------------------------------------------------------------------------------------
say "5. change the configuration, upgrade, start again"
stop_daemon
as_service "${EXEC_ARGV[@]:0:3}" config export >"$WORK/before.toml" \
  || fail "centrala config export"
grep -q '^name = "Centrala demo office"' "$WORK/before.toml" || fail "unexpected export: $(head "$WORK/before.toml")"
sed 's/^name = "Centrala demo office"/name = "Package test office"/' "$WORK/before.toml" >"$WORK/changed.toml"
chmod 0644 "$WORK/changed.toml"
as_service "${EXEC_ARGV[@]:0:3}" config import "$WORK/changed.toml" \
  || fail "centrala config import"
changed=$(slots_digest)
[ -n "$changed" ] || fail "no slot files in $STORE"

# cargo-deb deletes the first build's .deb from target/debian when it makes another of the
# same package and architecture: it is kept aside and put back.
FIRST_AMD64="$DEBS/centrala_${VERSION}-1_amd64.deb"
cp "$FIRST_AMD64" "$WORK/first_amd64.deb"
cargo deb --no-build --locked --target x86_64-unknown-linux-gnu -p pbx --deb-revision 2 \
  --output "$WORK/" >/dev/null || fail "rebuilding the package with revision 2"
[ -f "$FIRST_AMD64" ] || cp "$WORK/first_amd64.deb" "$FIRST_AMD64"
dpkg -i "$WORK/centrala_${VERSION}-2_amd64.deb" || fail "dpkg -i of the upgrade failed"
[ "$(dpkg-query -W -f='${Version}' centrala)" = "${VERSION}-2" ] || fail "the upgrade is not installed"
[ "$(slots_digest)" = "$changed" ] || fail "the upgrade rewrote a configuration slot"

start_daemon ready
grep -q 'configuration loaded' "$WORK/daemon.log" || fail "the upgraded daemon did not load the stored configuration"
grep -q 'office="Package test office"\|office=Package test office' "$WORK/daemon.log" \
  || fail "the upgraded daemon does not serve the changed configuration: $(grep -m1 serving "$WORK/daemon.log")"
stop_daemon
as_service "${EXEC_ARGV[@]:0:3}" config export | grep -q '^name = "Package test office"' \
  || fail "the change did not survive the upgrade"
[ "$(slots_digest)" = "$changed" ] || fail "starting the upgraded daemon rewrote a configuration slot"
say "the change survived the upgrade; no slot was rewritten"

# A failed start (SIP port taken) leaves the slots as they were.
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5060)); time.sleep(60)' &
BLOCKER_PID=$!
sleep 0.5
start_daemon fail
kill "$BLOCKER_PID"
wait "$BLOCKER_PID" 2>/dev/null || true
BLOCKER_PID=""
grep -qi '5060' "$WORK/daemon.log" || fail "the failed start does not name the port: $(tail -n 3 "$WORK/daemon.log")"
[ "$(slots_digest)" = "$changed" ] || fail "a failed start rewrote a configuration slot"
say "a failed start left the configuration slots intact"

# ---------------------------------------------------------------------------------------
say "6. remove keeps the data, purge removes it"
dpkg -r centrala || fail "dpkg -r"
[ ! -e /usr/bin/centrala ] || fail "dpkg -r left /usr/bin/centrala"
[ "$(slots_digest)" = "$changed" ] || fail "dpkg -r did not keep the configuration slots"
dpkg -P centrala || fail "dpkg -P"
INSTALLED=0
[ ! -e "$STORE" ] || fail "dpkg -P left $STORE"
! getent passwd admin >/dev/null || fail "dpkg -P left the admin login"
[ ! -e /etc/ssh/sshd_config.d/centrala-admin.conf ] || fail "dpkg -P left the sshd drop-in"
say "remove kept $STORE, purge removed it and the admin login"

# ---------------------------------------------------------------------------------------
say "7. the ARM packages' binaries under qemu"
for pair in arm64:qemu-aarch64:aarch64-linux-gnu armhf:qemu-arm:arm-linux-gnueabihf; do
  IFS=: read -r arch qemu sysroot <<<"$pair"
  dir="$WORK/$arch"
  dpkg-deb -x "$DEBS/centrala_${VERSION}-1_${arch}.deb" "$dir"
  run() { "$qemu" -L "/usr/$sysroot" "$@"; }
  out=$(run "$dir/usr/bin/centrala" --version) || fail "$arch: centrala --version"
  [ "$out" = "centrala $VERSION" ] || fail "$arch: centrala --version printed '$out'"
  out=$(run "$dir/usr/bin/centrala-console" --version) || fail "$arch: centrala-console --version"
  [[ $out == *"$VERSION"* ]] || fail "$arch: centrala-console --version printed '$out'"
  run "$dir/usr/bin/centrala" --config-dir "$dir/store" config export >"$dir/default.toml" \
    || fail "$arch: exporting the default configuration"
  grep -q '^name = "Centrala demo office"' "$dir/default.toml" || fail "$arch: not the default configuration"
  run "$dir/usr/bin/centrala" config check "$dir/default.toml" || fail "$arch: config check"
  say "$arch: --version and config check on the default configuration under $qemu"
done
