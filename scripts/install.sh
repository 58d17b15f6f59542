#!/usr/bin/env bash
# Install Kanibako for the current user from this checkout: a private virtual
# environment and a `kanibako` command in ~/.local/bin. Re-run to upgrade.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${KANIBAKO_VENV:-$HOME/.local/lib/kanibako-venv}
bindir=${KANIBAKO_BIN_DIR:-$HOME/.local/bin}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q --upgrade ./packages/kanibako-* ./packages/kanibako
mkdir -p "$bindir"
ln -sf "$venv/bin/kanibako" "$bindir/kanibako"
echo "kanibako $("$bindir/kanibako" --version | awk '{print $NF}') installed at $bindir/kanibako"
