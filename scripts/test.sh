#!/usr/bin/env bash
# Runs every test, emulator tests included, installing what they need first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-emulator.sh
# No test may reach a real metadata service or the developer's own AWS configuration.
export AWS_EC2_METADATA_DISABLED=true
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The crates have no doc tests; leaving that empty pass out keeps the last summary meaningful.
set +e
cargo test --workspace --locked --no-fail-fast --lib --bins --tests "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "%d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
