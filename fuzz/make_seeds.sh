#!/bin/sh
# Regenerates the committed seed corpora in fuzz/seeds/<target>/ from the current schema.
# Run after a schema change; the outputs are deterministic.
set -eu
cd "$(dirname "$0")"
rm -rf seeds
cargo run --quiet --example make_seeds -- seeds
find seeds -type f | sort | xargs ls -l
