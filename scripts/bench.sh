#!/usr/bin/env bash
# The speed benchmark: bucket-preflight's full check against the same calls made with the aws CLI
# and with boto3, on the S3 emulator behind a loopback proxy that adds a network round trip.
# Usage: scripts/bench.sh [--rtt-ms 50] [--runs 7]
# Installs the emulator (.venv/) and the peers (.venv-bench/), builds the release binary and the
# latency proxy (examples/latency_proxy.rs), prints a Markdown table. Loopback only; everything
# it starts stops with it.
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
cargo build --release --locked --quiet --bin bucket-preflight --example latency_proxy
target_dir=${CARGO_TARGET_DIR:-$root/target}
exec "$venv/bin/python" scripts/bench/run.py \
  --binary "$target_dir/release/bucket-preflight" \
  --proxy "$target_dir/release/examples/latency_proxy" \
  --moto "$root/.venv/bin/moto_server" \
  --aws "$venv/bin/aws" \
  --bench-python "$venv/bin/python" "$@"
