"""A helper's agent command: the target builds it with the model the spawn asked for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kanibako.app import LaunchOptions
from kanibako.session.agent import HelperCommand, prepare_agent
from kanibako.session.spawner import HelperSpawner
from kanibako_helpers import SpawnRequest
from kanibako_paths import KanibakoPaths, Project, load_paths, resolve_project
from kanibako_runtime import Engine

SKIP = "--dangerously-skip-permissions"


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KanibakoPaths, Project]:
    """A project whose host has a `claude` on PATH (auto-detected as the target)."""
    home = tmp_path / "home"
    for sub in (".config", ".local/share", "bin"):
        (home / sub).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    claude = home / "bin" / "claude"
    claude.write_text("#!/bin/sh\nexit 0\n")
    claude.chmod(0o755)
    monkeypatch.setenv("PATH", f"{claude.parent}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "w").mkdir()
    paths = load_paths()
    return paths, resolve_project(paths, tmp_path / "w")


def spawner_for(
    project: Project, director_argv: list[str], helper: HelperCommand | None
) -> HelperSpawner:
    engine = Engine("podman", "/usr/bin/podman")
    return HelperSpawner(engine, project, "img", director_argv, [], {}, helper_command=helper)


def helper_argv(spawner: HelperSpawner, model: str | None) -> list[str]:
    request = SpawnRequest(
        helper=1,
        parent=0,
        depth=1,
        breadth=2,
        model=model,
        container_name="kanibako-helper-x-1",
        mounts=(),
        command=("/bin/sh", "init.sh"),
    )
    spec = spawner.spec_for(request)
    assert spec.entrypoint == "/bin/sh"
    return list(spec.command[1:])


def test_a_helper_runs_the_model_its_spawn_asked_for(box: tuple[KanibakoPaths, Project]) -> None:
    paths, project = box
    prepare_agent(paths, project, LaunchOptions(), "start", first_run=True, verbose=False)
    # The second launch continues the director's conversation: helpers start their own.
    director = prepare_agent(
        paths, project, LaunchOptions(), "start", first_run=False, verbose=False
    )
    assert director.argv == ["claude", "--continue", SKIP, "--model", "opus"]
    spawner = spawner_for(project, director.argv, director.helper_command)
    assert helper_argv(spawner, "sonnet") == ["claude", SKIP, "--model", "sonnet"]
    assert (
        "KANIBAKO_HELPER_MODEL"
        not in spawner.spec_for(SpawnRequest(1, 0, 1, 2, "sonnet", "n", ())).env
    )


def test_without_a_model_a_helper_runs_the_directors_effective_model(
    box: tuple[KanibakoPaths, Project],
) -> None:
    paths, project = box
    settings = project.project_config_file
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('[target_settings]\nmodel = "haiku"\n')
    safe = LaunchOptions(safe=True)
    director = prepare_agent(paths, project, safe, "resume", first_run=False, verbose=False)
    assert director.argv == ["claude", "--resume", "--model", "haiku"]
    # -S carries over; the director's --resume does not (a helper has no conversation).
    assert helper_argv(spawner_for(project, director.argv, director.helper_command), None) == [
        "claude",
        "--model",
        "haiku",
    ]


def test_a_session_without_an_agent_gives_helpers_its_own_command(
    box: tuple[KanibakoPaths, Project],
) -> None:
    paths, project = box
    prepare_agent(paths, project, LaunchOptions(), "start", first_run=True, verbose=False)
    shell = prepare_agent(paths, project, LaunchOptions(), "shell", first_run=False, verbose=False)
    assert shell.argv == []
    spawner = spawner_for(project, ["/bin/sh"], shell.helper_command)
    assert helper_argv(spawner, "sonnet") == ["/bin/sh"]
