"""Helpers whose session died (the hub never closed): loaded as interrupted, respawned with --all."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from kanibako_helpers import HelperTree, HubClient, HubConfig, HubRefused, HubRunner, SpawnBudget
from kanibako_helpers.helper_registry import read_registry, registry_path


def _config(short_dir: Path) -> HubConfig:
    return HubConfig(
        socket_path=short_dir / "hub.sock",
        log_path=short_dir / "log.jsonl",
        tree=HelperTree(short_dir / "helpers"),
        token_dir=short_dir / "tokens",
        root_budget=SpawnBudget(depth=2, breadth=2),
    )


def _registry_settled(path: Path, statuses: dict[int, str]) -> bytes:
    """The registry once it records ``statuses`` (it is written off the event loop)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if {e["helper"]: e["status"] for e in read_registry(path)} == statuses:
            return path.read_bytes()
        time.sleep(0.01)
    raise AssertionError(f"registry never recorded {statuses}: {read_registry(path)}")


def _crashed_session(short_dir: Path, spawner: Any) -> None:
    """A session with helpers 1 (running, a `-c` helper), 2 (stopped by hand) and 3 (1's child,
    running), whose hub then died: the registry is left as it was while they ran."""
    registry = registry_path(short_dir / "log.jsonl")
    with HubRunner(_config(short_dir), spawner) as runner:
        with HubClient(runner.socket_path, runner.director_token) as director:
            assert director.request("spawn", command=["sleep", "99"])["helper"] == 1
            assert director.request("spawn")["helper"] == 2
            director.request("stop", helper=2)
        child_token = runner.hub.helpers[1].token
        with HubClient(runner.socket_path, child_token) as one:
            assert one.request("spawn")["helper"] == 3
        left = _registry_settled(registry, {1: "running", 2: "stopped", 3: "running"})
    for thread in threading.enumerate():
        if thread.name == "kanibako-hub-closing":
            thread.join()
    # What a killed hub leaves: its "stopped" at the end was never written.
    registry.write_bytes(left)


def test_helpers_running_when_the_session_died_come_back_with_respawn_all(
    short_dir: Path, recording_spawner: Any
) -> None:
    _crashed_session(short_dir, recording_spawner)
    recording_spawner.started.clear()
    with HubRunner(_config(short_dir), recording_spawner) as runner:
        statuses = {n: r.status for n, r in runner.hub.helpers.items() if n}
        assert statuses == {1: "interrupted", 2: "stopped", 3: "interrupted"}
        with HubClient(runner.socket_path, runner.director_token) as director:
            with pytest.raises(HubRefused, match="helper 1 is interrupted; respawn it first"):
                director.send(1, "hi")
            assert director.request("respawn", all=True)["helpers"] == [1, 3]
            assert director.request("respawn", all=True)["helpers"] == []  # none left
        requests = {h.request.helper: h.request for h in recording_spawner.started}
        assert sorted(requests) == [1, 3]  # 2 was stopped: not brought back
        assert requests[1].resume and requests[3].resume
        assert requests[1].agent_command == ("sleep", "99")  # its -c command, kept
        assert requests[3].agent_command == ()
        with HubClient(runner.socket_path, runner.director_token) as director:
            director.request("respawn", helper=2)
        assert not recording_spawner.started[-1].request.resume  # stopped: a new conversation
    # A session that ends records them stopped: nothing is interrupted next time.
    with HubRunner(_config(short_dir), recording_spawner) as runner:
        assert {r.status for n, r in runner.hub.helpers.items() if n} == {"stopped"}


def test_an_interrupted_helper_nobody_respawned_stays_interrupted(
    short_dir: Path, recording_spawner: Any
) -> None:
    _crashed_session(short_dir, recording_spawner)
    with HubRunner(_config(short_dir), recording_spawner):
        pass  # the session ends without `helper respawn --all`
    with HubRunner(_config(short_dir), recording_spawner) as runner:
        statuses = {n: r.status for n, r in runner.hub.helpers.items() if n}
        assert statuses == {1: "interrupted", 2: "stopped", 3: "interrupted"}


def test_a_failed_respawn_of_an_interrupted_helper_keeps_it_interrupted(
    short_dir: Path, recording_spawner: Any
) -> None:
    _crashed_session(short_dir, recording_spawner)
    with HubRunner(_config(short_dir), recording_spawner) as runner:
        recording_spawner.fail_next = "engine gone"
        with (
            HubClient(runner.socket_path, runner.director_token) as director,
            pytest.raises(HubRefused, match="helper 1: engine gone"),
        ):
            director.request("respawn", all=True)
        assert runner.hub.helpers[1].status == "interrupted"
        assert runner.hub.helpers[3].status == "running"  # one failing kept no other down
