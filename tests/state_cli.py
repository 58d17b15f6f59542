"""Running state commands in tests: through CliRunner and through the installed binary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from kanibako.cli import cli

KANIBAKO = str(Path(sys.executable).with_name("kanibako"))


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


def installed(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``kanibako`` console script, as a user runs it."""
    return subprocess.run(
        [KANIBAKO, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def snapshot(*roots: Path) -> dict[str, bytes | None]:
    """Every file (content) and directory (None) under ``roots``."""
    found: dict[str, bytes | None] = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            found[str(path)] = path.read_bytes() if path.is_file() else None
    return found
