#!/usr/bin/env bash
# Call benchmark of the Centrala daemon on this machine, with SIPp as phones.
#
#   bench/calls.sh [PART...]        PART: ready, rate, concurrent (default: all three)
#
# ready       (a) time from process start to the `ready` log line with EMPLOYEES employees
#             configured (median of READY_RUNS starts), and the idle RSS after ready (VmRSS).
# rate        (b) the highest call rate (calls/s) with no failed call and a median call setup
#             time (first INVITE to 200 OK, through the 401 challenge) under SETUP_LIMIT_MS:
#             SIPp caller (bench/sipp/uac_auth_pcap.xml: digest auth as device 101, then
#             RATE_PLAYS plays of the G.711 A-law /usr/share/sip-tester/g711a.pcap, 7 s each,
#             or a pause of RATE_CALL_MS when 0) -> Centrala -> SIPp `-sn uas -rtp_echo`, one
#             step per rate in RATES, RATE_SECS seconds of new calls each, DRAIN_SECS apart.
#             The daemon keeps every finished call's INVITE (RFC 6026 Accepted) and BYE
#             server transactions for 64*T1 = 32 s and refuses new requests with 503 beyond
#             10,000 transactions, so a step must last longer than 32 s to show a sustainable
#             rate, and the next starts once the previous step's transactions are gone.
# concurrent  (c) the most simultaneous relayed G.711 calls with under LOSS_LIMIT_PCT RTP loss,
#             stepping through LIMITS (each at most CALLEES): every call plays the pcap for
#             about CALL_SECS; the callee (bench/sipp/uas_sink.xml) points its audio at
#             bench/rtp-sink, which counts each relayed stream by RTP sequence number and
#             echoes it (so the relay carries both directions); RSS per call = (RSS at N
#             calls - RSS of the same daemon before its first call) / N.
#
# Callees: the daemon treats an employee on a call as busy (486 to a direct call), so (b) and
# (c) run against a configuration with CALLEES extra employees (extensions 2000 up, device
# user = extension), every one registered (bench/sipp/register_callee.xml) with a Contact at
# the one SIPp callee; each new call takes the next
# callee in turn. So at most CALLEES calls are up at once (the configuration allows 250
# employees, 3 of them the factory default's).
#
# Every figure is printed at the end; the script exits 1 when a part could not pass its first
# step.
#
# Environment (defaults in brackets): EMPLOYEES [200], READY_RUNS [7], CALLEES [240],
# RATES ["50 100 200 300 400 600 800"], RATE_SECS [40], DRAIN_SECS [35], RATE_PLAYS [0],
# RATE_CALL_MS [300], SETUP_LIMIT_MS [50], LIMITS ["60 120 180 240"], CALL_SECS [30],
# RAMP_RATE [100], LOSS_LIMIT_PCT [0.1]; KEEP=1 keeps the work directory (logs, SIPp traces)
# and prints its path; PERF=1 builds centrala with symbols (target/perf) and records
# `perf record -g` of the daemon during each rate step (flat profile in rate-R.perf.txt in
# the work directory); TRACE=1 adds SIPp's -trace_msg to the caller and callee runs.
#
# Needs: cargo, sipp (Debian's sip-tester: scripts/setup.sh installs it), python3 (only to
# count the packets of the pcap), ports 127.0.0.1:15060-15099 and 30000-39999 free. Only
# addresses on 127.0.0.1 are used; every SIPp run is bounded by call count and -timeout.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

EMPLOYEES=${EMPLOYEES:-200}
READY_RUNS=${READY_RUNS:-7}
CALLEES=${CALLEES:-240}
RATES=${RATES:-"50 100 200 300 400 600 800"}
RATE_SECS=${RATE_SECS:-40}
DRAIN_SECS=${DRAIN_SECS:-35}
RATE_PLAYS=${RATE_PLAYS:-0}
RATE_CALL_MS=${RATE_CALL_MS:-300}
SETUP_LIMIT_MS=${SETUP_LIMIT_MS:-50}
LIMITS=${LIMITS:-"60 120 180 240"}
CALL_SECS=${CALL_SECS:-30}
RAMP_RATE=${RAMP_RATE:-100}
LOSS_LIMIT_PCT=${LOSS_LIMIT_PCT:-0.1}
PARTS=${*:-"ready rate concurrent"}

SIP_PORT=15060      # the daemon
CALLER_PORT=15070   # the caller's SIP port: registered as 101, then calls from it
CALLEE_PORT=15080   # the callee's SIP port: every callee registered from it (Contact there),
                    # then the SIPp uas listens there
CALLER_MEDIA=30000
CALLEE_MEDIA=30100
SINK_PORT=30200
RTP_FIRST=32000     # the daemon's relay ports: 8,000 ports, 4,000 legs
RTP_LAST=39999
CALLER=101
FIRST_CALLEE=2000
PCAP=/usr/share/sip-tester/g711a.pcap

WORK=$(mktemp -d "${TMPDIR:-/tmp}/centrala-calls.XXXXXX")
PIDS=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "${KEEP:-0}" = 1 ]; then
        echo "work directory kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops tracking a process that has ended (so cleanup never signals a reused PID).
forget() {
    local keep=() pid
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    PIDS=("${keep[@]}")
}

say() { echo "== $*" >&2; }
die() { echo "calls.sh: $*" >&2; exit 1; }

command -v sipp >/dev/null || die "sipp not found: install Debian's sip-tester (scripts/setup.sh)"
[ -r "$PCAP" ] || die "$PCAP not found (Debian's sip-tester ships it)"

say "building centrala (release) and bench/rtp-sink"
if [ "${PERF:-0}" = 1 ]; then
    # The release profile strips symbols; for perf, the same build with symbols, kept apart.
    CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
        nice cargo build --release --bin centrala --target-dir target/perf >&2
    CENTRALA=$ROOT/target/perf/release/centrala
else
    nice cargo build --release --bin centrala >&2
    CENTRALA=$ROOT/target/release/centrala
fi
nice cargo build --release --manifest-path bench/rtp-sink/Cargo.toml >&2
SINK=$ROOT/bench/rtp-sink/target/release/rtp-sink
STORE=$WORK/store                 # (a): EMPLOYEES extra employees
CALLS_STORE=$WORK/store-calls     # (b), (c): CALLEES extra employees, all callees

# SIPp wants the pcap under ./pcap of its working directory.
ln -s "$(dirname "$PCAP")" "$WORK/pcap"

# --- configuration -----------------------------------------------------------------------

password() { echo "bench-password-$1"; }

# The exported factory default, with SIP on 127.0.0.1:$SIP_PORT (UDP and TCP), relay ports
# $RTP_FIRST-$RTP_LAST, known passwords, and $EMPLOYEES more employees (extensions 2000 up,
# one device each, like firmware-config's sample offices).
# make_config STORE COUNT
make_config() {
    local store=$1 count=$2
    "$CENTRALA" --config-dir "$store" config export >"$WORK/export.toml" 2>"$WORK/export.log"
    awk -v port="$SIP_PORT" -v first="$RTP_FIRST" -v last="$RTP_LAST" '
        /^\[/ { section = $0 }
        /^address = "0\.0\.0\.0:5060"$/ { print "address = \"127.0.0.1:" port "\""; next }
        section == "[system.rtp_ports]" && /^first = / { print "first = " first; next }
        section == "[system.rtp_ports]" && /^last = / { print "last = " last; next }
        /^username = / { user = $3; gsub(/"/, "", user) }
        /^password = / { print "password = \"bench-password-" user "\""; next }
        { print }
    ' "$WORK/export.toml" >"$WORK/bench.toml"
    grep -q "^address = \"127.0.0.1:$SIP_PORT\"" "$WORK/bench.toml" ||
        die "the exported configuration has no SIP listen address 0.0.0.0:5060 to replace"
    local i ext
    for ((i = 0; i < count; i++)); do
        ext=$((2000 + i))
        printf '\n[[employees]]\nextension = "%s"\nname = "Bench employee %s"\npresence = "available"\n\n[[employees.devices]]\nusername = "%s"\npassword = "%s"\n' \
            "$ext" "$i" "$ext" "$(password "$ext")"
    done >>"$WORK/bench.toml"
    "$CENTRALA" --config-dir "$store" config import "$WORK/bench.toml" >"$WORK/import.log" 2>&1 ||
        { cat "$WORK/import.log" >&2; die "centrala config import failed"; }
}

# --- the daemon --------------------------------------------------------------------------

DAEMON_PID=
DAEMON_LOG=

# start_daemon NAME [STORE]: sets DAEMON_PID, DAEMON_LOG and STARTED_NS (just before exec).
start_daemon() {
    DAEMON_LOG=$WORK/daemon-$1.log
    STARTED_NS=$(date +%s%N)
    RUST_LOG=info NO_COLOR=1 "$CENTRALA" --config-dir "${2:-$STORE}" >/dev/null 2>"$DAEMON_LOG" &
    DAEMON_PID=$!
    PIDS+=("$DAEMON_PID")
    local i
    for ((i = 0; i < 1000; i++)); do
        grep -qs ' ready$' "$DAEMON_LOG" && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$DAEMON_LOG" >&2; die "the daemon exited"; }
        sleep 0.01
    done
    cat "$DAEMON_LOG" >&2
    die "no 'ready' line within 10 s"
}

stop_daemon() {
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    forget "$DAEMON_PID"
}

# Milliseconds from STARTED_NS to the timestamp of the `ready` log line (RFC 3339, UTC).
ready_ms() {
    local stamp ns
    stamp=$(grep -m 1 ' ready$' "$DAEMON_LOG" | cut -d ' ' -f 1)
    ns=$(date -d "$stamp" +%s%N)
    awk -v d=$((ns - STARTED_NS)) 'BEGIN { printf "%.2f", d / 1000000 }'
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- SIPp --------------------------------------------------------------------------------

# TRACE=1: every SIPp run also writes its messages (<scenario>_<pid>_messages.log; big).
TRACE_ARGS=()
[ "${TRACE:-0}" = 1 ] && TRACE_ARGS=(-trace_msg)

# sipp_run NAME ARGS...: one bounded SIPp run in $WORK, traces named after NAME.
sipp_run() {
    local name=$1
    shift
    (cd "$WORK" && sipp "127.0.0.1:$SIP_PORT" -i 127.0.0.1 -mi 127.0.0.1 -nostdin \
        -trace_err -error_file "$WORK/$name.errors.log" "$@" >"$WORK/$name.out" 2>&1)
}

# register USER PORT: REGISTER (digest) from 127.0.0.1:PORT, the Contact pointing there.
register() {
    sipp_run "register-$1" -sf "$ROOT/tests/sipp/register.xml" -s "$1" -au "$1" \
        -ap "$(password "$1")" -p "$2" -m 1 -timeout 10s -timeout_error ||
        { cat "$WORK/register-$1.out" "$WORK/register-$1.errors.log" >&2 2>/dev/null
          die "REGISTER of $1 from port $2 failed"; }
    say "registered $1 from 127.0.0.1:$2"
}

# The caller's injection file (each new call takes the next callee number, cycling) and the
# callees' registration scenario.
make_callee_files() {
    local i
    { echo SEQUENTIAL; for ((i = 0; i < CALLEES; i++)); do echo $((FIRST_CALLEE + i)); done; } >"$WORK/callees.csv"
    sed "s/@CONTACT_PORT@/$CALLEE_PORT/g" "$ROOT/bench/sipp/register_callee.xml" >"$WORK/register-callee.xml"
}

# Registers every callee from CALLEE_PORT with its Contact there, one SIPp run each (about
# 0.1 s a run; see register_callee.xml for why not one run with an injection file). After the
# first 200 the port has a live registration, so the daemon's per-IP rate limit no longer
# counts it.
register_callees() {
    local i ext
    for ((i = 0; i < CALLEES; i++)); do
        ext=$((FIRST_CALLEE + i))
        sipp_run register-callee -sf "$WORK/register-callee.xml" -s "$ext" -au "$ext" \
            -ap "$(password "$ext")" -p "$CALLEE_PORT" -m 1 -timeout 10s -timeout_error ||
            { cat "$WORK/register-callee.out" "$WORK/register-callee.errors.log" >&2 2>/dev/null
              die "REGISTER of callee $ext from port $CALLEE_PORT failed"; }
    done
    say "registered $CALLEES callees ($FIRST_CALLEE-$((FIRST_CALLEE + CALLEES - 1))) from 127.0.0.1:$CALLEE_PORT"
}

# The caller scenario with PLAYS plays of the pcap (7 s each) and a short pause after.
make_caller_scenario() {
    local plays=$1 audio="" i
    for ((i = 0; i < plays; i++)); do
        audio+="  <nop><action><exec play_pcap_audio=\"pcap/g711a.pcap\"/></action></nop>
  <pause milliseconds=\"7100\"/>
"
    done
    [ "$plays" -gt 0 ] || audio="  <pause/>"
    awk -v audio="$audio" -v caller="$CALLER" -v plays="$plays" '
        /^@AUDIO@$/ { print audio; next }
        { gsub(/@CALLER@/, caller); gsub(/@PLAYS@/, plays); print }
    ' "$ROOT/bench/sipp/uac_auth_pcap.xml" >"$WORK/caller-$plays.xml"
    echo "$WORK/caller-$plays.xml"
}

# The value of column NAME in the last line of a SIPp -trace_stat file.
stat_column() {
    awk -F ';' -v name="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) col = i; next }
        { last = $col }
        END { print (col ? last : "?") }
    ' "$1"
}

# "480 Temporarily Unavailable (12 calls)": what ended each failed call, from SIPp's error
# log: the unexpected status ("Aborting call on unexpected message"; the answer to SIPp's
# cleanup BYE is not counted), or no answer at all ("UDP retransmission timeout").
failure_codes() {
    [ -f "$1" ] || return 0
    # SIPp writes a retransmission timeout without a newline, so split before every event.
    tr -d '\r' <"$1" | sed 's/\(20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]\t\)/\n\1/g' |
        sed -n -e "s/.*Aborting call on unexpected message.*received 'SIP\/2.0 \([3-6][0-9][0-9] .*\)\$/\1/p" \
            -e 's/.*Aborting call on UDP retransmission timeout.*/no answer (retransmission timeout)/p' |
        sort | uniq -c |
        awk '{ n = $1; $1 = ""; sub(/^ /, ""); printf "%s%s (%d calls)", sep, $0, n; sep = ", " }'
    return 0
}

# One caller run: RESULT_* variables from its statistics; returns 0 when every call succeeded.
run_calls() {
    local name=$1 scenario=$2 rate=$3 calls=$4 limit=$5 timeout=$6
    local stat rtt
    rm -f "$WORK/$name"_*
    sipp_run "$name" -sf "$scenario" -inf "$WORK/callees.csv" -au "$CALLER" \
        -ap "$(password "$CALLER")" -p "$CALLER_PORT" -mp "$CALLER_MEDIA" -r "$rate" -m "$calls" -l "$limit" \
        -d "$RATE_CALL_MS" -timeout "${timeout}s" -timeout_error -max_recv_loops 10000 \
        -trace_stat -stf "$WORK/$name.stat.csv" -fd 1 -trace_rtt -rtt_freq 1 \
        -trace_logs -log_file "$WORK/$name.logs.log" "${TRACE_ARGS[@]}" || true
    stat=$WORK/$name.stat.csv
    RESULT_OK=$(stat_column "$stat" 'SuccessfulCall(C)' 2>/dev/null || echo '?')
    RESULT_FAILED=$(stat_column "$stat" 'FailedCall(C)' 2>/dev/null || echo '?')
    # -trace_rtt writes <scenario>_<pid>_rtt.csv: Date_ms;response_time_ms;rtd_no
    local found=("$WORK"/caller-*_rtt.csv)
    rtt=${found[0]}
    if [ -f "$rtt" ]; then
        RESULT_SETUP_MS=$(awk -F ';' 'NR > 1 && $2 != "" { print $2 }' "$rtt" | median)
        # Calls set up per second: the 200s over the time from the first to the last.
        RESULT_RATE=$(awk -F ';' 'NR > 1 && $1 != "" { if (n == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1; n++ }
            END { if (n > 1 && hi > lo) printf "%.0f", (n - 1) * 1000 / (hi - lo) }' "$rtt")
        mv "$rtt" "$WORK/$name.rtt.csv"
    else
        RESULT_SETUP_MS="" RESULT_RATE=""
    fi
    RESULT_CODES=$(failure_codes "$WORK/$name.errors.log")
    # Retries after a 401 stale=true to the credentials (a nonce shared with another call of the
    # same millisecond): see bench/sipp/uac_auth_pcap.xml.
    RESULT_STALE=$(grep -c 'stale nonce retry' "$WORK/$name.logs.log" 2>/dev/null || true)
    RESULT_STALE=${RESULT_STALE:-0}
    [ "$RESULT_FAILED" = 0 ] && [ "$RESULT_OK" = "$calls" ]
}

# Starts a SIPp callee on CALLEE_PORT (after registering every callee from there); extra
# args follow.
start_callee() {
    register_callees
    (cd "$WORK" && exec sipp -i 127.0.0.1 -mi 127.0.0.1 -nostdin -p "$CALLEE_PORT" \
        -mp "$CALLEE_MEDIA" -trace_err -error_file "$WORK/callee.errors.log" "${TRACE_ARGS[@]}" \
        -timeout 3600s "$@" >"$WORK/callee.out" 2>&1) &
    CALLEE_PID=$!
    PIDS+=("$CALLEE_PID")
    sleep 0.5
    kill -0 "$CALLEE_PID" 2>/dev/null || { cat "$WORK/callee.out" >&2; die "the SIPp callee exited"; }
}

stop_callee() {
    kill "$CALLEE_PID" 2>/dev/null || true
    wait "$CALLEE_PID" 2>/dev/null || true
    forget "$CALLEE_PID"
}

# --- the parts ---------------------------------------------------------------------------

SUMMARY=()
FAILED=0

# ready_runs NAME STORE: READY_RUNS starts; sets READY_MEDIAN, READY_ALL, RSS_MEDIAN.
ready_runs() {
    local name=$1 store=$2 i times=() rss=()
    for ((i = 1; i <= READY_RUNS; i++)); do
        start_daemon "$name-$i" "$store"
        times+=("$(ready_ms)")
        sleep 1
        rss+=("$(rss_kib "$DAEMON_PID")")
        stop_daemon
        echo "   $name $i: ready after ${times[-1]} ms, idle RSS ${rss[-1]} KiB" >&2
    done
    READY_MEDIAN=$(printf '%s\n' "${times[@]}" | median)
    READY_ALL=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
    RSS_MEDIAN=$(printf '%s\n' "${rss[@]}" | median)
}

part_ready() {
    say "(a) ready time, $READY_RUNS starts each: factory default (reference), then +$EMPLOYEES employees"
    make_config "$WORK/store-reference" 0
    ready_runs reference "$WORK/store-reference"
    local ref=$READY_MEDIAN ref_rss=$RSS_MEDIAN
    ready_runs bench "$STORE"
    SUMMARY+=("(a) ready after start, $((EMPLOYEES + 3)) employees: median $READY_MEDIAN ms (runs: ${READY_ALL}ms)")
    SUMMARY+=("(a) reference, factory default (3 employees): median $ref ms; ratio $(awk -v a="$READY_MEDIAN" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')")
    SUMMARY+=("(a) idle RSS after ready: median $RSS_MEDIAN KiB ($((EMPLOYEES + 3)) employees), $ref_rss KiB (factory default)")
}

part_rate() {
    say "(b) highest call rate with no failed call and median setup < $SETUP_LIMIT_MS ms"
    start_daemon rate "$CALLS_STORE"
    register "$CALLER" "$CALLER_PORT"
    start_callee -sn uas -rtp_echo
    local scenario rate calls best=none perf_pid ok
    scenario=$(make_caller_scenario "$RATE_PLAYS")
    local call_secs=$((RATE_PLAYS * 8 + RATE_CALL_MS / 1000 + 1))
    local first=1
    for rate in $RATES; do
        calls=$((rate * RATE_SECS))
        [ "$first" = 1 ] || sleep "$DRAIN_SECS"
        first=0
        perf_pid=
        if [ "${PERF:-0}" = 1 ]; then
            perf record -g -o "$WORK/rate-$rate.perf.data" -p "$DAEMON_PID" >/dev/null 2>&1 &
            perf_pid=$!
            PIDS+=("$perf_pid")
        fi
        # SIPp holds back new calls while CALLEES calls are up (each callee takes one call),
        # so a rate that needs more callees than there are shows as an achieved rate below it.
        if run_calls "rate-$rate" "$scenario" "$rate" "$calls" "$CALLEES" \
            $((RATE_SECS + call_secs + 60)); then
            ok=1
        else
            ok=0
        fi
        if [ -n "$perf_pid" ]; then
            kill -INT "$perf_pid" 2>/dev/null || true
            wait "$perf_pid" 2>/dev/null || true
            forget "$perf_pid"
            perf report --stdio --no-children --sort dso,symbol -g none \
                -i "$WORK/rate-$rate.perf.data" >"$WORK/rate-$rate.perf.txt" 2>/dev/null || true
        fi
        if [ "$ok" = 1 ]; then
            echo "   $rate calls/s: $RESULT_OK calls, achieved ${RESULT_RATE:-?} calls/s, median setup ${RESULT_SETUP_MS:-?} ms, $RESULT_STALE retries after 401 stale=true" >&2
            if ! awk -v a="${RESULT_RATE:-0}" -v r="$rate" 'BEGIN { exit !(a >= 0.95 * r) }'; then
                echo "   achieved rate under 95 % of $rate calls/s (SIPp held calls back at $CALLEES up at once, or could not keep up): stop" >&2
                break
            fi
            if [ -n "$RESULT_SETUP_MS" ] && awk -v s="$RESULT_SETUP_MS" -v l="$SETUP_LIMIT_MS" 'BEGIN { exit !(s < l) }'; then
                best=$rate
                continue
            fi
            echo "   median setup over $SETUP_LIMIT_MS ms: stop" >&2
            break
        fi
        echo "   $rate calls/s: calls failed: ${RESULT_CODES:-see $WORK/rate-$rate.errors.log} ($RESULT_FAILED failed, $RESULT_OK succeeded of $calls; $RESULT_STALE retries after 401 stale=true)" >&2
        [ "$best" = none ] && { FAILED=1; SUMMARY+=("(b) calls failed: ${RESULT_CODES:-unknown} ($RESULT_FAILED of $calls at $rate calls/s)"); }
        break
    done
    [ "$best" = none ] || SUMMARY+=("(b) highest call rate with no failed call and median setup < $SETUP_LIMIT_MS ms (first INVITE to 200, through the 401 challenge): $best calls/s ($CALLEES callees, calls of about $RATE_CALL_MS ms)")
    stop_callee
    stop_daemon
}

# Packets of the pcap (one call's audio in one direction).
pcap_packets() {
    python3 - "$PCAP" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
order = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
offset, count = 24, 0
while offset + 16 <= len(data):
    length = struct.unpack(order + "I", data[offset + 8:offset + 12])[0]
    offset += 16 + length
    count += 1
print(count)
EOF
}

# Kernel drops on the sink's socket (the last column of /proc/net/udp).
sink_drops() {
    local hex
    hex=$(printf '%04X' "$SINK_PORT")
    awk -v p=":$hex" '$2 ~ p"$" { print $NF }' /proc/net/udp | head -n 1
}

part_concurrent() {
    say "(c) most concurrent relayed calls with RTP loss < $LOSS_LIMIT_PCT %"
    start_daemon concurrent "$CALLS_STORE"
    register "$CALLER" "$CALLER_PORT"
    sed "s/@SINK_PORT@/$SINK_PORT/g" "$ROOT/bench/sipp/uas_sink.xml" >"$WORK/callee.xml"
    start_callee -sf "$WORK/callee.xml"
    local per_call n plays ramp calls_secs best=none rss_at loss scenario base_rss drops
    sleep 1
    base_rss=$(rss_kib "$DAEMON_PID")
    say "RSS before the first call: $base_rss KiB ($((CALLEES + 3)) employees, $((CALLEES + 1)) registered)"
    per_call=$(pcap_packets)
    for n in $LIMITS; do
        if [ "$n" -gt "$CALLEES" ]; then
            echo "   $n calls: more than the $CALLEES callees (one call each): skipped" >&2
            continue
        fi
        ramp=$(( (n + RAMP_RATE - 1) / RAMP_RATE ))
        calls_secs=$((ramp + CALL_SECS))
        plays=$(( (calls_secs + 6) / 7 ))
        scenario=$(make_caller_scenario "$plays")
        "$SINK" "127.0.0.1:$SINK_PORT" "$WORK/sink-$n.report" --echo &
        local sink_pid=$!
        PIDS+=("$sink_pid")
        (sleep $((ramp + 5)) && rss_kib "$DAEMON_PID" >"$WORK/rss-$n") &
        local sampler=$!
        PIDS+=("$sampler")
        run_calls "concurrent-$n" "$scenario" "$RAMP_RATE" "$n" "$n" $((calls_secs * 2 + 60)) && ok=1 || ok=0
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        forget "$sampler"
        sleep 2
        drops=$(sink_drops || echo '?')
        kill "$sink_pid" 2>/dev/null || true
        wait "$sink_pid" 2>/dev/null || true
        forget "$sink_pid"
        if [ "$ok" = 0 ]; then
            echo "   $n calls: calls failed: ${RESULT_CODES:-see $WORK/concurrent-$n.errors.log} ($RESULT_FAILED failed, $RESULT_OK succeeded of $n)" >&2
            [ "$best" = none ] && { FAILED=1; SUMMARY+=("(c) calls failed: ${RESULT_CODES:-unknown} ($RESULT_FAILED of $n calls)"); }
            break
        fi
        # Loss: the larger of the sequence-number gaps the sink saw and the shortfall against
        # what the callers sent (calls x plays x packets of the pcap).
        local report packets gaps sent field
        report=$(cat "$WORK/sink-$n.report")
        packets=0 gaps=0
        for field in $report; do
            case $field in
                packets=*) packets=${field#packets=} ;;
                lost=*) gaps=${field#lost=} ;;
            esac
        done
        sent=$((n * plays * per_call))
        loss=$(awk -v s="$sent" -v p="$packets" -v g="$gaps" 'BEGIN {
            short = (s - p) / s * 100; gap = g / s * 100; printf "%.3f", (short > gap ? short : gap) }')
        rss_at=$(cat "$WORK/rss-$n")
        echo "   $n calls: sink $report; sent $sent; loss $loss %; sink socket drops $drops; RSS $rss_at KiB" >&2
        if awk -v l="$loss" -v m="$LOSS_LIMIT_PCT" 'BEGIN { exit !(l < m) }'; then
            best=$n
            SUMMARY+=("(c) $n concurrent calls: RTP loss $loss %, RSS $rss_at KiB, RSS per call $(awk -v a="$rss_at" -v b="$base_rss" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }') KiB (before the first call: $base_rss KiB)")
        else
            break
        fi
    done
    [ "$best" = none ] || SUMMARY+=("(c) most concurrent relayed G.711 calls with RTP loss < $LOSS_LIMIT_PCT %: $best")
    stop_callee
    stop_daemon
}

case " $PARTS " in *" ready "*) make_config "$STORE" "$EMPLOYEES" ;; esac
case " $PARTS " in *" rate "* | *" concurrent "*)
    [ "$CALLEES" -le 247 ] || die "CALLEES=$CALLEES: the configuration allows 250 employees, 3 of them the factory default's"
    make_config "$CALLS_STORE" "$CALLEES"
    make_callee_files ;;
esac
for part in $PARTS; do
    case $part in
        ready) part_ready ;;
        rate) part_rate ;;
        concurrent) part_concurrent ;;
        *) die "unknown part $part (ready, rate, concurrent)" ;;
    esac
done

echo
echo "Centrala call benchmark ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)):"
for line in "${SUMMARY[@]}"; do
    echo "  $line"
done
exit "$FAILED"
