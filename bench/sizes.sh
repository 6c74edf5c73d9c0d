#!/bin/sh
# Builds the appliance binaries (centrala, centrala-console) with the release profile for
# the two ARM targets and x86_64, and prints their stripped sizes.
#
#   bench/sizes.sh [TARGET...]
#
# The release profile already strips symbols (strip = true); each binary is stripped once
# more (a copy, with the target's binutils) so the figure is the stripped size whatever the
# profile says. Cross linkers come from .cargo/config.toml (README "ARM builds").
set -eu
cd "$(dirname "$0")/.."

TARGETS=${*:-"aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf x86_64-unknown-linux-gnu"}
BINS="centrala centrala-console"

strip_tool() {
    case $1 in
        aarch64-unknown-linux-gnu) tool=aarch64-linux-gnu-strip ;;
        armv7-unknown-linux-gnueabihf) tool=arm-linux-gnueabihf-strip ;;
        *) tool=strip ;;
    esac
    command -v "$tool" >/dev/null 2>&1 || tool=llvm-strip
    echo "$tool"
}

for target in $TARGETS; do
    echo "== building for $target" >&2
    cargo build --release --target "$target" --bin centrala --bin centrala-console >&2
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-32s %-18s %12s %10s %14s\n' target binary "bytes" "KiB" "(as built)"
for target in $TARGETS; do
    tool=$(strip_tool "$target")
    for bin in $BINS; do
        built="target/$target/release/$bin"
        cp "$built" "$out/$bin"
        "$tool" --strip-all "$out/$bin"
        bytes=$(wc -c <"$out/$bin")
        as_built=$(wc -c <"$built")
        kib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')
        printf '%-32s %-18s %12d %10s %14d\n' "$target" "$bin" "$bytes" "$kib" "$as_built"
    done
done
