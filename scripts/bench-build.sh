#!/usr/bin/env bash
# The build benchmark (docs/benchmarks.md): Release binaries, AWS CDK from npm
# (aws-cdk-lib as pinned by bench/cdk/package-lock.json), then the table.
#   bash scripts/bench-build.sh [infrac-bench-build options, e.g. --sizes=100,500]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
command -v npm >/dev/null || { echo "bench-build: npm is missing (apt-get install nodejs npm)"; exit 2; }
if ! (cd bench/cdk && npm ls --silent >/dev/null 2>&1); then
  echo "bench-build: installing aws-cdk-lib (npm ci in bench/cdk)"
  (cd bench/cdk && npm ci --no-audit --no-fund --loglevel=error)
fi
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target infrac infrac-bench-build
exec build-release/bench/infrac-bench-build "$@"
