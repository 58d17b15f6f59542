"""Every command in the spec's table is reachable, and help works everywhere."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from kanibako.cli import COMMANDS, cli

SPEC_COMMANDS = {
    "start", "shell", "resume", "stop", "status", "config", "image", "box", "workset",
    "init", "new", "vault", "env", "shared", "helper", "setup", "upgrade", "reauth",
    "net",  # issue 11
}  # fmt: skip
# Added by issue 13: host checks and disk accounting.
ISSUE_13_COMMANDS = {"doctor", "gc"}
# Beyond the spec's table (issue 14).
SPEC_COMMANDS |= {"ps", "code", "attach"}


def test_every_spec_command_is_listed_in_help() -> None:
    result = CliRunner().invoke(cli, ["--help"], catch_exceptions=False)
    assert result.exit_code == 0
    listed = {
        line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()
    }
    assert listed == SPEC_COMMANDS | ISSUE_13_COMMANDS == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_help_table_says_what_the_command_itself_says(name: str) -> None:
    # The table exists so that `--help` loads no command module; it must not drift.
    import importlib

    module_name, attr = COMMANDS[name][0].split(":")
    command = getattr(importlib.import_module(module_name), attr)
    assert COMMANDS[name][1] == command.get_short_help_str(limit=10_000)


def _walk(command: click.Command, path: list[str]) -> list[list[str]]:
    found = [path]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join([*path, name])} cannot be loaded"
            found.extend(_walk(sub, [*path, name]))
    return found


@pytest.mark.parametrize("path", _walk(cli, []), ids=lambda p: " ".join(p) or "kanibako")
def test_help_works_for_every_command(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_version_prints_the_package_version() -> None:
    from kanibako import __version__

    result = CliRunner().invoke(cli, ["--version"], catch_exceptions=False)
    assert result.output.strip() == f"kanibako, version {__version__}"


def test_help_imports_no_engine_vault_helper_or_target_code() -> None:
    code = (
        "import sys\n"
        "from kanibako.cli import main\n"
        "sys.argv = ['kanibako', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'kanibako_runtime', 'kanibako_vault', 'kanibako_helpers', 'kanibako_targets'})\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
