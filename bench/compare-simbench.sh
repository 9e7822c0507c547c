#!/usr/bin/env bash
# Two builds of infrac-simbench side by side, alternated so that both see the
# same machine: `bash bench/compare-simbench.sh OLD NEW [ROUNDS]`. Prints each
# run's table; compare the best of each.
set -euo pipefail
old="$1" new="$2" rounds="${3:-3}"
for ((r = 1; r <= rounds; ++r)); do
  for bin in "$old" "$new"; do
    echo "== round $r: $bin"
    "$bin" --repeat=3
  done
done
