#!/usr/bin/env bash
# The three example target plugins (examples/kanibako-target-*): install each into
# the dev venv like a user would (pip, its own pyproject, entry point included),
# type-check them, and run their own tests, which include the conformance suite.
# Idempotent and quick: pip runs only when an example's pyproject.toml changed or
# a plugin is missing from the venv (e.g. after scripts/dev-env rebuilt it).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${KANIBAKO_DEV_VENV:-.venv}
PY="$VENV/bin/python"
examples=(examples/kanibako-target-*/)
stamp="$VENV/.kanibako-examples-stamp"
want=$(cat examples/kanibako-target-*/pyproject.toml | sha256sum | cut -d' ' -f1)
installed() {
  "$PY" - "$@" <<'PY'
import sys
from importlib.metadata import entry_points

names = {ep.name for ep in entry_points(group="kanibako.targets")}
sys.exit(0 if {"aider", "codex", "goose"} <= names else 1)
PY
}
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! installed; then
  echo "installing ${examples[*]}"
  args=()
  for e in "${examples[@]}"; do args+=(-e "$e"); done
  # --no-deps: their only dependency, kanibako-targets, is already installed editable.
  "$PY" -m pip install -q --no-deps "${args[@]}"
  echo "$want" > "$stamp"
fi
"$VENV/bin/mypy" --strict examples/*/src examples/*/tests
"$VENV/bin/pytest" -q -p no:cacheprovider examples/*/tests
