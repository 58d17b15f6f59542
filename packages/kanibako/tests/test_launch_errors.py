"""Launch mistakes end in one line and the right exit status, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kanibako.cli import cli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("HOME", "home")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("KANIBAKO_ENGINE", raising=False)
    (tmp_path / "proj").mkdir()
    return tmp_path / "proj"


def _shell(project: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["-p", str(project), "shell", "--no-helpers", *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def test_no_engine_on_path_is_one_line_exit_2(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    code, output = _shell(project, "-c", "true")
    assert code == 2
    assert output.strip().splitlines() == [
        "kanibako: no container engine found: install Podman (preferred) or Docker, "
        "or set $KANIBAKO_ENGINE to one on PATH"
    ]
    assert not any((tmp_path / "data").rglob("session.lock"))  # refused before the lock


def test_unknown_engine_choice_names_where_it_came_from(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KANIBAKO_ENGINE", "lxc")
    code, output = _shell(project, "-c", "true")
    assert code == 2
    assert "unknown container engine 'lxc' ($KANIBAKO_ENGINE)" in output


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("", "-c needs a command"),
        ("   ", "-c needs a command"),
        ("echo 'unclosed", "-c: cannot split"),
    ],
)
def test_a_bad_command_line_is_refused(project: Path, command: str, message: str) -> None:
    code, output = _shell(project, "-c", command)
    assert code == 2
    assert message in output and "Traceback" not in output


def test_an_empty_top_level_command_is_refused_too(project: Path) -> None:
    result = CliRunner().invoke(cli, ["-p", str(project), "-c", ""], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["kanibako: -c needs a command"]
