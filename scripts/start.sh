#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the PBX on its embedded default
# configuration. The configuration is stored in ./.centrala-data unless CENTRALA_CONFIG_DIR
# says otherwise; the first start creates the demo office and logs its SIP passwords once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CENTRALA_CONFIG_DIR="${CENTRALA_CONFIG_DIR:-$PWD/.centrala-data}"
exec cargo run --release --bin centrala -- "$@"
