"""Hostile agent configuration: one line naming the file, exit 2, never a hang."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.state_cli import installed, ok, run, select_vanished_target


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_agent_toml_that_is_not_a_file_is_named(
    isolated_home: Path, tmp_path: Path, kind: str
) -> None:
    # Before: a FIFO hung `reauth`, `box settings` and every launch; a
    # directory gave a bare "Is a directory" runtime failure (exit 1).
    project = tmp_path / "proj"
    project.mkdir()
    ok("init", "--local", cwd=project)
    ok("box", "settings", "list", cwd=project)  # generates the agent TOML
    (agent_toml,) = (isolated_home / ".local/share/kanibako/agents").glob("*.toml")
    agent_toml.unlink()
    if kind == "fifo":
        os.mkfifo(agent_toml)
    else:
        agent_toml.mkdir()
    for args in (["box", "settings", "list"], ["reauth"]):
        result = installed(*args, cwd=project, timeout=20)
        assert result.returncode == 2, result
        assert result.stderr == f"kanibako: {agent_toml}: not a regular file\n", result.stderr


def test_unknown_target_name_says_which_file_sets_it(isolated_home: Path, tmp_path: Path) -> None:
    # Before: "unknown target 'nope'" alone; `config` had accepted the name,
    # so the user could not tell that project.toml was what to fix.
    project = tmp_path / "proj"
    project.mkdir()
    ok("init", "--local", cwd=project)
    select_vanished_target(project, "nope")
    for args in (["box", "settings", "list"], ["reauth"]):
        result = run(*args, cwd=project)
        assert result.exit_code == 2, result.output
        line = result.stderr
        assert line.startswith("kanibako: unknown target 'nope'") and line.count("\n") == 1
        assert str(project / ".kanibako/project.toml") in line, line
