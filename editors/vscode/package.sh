#!/usr/bin/env bash
# editors/vscode/package.sh [OUT.vsix]: packages the extension with the pinned
# @vscode/vsce (scripts/setup-editor-tools.sh installs it) and checks that the
# package holds the manifest, the grammar, the client and its dependency.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-infrac.vsix}"
if [[ ! -x node_modules/.bin/vsce ]]; then
  echo "package.sh: @vscode/vsce is not installed: run scripts/setup-editor-tools.sh" >&2
  exit 1
fi
node_modules/.bin/vsce package --allow-missing-repository --skip-license -o "$out" >/dev/null
listing="$(unzip -l "$out" 2>/dev/null || python3 -c "import sys,zipfile; print('\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))" "$out")"
for f in extension/package.json extension/extension.js extension/language-configuration.json \
         extension/syntaxes/infra.tmLanguage.json \
         extension/node_modules/vscode-languageclient/package.json; do
  if ! grep -q "$f" <<<"$listing"; then
    echo "package.sh: $out lacks $f" >&2
    exit 1
  fi
done
echo "package.sh: wrote $out"
