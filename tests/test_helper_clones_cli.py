"""`kanibako helper spawn -c|diff|merge|conflicts|cleanup` on the host, with a real hub and real git.

The spawner makes the clone exactly as the session's does
(:meth:`HelperClones.prepare`) but records the container instead of starting
it; the engine path is in test_helper_clones_engine.py.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kanibako.cli import cli
from kanibako.session.helper_clones import HelperClones
from kanibako.session.hub import hub_session
from kanibako_helpers import SpawnBudget, SpawnRequest
from kanibako_helpers.layout import CONTAINER_WORKSPACE
from kanibako_paths import ensure_initialized, load_paths, resolve_project


class Recorded:
    def __init__(self, request: SpawnRequest) -> None:
        self.request = request

    def stop(self) -> None:
        pass


class CloningSpawner:
    def __init__(self, clones: HelperClones | None) -> None:
        self.clones = clones
        self.started: list[Recorded] = []

    def __call__(self, request: SpawnRequest) -> Recorded:
        if self.clones is not None:
            workspace = next(m.source for m in request.mounts if m.target == CONTAINER_WORKSPACE)
            self.clones.prepare(request.helper, workspace)
        self.started.append(Recorded(request))
        return self.started[-1]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def project(
    isolated_home: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: Any
) -> Path:
    import kanibako.session.hub

    cache = tmp_path_factory.getbasetemp() / "clones-bundle-cache"
    monkeypatch.setattr(kanibako.session.hub, "_bundle_cache", lambda: cache)
    path = isolated_home / "proj"
    path.mkdir()
    return path


@pytest.fixture
def repo(project: Path) -> Path:
    git(project, "init", "-q", "-b", "main")
    git(project, "config", "user.name", "User")
    git(project, "config", "user.email", "user@example.com")
    (project / "f.txt").write_text("a\nb\nc\n")
    git(project, "add", "f.txt")
    git(project, "commit", "-qm", "first")
    return project


@pytest.fixture
def session(project: Path) -> Iterator[CloningSpawner]:
    paths = load_paths()
    resolved = ensure_initialized(paths, resolve_project(paths, project))
    spawner = CloningSpawner(HelperClones.for_workspace(project, resolved.project_config_file))
    with hub_session(paths, resolved, spawner, budget=SpawnBudget(1, 4)):
        yield spawner


def run(project: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["-p", str(project), "helper", *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def clone(project: Path, number: int) -> Path:
    shell = resolve_project(load_paths(), project).shell_dir
    return shell / "helpers" / str(number) / "workspace"


def test_spawn_c_runs_a_command_in_its_own_clone(repo: Path, session: CloningSpawner) -> None:
    out = run(repo, "spawn", "-c", "git log --oneline")
    assert out == "spawned helper 1 (its own clone, branch kanibako/helper-1)\n"
    assert session.started[0].request.agent_command == ("git", "log", "--oneline")
    assert run(repo, "spawn", "-c", "", code=2).startswith("kanibako: -c needs a command")


def test_review_merge_and_guarded_cleanup(repo: Path, session: CloningSpawner) -> None:
    run(repo, "spawn", "-c", "true")
    run(repo, "spawn", "-c", "true")
    one, two = clone(repo, 1), clone(repo, 2)
    assert run(repo, "merge", "1", code=2) == (
        "kanibako: helper 1 has no commits to merge (see 'kanibako helper diff 1')\n"
    )
    for work, word in ((one, "B1"), (two, "B2")):
        (work / "f.txt").write_text(f"a\n{word}\nc\n")
        git(work, "commit", "-qam", word)
    (one / "draft.txt").write_text("draft\n")
    assert "draft.txt" in run(repo, "diff", "1", "--stat")
    assert "+B1" in run(repo, "diff", "1")
    found = json.loads(run(repo, "conflicts", "--json"))
    assert {"a": 1, "b": 2, "files": ["f.txt"]} in found
    assert run(repo, "conflicts") == "helper 1 and helper 2: f.txt\n"
    assert not (repo / "draft.txt").exists()
    assert "merged into main" in run(repo, "merge", "1")
    refused = run(repo, "merge", "2", code=2)
    assert (
        refused == "kanibako: helper 2's commits conflict with main in f.txt; nothing was merged\n"
    )
    assert git(repo, "status", "--porcelain") == ""
    assert "holds work not merged" in run(repo, "cleanup", "2", code=2)
    assert (two / ".git").is_dir()
    assert run(repo, "cleanup", "2", "--force") == "removed helper 2\n"
    assert not two.exists()
    assert "refs/kanibako/helpers/2/" not in git(repo, "for-each-ref")
    assert run(repo, "cleanup", "1", code=2).startswith(
        "kanibako: helper 1 holds work"
    )  # the draft


def test_bad_input_is_one_line_and_exit_2(repo: Path, session: CloningSpawner) -> None:
    assert run(repo, "diff", "99", code=2) == "kanibako: helper 99 has no clone in this project\n"
    assert run(repo, "merge", "99", "--squash", code=2).count("\n") == 1


def test_a_workspace_that_is_not_git_keeps_the_shared_helper_tree(
    project: Path, session: Any
) -> None:
    out = run(project, "spawn")
    assert "the workspace is not a git repository" in out
    line = run(project, "diff", "1", code=2)
    assert (
        line.startswith("kanibako: ")
        and "is not a git repository" in line
        and line.count("\n") == 1
    )
