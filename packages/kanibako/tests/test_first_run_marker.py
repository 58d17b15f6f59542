"""The first-run marker: set only by the agent's own first successful session."""

from __future__ import annotations

import pytest

from kanibako.app import LaunchOptions
from kanibako.session.agent import AgentLaunch, first_run_marker, prepare_agent, running_marker
from kanibako_paths import KanibakoPaths, Project, resolve_project

CONTINUE = "--continue"


def launch(
    box: tuple[KanibakoPaths, Project], mode: str, status: int, **given: object
) -> list[str]:
    """Prepare one launch, end its session with ``status``; the agent's argv."""
    paths, project = box
    prepared = prepare_agent(
        paths,
        resolve_project(paths, project.workspace),
        LaunchOptions(**given),  # type: ignore[arg-type]
        mode,  # type: ignore[arg-type]
        first_run=False,
        verbose=False,
    )
    prepared.session_ended(status)
    return prepared.argv


@pytest.mark.parametrize(
    ("mode", "status", "given"),
    [
        ("shell", 0, {}),
        ("start", 1, {}),  # the agent failed
        ("start", 125, {}),  # the engine failed: the agent never ran
        ("start", 130, {}),  # interrupted by a signal
        ("resume", 0, {}),  # a picker that may have had nothing to resume
    ],
)
def test_a_session_that_is_not_the_agents_first_success_leaves_a_first_run(
    box: tuple[KanibakoPaths, Project], mode: str, status: int, given: dict[str, object]
) -> None:
    launch(box, mode, status, **given)
    assert not first_run_marker(box[1], "claude").exists()
    assert CONTINUE not in launch(box, "start", 0)
    assert CONTINUE in launch(box, "start", 0)


def test_the_first_successful_start_is_recorded_once(box: tuple[KanibakoPaths, Project]) -> None:
    assert CONTINUE not in launch(box, "start", 0)
    marker = first_run_marker(box[1], "claude")
    assert marker.exists()
    assert CONTINUE in launch(box, "start", 0)
    # A later failure does not undo the record, and -N still starts afresh.
    launch(box, "start", 1)
    assert marker.exists()
    assert CONTINUE not in launch(box, "start", 0, new=True)
    assert CONTINUE in launch(box, "start", 0)


def _started(box: tuple[KanibakoPaths, Project], mode: str = "start") -> AgentLaunch:
    paths, project = box
    prepared = prepare_agent(
        paths,
        resolve_project(paths, project.workspace),
        LaunchOptions(),
        mode,  # type: ignore[arg-type]
        first_run=False,
        verbose=False,
    )
    prepared.session_started()
    return prepared


def test_a_first_session_that_died_while_the_agent_ran_is_continued(
    box: tuple[KanibakoPaths, Project],
) -> None:
    died = _started(box)
    assert CONTINUE not in died.argv
    assert running_marker(box[1], "claude").exists()
    # Killed outright: neither session_ended nor finish ran. The next start continues.
    resumed = _started(box)
    assert CONTINUE in resumed.argv
    resumed.session_ended(0)
    resumed.finish()
    assert not running_marker(box[1], "claude").exists()
    assert first_run_marker(box[1], "claude").exists()  # recorded by the continued session
    assert CONTINUE in launch(box, "start", 0)


def test_a_session_that_ended_leaves_no_running_record(
    box: tuple[KanibakoPaths, Project],
) -> None:
    ended = _started(box)
    ended.session_ended(1)  # the agent failed, and the session ended (cleanup ran)
    ended.finish()
    assert not running_marker(box[1], "claude").exists()
    assert CONTINUE not in launch(box, "start", 0)


def test_a_shell_session_that_died_is_no_conversation(box: tuple[KanibakoPaths, Project]) -> None:
    _started(box, mode="shell")
    assert not running_marker(box[1], "claude").exists()
    assert CONTINUE not in launch(box, "start", 0)
