"""Templates are applied at ``init`` (the agent detected then), else on the first launch, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kanibako.app import LaunchOptions
from kanibako.cli import cli
from kanibako.session.agent import prepare_agent
from kanibako_paths import KanibakoPaths, Project, read_toml, resolve_project

TEMPLATED = ".claude/CLAUDE.md"


@pytest.fixture
def templated(box: tuple[KanibakoPaths, Project]) -> tuple[KanibakoPaths, Path]:
    """Claude's standard template holds one file."""
    paths, project = box
    layer = paths.templates_dir / "claude/standard/.claude"
    layer.mkdir(parents=True)
    (layer / "CLAUDE.md").write_text("from the claude template\n")
    return paths, project.workspace


def _kanibako(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _templates_state(paths: KanibakoPaths, workspace: Path) -> tuple[str, Path]:
    project = resolve_project(paths, workspace)
    return read_toml(project.project_config_file)["project"]["templates"], project.shell_dir


def _launch(paths: KanibakoPaths, workspace: Path) -> None:
    project = resolve_project(paths, workspace)
    prepare_agent(paths, project, LaunchOptions(), "start", first_run=False, verbose=False)


@pytest.mark.parametrize("local", [["--local"], []])
def test_init_applies_the_templates_and_a_launch_does_not_again(
    templated: tuple[KanibakoPaths, Path], local: list[str]
) -> None:
    paths, workspace = templated
    _kanibako("init", *local, "-p", str(workspace))
    state, shell = _templates_state(paths, workspace)
    assert state == "standard"
    assert (shell / TEMPLATED).read_text() == "from the claude template\n"
    (shell / TEMPLATED).write_text("the user's own\n")
    _launch(paths, workspace)
    assert (shell / TEMPLATED).read_text() == "the user's own\n"  # applied once


def test_a_project_initialized_by_a_state_command_gets_them_on_its_first_launch(
    templated: tuple[KanibakoPaths, Path],
) -> None:
    paths, workspace = templated
    _kanibako("env", "set", "A", "1", "-p", str(workspace))
    state, shell = _templates_state(paths, workspace)
    assert state == "pending" and not (shell / TEMPLATED).exists()
    _launch(paths, workspace)
    assert _templates_state(paths, workspace)[0] == "standard"
    assert (shell / TEMPLATED).read_text() == "from the claude template\n"


def test_init_of_a_project_a_state_command_created_applies_them_too(
    templated: tuple[KanibakoPaths, Path],
) -> None:
    paths, workspace = templated
    _kanibako("env", "set", "A", "1", "-p", str(workspace))
    assert "already initialized" in _kanibako("init", "-p", str(workspace))
    assert _templates_state(paths, workspace)[0] == "standard"


def test_an_agent_unresolvable_at_init_leaves_them_for_the_first_launch(
    templated: tuple[KanibakoPaths, Path],
) -> None:
    paths, workspace = templated
    config = paths.config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[target]\nname = "gone"\n')  # a plugin uninstalled since
    result = CliRunner().invoke(cli, ["init", "--local", "-p", str(workspace)])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("kanibako: templates left for the first launch: ")
    assert result.stderr.count("\n") == 1
    assert _templates_state(paths, workspace)[0] == "pending"
