#!/usr/bin/env bash
# Installs what the CloudFormation tests (tests/BuildTest.cpp) need, only what is
# missing; safe to run repeatedly:
#   * node and npm (Debian's nodejs and npm);
#   * the CloudFormation resource specification, npm @aws-cdk/cfnspec, into
#     tests/cfn-tools/node_modules (npm ci: the versions of package-lock.json);
#   * cfn-lint 1.51 when no cfn-lint is on PATH or in ~/.local/bin: with
#     `pip install --user` where python3 has pip and allows it, else with
#     Debian's pipx (Debian packages no cfn-lint, and its python3 refuses
#     pip --user installs); both fetch from PyPI, which project machines do
#     not reach: there cfn-lint comes with the machine (pyenv's python3);
#   * PyYAML for python3 (Debian's python3-yaml), which reads the YAML
#     templates back in the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [[ $(id -u) != 0 ]]; then
  SUDO="sudo"
fi
apt_updated=0
apt_install() {
  if ((apt_updated == 0)); then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup-cfn-tools: installing nodejs and npm"
  apt_install nodejs npm
fi

if ! (cd tests/cfn-tools && npm ls --silent >/dev/null 2>&1); then
  echo "setup-cfn-tools: installing @aws-cdk/cfnspec (npm ci in tests/cfn-tools)"
  (cd tests/cfn-tools && npm ci --no-audit --no-fund --loglevel=error)
fi

export PATH="$PATH:$HOME/.local/bin"
if ! command -v cfn-lint >/dev/null; then
  echo "setup-cfn-tools: installing cfn-lint 1.51"
  if ! python3 -m pip install --user --quiet 'cfn-lint==1.51.*' 2>/dev/null; then
    command -v pipx >/dev/null || apt_install pipx
    if ! pipx install 'cfn-lint==1.51.*'; then
      echo "setup-cfn-tools: cannot install cfn-lint (both need PyPI); install cfn-lint 1.51" \
        "and run this again" >&2
      exit 1
    fi
  fi
fi

if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "setup-cfn-tools: installing python3-yaml"
  apt_install python3-yaml
fi

echo "setup-cfn-tools: node $(node --version), $(cfn-lint --version), @aws-cdk/cfnspec" \
  "$(node -p 'require("./tests/cfn-tools/node_modules/@aws-cdk/cfnspec/package.json").version')"
