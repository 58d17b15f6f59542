"""The spec's common flags work before or after the subcommand, wherever they apply."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kanibako.cli import cli

LAUNCH_COMMANDS = {"start", "shell", "resume"}
# Commands no project applies to: they act on every project, images, worksets or Kanibako.
NO_PROJECT = {
    "box list", "box orphan", "image list", "new", "setup", "upgrade",
    "shared init", "shared list", "workset", "doctor", "gc", "ps",
}  # fmt: skip
# Flags with a value get one that parses; none of these commands runs (--help ends it).
LAUNCH_FLAGS = [["-i", "img"], ["-N"], ["-S"], ["-c", "true"], ["--distinct-auth"], ["-e", "A=1"]]


def _leaves(command: click.Command, path: list[str]) -> list[list[str]]:
    if not isinstance(command, click.Group):
        return [path]
    ctx = click.Context(command)
    found: list[list[str]] = []
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        assert sub is not None
        found.extend(_leaves(sub, [*path, name]))
    return found


def _applicable(path: list[str]) -> list[list[str]]:
    flags = [["-v"], ["--verbose"]]
    name = " ".join(path)
    if not any(name == skip or name.startswith(skip + " ") for skip in NO_PROJECT):
        flags += [["-p", "."], ["--project", "."]]
    if name in LAUNCH_COMMANDS:
        flags += LAUNCH_FLAGS
    return flags


CASES = [(path, flag) for path in _leaves(cli, []) for flag in _applicable(path)]


@pytest.mark.parametrize(
    ("path", "flag"), CASES, ids=[" ".join([*p, *f]) for p, f in CASES]
)  # fmt: skip
def test_each_common_flag_is_accepted_before_and_after_the_subcommand(
    path: list[str], flag: list[str]
) -> None:
    # --help is eager, so nothing runs; an unknown option fails the parse first (exit 2).
    for argv in ([*flag, *path, "--help"], [*path, *flag, "--help"]):
        result = CliRunner().invoke(cli, argv, catch_exceptions=False)
        assert result.exit_code == 0, f"kanibako {' '.join(argv)}: {result.output}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for sub in (".config", ".local/share"):
        (tmp_path / sub).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / ".local/share"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "proj").mkdir()
    return tmp_path / "proj"


@pytest.mark.parametrize("command", [["helper", "list"], ["helper", "log"], ["status"]])
def test_a_flag_after_the_subcommand_means_what_it_means_before(
    home: Path, command: list[str]
) -> None:
    before = CliRunner().invoke(cli, ["-v", "-p", str(home), *command])
    after = CliRunner().invoke(cli, [*command, "-p", str(home), "-v"])
    assert before.exit_code == after.exit_code == 0, after.output
    assert f"kanibako: project {home} " in after.stderr
    assert before.stdout == after.stdout and before.stderr == after.stderr


def test_the_flag_nearer_the_command_wins(home: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-p", str(tmp_path), "helper", "list", "-p", str(home), "-v"])
    assert result.exit_code == 0, result.output
    assert f"kanibako: project {home} " in result.stderr
