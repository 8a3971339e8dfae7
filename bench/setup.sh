#!/usr/bin/env bash
# Creates the bench-only environment (third-party tools under comparison); idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-bench"
stamp="$venv/.installed"
if [[ ! -f "$stamp" || "$here/requirements-bench.txt" -nt "$stamp" ]]; then
    "${PY:-python3}" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -r "$here/requirements-bench.txt"
    touch "$stamp"
fi
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
command -v aria2c >/dev/null || { apt-get update -qq && apt-get install -y -qq aria2 >/dev/null; }
