#!/usr/bin/env bash
# Installs the npm packages of the editor support, exactly as each
# package-lock.json pins them, when they are missing or older than the lock:
#   editors/vscode     the VS Code extension: vscode-languageclient, and for its
#                      tests and packaging @vscode/vsce, vscode-textmate and
#                      vscode-oniguruma
#   tests/lsp-client   vscode-jsonrpc and vscode-languageserver-protocol, the
#                      client the scripted LSP session drives infrac lsp with
# Needs node and npm (scripts/setup-node-tools.sh installs Debian's when the
# machine has none).
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in editors/vscode tests/lsp-client; do
  stamp="$dir/node_modules/.infrac-lock"
  if cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "setup-editor-tools: the npm packages of $dir are installed"
    continue
  fi
  echo "setup-editor-tools: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
done
