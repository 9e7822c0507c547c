#!/usr/bin/env bash
# Configures and builds infrac into build/ (RelWithDebInfo) with two jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
preset="${1:-default}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j2
