"""Bad input: one line on stderr naming the file/line or key, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.state_cli import ok, run, snapshot


@pytest.fixture
def project(isolated_home: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "proj"
    directory.mkdir()
    return directory


def _fails_cleanly(args: list[str], cwd: Path, roots: list[Path], *expected: str) -> str:
    before = snapshot(*roots)
    result = run(*args, cwd=cwd)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    line = result.stderr
    assert line.startswith("kanibako: ") and line.endswith("\n") and line.count("\n") == 1, line
    assert "Traceback" not in line
    for text in expected:
        assert text in line, line
    assert snapshot(*roots) == before, "bad input changed files"
    return line


def test_malformed_global_toml_names_file_and_line(
    isolated_home: Path, project: Path, tmp_path: Path
) -> None:
    config = isolated_home / ".config/kanibako.toml"
    config.write_text('[container]\nimage = "ok"\n\nnot toml at all\n[paths]\n')
    _fails_cleanly(
        ["env", "set", "A", "1"], project, [tmp_path], str(config), "malformed TOML", "line 4"
    )
    _fails_cleanly(["status"], project, [tmp_path], str(config))


def test_malformed_project_toml_names_file_and_line(project: Path, tmp_path: Path) -> None:
    ok("init", "--local", cwd=project)
    (project / ".kanibako/project.toml").write_text("[box]\nlayout = robust\n")
    for args in (["config", "image", "x:1"], ["box", "set", "layout", "simple"], ["status"]):
        _fails_cleanly(args, project, [tmp_path], "project.toml", "line 2")


def test_bad_env_line_names_file_and_line(
    isolated_home: Path, project: Path, tmp_path: Path
) -> None:
    global_env = isolated_home / ".local/share/kanibako/env"
    global_env.parent.mkdir(parents=True)
    global_env.write_text("# fine\nOK=1\nthis is not an assignment\n")
    _fails_cleanly(["env", "list"], project, [tmp_path], f"{global_env}:3", "KEY=VALUE")
    _fails_cleanly(["env", "set", "--global", "B", "2"], project, [tmp_path], f"{global_env}:3")


@pytest.mark.parametrize("key", ["BAD-KEY", "1ST", "A.B"])
def test_invalid_env_key_is_named_and_nothing_initialized(
    project: Path, tmp_path: Path, key: str
) -> None:
    _fails_cleanly(["env", "set", key, "x"], project, [tmp_path], repr(key))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["box", "set", "colour", "red"], "unknown box setting 'colour'"),
        (["box", "set", "shell", "relative/shell"], "shell must be an absolute path"),
        (["box", "set", "layout", "huge"], "layout must be one of simple, default, robust"),
        (["box", "set", "auth", "everyone"], "auth must be one of shared, distinct"),
        (["box", "set", "vault_enabled", "maybe"], "vault_enabled must be true or false"),
        (["config", "colour", "red"], "unknown config key 'colour'"),
        (["config", "paths_data_path", "/x"], "--global"),
    ],
)
def test_invalid_settings_are_named_and_nothing_written(
    project: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    # Uninitialized: a valid write would initialize the project; a bad one must not.
    _fails_cleanly(args, project, [tmp_path], expected)
    ok("init", cwd=project)
    _fails_cleanly(args, project, [tmp_path], expected)


def test_invalid_workset_auth_is_named(project: Path, tmp_path: Path) -> None:
    ok("workset", "create", "ws", str(tmp_path / "ws"))
    _fails_cleanly(["workset", "auth", "ws", "open"], project, [tmp_path], "auth must be one of")


def test_bad_value_in_project_box_table_names_file_and_key(project: Path, tmp_path: Path) -> None:
    ok("init", "--local", cwd=project)
    (project / ".kanibako/project.toml").write_text('[box]\nauth = "sometimes"\n')
    _fails_cleanly(["box", "info"], project, [tmp_path], "project.toml: [box] auth")


def test_unknown_migrate_mode_is_named(project: Path, tmp_path: Path) -> None:
    ok("init", cwd=project)
    _fails_cleanly(["box", "migrate", "--to", "cloud"], project, [tmp_path], "unknown mode 'cloud'")


def test_box_set_refuses_a_decentralized_mount_outside_the_project(
    project: Path, tmp_path: Path
) -> None:
    ok("init", "--local", cwd=project)
    _fails_cleanly(
        ["box", "set", "shell", str(tmp_path)], project, [tmp_path], "box setting shell", "outside"
    )
