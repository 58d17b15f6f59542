"""Bad and hostile state input: one line on stderr naming the file/line or key, exit 2.

Nothing is written on the way: every case compares the tree before and after.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.state_cli import installed, ok, run, snapshot


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


@pytest.mark.parametrize("kind", ["directory", "fifo", "dangling link"])
def test_project_toml_that_is_not_a_file_is_named_not_treated_as_no_project(
    isolated_home: Path, tmp_path: Path, kind: str
) -> None:
    # Before: the project silently became account-centric and `box set`
    # wrote a new box under the data directory.
    project = tmp_path / "proj"
    marker = project / ".kanibako/project.toml"
    marker.parent.mkdir(parents=True)
    if kind == "directory":
        marker.mkdir()
    elif kind == "fifo":
        os.mkfifo(marker)
    else:
        marker.symlink_to(tmp_path / "nowhere")
    for args in (["box", "set", "layout", "simple"], ["status"], ["env", "set", "A", "1"]):
        _fails_cleanly(args, project, [tmp_path], str(marker), "not a regular file")


def _archive(isolated_home: Path, tmp_path: Path) -> bytes:
    source = tmp_path / "source"
    (source / "vault/share-rw").mkdir(parents=True)
    ok("init", "--local", cwd=source)
    # Incompressible data, so a flipped byte stays inside a stored deflate block
    # and only gzip's CRC can notice it.
    (source / "vault/share-rw/data").write_bytes(os.urandom(200_000))
    ok("box", "archive", "-o", str(tmp_path / "good.tar.gz"), cwd=source)
    return (tmp_path / "good.tar.gz").read_bytes()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped bytes"])
def test_damaged_archive_restore_is_one_line_and_restores_nothing(
    isolated_home: Path, tmp_path: Path, damage: str
) -> None:
    # Before: garbage gave tarfile's five-line message, a truncated archive a
    # bare "Aborted!" (exit 1), and flipped bytes were restored without complaint.
    good = _archive(isolated_home, tmp_path)
    if damage == "garbage":
        bad = b"not an archive at all"
    elif damage == "truncated":
        bad = good[: len(good) - 2000]
    else:
        flipped = bytearray(good)
        for index in range(100_000, 100_400):
            flipped[index] ^= 0xFF
        bad = bytes(flipped)
    archive = tmp_path / "bad.tar.gz"
    archive.write_bytes(bad)
    target = tmp_path / "target"
    target.mkdir()
    home_files_before = _files(isolated_home)
    _fails_cleanly(["box", "restore", str(archive)], target, [target], str(archive))
    # An empty boxes/ directory for the staging area may remain; no file may.
    assert _files(isolated_home) == home_files_before


def _files(root: Path) -> dict[str, bytes | None]:
    return {path: data for path, data in snapshot(root).items() if data is not None}


@pytest.mark.parametrize("which", ["global config", "global env", "project env"])
@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_config_or_env_file_that_is_not_a_file_fails_at_once(
    isolated_home: Path, tmp_path: Path, which: str, kind: str
) -> None:
    # Before: a FIFO hung every command (read() waited for a writer) and a
    # directory gave a bare "Is a directory" runtime failure (exit 1).
    project = tmp_path / "proj"
    project.mkdir()
    ok("init", "--local", cwd=project)
    path = {
        "global config": isolated_home / ".config/kanibako.toml",
        "global env": isolated_home / ".local/share/kanibako/env",
        "project env": project / ".kanibako/env",
    }[which]
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    setter = ["env", "set", "--global"] if which == "global env" else ["env", "set"]
    for args in (["env", "list"], [*setter, "A", "1"]):
        result = installed(*args, cwd=project, timeout=20)
        assert result.returncode == 2, result
        assert result.stderr.startswith(f"kanibako: {path}: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
    assert not (project / ".kanibako/env").is_file()
    assert not (isolated_home / ".local/share/kanibako/env").is_file()


@pytest.mark.parametrize("key", ["shell", "vault_ro", "vault_rw"])
def test_box_path_setting_that_names_a_file_is_refused(
    isolated_home: Path, tmp_path: Path, key: str
) -> None:
    # Before: accepted, then `env set` and launches failed with "Not a
    # directory: <file>/.shell.d" (exit 1), far from the cause.
    project = tmp_path / "proj"
    project.mkdir()
    ok("init", "--local", cwd=project)
    a_file = project / "a-file"
    a_file.write_text("x")
    _fails_cleanly(
        ["box", "set", key, str(a_file)], project, [tmp_path], key, str(a_file), "a file"
    )


def test_purge_without_yes_and_no_terminal_says_to_pass_yes(
    isolated_home: Path, tmp_path: Path
) -> None:
    # Before: click's prompt read EOF and printed a bare "Aborted!" (exit 1).
    project = tmp_path / "proj"
    project.mkdir()
    ok("init", "--local", cwd=project)
    ok("workset", "create", "ws", str(tmp_path / "ws"))
    for args in (["box", "purge"], ["workset", "delete", "ws", "--purge"]):
        before = snapshot(tmp_path)
        result = run(*args, cwd=project)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("kanibako: ") and result.stderr.count("\n") == 1
        assert "pass --yes" in result.stderr, result.stderr
        assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "args", [["init", "--local"], ["init"], ["status"], ["env", "set", "A", "1"], ["box", "info"]]
)
def test_project_directory_with_a_non_utf8_name_is_named_not_a_traceback(
    isolated_home: Path, tmp_path: Path, args: list[str]
) -> None:
    # Before: UnicodeEncodeError traceback from hashing the path.
    project = tmp_path / os.fsdecode(b"caf\xe9")
    project.mkdir()
    _fails_cleanly(args, project, [tmp_path], "caf\\xe9", "not valid UTF-8")


_NOT_UTF8 = os.fsdecode(b"x\xff")  # what Python makes of such bytes in argv


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["env", "set", "A", _NOT_UTF8], "value of A is not valid UTF-8"),
        (["env", "set", "--global", "A", _NOT_UTF8], "value of A is not valid UTF-8"),
        (["config", "image", _NOT_UTF8], 'image = "x\\xff": not valid UTF-8'),
        (["config", "--global", "image", _NOT_UTF8], 'image = "x\\xff": not valid UTF-8'),
        (["box", "set", "shell", "{project}/" + _NOT_UTF8], 'shell = "'),
        (["workset", "create", "w", "/tmp/" + _NOT_UTF8], "/tmp/x\\xff: the path is not valid"),
    ],
)
def test_non_utf8_argument_is_named_and_nothing_written(
    isolated_home: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    # Before: a UnicodeEncodeError traceback when writing the file; `workset
    # create` had already made the root (with workset.toml) unregistered, so a
    # retry said it "already holds a working set".
    project = tmp_path / "proj"
    project.mkdir()
    ok("init", "--local", cwd=project)
    args = [arg.replace("{project}", str(project)) for arg in args]
    _fails_cleanly(args, project, [tmp_path, isolated_home], expected, "not valid UTF-8")
    assert not Path(os.fsdecode(b"/tmp/x\xff")).exists()


def test_failed_new_leaves_no_directory(isolated_home: Path, tmp_path: Path) -> None:
    # Before: the directory stayed behind, empty, after the error.
    target = tmp_path / os.fsdecode(b"new\xff")
    result = run("new", str(target), cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "not valid UTF-8" in result.stderr
    assert not target.exists()


@pytest.mark.parametrize("spoil", ["malformed", "fifo", "no-workspace"])
def test_one_unreadable_box_is_a_row_of_box_list_not_its_end(
    isolated_home: Path, tmp_path: Path, spoil: str
) -> None:
    from kanibako_paths import load_paths, resolve_project

    good, bad = tmp_path / "good", tmp_path / "bad"
    for directory in (good, bad):
        directory.mkdir()
        ok("env", "set", "A", "1", cwd=directory)
    paths = load_paths()
    config = resolve_project(paths, bad).project_config_file
    config.unlink()
    if spoil == "fifo":
        os.mkfifo(config)  # read non-blocking: refused, never a hang
    else:
        config.write_text("[project\n" if spoil == "malformed" else '[project]\nname = "x"\n')
    listed = run("box", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = {row["metadata"]: row for row in json.loads(listed.stdout)}
    assert rows[str(resolve_project(paths, good).metadata_dir)]["unreadable"] is None
    spoiled = rows[str(config.parent)]
    assert spoiled["workspace"] is None and str(config) in spoiled["unreadable"]
    table = run("box", "list")
    assert table.exit_code == 0 and "UNREADABLE" in table.stdout and str(good) in table.stdout
    # Not an orphan: `box purge --orphans` must never delete what it cannot read.
    assert ok("box", "orphan") == "No orphaned projects.\n"
    assert ok("box", "purge", "--orphans", "--yes") == "Nothing to purge.\n"
    assert config.parent.is_dir()
