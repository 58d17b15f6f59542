"""The order of cleanup, on every way a session ends (real podman, in-process pipeline).

The agent's launch and the hub are replaced by recorders, so the test sees exactly
when credentials are written back, when the hub stops and when the lock is
released, relative to the container.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kanibako.app import LaunchOptions
from kanibako.session import agent, hub, run
from kanibako.session.agent import AgentLaunch
from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import LOCK_FILE_NAME, lock_holder
from tests.launch_helpers import session_containers

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self, project: Path, fail_hub: bool = False) -> None:
        self.events: list[str] = []
        self.project = project
        self.fail_hub = fail_hub

    def lock_held(self) -> bool:
        box = resolve_project(load_paths(), self.project).metadata_dir
        return lock_holder(box / LOCK_FILE_NAME) is not None

    def launch_agent(self, *args: Any, **kwargs: Any) -> AgentLaunch:
        self.events.append("prepare")
        return AgentLaunch(env={"AGENT": "1"}, target_name="recorder", finish_hook=self.finish)

    def finish(self) -> None:
        running = bool(session_containers(self.project))
        self.events.append(f"write-back (container running: {running}, lock: {self.lock_held()})")

    @contextmanager
    def hub_session(self, paths: Any, project: Any, spawner: Any, **_: Any) -> Iterator[Any]:
        if self.fail_hub:
            raise OSError(28, "No space left on device", "/run/hub.sock")
        self.events.append("hub start")
        try:
            yield SimpleNamespace(mounts=[], env={"HUB": "1"}, serve=lambda: None)
        finally:
            self.events.append(f"hub stop (lock: {self.lock_held()})")


@pytest.fixture
def recorder(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    project = isolated_home / "proj"
    project.mkdir()
    rec = Recorder(project)
    monkeypatch.setattr(agent, "launch_agent", rec.launch_agent)
    monkeypatch.setattr(hub, "hub_session", rec.hub_session)
    yield rec


def _run(recorder: Recorder, image: str, command: str) -> int:
    request = run.SessionRequest(
        recorder.project, LaunchOptions(image=image, command=command), "shell"
    )
    return run.run_session(request, lambda line: None)


def _expected_cleanup() -> list[str]:
    return [
        "prepare",
        "hub start",
        "write-back (container running: False, lock: True)",
        "hub stop (lock: True)",
    ]


def test_normal_exit_writes_back_after_the_container_then_stops_hub_then_unlocks(
    recorder: Recorder, busybox_image: str
) -> None:
    assert _run(recorder, busybox_image, "sh -c 'test \"$AGENT$HUB\" = 11'") == 0
    assert recorder.events == _expected_cleanup()
    assert not recorder.lock_held()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_mid_session_runs_the_same_cleanup(
    recorder: Recorder, busybox_image: str, signum: int
) -> None:
    def interrupt_when_running() -> None:
        for _ in range(200):
            if session_containers(recorder.project):
                os.kill(os.getpid(), signum)
                return
            threading.Event().wait(0.05)

    killer = threading.Thread(target=interrupt_when_running)
    killer.start()
    try:
        status = _run(recorder, busybox_image, "sleep 60")
    finally:
        killer.join()
    assert status == 128 + signum
    assert recorder.events == _expected_cleanup()
    assert not recorder.lock_held() and not session_containers(recorder.project)


def test_an_error_before_the_container_still_writes_back_and_unlocks(
    recorder: Recorder, busybox_image: str
) -> None:
    recorder.fail_hub = True
    with pytest.raises(OSError, match="No space left"):
        _run(recorder, busybox_image, "true")
    assert recorder.events == ["prepare", "write-back (container running: False, lock: True)"]
    assert not recorder.lock_held() and not session_containers(recorder.project)
