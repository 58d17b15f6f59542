"""Running state commands in tests: through CliRunner and through the installed binary."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner, Result

from kanibako.cli import cli
from tests.launch_helpers import kanibako as installed

__all__ = ["installed", "ok", "run", "snapshot"]


def run(*args: str, cwd: Path | None = None) -> Result:
    """``kanibako ARGS`` in-process (tracebacks propagate: they would be bugs)."""
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(previous)


def ok(*args: str, cwd: Path | None = None) -> str:
    """Run ``kanibako ARGS`` and return stdout, failing the test on a non-zero exit."""
    result = run(*args, cwd=cwd)
    assert result.exit_code == 0, f"kanibako {' '.join(args)}: {result.output}"
    return result.stdout


def snapshot(*roots: Path) -> dict[str, bytes | None]:
    """Every file (content) and directory (None) under ``roots``."""
    found: dict[str, bytes | None] = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            found[str(path)] = path.read_bytes() if path.is_file() else None
    return found


def select_vanished_target(project: Path, name: str) -> None:
    """Make ``name`` the project's target as if its plugin was uninstalled since.

    ``config`` refuses an unknown name, so it is written over a known one.
    """
    from kanibako_paths import load_paths, resolve_project

    ok("config", "target_name", "no_agent", "-p", str(project))
    config = resolve_project(load_paths(), project).project_config_file
    text = config.read_text()
    assert 'name = "no_agent"' in text
    config.write_text(text.replace('name = "no_agent"', f'name = "{name}"'))
