"""`status` shows the session's lines as :func:`kanibako.session.status_lines` gives them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import kanibako.session
from kanibako.cli import cli


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / ".local/share"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _status() -> dict[str, str]:
    result = CliRunner().invoke(cli, ["status", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict[str, str] = json.loads(result.stdout)
    return data


def test_status_shows_the_session_lines(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    def status_lines(paths: object, project: object) -> list[tuple[str, str]]:
        seen.append(project)
        return [("lock", "held (pid 1)")]

    monkeypatch.setattr(kanibako.session, "status_lines", status_lines)
    assert _status()["lock"] == "held (pid 1)"
    assert len(seen) == 1


def test_status_of_a_project_never_launched_shows_the_lock_free(home: Path) -> None:
    status = _status()
    assert status["mode"] == "account-centric"
    assert (status["lock"], status["container"]) == ("free", "not running")


def test_status_shows_the_engine_a_launch_would_use(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = home / "bin"
    bin_dir.mkdir()
    for name in ("podman", "docker"):
        (bin_dir / name).write_text("#!/bin/sh\nexit 99\n")  # never run: status asks nothing
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("KANIBAKO_ENGINE", raising=False)
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    assert _status()["engine"].startswith(f"podman ({bin_dir}/podman")
    monkeypatch.setenv("KANIBAKO_ENGINE", "docker")
    assert _status()["engine"].startswith(f"docker ({bin_dir}/docker")
    (bin_dir / "docker").unlink()
    assert (
        _status()["engine"] == "none (container engine 'docker' ($KANIBAKO_ENGINE) is not on PATH)"
    )


def test_status_of_a_missing_directory_is_one_line_and_exit_2(home: Path) -> None:
    result = CliRunner().invoke(cli, ["status", "-p", str(home / "missing")])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"kanibako: no such project directory: {home / 'missing'}\n"
    assert not (home / "missing").exists()
    assert not (home / ".local/share/kanibako").exists()  # nothing written


@pytest.mark.parametrize("command", ["start", "shell", "resume"])
def test_a_launch_in_a_missing_directory_is_refused_before_the_engine_creates_it(
    home: Path, command: str
) -> None:
    result = CliRunner().invoke(cli, [command, "-p", str(home / "missing")])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"kanibako: no such project directory: {home / 'missing'}\n"
    assert not (home / "missing").exists()
