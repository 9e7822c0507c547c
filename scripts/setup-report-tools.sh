#!/usr/bin/env bash
# Installs the npm packages of `infrac sim --report` and its browser tests,
# exactly as each package-lock.json pins them, when they are missing or older
# than their lock file:
#   runtime/Report: uPlot, the charting library every report inlines (the
#                   build embeds it, so scripts/build.sh runs this first);
#   tests/browser:  puppeteer-core, which drives Debian's chromium
#                   (scripts/setup.sh) through the reports (--browser).
# Needs node and npm (scripts/setup.sh installs Debian's when the machine has
# none).
set -euo pipefail
cd "$(dirname "$0")/.."
dirs=(runtime/Report)
if [[ "${1:-}" == --browser ]]; then
  dirs+=(tests/browser)
fi
for dir in "${dirs[@]}"; do
  stamp="$dir/node_modules/.infrac-lock"
  if cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "setup-report-tools: the npm packages of $dir are installed"
    continue
  fi
  echo "setup-report-tools: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
done
