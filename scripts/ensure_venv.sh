#!/usr/bin/env bash
# Make sure the project virtualenv exists and matches pyproject.toml.
#
# - creates $VENV (default .venv) with python3 when it is missing or broken;
# - runs `pip install -e '.[dev]'` only when pyproject.toml changed since the
#   last successful install (its sha256 is kept in $VENV/.pyproject.sha256).
#
#   VENV=.venv PYTHON=python3 bash scripts/ensure_venv.sh
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
STAMP="$VENV/.pyproject.sha256"

if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        echo "ERROR: $PYTHON not found; Python 3.11+ is required." >&2
        exit 1
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "ERROR: $PYTHON is $("$PYTHON" --version 2>&1); Python 3.11+ is required." >&2
        exit 1
    fi
    echo "venv: creating $VENV with $("$PYTHON" --version 2>&1)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    rm -f "$STAMP"
fi

want=$(sha256sum pyproject.toml | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [ "$want" = "$have" ]; then
    echo "venv: $VENV is up to date with pyproject.toml"
    exit 0
fi

echo "venv: installing -e '.[dev]' into $VENV (pyproject.toml changed or first install)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
echo "$want" > "$STAMP"
