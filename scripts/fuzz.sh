#!/usr/bin/env bash
# Fuzzes infrac with libFuzzer (clang-14) for a bounded time.
#
#   bash scripts/fuzz.sh [SECONDS] [frontend|backend]     default 600 frontend
#
# frontend: one .infra buffer through the lexer, parser, sema and rules.
# backend: a small project (main.infra, then '#--- NAME' sections as files it
# may import) through the loader and, when the front end accepts it, the
# template, the diagram and the simulator (tests/fuzz/BackEndFuzzer.cpp).
# Each target's corpus lives in build-fuzz/corpus-TARGET (kept between runs)
# and is seeded with every .infra file of examples/ and tests/. Findings
# (crash-*, timeout-*, oom-*) land in build-fuzz/findings; the script exits 1
# if there is one.
# -entropic=0: with entropic scheduling libFuzzer spent 70% of its time in its
# own feature bookkeeping (perf), 147 execs/s against 378 without.
# Replay one with: build-fuzz/tests/fuzz/infrac_fuzz_TARGET FILE
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
target="${2:-frontend}"
case "$target" in frontend|backend) ;; *) echo "fuzz: unknown target '$target'" >&2; exit 2;; esac
INFRAC_SETUP_FUZZ=1 bash scripts/setup.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2 --target "infrac_fuzz_$target"

corpus=build-fuzz/corpus-$target
findings=build-fuzz/findings
mkdir -p "$corpus" "$findings"
find examples tests -name '*.infra' -size -64k -exec cp -f {} "$corpus/" \;

# The front end's old corpus directory, from before there were two targets.
if [ "$target" = frontend ] && [ -d build-fuzz/corpus ]; then
  cp -n build-fuzz/corpus/* "$corpus/" 2>/dev/null || true
fi

log=build-fuzz/fuzz-$target.log
status=0
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
build-fuzz/tests/fuzz/"infrac_fuzz_$target" "$corpus" \
  -dict=tests/fuzz/infra.dict \
  -max_total_time="$seconds" -max_len=16384 -entropic=0 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$findings/" 2>&1 | tee "$log" | grep -E '^#[0-9]+.*(pulse|DONE)|^(==|SUMMARY|stat::)' || status=$?
if ls "$findings"/* >/dev/null 2>&1; then
  echo "fuzz: findings in $findings:" >&2
  ls "$findings" >&2
  exit 1
fi
grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$log" || true
echo "fuzz: no finding in ${seconds}s; corpus $(ls "$corpus" | wc -l) inputs"
