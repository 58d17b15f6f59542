"""Real sessions: share-rw is snapshotted before each launch, out of the agent's reach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration


def _session(project: Path, image: str, script: str) -> str:
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", image, "-c", f"sh -c '{script}'"
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("local", [False, True], ids=["account-centric", "decentralized"])
def test_launch_snapshots_share_rw_and_restore_undoes_a_session(
    isolated_home: Path, busybox_image: str, local: bool
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    if local:
        assert kanibako("init", "--local", "-p", str(project)).returncode == 0
    _session(project, busybox_image, "echo v1 > $HOME/share-rw/notes.txt")
    (project / "control.tar.zst").write_bytes(b"")  # proves the search below does look
    seen = _session(
        project,
        busybox_image,
        'echo wrecked > $HOME/share-rw/notes.txt; find /home/agent -name "*.tar*"',
    )
    # The agent sees every mount under its home, and no snapshot archive among them.
    assert seen.splitlines() == ["/home/agent/workspace/control.tar.zst"]
    listed = kanibako("vault", "list", "--json", "-p", str(project))
    rows = json.loads(listed.stdout)
    # Session 1 created share-rw (first run); before session 2 it held notes.txt = v1.
    assert [(r["kind"], r["files"]) for r in rows] == [("full", 1)]
    share_rw = project / "vault" / "share-rw"
    assert (share_rw / "notes.txt").read_text() == "wrecked\n"
    restored = kanibako("vault", "restore", rows[0]["name"], "-p", str(project))
    assert restored.returncode == 0, restored.stderr
    assert (share_rw / "notes.txt").read_text() == "v1\n"
    assert _session(project, busybox_image, "cat $HOME/share-rw/notes.txt") == "v1\n"
