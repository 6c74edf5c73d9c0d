#!/usr/bin/env bash
# Console benchmark: how long `centrala-console` takes from start to its first full screen
# over the local control socket, with the daemon running the factory-default office.
#
#   bench/console.sh
#
# Each run starts the console in a fresh 80x24 tmux session and polls the screen (every 5 ms)
# until the dashboard shows the revision (the console has connected, said hello, read the
# configuration and the status, and drawn). Prints every run and the median, in ms. The
# dashboard's redraw cost with 100 calls and 50 waiting callers is measured separately by
# `cargo test --release -p tui redraw_cost -- --ignored --nocapture`.
#
# Environment: RUNS [11]; PROFILE [release] (the binaries of target/PROFILE, built first).
# Needs: cargo, tmux, python3.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-11}
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then
    cargo build --release -q -p pbx -p tui --bins
else
    cargo build -q -p pbx -p tui --bins
fi
BIN="target/$PROFILE"
WORK=$(mktemp -d)
TMUX_SOCKET="$WORK/tmux.sock"
cleanup() {
    tmux -S "$TMUX_SOCKET" kill-server 2>/dev/null || true
    [ -n "${DAEMON:-}" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The factory-default office, listening on a free loopback port, socket and data in $WORK.
store="$WORK/store"
"$BIN/centrala" --config-dir "$store" config export >"$WORK/export.toml" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$WORK" "$port" <<'EOF'
import re, sys
work, port = sys.argv[1], sys.argv[2]
text = open(f"{work}/export.toml").read()
text = re.sub(r'address = "[^"]*"', f'address = "127.0.0.1:{port}"', text)
text = re.sub(r'control_socket = "[^"]*"', f'control_socket = "{work}/control.sock"', text)
text = re.sub(r'data_dir = "[^"]*"', f'data_dir = "{work}/data"', text)
open(f"{work}/bench.toml", "w").write(text)
EOF
"$BIN/centrala" --config-dir "$store" config import "$WORK/bench.toml" >/dev/null 2>&1
RUST_LOG=warn "$BIN/centrala" --config-dir "$store" 2>"$WORK/daemon.log" &
DAEMON=$!
for _ in $(seq 200); do [ -S "$WORK/control.sock" ] && break; sleep 0.05; done
[ -S "$WORK/control.sock" ] || { cat "$WORK/daemon.log" >&2; echo "the daemon did not open its socket" >&2; exit 1; }

times=()
for run in $(seq "$RUNS"); do
    start=$(date +%s%N)
    tmux -S "$TMUX_SOCKET" -f /dev/null new-session -d -s "c$run" -x 80 -y 24 \
        "$BIN/centrala-console --socket $WORK/control.sock"
    until tmux -S "$TMUX_SOCKET" capture-pane -p -t "c$run" 2>/dev/null | grep -q 'rev [0-9]'; do
        sleep 0.005
    done
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    times+=("$ms")
    echo "run $run: ${ms} ms"
    tmux -S "$TMUX_SOCKET" kill-session -t "c$run"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "console start to first full screen ($PROFILE, $RUNS runs): median ${median} ms"
