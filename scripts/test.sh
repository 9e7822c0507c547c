#!/usr/bin/env bash
# Second README command (and CI): install what is missing, build, and pass every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh default
bash scripts/setup-node-tools.sh
bash scripts/setup-graph-tools.sh
bash scripts/setup-editor-tools.sh  # editors/vscode and tests/lsp-client (npm)
bash scripts/setup-cfn-tools.sh   # node, @aws-cdk/cfnspec, cfn-lint for tests/BuildTest.cpp
ctest --preset default -j2 --output-on-failure
