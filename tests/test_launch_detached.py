"""Detached sessions on a real engine: outlive the CLI, attach through a pty, detach, refuse a second."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.detached_checks import attach_runs_the_shell_and_detaches
from tests.launch_helpers import KANIBAKO, kanibako, session_containers, wait_for

pytestmark = pytest.mark.integration


def test_a_detached_session_outlives_its_cli_and_is_attached_through_a_pty(
    isolated_home: Path, debian_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    started = kanibako("-p", str(project), "shell", "--no-helpers", "-i", debian_image, "-d")
    assert started.returncode == 0, started.stderr
    assert "kanibako attach" in started.stderr
    try:
        assert session_containers(project)  # the CLI is gone; the session is not
        rows = json.loads(kanibako("ps", "--json").stdout)
        assert [(r["project"], r["mode"], r["state"]) for r in rows] == [
            (str(project), "shell", "detached")
        ]
        again = kanibako("-p", str(project), "shell", "--no-helpers", "-i", debian_image, "-d")
        # Refused as a foreground launch is (the same lock, taken by the CLI).
        assert again.returncode == 1 and "already running" in again.stderr
        took = attach_runs_the_shell_and_detaches([KANIBAKO, "-p", str(project), "attach"], b"#")
        print(f"attach: first bytes after {took:.3f} s")
        assert session_containers(project)  # detaching does not end it
    finally:
        kanibako("-p", str(project), "stop")
    wait_for(lambda: not session_containers(project), what="stop to end the detached session")
    nothing = kanibako("-p", str(project), "attach")
    assert nothing.returncode == 2 and nothing.stderr.count("\n") == 1, nothing.stderr


def test_detach_with_a_command_that_ends_at_once_is_one_line_exit_2(
    isolated_home: Path, busybox_image: str
) -> None:
    project = isolated_home / "quick"
    project.mkdir()
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image, "-d", "-c", "true"
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "ended at once" in done.stderr, done.stderr
