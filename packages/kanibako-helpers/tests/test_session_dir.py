"""The hub socket lives in a short private runtime directory, whatever the data dir."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kanibako_helpers import HelperError, session_dir, socket_path
from kanibako_helpers.session_dir import MAX_SOCKET_PATH


def test_socket_path_uses_runtime_dir_when_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Path("/tmp") / f"kbrt-{os.getpid()}"
    runtime.mkdir(exist_ok=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    path = socket_path("abcdef0123456789ffff")
    # In a directory of its own: the director's container binds the directory.
    assert path == runtime / "kanibako" / "abcdef0123456789" / "hub" / "hub.sock"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700


def test_long_runtime_dir_falls_back_to_a_short_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    path = socket_path("0123456789abcdef")
    assert len(os.fsencode(path)) <= MAX_SOCKET_PATH
    assert not str(path).startswith(str(deep))


def test_a_symlinked_session_dir_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Path("/tmp") / f"kbrt2-{os.getpid()}"
    (runtime / "kanibako").mkdir(parents=True, exist_ok=True)
    (runtime / "kanibako").chmod(0o700)
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = runtime / "kanibako" / "feedfacefeedface"
    link.unlink(missing_ok=True)
    link.symlink_to(target)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    with pytest.raises(HelperError, match="symlink"):
        socket_path("feedfacefeedface")


def test_a_running_session_is_found_from_another_runtime_dir(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")
    started = socket_path("c0ffee00c0ffee00")  # a session started without a runtime dir
    started.unlink(missing_ok=True)  # left by an interrupted run
    runtime = Path("/tmp") / f"kbrt3-{os.getpid()}"
    runtime.mkdir(exist_ok=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(started))
        assert session_dir("c0ffee00c0ffee00", find_running=True) == started.parent.parent
        assert session_dir("c0ffee00c0ffee00") == runtime / "kanibako" / "c0ffee00c0ffee00"
    started.unlink()
