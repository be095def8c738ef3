#!/usr/bin/env bash
# The audit benchmark: `bucket-preflight audit` over N buckets (default 1000) on the S3 emulator
# behind a loopback proxy that adds a 50 ms round trip, against the emulator's own request
# ceiling measured in the same run. Prints wall time, requests made, peak RSS (at N/10 and at N
# targets) and how close the audit comes to the ceiling, as a Markdown table.
# Usage: scripts/bench-audit.sh [--binary PATH] [--proxy PATH] [--buckets 1000] [--rtt-ms 50]
#                               [--concurrency 32] [--no-pin]
# Without --binary, builds the release binary; without --proxy, the latency proxy
# (examples/latency_proxy.rs). The emulator gets a core of its own, the rest the others
# (--no-pin: not). Loopback only; everything it starts stops with it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-emulator.sh
binary=""
proxy=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --proxy) proxy="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
target_dir=${CARGO_TARGET_DIR:-$root/target}
if [ -z "$binary" ]; then
  cargo build --release --locked --quiet --bin bucket-preflight
  binary="$target_dir/release/bucket-preflight"
fi
if [ -z "$proxy" ]; then
  cargo build --release --locked --quiet --example latency_proxy
  proxy="$target_dir/release/examples/latency_proxy"
fi
exec "$root/.venv/bin/python" scripts/bench/audit.py \
  --binary "$binary" \
  --proxy "$proxy" \
  --moto "$root/.venv/bin/moto_server" \
  --python "$root/.venv/bin/python" "${args[@]+"${args[@]}"}"
