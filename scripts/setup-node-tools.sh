#!/usr/bin/env bash
# Installs the npm packages the tests run (from the npm registry, pinned by each
# package-lock.json), and Node.js itself from Debian when it is missing.
#   tests/sarif-tools: the SARIF 2.1.0 schema and a validator (ajv)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: installing nodejs npm"
  SUDO=""
  [[ $(id -u) != 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

for dir in tests/sarif-tools; do
  # npm ci only when the installed tree is not from the current lock file.
  stamp="$dir/node_modules/.infrac-lock"
  if ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
done
