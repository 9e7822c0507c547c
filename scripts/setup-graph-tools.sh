#!/usr/bin/env bash
# Installs the npm packages the graph tests use (tests/graph-tools: the real
# Mermaid parser, run under jsdom) exactly as package-lock.json pins them, when
# they are missing or older than the lock file. Needs node and npm
# (scripts/setup.sh installs Debian's when the machine has none).
set -euo pipefail
cd "$(dirname "$0")/../tests/graph-tools"
installed=node_modules/.package-lock.json
if [[ -f $installed && -f node_modules/mermaid/package.json && -f node_modules/jsdom/package.json &&
      ! package-lock.json -nt $installed ]]; then
  echo "setup-graph-tools: the npm packages are installed"
  exit 0
fi
echo "setup-graph-tools: npm ci in tests/graph-tools"
npm ci --no-audit --no-fund --loglevel=error
