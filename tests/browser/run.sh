#!/usr/bin/env bash
# The report of every example scenario in a real browser (ctest
# browser.reports): each examples/*.infra scenario is simulated with
# --report and --trace into OUTDIR, then check-reports.mjs opens every page
# in Debian's chromium (scripts/setup.sh) through puppeteer-core
# (scripts/setup-report-tools.sh --browser) and leaves OUTDIR/*.png.
#
#   tests/browser/run.sh INFRAC OUTDIR
#   tests/browser/run.sh --dashboard INFRAC OUTDIR   (check-dashboard.mjs on the web shop)
set -euo pipefail
dashboard=0
if [[ ${1:-} == --dashboard ]]; then
  dashboard=1
  shift
fi
infrac=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
chromium=/usr/lib/chromium/chromium # The browser itself, not Debian's wrapper script.
if [[ ! -x $chromium ]]; then
  echo "tests/browser: no $chromium; install Debian's chromium (bash scripts/setup.sh)"
  exit 1
fi
if [[ ! -f $here/node_modules/puppeteer-core/package.json ]]; then
  echo "tests/browser: puppeteer-core is missing; run bash scripts/setup-report-tools.sh --browser"
  exit 1
fi
rm -rf "$out"
mkdir -p "$out"
if ((dashboard)); then
  exec node "$here/check-dashboard.mjs" "$chromium" "$infrac" "$root/examples/webshop.infra" "$out"
fi
pages=()
for design in "$root"/examples/*.infra; do
  name=$(basename "$design" .infra)
  scenarios=$("$infrac" sim "$design" --list)
  for scenario in $scenarios; do
    page="$out/$name.$scenario.html"
    status=0
    "$infrac" sim "$design" --scenario "$scenario" --report "$page" \
      --trace "${page%.html}.jsonl" >"${page%.html}.txt" || status=$?
    if ((status > 1)); then # 1 is a failed expectation: still a report.
      echo "tests/browser: infrac sim $design --scenario $scenario exited $status"
      exit 1
    fi
    pages+=("$page")
  done
done
exec node "$here/check-reports.mjs" "$chromium" "$out" "${pages[@]}"
