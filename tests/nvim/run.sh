#!/usr/bin/env bash
# tests/nvim/run.sh INFRAC_BINARY: a headless Neovim reads infrac lsp's
# diagnostics of a file with an error (attach.lua). Leaves no process behind:
# Neovim stops its language server when it quits, and the whole run is bounded.
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
printf 'vpc main { cidr = "10.0.0.0/16" }\nsubnet a { vpc = mian; cidr = "10.0.1.0/24"; zone = "z" }\n' \
  > "$dir/main.infra"
export INFRAC_BIN="$bin" INFRA_FILE="$dir/main.infra" HOME="$dir" XDG_STATE_HOME="$dir" XDG_DATA_HOME="$dir"
timeout -k 5 60 nvim --headless -u NONE -i NONE -n -c "luafile $here/attach.lua" > "$dir/out" 2>&1 || {
  status=$?
  cat "$dir/out"
  exit "$status"
}
cat "$dir/out"
grep -q '^PASS: ' "$dir/out"
