#!/usr/bin/env bash
# The speed benchmark: bucket-preflight's full check against the same calls made with the aws CLI
# and with boto3, on the S3 emulator behind a loopback proxy that adds a network round trip.
# Usage: scripts/bench.sh [--rtt-ms 50] [--runs 7]
# Installs the emulator (.venv/) and the peers (.venv-bench/), builds the release binary, prints
# a Markdown table. Loopback only; everything it starts stops with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-emulator.sh
venv="$root/.venv-bench"
requirements="$root/scripts/bench-requirements.txt"
if ! { [ -x "$venv/bin/aws" ] && cmp -s "$requirements" "$venv/.installed-requirements"; }; then
  echo "Installing the benchmark's peers (aws CLI, boto3) into $venv ..." >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --requirement "$requirements"
  cp "$requirements" "$venv/.installed-requirements"
fi
cargo build --release --locked --quiet --bin bucket-preflight
exec "$venv/bin/python" scripts/bench/run.py \
  --binary "$root/target/release/bucket-preflight" \
  --moto "$root/.venv/bin/moto_server" \
  --aws "$venv/bin/aws" \
  --bench-python "$venv/bin/python" "$@"
