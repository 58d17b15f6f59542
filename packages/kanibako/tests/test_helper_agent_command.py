"""A helper's agent command: the target builds it with the model the spawn asked for."""

from __future__ import annotations

from kanibako.app import LaunchOptions
from kanibako.session.agent import HelperCommand, prepare_agent
from kanibako.session.spawner import HelperSpawner
from kanibako_helpers import SpawnRequest
from kanibako_paths import KanibakoPaths, Project
from kanibako_runtime import Engine

SKIP = "--dangerously-skip-permissions"


def spawner_for(
    project: Project, director_argv: list[str], helper: HelperCommand | None
) -> HelperSpawner:
    engine = Engine("podman", "/usr/bin/podman")
    return HelperSpawner(engine, project, "img", director_argv, [], {}, helper_command=helper)


def helper_argv(spawner: HelperSpawner, model: str | None, *, resume: bool = False) -> list[str]:
    request = SpawnRequest(
        helper=1,
        parent=0,
        depth=1,
        breadth=2,
        model=model,
        container_name="kanibako-helper-x-1",
        mounts=(),
        command=("/bin/sh", "init.sh"),
        resume=resume,
    )
    spec = spawner.spec_for(request)
    assert spec.entrypoint == "/bin/sh"
    return list(spec.command[1:])


def test_a_helper_runs_the_model_its_spawn_asked_for(box: tuple[KanibakoPaths, Project]) -> None:
    paths, project = box
    first = prepare_agent(paths, project, LaunchOptions(), "start", first_run=True, verbose=False)
    first.session_ended(0)
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


def test_a_helper_respawned_after_its_session_died_continues_its_own_conversation(
    box: tuple[KanibakoPaths, Project],
) -> None:
    paths, project = box
    # The director's first run (no --continue of its own): the helper still continues.
    director = prepare_agent(
        paths, project, LaunchOptions(), "start", first_run=True, verbose=False
    )
    assert "--continue" not in director.argv
    spawner = spawner_for(project, director.argv, director.helper_command)
    assert helper_argv(spawner, None, resume=True) == [
        "claude", "--continue", SKIP, "--model", "opus"
    ]  # fmt: skip
    assert helper_argv(spawner, None) == ["claude", SKIP, "--model", "opus"]
    # -N for the director is its own choice: a resumed helper continues all the same.
    fresh = prepare_agent(
        paths, project, LaunchOptions(new=True), "start", first_run=False, verbose=False
    )
    resumed = helper_argv(spawner_for(project, fresh.argv, fresh.helper_command), None, resume=True)
    assert "--continue" in resumed
