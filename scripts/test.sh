#!/usr/bin/env bash
# Runs every test, emulator tests included, installing what they need first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-emulator.sh
# No test may reach a real metadata service or the developer's own AWS configuration.
export AWS_EC2_METADATA_DISABLED=true
cargo test --workspace --locked "$@"
