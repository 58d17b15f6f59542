#!/usr/bin/env bash
# kanibako-vault stands alone: a hatch env holding only it (built from its folder, not
# editable) and pytest runs its tests, and no other kanibako package is importable there.
# Idempotent: the env is rebuilt only when the vault package or the root config changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
HATCH="${KANIBAKO_DEV_VENV:-.venv}/bin/hatch"
# The system Python when it is 3.11+ (Debian 12: 3.11.2, whose tarfile has no data
# filter), so this run also proves the vault's own member checks on such a Python.
if /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  export HATCH_PYTHON=/usr/bin/python3
fi
env_dir=$("$HATCH" env find vault-alone)
stamp="$env_dir/.kanibako-vault-stamp"
want=$( (echo "${HATCH_PYTHON:-}"; find pyproject.toml packages/kanibako-vault -type f \
         -not -path '*/__pycache__/*' -not -path '*/tests/*' -print0 \
       | sort -z | xargs -0 cat) | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "(re)building the vault-alone env"
  "$HATCH" env remove vault-alone
  "$HATCH" env create vault-alone
  echo "$want" > "$stamp"
fi
"$HATCH" run vault-alone:python - <<'PY'
import importlib.util
import sys

others = ["kanibako", "kanibako_paths", "kanibako_runtime", "kanibako_helpers", "kanibako_targets"]
found = [name for name in others if importlib.util.find_spec(name) is not None]
if found:
    sys.exit(f"vault-alone env can import other kanibako packages: {found}")
spec = importlib.util.find_spec("kanibako_vault")
if spec is None or "site-packages" not in (spec.origin or ""):
    sys.exit(f"vault-alone env must use the installed kanibako_vault, not {spec and spec.origin}")
import platform
import tarfile

filters = "with" if hasattr(tarfile, "data_filter") else "without"
print(f"vault-alone: Python {platform.python_version()} ({filters} tarfile's data filter),")
print("  only kanibako_vault (installed) and its dependency click are present")
PY
"$HATCH" run vault-alone:test -q
