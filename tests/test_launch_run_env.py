"""``-e NAME=VALUE``: one run's environment, never on a command line, over the env files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import LOCK_FILE_NAME, lock_holder
from tests.launch_helpers import finish, kanibako, session_containers, start_session, wait_for

pytestmark = pytest.mark.integration

SECRET = "s3cret-value-7f1c"


def _command_lines(but: set[int]) -> list[bytes]:
    """Every process's argv but those in ``but`` (kanibako and its supervisor, a fork of it:
    the user typed the value there)."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in but:
            try:
                lines.append((entry / "cmdline").read_bytes())
            except OSError:
                continue  # gone, or not ours to read
    return lines


def test_a_run_variable_reaches_the_container_but_no_command_line(
    isolated_home: Path, busybox_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    assert kanibako("env", "set", "TOKEN", "from-file", "-p", str(project)).returncode == 0
    script = 'sleep 3; echo "$TOKEN $PLAIN" > /home/agent/workspace/seen'
    session = start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image,
        "-e", f"TOKEN={SECRET}", "-e", "PLAIN=a=b", "-c", script,
    )  # fmt: skip
    try:
        wait_for(lambda: session_containers(project), what="the session's container")
        holder = lock_holder(resolve_project(load_paths(), project).metadata_dir / LOCK_FILE_NAME)
        assert holder is not None and holder.pid is not None
        typed = {session.pid, holder.pid}
        assert not [line for line in _command_lines(but=typed) if SECRET.encode() in line]
    finally:
        status, _, err = finish(session)
    assert status == 0, err
    # -e wins over the project's env file; only the first '=' splits.
    assert (project / "seen").read_text() == f"{SECRET} a=b\n"
