#!/usr/bin/env bash
# The README's first command: builds bucket-preflight and shows it checking example buckets —
# a healthy one and the classic misconfigurations — on a local S3 emulator. No AWS account needed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-emulator.sh
cargo build --locked --quiet --bin bucket-preflight --example demo
exec target/debug/examples/demo
