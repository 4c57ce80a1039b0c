#!/usr/bin/env bash
# Install the infrastructure-as-code tools into their own virtualenv, .venv-iac.
#
# checkov has heavy, conflicting dependencies (it ships its own HCL parser, bc-python-hcl2,
# which installs the same `hcl2` module as python-hcl2), so it never goes into the project
# venv. Idempotent: a stamp file records the pinned set; a second run with the same pins is a
# no-op. Usage: scripts/iac_tools.sh   (env: PYTHON=python3.11, IAC_VENV=.venv-iac)
set -euo pipefail

CHECKOV_VERSION="3.3.30"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${IAC_VENV:-$ROOT/.venv-iac}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
STAMP="$VENV/.tradeloop-iac-tools"
WANT="checkov==${CHECKOV_VERSION}"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$VENV/bin/checkov" ]]; then
  echo "iac tools: up to date in $VENV ($WANT)"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24" >/dev/null
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==${CHECKOV_VERSION}"
"$VENV/bin/checkov" --version >/dev/null
echo "$WANT" >"$STAMP"
echo "iac tools: installed $WANT in $VENV ($("$VENV/bin/checkov" --version))"
