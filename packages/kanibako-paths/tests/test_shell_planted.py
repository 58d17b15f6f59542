"""Whatever the agent plants in its home's start-up files, the next launch still prepares it."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from kanibako_paths import KanibakoPaths, ensure_initialized, init_project, resolve_project


def _dangling(path: Path) -> None:
    path.symlink_to("/nonexistent/kanibako-test")


def _file(path: Path) -> None:
    path.write_text("not a directory\n")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize("plant", [_dangling, _file, _fifo], ids=["dangling-link", "file", "fifo"])
def test_a_shell_d_that_is_no_directory_is_set_aside_with_one_line(
    paths: KanibakoPaths,
    workdir: Path,
    plant: Callable[[Path], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = init_project(paths, resolve_project(paths, workdir), template_variant="empty")
    shell_d = project.shell_dir / ".shell.d"
    shell_d.rmdir()
    plant(shell_d)
    capsys.readouterr()
    ensure_initialized(paths, project, template_variant="empty")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "set aside as .shell.d.rejected" in err[0]
    assert stat.S_ISDIR(shell_d.lstat().st_mode)
    assert os.path.lexists(project.shell_dir / ".shell.d.rejected")
    # Planted again (the first one still set aside): a unique name, still one line.
    shell_d.rmdir()
    plant(shell_d)
    ensure_initialized(paths, project, template_variant="empty")
    assert len(capsys.readouterr().err.splitlines()) == 1
    assert stat.S_ISDIR(shell_d.lstat().st_mode)
    assert len(list(project.shell_dir.glob(".shell.d.rejected*"))) == 2


def test_a_link_to_a_directory_is_the_agents_choice_and_kept(
    paths: KanibakoPaths, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = init_project(paths, resolve_project(paths, workdir), template_variant="empty")
    shell_d = project.shell_dir / ".shell.d"
    shell_d.rmdir()
    (project.shell_dir / "mine").mkdir()
    shell_d.symlink_to("mine")
    ensure_initialized(paths, project, template_variant="empty")
    assert shell_d.is_symlink() and capsys.readouterr().err == ""


@pytest.mark.parametrize("name", [".bashrc", ".profile"])
@pytest.mark.parametrize(
    "plant", [_dangling, _fifo, _directory], ids=["dangling-link", "fifo", "directory"]
)
def test_planted_start_up_files_never_stop_the_launch(
    paths: KanibakoPaths, workdir: Path, name: str, plant: Callable[[Path], None]
) -> None:
    project = init_project(paths, resolve_project(paths, workdir), template_variant="empty")
    target = project.shell_dir / name
    target.unlink()
    plant(target)
    outside = Path("/nonexistent/kanibako-test")
    ensure_initialized(paths, project, template_variant="empty")  # no hang, no error
    assert not outside.exists()
    mode = target.lstat().st_mode
    if plant is _dangling:
        # Replaced by Kanibako's own regular file, never written through the link.
        assert stat.S_ISREG(mode)
    else:
        # Left as the agent made it: never opened for reading (a FIFO would hang).
        assert stat.S_ISFIFO(mode) if plant is _fifo else stat.S_ISDIR(mode)
