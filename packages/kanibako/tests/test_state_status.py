"""`status` without the launch pipeline, and with a stand-in for it."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

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


def test_status_works_before_the_launch_pipeline_exists(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def without_launch(name: str, package: str | None = None) -> object:
        return None if name == "kanibako.launch" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", without_launch)
    status = _status()
    assert status["mode"] == "account-centric"
    assert "lock" not in status


def test_status_shows_the_pipeline_lines_when_present(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    fake = types.ModuleType("kanibako.launch")
    fake.__spec__ = importlib.util.spec_from_loader("kanibako.launch", loader=None)

    def status_lines(paths: object, project: object) -> list[tuple[str, str]]:
        seen.append(project)
        return [("lock", "held (pid 1)")]

    fake.status_lines = status_lines  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kanibako.launch", fake)
    assert _status()["lock"] == "held (pid 1)"
    assert len(seen) == 1
