#!/usr/bin/env bash
# Installs ffn's dependencies (idempotent) and builds the project in build/.
# Usage: scripts/setup.sh [extra cmake arguments]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DPython3_EXECUTABLE="$(command -v python3)" "$@" >/dev/null
cmake --build build
