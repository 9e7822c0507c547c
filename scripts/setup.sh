#!/usr/bin/env bash
# Installs what infrac needs from Debian packages, only what is missing.
# Safe to run repeatedly; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  antlr4 libantlr4-runtime-dev default-jre-headless   # ANTLR tool 4.7.2 + C++ runtime 4.9
  llvm-14-dev zlib1g-dev libtinfo-dev libz3-dev        # LLVM Support
  libfmt-dev
  googletest libgtest-dev
  graphviz                                             # infrac graph --format=svg|png, its tests
  fonts-liberation                                     # the diagrams' font (Helvetica's metrics): docs/webshop.svg is byte-exact
  libmimalloc-dev                                      # the allocator infrac links (optional)
  libboost-dev libssl-dev                              # runtime/Live: Asio, Beast, TLS
  zookeeper libzookeeper-mt-dev python3-kazoo          # ZooKeeper: the real ensemble, the C client, kazoo (tests/zk)
  zsh                                                  # the zsh completion test
  neovim                                               # the headless Neovim LSP client test
  redis-server redis-tools python3-redis               # the session store's suite and benchmark
  python3 curl                                         # the live tests (python3, curl -k)
  chromium                                             # the browser tests of the reports (tests/browser)
)
# The proxy benchmark (bench/ProxyBench.cpp) measures beside HAProxy with wrk.
if [[ "${INFRAC_SETUP_BENCH:-0}" == 1 ]]; then
  packages+=(haproxy wrk)
fi
# The fuzzer and the sanitizer preset use clang's runtime.
if [[ "${INFRAC_SETUP_FUZZ:-0}" == 1 ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

# The graph tests run the real Mermaid parser under Node.js (npm packages in
# tests/graph-tools, scripts/setup-graph-tools.sh). A machine may already have
# a Node.js with its own npm: Debian's are added only when npm is missing.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all build dependencies are installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) != 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Installing redis-server or zookeeper must not start a daemon: the tests start
# their own on loopback and stop them. policy-rc.d says no to every service
# start while this script installs (only if the machine has none of its own).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
