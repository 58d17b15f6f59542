"""What the agent plants in its home's start-up files never stops the project's next launch.

Real sessions (busybox) plant a dangling ``~/.shell.d`` link, then a ``.shell.d`` FIFO,
and FIFOs and dangling links at the other start-up files the host prepares at launch;
each next launch must start, set the ``.shell.d`` aside with one line and go on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration


def _sh(project: Path, image: str, script: str) -> tuple[int, str, str]:
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", image, "-c", f"sh -c '{script}'"
    )
    return done.returncode, done.stdout, done.stderr


def _set_aside_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if ".shell.d is not a directory" in line]


def test_planted_shell_d_and_start_up_files_do_not_stop_the_next_launch(
    isolated_home: Path, busybox_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    plant = (
        "cd $HOME && rm -rf .shell.d .profile .bashrc && ln -s /nonexistent/dir .shell.d "
        "&& mkfifo .profile && ln -s /nonexistent/rc .bashrc && echo planted"
    )
    status, out, err = _sh(project, busybox_image, plant)
    assert status == 0 and "planted" in out, err
    check = "test -d $HOME/.shell.d && echo dir; ls -A $HOME"
    status, out, err = _sh(
        project, busybox_image, f"{check}; rmdir $HOME/.shell.d; mkfifo $HOME/.shell.d"
    )
    assert status == 0, err
    assert out.splitlines()[0] == "dir" and ".shell.d.rejected" in out
    assert len(_set_aside_lines(err)) == 1
    status, out, err = _sh(project, busybox_image, check)
    assert status == 0, err
    assert out.splitlines()[0] == "dir" and ".shell.d.rejected-" in out
    assert len(_set_aside_lines(err)) == 1
