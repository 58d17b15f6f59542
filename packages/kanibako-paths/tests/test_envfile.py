"""Env files in Docker .env format, and project-over-global merging."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_paths import (
    EnvFileError,
    KanibakoPaths,
    merged_env,
    parse_env_text,
    read_env_file,
    resolve_project,
    set_env_var,
    unset_env_var,
)


def test_values_are_literal_with_spaces_quotes_and_dollars() -> None:
    text = '# comment\n\n  EDITOR=vim -u NONE\nQUOTED="kept"\nRAW=$HOME/x\nEMPTY=\nEQ=a=b\n'
    assert parse_env_text(text, "f") == {
        "EDITOR": "vim -u NONE",
        "QUOTED": '"kept"',
        "RAW": "$HOME/x",
        "EMPTY": "",
        "EQ": "a=b",
    }


def test_line_without_equals_names_file_and_line() -> None:
    with pytest.raises(EnvFileError, match=r"^env:3: expected KEY=VALUE"):
        parse_env_text("A=1\n# ok\nJUSTAKEY\n", "env")


def test_invalid_key_in_file_names_file_and_line() -> None:
    with pytest.raises(EnvFileError, match=r"^env:1: invalid env variable name '1ABC'"):
        parse_env_text("1ABC=x\n", "env")


@pytest.mark.parametrize("key", ["BAD-KEY", "9LIVES", "", "A B"])
def test_set_rejects_invalid_names_and_writes_nothing(tmp_path: Path, key: str) -> None:
    target = tmp_path / "env"
    with pytest.raises(EnvFileError, match="invalid env variable name"):
        set_env_var(target, key, "x")
    assert not target.exists()


def test_set_rejects_newlines_in_values(tmp_path: Path) -> None:
    with pytest.raises(EnvFileError, match="newline"):
        set_env_var(tmp_path / "env", "A", "one\ntwo")


def test_set_replaces_in_place_and_keeps_comments(tmp_path: Path) -> None:
    target = tmp_path / "env"
    target.write_text("# my settings\nA=1\nB=2\n")
    set_env_var(target, "A", "one")
    set_env_var(target, "C", "3")
    assert target.read_text() == "# my settings\nA=one\nB=2\nC=3\n"
    assert unset_env_var(target, "B") is True
    assert unset_env_var(target, "B") is False
    assert read_env_file(target) == {"A": "one", "C": "3"}


def test_set_refuses_to_rewrite_a_malformed_file(tmp_path: Path) -> None:
    target = tmp_path / "env"
    target.write_text("garbage line\n")
    with pytest.raises(EnvFileError, match=":1:"):
        set_env_var(target, "A", "1")
    assert target.read_text() == "garbage line\n"


def test_project_values_override_global_ones(paths: KanibakoPaths, workdir: Path) -> None:
    project = resolve_project(paths, workdir)
    set_env_var(paths.global_env_file, "EDITOR", "nano")
    set_env_var(paths.global_env_file, "LANG", "C.UTF-8")
    set_env_var(project.env_file, "EDITOR", "vim")
    assert merged_env(paths, project) == {"EDITOR": "vim", "LANG": "C.UTF-8"}
