"""Sessions in the other two project modes: decentralized and working set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration

SCRIPT = (
    'echo "$KANIBAKO_MODE $(pwd)"; ls $HOME/share-rw >/dev/null && echo rw; '
    "cat $HOME/note 2>/dev/null; echo kept > $HOME/note"
)


def _twice(project: Path, image: str) -> list[str]:
    out = []
    for _ in range(2):
        done = kanibako(
            "-p", str(project), "shell", "--no-helpers", "-i", image, "-c", f"sh -c '{SCRIPT}'"
        )
        assert done.returncode == 0, done.stderr
        out.append(done.stdout)
    return out


def test_decentralized_project_keeps_its_shell_in_the_project(
    isolated_home: Path, busybox_image: str
) -> None:
    project = isolated_home / "local"
    project.mkdir()
    assert kanibako("init", "--local", "-p", str(project)).returncode == 0
    first, second = _twice(project, busybox_image)
    assert first == "decentralized /home/agent/workspace\nrw\n"
    assert second == first + "kept\n"
    assert (project / ".kanibako" / "shell" / "note").read_text() == "kept\n"


def test_workset_project_runs_from_its_workspace(isolated_home: Path, busybox_image: str) -> None:
    root = isolated_home / "ws"
    assert kanibako("workset", "create", "research", str(root)).returncode == 0
    added = kanibako("workset", "add", "research", "--name", "paper")
    assert added.returncode == 0, added.stderr
    workspace = root / "workspaces" / "paper"
    first, second = _twice(workspace, busybox_image)
    assert first == "workset /home/agent/workspace\nrw\n"
    assert second == first + "kept\n"
    assert (root / "boxes" / "paper" / "shell" / "note").read_text() == "kept\n"


def test_decentralized_metadata_and_vault_are_hidden_from_the_agent(
    isolated_home: Path, busybox_image: str
) -> None:
    # The agent is untrusted: were project.toml writable, it could point the
    # box's shell at any host directory and have it mounted next launch.
    project = isolated_home / "local"
    project.mkdir()
    assert kanibako("init", "--local", "-p", str(project)).returncode == 0
    (project / "vault" / "share-ro" / "ref.txt").write_text("ref\n")
    script = (
        "cd ~/workspace; ls -A .kanibako vault; cat .kanibako/project.toml 2>/dev/null; "
        "echo x > .kanibako/project.toml 2>/dev/null && echo toml-writable; "
        "mkdir vault/share-ro/new 2>/dev/null && echo vault-writable; "
        "touch .kanibako/new 2>/dev/null && echo meta-writable; "
        "cat ~/share-ro/ref.txt; echo done"
    )
    args = ["-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-c"]
    assert kanibako(*args, "true").returncode == 0  # Kanibako's own first-run writes
    before = (project / ".kanibako" / "project.toml").read_text()
    done = kanibako(*args, f"sh -c '{script}'")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [".kanibako:", "", "vault:", "ref", "done"]
    assert (project / ".kanibako" / "project.toml").read_text() == before
    assert not (project / ".kanibako" / "new").exists()
