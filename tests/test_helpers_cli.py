"""`kanibako helper` on the host against a real hub session, the zipapp and helper-init.sh.

The spawner here records requests instead of starting containers (the real
engine is exercised in test_helpers_engine.py); everything else is real: the
hub thread, its socket, the log, the CLI, the zipapp run by python3.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kanibako.cli import cli
from kanibako.self_bundle import ensure_bundle
from kanibako.session.hub import HubHandle, hub_session, wait_recorded
from kanibako_helpers import SpawnBudget, SpawnRequest
from kanibako_paths import ensure_initialized, load_paths, resolve_project


class Recorded:
    def __init__(self, request: SpawnRequest) -> None:
        self.request = request
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class RecordingSpawner:
    def __init__(self) -> None:
        self.started: list[Recorded] = []

    def __call__(self, request: SpawnRequest) -> Recorded:
        self.started.append(Recorded(request))
        return self.started[-1]


@pytest.fixture(scope="module")
def shared_bundle_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One zipapp build for the module (a build compiles every source: ~0.6 s)."""
    return tmp_path_factory.mktemp("bundle-cache")


@pytest.fixture
def project(
    isolated_home: Path, shared_bundle_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    import kanibako.session.hub

    monkeypatch.setattr(kanibako.session.hub, "_bundle_cache", lambda: shared_bundle_cache)
    path = isolated_home / "proj"
    path.mkdir()
    return path


@pytest.fixture
def session(project: Path) -> Iterator[tuple[HubHandle, RecordingSpawner]]:
    paths = load_paths()
    resolved = ensure_initialized(paths, resolve_project(paths, project))
    spawner = RecordingSpawner()
    with hub_session(paths, resolved, spawner, budget=SpawnBudget(2, 3)) as handle:
        yield handle, spawner


def run(project: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["-p", str(project), "helper", *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_session_gives_the_director_socket_token_log_and_cli(session: Any) -> None:
    handle, _ = session
    targets = {m.target: m for m in handle.mounts}
    sock = handle.locations.socket_path
    assert set(targets) == {
        # The socket and the director's token, as their directory (the same every session).
        "/home/agent/.kanibako/hub",
        "/home/agent/.kanibako/helper-messages.jsonl",
        "/home/agent/.local/bin/kanibako",
        # Also on the PATH of images that do not put ~/.local/bin there.
        "/usr/local/bin/kanibako",
        "/home/agent/helpers",
        "/home/agent/helpers/all/ro",
        "/home/agent/helpers/all/rw",
    }
    assert targets["/usr/local/bin/kanibako"].read_only
    assert targets["/home/agent/helpers"].read_only
    assert not targets["/home/agent/helpers/all/ro"].read_only
    assert targets["/home/agent/.kanibako/hub"].read_only
    assert targets["/home/agent/.kanibako/hub"].source == handle.locations.socket_path.parent
    assert handle.env["KANIBAKO_HUB_SOCKET"] == "/home/agent/.kanibako/hub/hub.sock"
    assert handle.env["KANIBAKO_HELPER_CONFIG"] == "/home/agent/.kanibako/hub/director.toml"
    token = handle.locations.director_token_file
    assert token.parent == sock.parent and stat.S_IMODE(token.stat().st_mode) == 0o600
    assert targets["/home/agent/.kanibako/helper-messages.jsonl"].read_only
    assert handle.env["KANIBAKO_HELPER"] == "0"
    assert len(os.fsencode(sock)) <= 107
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700


def test_spawn_list_send_broadcast_and_log(project: Path, session: Any) -> None:
    _, spawner = session
    assert run(project, "spawn", "--model", "sonnet").startswith(
        "spawned helper 1 (the workspace is not a git repository"
    )
    assert json.loads(run(project, "spawn", "--json", "--depth", "0")) == {"helper": 2}
    assert spawner.started[0].request.model == "sonnet"
    assert (spawner.started[1].request.depth, spawner.started[1].request.breadth) == (0, 3)
    table = run(project, "list").splitlines()
    assert table[0].split() == [
        "HELPER",
        "PARENT",
        "STATUS",
        "MODEL",
        "DEPTH",
        "BREADTH",
        "CONNECTED",
    ]
    assert table[1].split() == ["1", "0", "running", "sonnet", "1", "3", "no"]
    listed = json.loads(run(project, "list", "--json"))
    assert [h["helper"] for h in listed] == [1, 2]
    assert listed[0]["peers"] == [2]
    assert run(project, "send", "1", "Analyze the auth module") == "sent to helper 1\n"
    assert run(project, "broadcast", "Starting tests") == "sent to 2 helper(s)\n"
    log = run(project, "log").splitlines()
    assert [line[8:] for line in log] == [
        "  [0 → 1]  Analyze the auth module",
        "  [0 → *]  Starting tests",
    ]
    assert log[0][2] == ":" and log[0][5] == ":"
    assert run(project, "log", "--last", "1").endswith("[0 → *]  Starting tests\n")
    assert run(project, "log", "--from", "1") == ""
    entries = json.loads(run(project, "log", "--json"))
    assert [(e["from"], e["to"]) for e in entries] == [(0, 1), (0, "*")]


def test_refusals_are_one_line_with_status_2(project: Path, session: Any) -> None:
    result = CliRunner().invoke(
        cli, ["-p", str(project), "helper", "spawn", "--depth", "2"], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert result.output == "kanibako: depth 2 exceeds the allowed 1\n"
    assert run(project, "send", "9", "x", code=2) == "kanibako: no helper 9 in this session\n"


def test_stop_respawn_and_cascade_cleanup(project: Path, session: Any) -> None:
    handle, spawner = session
    run(project, "spawn")
    assert run(project, "stop", "1") == "stopped helper 1\n"
    assert spawner.started[0].stopped
    assert run(project, "stop", "1", code=2) == "kanibako: helper 1 is stopped\n"
    assert run(project, "respawn", "1") == "respawned helper 1\n"
    assert len(spawner.started) == 2
    assert run(project, "respawn", "--all") == "no interrupted helper\n"  # 1 was stopped by hand
    for wrong in ((), ("1", "--all")):
        out = run(project, "respawn", *wrong, code=2)
        assert out == "kanibako: helper respawn takes a helper number or --all (not both)\n"
    # A grandchild, spawned by helper 1 with its own token.
    token = spawner.started[1].request.mounts
    config = next(m.source for m in token if m.target.endswith("/1/spawn.toml"))
    from kanibako_helpers import HubClient, read_helper_config

    with HubClient(handle.locations.socket_path, read_helper_config(config).token) as one:
        assert one.request("spawn")["helper"] == 4
    assert "--cascade" in run(project, "cleanup", "1", code=2)
    assert run(project, "cleanup", "1", "--cascade") == "removed helper 4, 1\n"
    assert run(project, "list") == "HELPER  PARENT  STATUS  MODEL  DEPTH  BREADTH  CONNECTED\n"
    assert not (handle.locations.helpers_root / "1").exists()


def test_without_a_session_commands_say_so(project: Path) -> None:
    result = CliRunner().invoke(
        cli, ["-p", str(project), "helper", "send", "1", "x"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert result.output.startswith("kanibako: no helper session is running here")
    assert run(project, "log") == ""


def test_list_without_a_session_shows_helpers_left_on_disk(project: Path) -> None:
    paths = load_paths()
    resolved = ensure_initialized(paths, resolve_project(paths, project))
    with hub_session(paths, resolved, RecordingSpawner()):
        run(project, "spawn")
    out = run(project, "list").splitlines()
    assert out[1].split()[:3] == ["1", "0", "stopped"]


def test_hub_stops_with_the_session_and_forgets_tokens(project: Path) -> None:
    paths = load_paths()
    resolved = ensure_initialized(paths, resolve_project(paths, project))
    with hub_session(paths, resolved, RecordingSpawner()) as handle:
        where = handle.locations
        assert where.director_token_file.exists()
    assert not where.socket_path.exists()
    assert list(where.token_dir.glob("*.toml")) == []


def test_zipapp_runs_alone_with_a_bare_python(
    tmp_path: Path, session: Any, shared_bundle_cache: Path
) -> None:
    """The bundle needs nothing but python3: run it isolated, without site-packages."""
    handle, _ = session
    bundle = ensure_bundle(shared_bundle_cache)
    assert ensure_bundle(shared_bundle_cache) == bundle  # cached
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "KANIBAKO_HUB_SOCKET": str(handle.locations.socket_path),
        "KANIBAKO_HELPER_CONFIG": str(handle.locations.director_token_file),
        "KANIBAKO_HELPER_LOG": str(handle.locations.log_path),
    }
    python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable

    def bundled(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-I", "-S", str(bundle), "helper", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    sent = bundled("send", "0", "from the zipapp")
    assert sent.returncode == 0, sent.stderr
    log = bundled("log")
    assert log.stdout.endswith("[0 → 0]  from the zipapp\n"), log.stderr


def test_helper_init_registers_sources_startup_and_execs(
    tmp_path: Path, session: Any, shared_bundle_cache: Path
) -> None:
    """helper-init.sh, run by a real shell on the host with the container's layout mimicked."""
    handle, spawner = session
    from kanibako_helpers import HubClient

    with HubClient(handle.locations.socket_path, _director_token(handle)) as director:
        director.request("spawn")
        director.send(1, "queued before the helper started")
    request = spawner.started[0].request
    fake_home = tmp_path / "home"
    helper_dir = fake_home / "helpers" / "1"
    helper_dir.mkdir(parents=True)
    config = next(m.source for m in request.mounts if m.target.endswith("/1/spawn.toml"))
    shutil.copy(config, helper_dir / "spawn.toml")
    startup = fake_home / "helpers" / "all" / "ro" / "startup"
    startup.mkdir(parents=True)
    (startup / "10-greet.sh").write_text("GREETING=sourced; export GREETING\n")
    script = request.command[1].replace("/home/agent/helpers/1", str(helper_dir))
    init = handle.locations.helpers_root / "1" / "playbook" / "scripts" / "helper-init.sh"
    assert script.endswith("helper-init.sh")
    env = {
        **os.environ,
        "HOME": str(fake_home),
        "KANIBAKO_CLI": str(ensure_bundle(shared_bundle_cache)),
        "KANIBAKO_HELPER_CONFIG": str(helper_dir / "spawn.toml"),
        "KANIBAKO_HUB_SOCKET": str(handle.locations.socket_path),
    }
    done = subprocess.run(
        ["/bin/sh", str(init), "sh", "-c", 'echo "agent sees $GREETING"'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "agent sees sourced\n"
    inbox = helper_dir / "inbox.log"
    _wait(lambda: inbox.exists() and "queued before" in inbox.read_text())
    assert inbox.read_text().endswith("[0 → 1]  queued before the helper started\n")
    # The listener stays registered: a second registration is refused.
    from kanibako_helpers import HubRefused, connect_mailbox, read_helper_config

    with pytest.raises(HubRefused, match="already registered"):
        connect_mailbox(handle.locations.socket_path, read_helper_config(config).token)


def _director_token(handle: HubHandle) -> str:
    from kanibako_helpers import read_helper_config

    return read_helper_config(handle.locations.director_token_file).token


def _wait(predicate: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_log_follow_prints_new_messages(project: Path, session: Any) -> None:
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("kanibako")),
            "-p",
            str(project),
            "helper",
            "log",
            "-f",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        time.sleep(0.5)
        run(project, "broadcast", "live")
        reader.join(10)
        assert lines and lines[0].endswith("[0 → *]  live\n")
    finally:
        proc.terminate()
        proc.communicate()


def test_bundle_is_rebuilt_when_missing_and_survives_a_bad_index(
    tmp_path: Path, shared_bundle_cache: Path
) -> None:
    built = ensure_bundle(shared_bundle_cache)
    cache = tmp_path / "cache"
    shutil.copytree(shared_bundle_cache, cache)
    first = cache / built.name
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
    first.unlink()
    assert ensure_bundle(cache) == first
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == names  # same sources, same archive
    assert "kanibako/cli.pyc" in names
    (cache / "fingerprint").write_text("garbage")
    assert ensure_bundle(cache) == first
    assert (cache / "fingerprint").read_text().split()[1] == first.name


def test_log_shows_a_hostile_message_escaped_on_one_line(project: Path, session: Any) -> None:
    handle, _ = session
    from kanibako_helpers import HubClient

    with HubClient(handle.locations.socket_path, _director_token(handle)) as director:
        director.request("spawn")
        one = handle.runner.hub.helpers[1].token
    hostile = "\x1b]52;c;ZXZpbA==\x07\x1b[2Jok\n12:00:00  [0 → 1]  forged\u202e"
    with HubClient(handle.locations.socket_path, one) as helper:
        helper.send(0, hostile)
    out = run(project, "log")
    assert out.count("\n") == 1 and "\x1b" not in out and "\u202e" not in out
    assert out.endswith(
        "[1 → 0]  \\x1b]52;c;ZXZpbA==\\x07\\x1b[2Jok\\n12:00:00  [0 → 1]  forged\\u202e\n"
    )
    assert json.loads(run(project, "log", "--json"))[0]["text"] == hostile


def test_list_without_a_session_ignores_planted_trees_and_state(project: Path) -> None:
    paths = load_paths()
    resolved = ensure_initialized(paths, resolve_project(paths, project))
    with hub_session(paths, resolved, RecordingSpawner()):
        run(project, "spawn")
    # As a session does before it releases the lock: the hub records its
    # helpers stopped beside its stop, and that write would land on the fifo.
    wait_recorded(paths, resolved)
    helpers = resolved.shell_dir / "helpers"
    (helpers / "1" / "state.json").unlink()
    os.mkfifo(helpers / "1" / "state.json")  # would hang a plain open()
    for name in ("²", "7"):  # `²`.isdigit() is True and int("²") raises
        (helpers / name).mkdir()
    (helpers / "7" / "state.json").write_text('{"model": "\\u001b]0;pwned\\u0007", "depth": 9}')
    out = run(project, "list").splitlines()
    assert [line.split()[:3] for line in out[1:]] == [["1", "0", "stopped"]]
    with hub_session(paths, resolved, RecordingSpawner()) as handle:  # a launch: no ValueError
        assert sorted(handle.runner.hub.helpers) == [0, 1]
