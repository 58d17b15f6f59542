"""Helper clones against real git repositories (no engine): start, clone, fetch, diff, merge, conflicts."""

from __future__ import annotations

import os
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from kanibako.session.helper_clones import (
    CHECKOUT_PENDING,
    HelperClones,
    helper_ref,
    parse_helper_copy,
)
from kanibako.session.helper_git import (
    CloneError,
    CloneFailure,
    director_start_commit,
    repository_root,
)
from kanibako.session.helper_work import Review
from kanibako_paths import ConfigError


def run(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
    }
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "project"
    repo.mkdir()
    run(repo, "init", "-q", "-b", "main")
    run(repo, "config", "user.name", "User")
    run(repo, "config", "user.email", "user@example.com")
    (repo / "shared.txt").write_text("one\ntwo\nthree\n")
    (repo / ".gitignore").write_text(".env\nlinked\n")
    run(repo, "add", "-A")
    run(repo, "commit", "-qm", "first")
    return repo


def spawn(repo: Path, tmp_path: Path, number: int, copy: tuple[str, ...] = ()) -> Path:
    workspace = tmp_path / "helpers" / str(number) / "workspace"
    workspace.mkdir(parents=True)
    mounts = HelperClones(repo, copy).prepare(number, workspace)
    assert {m.target.split("/.git/", 1)[1] for m in mounts if m.read_only} == {
        "config",
        "hooks",
        "info",
        "objects/pack",
    }
    return workspace


def state(repo: Path) -> tuple[str, str, str]:
    """Everything a refused merge must leave as it was: HEAD, the index and the working tree."""
    return (
        run(repo, "rev-parse", "HEAD"),
        run(repo, "ls-files", "-s"),
        run(repo, "status", "--porcelain", "--untracked-files=all"),
    )


def test_uncommitted_work_is_carried_without_touching_the_users_index(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "shared.txt").write_text("one\nTWO\nthree\n")
    (repo / "new.txt").write_text("new\n")
    before = state(repo)
    clone = spawn(repo, tmp_path, 1)
    assert state(repo) == before
    assert (clone / "new.txt").read_text() == "new\n"
    assert (clone / "shared.txt").read_text() == "one\nTWO\nthree\n"
    assert run(clone, "symbolic-ref", "--short", "HEAD").strip() == "kanibako/helper-1"
    assert run(clone, "status", "--porcelain") == ""
    assert run(repo, "branch", "--list").split() == ["*", "main"]


def test_the_clone_has_no_hooks_no_remote_and_hardlinked_objects(
    repo: Path, tmp_path: Path
) -> None:
    run(repo, "gc", "-q")
    (repo / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\nexit 1\n")
    clone = spawn(repo, tmp_path, 1)
    assert run(clone, "config", "core.hooksPath").strip() == "/dev/null"
    assert run(clone, "remote") == ""
    assert list((clone / ".git" / "hooks").iterdir()) == []
    pack = next((clone / ".git" / "objects" / "pack").glob("*.pack"))
    assert pack.stat().st_nlink == 2  # read-only in the container (see the engine test)
    assert run(clone, "config", "gc.auto").strip() == "0"  # a repack there would fail
    (clone / "x").write_text("x\n")
    run(clone, "add", "x")
    run(clone, "commit", "-qm", "x")  # no hook of the user's ran


def test_a_planted_config_is_replaced_on_respawn(repo: Path, tmp_path: Path) -> None:
    clone = spawn(repo, tmp_path, 1)
    (clone / ".git" / "config").write_text("[core]\n\tfsmonitor = touch /tmp/owned\n")
    (clone / ".git" / "hooks").rmdir()
    (clone / ".git" / "hooks").symlink_to(repo / ".git" / "hooks")
    HelperClones(repo).prepare(1, clone)
    assert "fsmonitor = false" in (clone / ".git" / "config").read_text()
    assert not (clone / ".git" / "hooks").is_symlink()


def test_helper_copy_brings_untracked_files_but_never_through_a_link(
    repo: Path, tmp_path: Path
) -> None:
    (repo / ".env").write_text("TOKEN=1\n")
    secret = tmp_path / "secret"
    secret.write_text("no\n")
    (repo / "linked").symlink_to(secret)
    clone = spawn(repo, tmp_path, 1, copy=(".env", "linked", "missing"))
    assert (clone / ".env").read_text() == "TOKEN=1\n"
    assert not (clone / "linked").is_symlink()
    assert not (clone / "missing").exists()


def test_helper_copy_paths_are_checked(tmp_path: Path) -> None:
    source = tmp_path / "project.toml"
    assert parse_helper_copy({"helper": {"copy": [".env"]}}, source) == (".env",)
    for bad in (["../x"], ["/etc/passwd"], [".git/config"], "x", [1]):
        with pytest.raises(ConfigError, match=r"\[helper\] copy"):
            parse_helper_copy({"helper": {"copy": bad}}, source)


def test_a_subdirectory_of_a_repository_is_not_a_git_workspace(repo: Path, tmp_path: Path) -> None:
    (repo / "sub").mkdir()
    assert repository_root(repo / "sub") is None
    assert repository_root(tmp_path) is None
    assert repository_root(repo) == repo


def test_clean_tree_starts_at_head(repo: Path) -> None:
    assert director_start_commit(repo) == run(repo, "rev-parse", "HEAD").strip()


def test_diff_includes_uncommitted_work_and_merge_brings_commits(
    repo: Path, tmp_path: Path
) -> None:
    clone = spawn(repo, tmp_path, 1)
    review = Review(repo, tmp_path / "helpers")
    (clone / "feature.txt").write_text("feature\n")
    run(clone, "add", "feature.txt")
    run(clone, "commit", "-qm", "feature")
    (clone / "draft.txt").write_text("draft\n")
    stat = review.diff(1, stat=True)
    assert "feature.txt" in stat and "draft.txt" in stat
    assert not (repo / "feature.txt").exists()  # nothing reaches the checkout before a merge
    line = review.merge(1, squash=False)
    assert "merged into main" in line and "uncommitted work was left out" in line
    assert (repo / "feature.txt").read_text() == "feature\n"
    assert not (repo / "draft.txt").exists()
    assert run(repo, "status", "--porcelain") == ""
    assert (
        run(repo, "rev-parse", helper_ref(1, "head")).strip()
        == run(clone, "rev-parse", "HEAD").strip()
    )


def test_squash_makes_one_commit(repo: Path, tmp_path: Path) -> None:
    clone = spawn(repo, tmp_path, 1)
    for name in ("a", "b"):
        (clone / name).write_text(name)
        run(clone, "add", name)
        run(clone, "commit", "-qm", name)
    first = run(repo, "rev-parse", "HEAD").strip()
    Review(repo, tmp_path / "helpers").merge(1, squash=True)
    assert run(repo, "rev-list", "--count", f"{first}..HEAD").strip() == "1"
    assert run(repo, "log", "-1", "--format=%P").split() == [first]
    assert run(repo, "status", "--porcelain") == ""


def collide(repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    one, two = spawn(repo, tmp_path, 1), spawn(repo, tmp_path, 2)
    for clone, word in ((one, "uno"), (two, "dos")):
        (clone / "shared.txt").write_text(f"one\n{word}\nthree\n")
        run(clone, "commit", "-qam", word)
    return one, two


def test_conflicts_between_helpers_and_against_head(repo: Path, tmp_path: Path) -> None:
    one, _ = collide(repo, tmp_path)
    (one / "only-one.txt").write_text("1\n")
    (repo / "shared.txt").write_text("one\nzwei\nthree\n")
    run(repo, "commit", "-qam", "user")
    found = Review(repo, tmp_path / "helpers").conflicts()
    assert {"a": 1, "b": 2, "files": ["shared.txt"]} in found
    assert {"a": 1, "b": "HEAD", "files": ["shared.txt"]} in found
    assert {"a": 2, "b": "HEAD", "files": ["shared.txt"]} in found
    assert run(repo, "status", "--porcelain") == ""


def test_refused_merges_leave_the_checkout_as_it_was(repo: Path, tmp_path: Path) -> None:
    collide(repo, tmp_path)
    review = Review(repo, tmp_path / "helpers")
    review.merge(1, squash=False)
    before = state(repo)
    with pytest.raises(CloneError, match=r"conflict with main in shared\.txt"):
        review.merge(2, squash=False)
    assert state(repo) == before
    (repo / "shared.txt").write_text("dirty\n")
    dirty = state(repo)
    with pytest.raises(CloneError, match=r"uncommitted changes \(shared\.txt\)"):
        review.merge(2, squash=True)
    assert state(repo) == dirty


def test_bad_input_is_a_clone_error(repo: Path, tmp_path: Path) -> None:
    spawn(repo, tmp_path, 1)
    review = Review(repo, tmp_path / "helpers")
    with pytest.raises(CloneError, match="helper 99 has no clone"):
        review.diff(99, stat=False)
    with pytest.raises(CloneError, match="helper 1 has no commits to merge"):
        review.merge(1, squash=False)


def test_unmerged_work_is_known(repo: Path, tmp_path: Path) -> None:
    clone = spawn(repo, tmp_path, 1)
    review = Review(repo, tmp_path / "helpers")
    assert not review.holds_unmerged_work(1)
    (clone / "draft.txt").write_text("draft\n")
    assert review.holds_unmerged_work(1)
    run(clone, "add", "draft.txt")
    run(clone, "commit", "-qm", "draft")
    assert review.holds_unmerged_work(1)
    review.merge(1, squash=True)
    assert not review.holds_unmerged_work(1)
    review.forget(1)
    assert review.helpers() == []


def test_the_hosts_reading_of_a_clone_runs_nothing_its_config_names(
    repo: Path, tmp_path: Path
) -> None:
    clone = spawn(repo, tmp_path, 1)
    marker = tmp_path / "ran"
    evil = f'[core]\n\tfsmonitor = touch {marker}\n[filter "x"]\n\tclean = touch {marker}\n'
    (clone / ".git" / "config").write_text(evil)
    (clone / ".gitattributes").write_text("* filter=x\n")
    (clone / "new.txt").write_text("new\n")
    assert "new.txt" in Review(repo, tmp_path / "helpers").diff(1, stat=True)
    assert not marker.exists()


def test_the_checkout_runs_on_behind_a_marker_helper_init_waits_for(
    repo: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "helpers" / "1" / "workspace"
    workspace.mkdir(parents=True)
    pending = HelperClones(repo).begin(1, workspace)
    marker = workspace.parent / CHECKOUT_PENDING
    assert marker.exists()
    assert (workspace / ".git" / "hooks").is_dir()  # mount sources exist before the container
    pending.finish()
    assert not marker.exists()
    assert (workspace / "shared.txt").read_text() == "one\ntwo\nthree\n"
    script = (resources.files("kanibako") / "scripts" / "helper-init.sh").read_text()
    assert f'"$helper_dir/{CHECKOUT_PENDING}"' in script


def test_an_abandoned_spawn_stops_the_checkout(repo: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "helpers" / "1" / "workspace"
    workspace.mkdir(parents=True)
    pending = HelperClones(repo).begin(1, workspace)
    pending.abandon()
    assert pending.worker is None


def test_a_background_failure_is_one_line_at_finish_and_the_marker_stays(tmp_path: Path) -> None:
    not_a_repo = tmp_path / "plain"
    not_a_repo.mkdir()
    workspace = tmp_path / "helpers" / "1" / "workspace"
    workspace.mkdir(parents=True)
    pending = HelperClones(not_a_repo).begin(1, workspace)
    with pytest.raises(CloneFailure, match="not a git repository") as failed:
        pending.finish()
    assert "\n" not in str(failed.value)
    # helper-init.sh keeps waiting: the helper never runs in a half-made clone.
    assert (workspace.parent / CHECKOUT_PENDING).exists()


def test_loose_objects_and_commit_graphs_are_the_clones_own_copies(
    repo: Path, tmp_path: Path
) -> None:
    # A helper owns the files it sees: a file shared with the user's repository
    # (one inode) would let it rewrite the user's history by chmod and a write.
    run(repo, "gc", "-q")
    run(repo, "commit-graph", "write", "--reachable")
    (repo / "loose.txt").write_text("loose\n")
    run(repo, "add", "loose.txt")
    run(repo, "commit", "-qm", "loose")  # loose objects beside the pack
    clone = spawn(repo, tmp_path, 1)
    objects = clone / ".git" / "objects"
    shared = [
        str(p.relative_to(objects))
        for p in objects.rglob("*")
        if p.is_file() and p.stat().st_nlink > 1
    ]
    assert shared and all(name.startswith("pack/") for name in shared)
    assert (objects / "info" / "commit-graph").stat().st_nlink == 1
    assert run(clone, "fsck", "--strict") == ""
    assert run(clone, "log", "--format=%s") == "loose\nfirst\n"


def test_a_link_planted_for_the_pack_mount_is_replaced_not_followed(
    repo: Path, tmp_path: Path
) -> None:
    clone = spawn(repo, tmp_path, 1)
    secret = tmp_path / "secret-dir"
    secret.mkdir()
    pack = clone / ".git" / "objects" / "pack"
    import shutil

    shutil.rmtree(pack)
    pack.symlink_to(secret)
    mounts = HelperClones(repo).prepare(1, clone)
    source = next(m.source for m in mounts if m.target.endswith("/objects/pack"))
    assert source == pack and not pack.is_symlink() and pack.is_dir()
    assert secret.is_dir()  # what the link pointed at is left alone
