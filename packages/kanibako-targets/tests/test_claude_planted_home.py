"""Claude's first run in a home the agent already wrote (under another target) still starts.

``init_home`` runs on Claude's first launch in a project, which may come after sessions
of another target: whatever the agent planted at ``~/.claude``, ``~/.claude.json`` or
``~/.claude/settings.json`` must neither stop it nor be read or written through.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from kanibako_targets import HostEnvironment
from kanibako_targets.claude import ClaudeTarget


def _dangling(path: Path) -> None:
    path.symlink_to("/nonexistent/kanibako-test")


def _file(path: Path) -> None:
    path.write_text("planted\n")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


PLANTS = [_dangling, _file, _fifo]
IDS = ["dangling-link", "file", "fifo"]


@pytest.fixture
def homes(tmp_path: Path) -> tuple[Path, Path]:
    host, home = tmp_path / "host", tmp_path / "home"
    (host / ".claude").mkdir(parents=True)
    (host / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    (host / ".claude" / "settings.json").write_text('{"model": "opus"}')
    home.mkdir()
    return host, home


@pytest.mark.parametrize("plant", PLANTS, ids=IDS)
def test_a_claude_dir_that_is_no_directory_is_set_aside_with_one_line(
    homes: tuple[Path, Path], plant: Callable[[Path], None], capsys: pytest.CaptureFixture[str]
) -> None:
    host, home = homes
    plant(home / ".claude")
    ClaudeTarget(HostEnvironment(home=host)).init_home(home, share_auth=True)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "set aside as .claude.rejected" in err[0]
    assert stat.S_ISDIR((home / ".claude").lstat().st_mode)
    assert (home / ".claude" / "settings.json").read_text() == '{"model": "opus"}'
    assert os.path.lexists(home / ".claude.rejected")


@pytest.mark.parametrize("name", [".claude.json", ".claude/settings.json"])
@pytest.mark.parametrize("plant", [_dangling, _fifo], ids=["dangling-link", "fifo"])
def test_planted_seed_files_are_left_alone_and_never_followed(
    homes: tuple[Path, Path], name: str, plant: Callable[[Path], None]
) -> None:
    host, home = homes
    (home / ".claude").mkdir()
    plant(home / name)
    ClaudeTarget(HostEnvironment(home=host)).init_home(home, share_auth=True)  # no hang, no error
    assert not Path("/nonexistent/kanibako-test").exists()
    mode = (home / name).lstat().st_mode
    assert stat.S_ISLNK(mode) if plant is _dangling else stat.S_ISFIFO(mode)
