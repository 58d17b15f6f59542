"""`status` and the state commands stay light: no engine, vault, helper or target code."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kanibako.cli import cli

HEAVY = ("kanibako_runtime", "kanibako_vault", "kanibako_helpers", "kanibako_targets")


def _modules_after(args: list[str], home: Path, heavy: tuple[str, ...]) -> list[str]:
    code = (
        "import sys\n"
        "from kanibako.cli import main\n"
        f"sys.argv = ['kanibako', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print('HEAVY', sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))\n"
    )
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=home
    )
    return [line for line in out.stdout.splitlines() if line.startswith("HEAVY")]


@pytest.mark.parametrize("args", [["config", "--show"], ["env", "list"], ["box", "info"]])
def test_state_commands_import_no_heavy_package(tmp_path: Path, args: list[str]) -> None:
    assert _modules_after(args, tmp_path, HEAVY) == ["HEAVY []"]


def test_status_imports_no_vault_helper_or_target_code(tmp_path: Path) -> None:
    # The lock line comes from the launch pipeline, which reads the runtime's
    # lock module; nothing of the vault, the hub or the targets may load.
    heavy = ("kanibako_vault", "kanibako_helpers", "kanibako_targets")
    assert _modules_after(["status"], tmp_path, heavy) == ["HEAVY []"]


def test_status_loads_only_the_runtime_lock_not_the_engine(tmp_path: Path) -> None:
    # kanibako_runtime's package is lazy (PEP 562): reading the lock must not
    # pull in engine detection, subprocess wrappers or image code.
    (line,) = _modules_after(["status"], tmp_path, ("kanibako_runtime",))
    loaded = set(ast.literal_eval(line.removeprefix("HEAVY ")))
    assert loaded <= {
        "kanibako_runtime",
        "kanibako_runtime.__about__",
        "kanibako_runtime.lock",
        "kanibako_runtime.errors",
        # The Engine line: detection reads the environment and PATH, runs nothing.
        "kanibako_runtime.engine",
    }, loaded


@pytest.mark.parametrize("group", ["box", "env", "workset", "shared"])
def test_subcommand_help_lines_fit_one_row(group: str) -> None:
    result = CliRunner().invoke(cli, [group, "--help"], catch_exceptions=False)
    rows = result.output.split("Commands:")[1].splitlines()
    assert all(line.startswith("  ") and not line.startswith("   ") for line in rows if line)
