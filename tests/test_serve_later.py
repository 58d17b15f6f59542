"""The hub and the egress proxy bind before the container and serve once its engine client runs.

What the director's container needs exists before it starts (the token file,
the message log, the sockets, listening); a request made before the servers
start waits in the socket's backlog and is answered, never refused.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako.session.egress.decision_log import DecisionLog
from kanibako.session.egress.launch_hook import EgressSession
from kanibako.session.egress.policy import Policy
from kanibako.session.egress.proxy import EgressProxy
from kanibako.session.hub import hub_session
from kanibako_helpers import HubClient, SpawnBudget, read_helper_config
from kanibako_paths import Project, ensure_initialized, load_paths, resolve_project


@pytest.fixture
def project(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    import kanibako.session.hub

    cache = isolated_home / "bundle-cache"
    monkeypatch.setattr(kanibako.session.hub, "_bundle_cache", lambda: cache)
    path = isolated_home / "proj"
    path.mkdir()
    paths = load_paths()
    yield ensure_initialized(paths, resolve_project(paths, path))


def test_a_request_made_before_the_hub_serves_is_answered_once_it_does(project: Project) -> None:
    paths = load_paths()
    with hub_session(paths, project, None, budget=SpawnBudget(1, 2), serve_later=True) as handle:
        where = handle.locations
        assert where.log_path.is_file() and where.socket_path.is_socket()
        token = read_helper_config(where.director_token_file).token
        answers: list[object] = []

        def ask() -> None:
            with HubClient(where.socket_path, token) as director:
                answers.append(director.request("list"))

        early = threading.Thread(target=ask)
        early.start()  # connects now: the kernel queues it
        time.sleep(0.3)
        assert answers == [] and early.is_alive()
        handle.serve()
        early.join(timeout=10)
        assert answers and answers[0]["ok"]  # type: ignore[index]
        handle.serve()  # idempotent
        # The hub uses the token written before it existed: it is the director's.
        assert handle.runner.director_token == token
    assert not where.socket_path.exists() and not where.director_token_file.exists()


def test_a_hub_never_served_leaves_nothing_behind(project: Project) -> None:
    with hub_session(load_paths(), project, None, serve_later=True) as handle:
        where = handle.locations
    assert not where.socket_path.exists() and not where.director_token_file.exists()


def _connect(path: Path) -> socket.socket:
    client = socket.socket(socket.AF_UNIX)
    try:
        client.connect(str(path))
    except OSError:
        client.close()
        raise
    return client


def test_the_proxy_serves_the_sockets_bound_before_it_started(tmp_path: Path) -> None:
    started: list[EgressProxy] = []

    def start_proxy() -> EgressProxy:
        started.append(EgressProxy(Policy([], []), DecisionLog(tmp_path / "log.jsonl")).start())
        return started[-1]

    sockets = tmp_path / "s"
    sockets.mkdir()
    egress = EgressSession("allowlist", sockets, bundle=tmp_path, start_proxy=start_proxy)
    try:
        additions = egress.director()
        assert additions.network == "none" and additions.forwarder
        path = sockets / "e0" / "egress.sock"
        early = _connect(path)  # before the proxy exists: queued
        early.sendall(b"CONNECT example.invalid:443 HTTP/1.1\r\nHost: example.invalid\r\n\r\n")
        assert started == []
        egress.serve()
        early.settimeout(10)
        assert early.recv(64).startswith(b"HTTP/1.1 403")  # answered: denied by the policy
        early.close()
        egress.helper(2)  # a helper after serving: listened directly
        _connect(sockets / "e2" / "egress.sock").close()
    finally:
        egress.close()
    assert not path.exists()


def test_a_proxy_never_started_closes_its_bound_sockets(tmp_path: Path) -> None:
    egress = EgressSession(
        "allowlist", tmp_path, bundle=tmp_path, start_proxy=lambda: pytest.fail("started")
    )
    egress.director()
    egress.close()
    with pytest.raises(OSError):
        _connect(tmp_path / "e0" / "egress.sock")
