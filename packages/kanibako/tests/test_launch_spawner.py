"""The helper spawner's container: the hub's request plus the session's image, agent and labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako.session import layout
from kanibako.session.spawner import HelperSpawner
from kanibako_helpers import BindMount, SpawnRequest
from kanibako_paths import load_paths, resolve_project
from kanibako_runtime import Engine, Mount


@pytest.fixture
def spawner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HelperSpawner:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "w").mkdir()
    project = resolve_project(load_paths(), tmp_path / "w")
    return HelperSpawner(
        Engine("podman", "/usr/bin/podman"),
        project,
        "img:1",
        ["claude", "--continue"],
        [Mount(Path("/opt/claude"), "/opt/claude", read_only=True)],
        {"HOME": "/home/agent", "A": "session"},
    )


def test_helper_spec_wraps_the_agent_command_and_carries_session_labels(
    spawner: HelperSpawner,
) -> None:
    request = SpawnRequest(
        helper=1,
        parent=0,
        depth=1,
        breadth=2,
        model="sonnet",
        container_name="kanibako-helper-abc-1",
        mounts=(BindMount(Path("/h/1"), "/home/agent", False),),
        env={"A": "helper", "KANIBAKO_HELPER": "1"},
        command=("/bin/sh", "/home/agent/helper-init.sh"),
    )
    spec = spawner.spec_for(request)
    assert spec.image == "img:1" and spec.name == "kanibako-helper-abc-1"
    assert spec.detach and spec.remove and spec.init
    assert (spec.entrypoint, spec.command) == (
        "/bin/sh",
        ("/home/agent/helper-init.sh", "claude", "--continue"),
    )
    assert spec.mounts == (
        Mount(Path("/h/1"), "/home/agent"),
        Mount(Path("/opt/claude"), "/opt/claude", read_only=True),
    )
    assert spec.env["A"] == "helper"
    assert spec.labels[layout.LABEL_ROLE] == "helper"
    assert spec.labels[layout.LABEL_SESSION] == spawner.project.project_hash


def test_stop_all_with_nothing_started_is_quiet(spawner: HelperSpawner) -> None:
    spawner.stop_all()
    assert spawner.started == []


def test_a_second_stop_waits_for_the_first_to_finish(tmp_path: Path) -> None:
    import threading
    import time

    from kanibako.session.spawner import HelperContainer

    calls = tmp_path / "calls"
    fake = tmp_path / "podman"
    fake.write_text(f'#!/bin/sh\necho "$1" >> {calls}\n[ "$1" = stop ] && sleep 0.5\nexit 0\n')
    fake.chmod(0o755)
    helper = HelperContainer(Engine("podman", str(fake)), "kanibako-helper-x-1")
    first = threading.Thread(target=helper.stop)
    first.start()
    time.sleep(0.1)  # the first stop is now inside the engine call
    helper.stop()
    assert calls.read_text().split() == ["stop", "rm"]  # done by the time we return
    first.join()
    assert calls.read_text().split() == ["stop", "rm"]


def test_a_stopped_helper_s_egress_socket_is_closed_and_a_restart_reopens_it(
    spawner: HelperSpawner, tmp_path: Path
) -> None:
    """The hub's stop/cleanup stop the handle ``track`` gave: its proxy socket goes with it."""
    import socket

    from kanibako.session.egress.decision_log import DecisionLog
    from kanibako.session.egress.launch_hook import EgressSession
    from kanibako.session.egress.policy import Policy
    from kanibako.session.egress.proxy import EgressProxy

    proxy = EgressProxy(Policy([], []), DecisionLog(tmp_path / "log.jsonl")).start()
    sockets = tmp_path / "s"
    sockets.mkdir()
    egress = EgressSession("allowlist", sockets, bundle=tmp_path, proxy=proxy)
    spawner.egress = egress
    request = SpawnRequest(
        helper=3, parent=0, depth=1, breadth=1, model=None,
        container_name="kanibako-helper-never-started-3", mounts=(), env={}, command=("true",),
    )  # fmt: skip

    def reachable() -> bool:
        with socket.socket(socket.AF_UNIX) as client:
            try:
                client.connect(str(sockets / "e3" / "egress.sock"))
            except OSError:
                return False
            return True

    try:
        egress.helper(3)
        assert reachable()
        # Real podman: stopping a container that does not exist is "no such", not an error.
        spawner.track(request).stop()
        assert not reachable() and not (sockets / "e3" / "egress.sock").exists()
        egress.helper(3)
        assert reachable()
        egress.release(4)  # never listened: nothing to do
    finally:
        egress.close()
