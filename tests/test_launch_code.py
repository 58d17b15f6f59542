"""``kanibako code``: VS Code is asked to attach to the running session (a stand-in records it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.launch_helpers import kanibako, session_containers, start_session, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def recorded(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `code` on PATH that writes its arguments to a file (VS Code cannot run here)."""
    bin_dir = isolated_home / "bin"
    bin_dir.mkdir()
    record = isolated_home / "code-args"
    stand_in = bin_dir / "code"
    stand_in.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\n')
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def test_code_opens_the_sessions_workspace_and_refuses_without_one(
    isolated_home: Path, recorded: Path, busybox_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    nothing = kanibako("-p", str(project), "code")
    assert nothing.returncode == 2 and nothing.stderr.count("\n") == 1, nothing.stderr
    assert "no running Kanibako session" in nothing.stderr and not recorded.exists()
    session = start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-c", "sleep 30"
    )
    try:
        wait_for(lambda: session_containers(project), what="the session")
        (name,) = session_containers(project)
        done = kanibako("-p", str(project), "code")
        assert done.returncode == 0, done.stderr
        flag, uri = recorded.read_text().split()
        assert flag == "--folder-uri"
        prefix = "vscode-remote://attached-container+"
        assert uri.startswith(prefix) and uri.endswith("/home/agent/workspace")
        hex_part = uri[len(prefix) : -len("/home/agent/workspace")]
        assert json.loads(bytes.fromhex(hex_part)) == {"containerName": f"/{name}"}
    finally:
        kanibako("-p", str(project), "stop")
        session.wait(timeout=30)
        for pipe in (session.stdout, session.stderr):
            if pipe is not None:
                pipe.close()
