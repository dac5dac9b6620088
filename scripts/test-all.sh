#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite: lint, format, types and tests.
# Usage: bash scripts/test-all.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,doh]'
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff check" && ruff check netkit tests scripts
echo "== ruff format --check" && ruff format --check netkit tests scripts
echo "== mypy" && mypy
echo "== pytest" && pytest "$@"
