#!/usr/bin/env bash
# Installs the S3 emulator (moto, pinned in emulator-requirements.txt) into .venv/ at the
# repository root. Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
requirements="$root/scripts/emulator-requirements.txt"
stamp="$venv/.installed-requirements"

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found; the S3 emulator (moto) needs Python 3.9 or newer with venv and pip." >&2
  exit 1
fi

if [ -x "$venv/bin/moto_server" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  exit 0
fi

echo "Installing the S3 emulator (moto) into $venv ..." >&2
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --requirement "$requirements"
cp "$requirements" "$stamp"
"$venv/bin/python" -c 'import moto; print("moto", moto.__version__, "ready")' >&2
