"""``-e NAME=VALUE`` on the launch commands: parsed, checked, merged across positions."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from kanibako.app import LaunchOptions
from kanibako.cli import cli
from kanibako.options import launch_options, merge_launch


@click.command()
@launch_options
def probe(**given: Any) -> None:
    """Print the env the launch flags parse to."""
    click.echo(repr(merge_launch(LaunchOptions(env=(("TOP", "1"),)), **given).env))


def parsed(*args: str) -> object:
    result = CliRunner().invoke(probe, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return ast.literal_eval(result.stdout)  # the repr of a tuple of str pairs


def test_pairs_keep_their_order_after_the_top_level_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FROM_HOST", "host value")
    assert parsed("-e", "A=1", "--env", "B=x=y", "-e", "EMPTY=", "-e", "FROM_HOST") == (
        ("TOP", "1"),
        ("A", "1"),
        ("B", "x=y"),  # only the first '=' splits
        ("EMPTY", ""),
        ("FROM_HOST", "host value"),  # NAME alone: the host's value, as docker does
    )


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("=x", "invalid env variable name ''"),
        ("1A=x", "invalid env variable name '1A'"),
        ("A-B=x", "invalid env variable name 'A-B'"),
        ("NOT_ON_THIS_HOST_X", "NOT_ON_THIS_HOST_X is not set on this host"),
        ("HOME=/x", "HOME is set by Kanibako itself"),
        ("KANIBAKO_HUB_SOCKET=/x", "KANIBAKO_HUB_SOCKET is set by Kanibako itself"),
        ("A=line\nbreak", "value of A cannot contain a newline"),
    ],
)
@pytest.mark.parametrize("where", ["top", "start", "shell", "resume"])
def test_bad_input_is_one_line_and_exit_2_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, why: str, where: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("NOT_ON_THIS_HOST_X", raising=False)
    argv = ["-e", given, "start"] if where == "top" else [where, "-e", given]
    result = CliRunner().invoke(cli, ["-p", str(tmp_path), *argv])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"Error: Invalid value for '-e' / '--env': {why}"), errors
    assert "Traceback" not in result.output
    assert not (tmp_path / "data").exists()  # nothing written
