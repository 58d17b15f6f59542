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
