#!/bin/sh
# Runs each fuzz target for SECONDS (default 60), starting from the committed seeds, and
# prints per target the executions and whether libFuzzer left a crash artifact.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      (targets default to all of them)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The growing corpus
# is kept in fuzz/corpus/<target>/ and artifacts in fuzz/artifacts/<target>/ (both
# gitignored); logs go to fuzz/target/logs/<target>.log. A target with a dictionary in
# fuzz/dicts/<target>.dict gets it. Fuzzing runs under `nice` (shared machines). Exits 1 if
# any target crashed.
set -u
cd "$(dirname "$0")"
FUZZ_DIR=$(pwd)
SECONDS_PER_TARGET=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-"slot_decode postcard_body toml_import sip_endpoint sip_calls sdp_parse rtp_relay control_request contacts_import"}

# slot_decode writes its store into $TMPDIR: use memory (/dev/shm) when there is some, or
# target/tmp, and clear it afterwards.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    TMPDIR="/dev/shm/centrala-fuzz-$$"
else
    TMPDIR="$FUZZ_DIR/target/tmp"
fi
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
trap 'exit 130' INT TERM
mkdir -p "$TMPDIR" "$FUZZ_DIR/target/logs"

# Build first, so the build does not eat into the fuzzing time.
for target in $TARGETS; do
    cargo +nightly fuzz build "$target" || exit 2
done

count_artifacts() {
    find "$FUZZ_DIR/artifacts/$1" -type f 2>/dev/null | wc -l
}

failed=0
summary=""
for target in $TARGETS; do
    corpus="$FUZZ_DIR/corpus/$target"
    log="$FUZZ_DIR/target/logs/$target.log"
    mkdir -p "$corpus"
    cp "$FUZZ_DIR/seeds/$target"/* "$corpus"/
    before=$(count_artifacts "$target")
    stamp="$TMPDIR/$target.start"
    touch "$stamp"
    dict=""
    [ -f "$FUZZ_DIR/dicts/$target.dict" ] && dict="-dict=$FUZZ_DIR/dicts/$target.dict"
    echo "== $target: ${SECONDS_PER_TARGET}s, log in $log"
    # shellcheck disable=SC2086 # $dict is empty or one word
    nice cargo +nightly fuzz run "$target" "$corpus" -- $dict \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -print_final_stats=1 >"$log" 2>&1
    status=$?
    after=$(count_artifacts "$target")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    units=$(find "$corpus" -type f | wc -l)
    if [ "$after" -gt "$before" ] || [ "$status" -ne 0 ]; then
        failed=1
        new=$(find "$FUZZ_DIR/artifacts/$target" -type f -newer "$stamp" 2>/dev/null | tr '\n' ' ')
        result="CRASH (exit $status) ${new:-see log}"
        grep -m 5 -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | sed 's/^/    /'
    else
        result="no crash"
    fi
    line=$(printf '%-14s %12s executions  %6s corpus units  %s' \
        "$target" "${execs:-?}" "$units" "$result")
    echo "$line"
    summary="$summary$line
"
done
echo
echo "summary, ${SECONDS_PER_TARGET}s per target:"
printf '%s' "$summary"
exit $failed
