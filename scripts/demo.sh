#!/usr/bin/env bash
# First README command: install what is missing, build, and check the bundled
# web shop example (then show its resolved model).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh default
echo
echo "\$ infrac check examples/webshop.infra"
build/compiler/infrac check examples/webshop.infra
echo "(no diagnostics: the design is valid)"
echo
echo "\$ infrac check examples/*.infra --emit=model | head -40"
build/compiler/infrac check examples/*.infra --emit=model | head -40
