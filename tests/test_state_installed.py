"""The installed ``kanibako`` console script, run as a user would for state commands."""

from __future__ import annotations

import json
from pathlib import Path

from tests.state_cli import installed


def test_init_env_and_status_as_separate_processes(isolated_home: Path, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    assert installed("init", "--local", cwd=project).returncode == 0
    assert installed("env", "set", "EDITOR", "vim", cwd=project).returncode == 0
    assert installed("env", "get", "EDITOR", cwd=project).stdout == "vim\n"
    status = installed("-p", str(project), "status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["mode"] == "decentralized"


def test_bad_input_is_one_line_and_exit_2(isolated_home: Path, tmp_path: Path) -> None:
    result = installed("box", "set", "layout", "huge", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "kanibako: box setting layout must be one of simple, default, robust, not 'huge'\n"
    )
    config = isolated_home / ".config/kanibako.toml"
    config.write_text("[paths\n")
    broken = installed("status", cwd=tmp_path)
    assert broken.returncode == 2
    assert broken.stderr.startswith(f"kanibako: {config}: malformed TOML")
    assert broken.stderr.count("\n") == 1


def test_box_list_json_from_the_installed_script(isolated_home: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        assert installed("init", cwd=tmp_path / name).returncode == 0
    listed = json.loads(installed("box", "list", "--json").stdout)
    assert sorted(e["name"] for e in listed) == ["a", "b"]
    assert {e["mode"] for e in listed} == {"account-centric"}
