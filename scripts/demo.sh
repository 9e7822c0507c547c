#!/usr/bin/env bash
# First README command: install what is missing, build, and run the main job on
# the bundled web shop example: check it, simulate its Black Friday scenario,
# compile it to CloudFormation and draw it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh default
infrac=build/compiler/infrac
out=build/demo
mkdir -p "$out"

echo
echo "\$ infrac check examples/webshop.infra"
$infrac check examples/webshop.infra
echo "(no diagnostics: the design passes the front end and all $($infrac rules | tail -1 | cut -d' ' -f1) rules)"
echo
echo "\$ infrac sim examples/webshop.infra --scenario black_friday"
$infrac sim examples/webshop.infra --scenario black_friday
echo
echo "\$ infrac build examples/webshop.infra -o $out"
$infrac build examples/webshop.infra -o "$out"
ls -l "$out"/*.template.json
echo
echo "\$ infrac graph examples/webshop.infra --format=mermaid -o $out/webshop.mmd"
$infrac graph examples/webshop.infra --format=mermaid -o "$out/webshop.mmd"
head -12 "$out/webshop.mmd"
echo "..."
