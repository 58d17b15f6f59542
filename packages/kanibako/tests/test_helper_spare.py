"""The spare clone: built in the background, claimed by one rename, moved to the spawn's tree."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kanibako.session import helper_spare
from kanibako.session.helper_clones import HelperClones
from kanibako.session.helper_spare import SPARE, SpareRefill, claim_spare
from kanibako.session.spawner import HelperSpawner
from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import Engine

_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t"} | {
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def git(where: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=where, env=os.environ | _ENV, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    (repo / "src").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for i in range(50):
        (repo / "src" / f"f{i}.txt").write_text(f"file {i}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    git(repo, "gc", "-q")
    return repo


def _refill(repo: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    refill = HelperClones(repo).refill_spare(root)
    refill.wait()


def _spawn(repo: Path, root: Path, number: int) -> Path:
    workspace = root / str(number) / "workspace"
    workspace.mkdir(parents=True)
    HelperClones(repo).prepare(number, workspace)
    return workspace


def test_a_claimed_spare_is_moved_to_the_directors_tree_writing_only_what_changed(
    repo: Path, tmp_path: Path
) -> None:
    root = tmp_path / "helpers"
    _refill(repo, root)
    spare = root / SPARE / "workspace"
    untouched = (spare / "src" / "f1.txt").stat().st_ino
    # After the spare was made: a commit, and uncommitted and untracked work.
    (repo / "src" / "f2.txt").write_text("committed later\n")
    git(repo, "commit", "-qam", "second")
    (repo / "src" / "f3.txt").write_text("uncommitted\n")
    (repo / "new.txt").write_text("untracked\n")
    clone = _spawn(repo, root, 1)
    assert not (root / SPARE).exists()
    assert (clone / "src" / "f1.txt").stat().st_ino == untouched  # not rewritten
    assert (clone / "src" / "f2.txt").read_text() == "committed later\n"
    assert (clone / "src" / "f3.txt").read_text() == "uncommitted\n"
    assert (clone / "new.txt").read_text() == "untracked\n"
    assert git(clone, "symbolic-ref", "--short", "HEAD") == "kanibako/helper-1\n"
    assert git(clone, "status", "--porcelain") == ""
    assert git(clone, "config", "core.hooksPath") == "/dev/null\n"  # Kanibako's config, as cold
    assert git(clone, "remote") == ""
    start = git(repo, "rev-parse", "refs/kanibako/helpers/1/start").strip()
    assert git(clone, "rev-parse", "HEAD").strip() == start
    objects = clone / ".git" / "objects"
    shared = [p for p in objects.rglob("*") if p.is_file() and p.stat().st_nlink > 1]
    assert shared and all(p.parent.name == "pack" for p in shared)
    git(clone, "fsck", "--strict")


def test_a_spare_serves_once_and_a_second_spawn_clones_afresh(repo: Path, tmp_path: Path) -> None:
    root = tmp_path / "helpers"
    _refill(repo, root)
    first, second = root / "1" / "workspace", root / "2" / "workspace"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    assert claim_spare(first) is not None
    assert claim_spare(second) is None
    assert list(second.iterdir()) == []
    assert git(_spawn(repo, root, 3), "status", "--porcelain") == ""  # the cold path


def test_a_damaged_spare_is_dropped_and_the_spawn_clones(repo: Path, tmp_path: Path) -> None:
    root = tmp_path / "helpers"
    _refill(repo, root)
    (root / SPARE / "at").write_text("../../etc\n")
    clone = _spawn(repo, root, 1)
    assert not (root / SPARE).exists()
    assert git(clone, "symbolic-ref", "--short", "HEAD") == "kanibako/helper-1\n"
    assert sorted(p.name for p in root.iterdir()) == ["1"]


def test_nothing_is_built_for_a_repository_without_commits(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    root = tmp_path / "helpers"
    _refill(empty, root)
    assert list(root.iterdir()) == []


def test_a_refill_abandoned_midway_leaves_nothing(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "helpers"
    root.mkdir()
    monkeypatch.setattr(helper_spare, "_NICE", ("sh", "-c", "exec sleep 30", "slow"))
    refill = SpareRefill(repo, root)
    refill.start()
    assert refill.running
    refill.abandon()
    assert not refill.running
    assert list(root.iterdir()) == []


def test_leftovers_of_a_dead_session_go_at_the_next_refill(repo: Path, tmp_path: Path) -> None:
    root = tmp_path / "helpers"
    for name in (".spare-building-1-ab", ".spare-claimed-1-cd"):
        (root / name / "workspace").mkdir(parents=True)
    (root / "4" / "workspace").mkdir(parents=True)
    _refill(repo, root)
    assert sorted(p.name for p in root.iterdir()) == [SPARE, "4"]


def test_a_session_start_refills_only_a_project_that_has_had_helper_clones(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    project = resolve_project(load_paths(), repo)
    engine = Engine("podman", "/usr/bin/podman")
    spawner = HelperSpawner(engine, project, "img", ["sh"], [], {}, clones=HelperClones(repo))
    root = tmp_path / "helpers"
    root.mkdir()
    spawner.refill_spare(root, if_used=True)
    spawner.stop_all()
    assert list(root.iterdir()) == []  # never spawned a helper: no copy of the tree
    _spawn(repo, root, 1)
    spawner.refill_spare(root, if_used=True)
    assert spawner._spare is not None
    spawner._spare.wait()
    assert (root / SPARE / "at").is_file()
    spawner.stop_all()  # a finished spare stays for the next session
    assert (root / SPARE / "workspace" / ".git").is_dir()
