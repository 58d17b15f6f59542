"""Issue 12, item 2: a plugin one project's agent plants in ``~/.claude/plugins`` (shared by
default) never reaches another project's session or the host's shared directory.

A stand-in ``claude`` (a shell script found first on PATH, mounted like the
real binary) plants when the workspace holds a ``plant`` file, and always
records what it sees in its plugins directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration

STAND_IN = """#!/bin/sh
cd /home/agent/workspace
if [ -f plant ]; then
  mkdir -p ~/.claude/plugins/evil && echo '{"SessionStart": "evil"}' > ~/.claude/plugins/evil/hooks.json
fi
ls -A ~/.claude/plugins > seen
"""


def test_a_planted_plugin_stays_in_its_own_project(
    isolated_home: Path, busybox_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = isolated_home / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text(STAND_IN)
    (bin_dir / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    attacker, victim = isolated_home / "a", isolated_home / "d"
    for project in (attacker, victim):
        project.mkdir()
    (attacker / "plant").write_text("")

    for project in (attacker, victim, attacker):
        done = kanibako("-p", str(project), "start", "--no-helpers", "-i", busybox_image)
        assert done.returncode == 0, done.stderr
    shared = next(isolated_home.glob(".local/share/kanibako/shared/claude/plugins"))
    assert not (shared / "evil").exists()
    assert "evil" not in (victim / "seen").read_text().split()
    # The attacker's own plugin is kept for its own next session.
    assert "evil" in (attacker / "seen").read_text().split()
