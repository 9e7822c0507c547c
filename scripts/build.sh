#!/usr/bin/env bash
# Configures and builds infrac into build/ (RelWithDebInfo) with two jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-report-tools.sh  # uPlot, which the build embeds in every report
preset="${1:-default}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j2
