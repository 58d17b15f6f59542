"""A real hub on a real Unix socket, driven by raw sockets that behave like hostile helpers."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kanibako_helpers import HelperTree, HubConfig, HubRunner, SpawnBudget, SpawnRequest


class RecordedHelper:
    """What the recording spawner hands back: remembers being stopped."""

    def __init__(self, request: SpawnRequest) -> None:
        self.request = request
        self.stopped = threading.Event()
        self.fail_stop: str | None = None

    def stop(self) -> None:
        if self.fail_stop is not None:
            raise RuntimeError(self.fail_stop)
        self.stopped.set()


class RecordingSpawner:
    """A spawner that starts no container but keeps every request (the hub's seam)."""

    def __init__(self) -> None:
        self.started: list[RecordedHelper] = []
        self.fail_next: str | None = None

    def __call__(self, request: SpawnRequest) -> RecordedHelper:
        if self.fail_next is not None:
            message, self.fail_next = self.fail_next, None
            raise RuntimeError(message)
        helper = RecordedHelper(request)
        self.started.append(helper)
        return helper


class Raw:
    """A raw socket speaking the line protocol by hand (no client-side checks)."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(str(path))
        self.reader = self.sock.makefile("rb")

    def send(self, obj: dict[str, Any] | bytes) -> None:
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode() + b"\n"
        self.sock.sendall(data)

    def recv(self) -> dict[str, Any]:
        line = self.reader.readline()
        assert line, "the hub closed the connection"
        result: dict[str, Any] = json.loads(line)
        return result

    def ask(self, **request: Any) -> dict[str, Any]:
        request.setdefault("id", 1)
        self.send(request)
        return self.recv()

    def is_closed(self) -> bool:
        try:
            for _ in range(100):  # error replies may come first
                if self.reader.readline() == b"":
                    return True
        except OSError:
            return True
        return False

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class HubFixture:
    def __init__(self, runner: HubRunner, spawner: RecordingSpawner, root: Path) -> None:
        self.runner = runner
        self.spawner = spawner
        self.root = root
        self.opened: list[Raw] = []

    @property
    def hub(self) -> Any:
        return self.runner.hub

    def raw(self) -> Raw:
        raw = Raw(self.runner.socket_path)
        self.opened.append(raw)
        return raw

    def as_helper(self, token: str, role: str = "command") -> Raw:
        raw = self.raw()
        reply = raw.ask(op="hello", token=token, role=role)
        assert reply["ok"], reply
        return raw

    def director(self, role: str = "command") -> Raw:
        return self.as_helper(self.runner.director_token, role)

    def token(self, number: int) -> str:
        token: str = self.hub.helpers[number].token
        return token

    def spawn(self, raw: Raw, **fields: Any) -> int:
        reply = raw.ask(op="spawn", **fields)
        assert reply["ok"], reply
        return int(reply["helper"])


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory short enough for an AF_UNIX socket path."""
    path = Path(tempfile.mkdtemp(prefix="kbh-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def hub(short_dir: Path) -> Iterator[HubFixture]:
    spawner = RecordingSpawner()
    config = HubConfig(
        socket_path=short_dir / "hub.sock",
        log_path=short_dir / "log" / "helper-messages.jsonl",
        tree=HelperTree(short_dir / "home" / "helpers"),
        token_dir=short_dir / "tokens",
        root_budget=SpawnBudget(depth=2, breadth=2),
        max_pending_bytes=64 * 1024,
        max_pending_total=160 * 1024,
        homes_root=short_dir / "homes",
    )
    runner = HubRunner(config, spawner).start()
    fixture = HubFixture(runner, spawner, short_dir)
    yield fixture
    for raw in fixture.opened:
        raw.close()
    runner.stop()


@pytest.fixture
def recording_spawner() -> RecordingSpawner:
    """A spawner for tests that run their own sessions (one hub after another)."""
    return RecordingSpawner()
