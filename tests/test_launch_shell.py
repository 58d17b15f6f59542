"""The project shell in a real bash (Debian image): shell.d scripts and KANIBAKO_PS1."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.launch_helpers import KANIBAKO, kanibako

pytestmark = pytest.mark.integration


def test_interactive_bash_sources_shell_d_and_takes_the_prompt_from_kanibako_ps1(
    isolated_home: Path, debian_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    args = ["-p", str(project), "shell", "--no-helpers", "-i", debian_image]
    first = kanibako(*args, "-c", "true")  # first run creates the shell skeleton
    assert first.returncode == 0, first.stderr
    data = isolated_home / ".local/share/kanibako"
    box = next((data / "boxes").iterdir())
    (box / "shell" / ".shell.d" / "greet.sh").write_text("export FROM_SHELL_D=yes\n")
    (box / "env").write_text("KANIBAKO_PS1=(proj) \\w$ \n")
    done = kanibako(*args, "-c", 'bash -ic \'echo "ps1=$PS1"; echo "shell.d=$FROM_SHELL_D"\'')
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "=" in line]
    assert lines == ["ps1=(proj) \\w$ ", "shell.d=yes"]


def test_shell_without_command_runs_bash_in_the_workspace(
    isolated_home: Path, debian_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    done = subprocess_with_input(project, debian_image, "echo $0 $PWD; exit 5\n")
    assert done[0] == 5
    assert "bash /home/agent/workspace" in done[1]


def subprocess_with_input(project: Path, image: str, text: str) -> tuple[int, str]:
    done = subprocess.run(
        [KANIBAKO, "-p", str(project), "shell", "--no-helpers", "-i", image],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout
