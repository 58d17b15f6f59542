"""The warm launcher: a command handed to it runs in its child with this process's stdio, env and cwd.

Each test starts a real launcher process in a private runtime directory and
talks to it through the console script's own client (kanibako.entry).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako import entry
from kanibako.session.launcher import SOCKET_NAME


def _start(
    runtime: Path, seconds: float, modules: str = "kanibako.cli", **env: str
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "kanibako.session.launcher", str(seconds)],
        stdin=subprocess.PIPE,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), **env},
    )
    assert process.stdin is not None
    process.stdin.write(modules.encode())
    process.stdin.close()
    socket = runtime / "kanibako" / SOCKET_NAME
    deadline = time.monotonic() + 30
    while not socket.exists():
        assert process.poll() is None, "the launcher ended before it served"
        assert time.monotonic() < deadline, "the launcher did not bind its socket"
        time.sleep(0.02)
    return process


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    monkeypatch.delenv("KANIBAKO_NO_LAUNCHER", raising=False)
    yield path


@pytest.fixture
def launcher(runtime: Path) -> Iterator[subprocess.Popen[bytes]]:
    process = _start(runtime, 60)
    yield process
    process.kill()
    process.wait()


def test_a_command_runs_in_the_launchers_child_with_this_stdio_cwd_env_and_status(
    launcher: subprocess.Popen[bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KANIBAKO_KEEP_WARM", "-7")  # only this process's env has it
    status = entry._through_launcher(["shell", "-c", "true"])
    assert status == 2
    assert capfd.readouterr().err.strip().endswith("not '-7'")
    status = entry._through_launcher(["-p", "missing", "shell", "-c", "true"])
    assert status == 2  # relative to this process's directory, not the launcher's (/)
    assert f"no such project directory: {tmp_path / 'missing'}" in capfd.readouterr().err
    assert entry._through_launcher(["--version"]) == 0
    assert "kanibako, version" in capfd.readouterr().out
    assert launcher.poll() is None  # it serves on


def test_with_no_launcher_the_command_runs_here(runtime: Path) -> None:
    assert entry._through_launcher(["--version"]) is None


def test_a_launcher_whose_code_changed_refuses_and_exits(runtime: Path, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    module = code / "kanibako_probe_module.py"
    module.write_text("VALUE = 1\n")
    process = _start(runtime, 60, "kanibako.cli kanibako_probe_module", PYTHONPATH=str(code))
    try:
        module.write_text("VALUE = 22\n")  # an upgrade, as far as the launcher can tell
        assert entry._through_launcher(["--version"]) is None
        process.wait(timeout=10)
    finally:
        process.kill()
    assert not (runtime / "kanibako" / SOCKET_NAME).exists()


def test_a_launcher_ends_when_idle_and_a_keep_request_extends_it(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kanibako.session import launcher

    def no_second(*args: object) -> None:
        raise AssertionError("a second launcher was started")

    monkeypatch.setattr(launcher, "_spawn", no_second)
    process = _start(runtime, 1.5)
    try:
        launcher.keep_warm(30)  # the running one is asked
        time.sleep(2.5)
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()
    short = _start(runtime, 0.5)
    assert short.wait(timeout=10) == 0
    assert not (runtime / "kanibako" / SOCKET_NAME).exists()


def test_a_process_in_another_mount_namespace_is_refused(
    launcher: subprocess.Popen[bytes], runtime: Path
) -> None:
    # A container is such a process: same user on a rootful engine, its own mounts.
    namespace = ["unshare", "--mount"] if os.getuid() == 0 else ["unshare", "-Urm"]
    probe = "from kanibako import entry; print(entry._through_launcher(['--version']))"
    done = subprocess.run(
        [*namespace, sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"  # refused: the command would run itself
    assert "kanibako, version" not in done.stdout


def test_stop_ends_the_running_launcher_and_its_socket(runtime: Path) -> None:
    from kanibako.session.launcher import stop

    process = _start(runtime, 60)
    try:
        assert stop() == process.pid
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
    assert not (runtime / "kanibako" / SOCKET_NAME).exists()
    assert stop() is None


@pytest.mark.parametrize(
    ("argv", "launch"),
    [
        ([], True),
        (["-v", "-p", "status", "shell", "-c", "true"], True),  # "status" is -p's value
        (["--project=x", "resume"], True),
        (["-c", "ls"], True),  # no command: start
        (["status"], False),
        (["-p", "x", "ps"], False),
    ],
)
def test_which_commands_are_handed_over(argv: list[str], launch: bool) -> None:
    assert entry._is_launch(argv) is launch
