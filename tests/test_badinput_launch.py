"""Bad launch flags are refused before anything runs: one line, exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.state_cli import run


@pytest.mark.parametrize(
    "args",
    [
        ["-i", "", "start"],
        ["-i", "bad name", "start"],
        ["shell", "-i", "bad name"],
        ["start", "-i", " "],
    ],
)
def test_image_flag_with_an_empty_or_spaced_name_is_a_usage_error(
    isolated_home: Path, tmp_path: Path, args: list[str]
) -> None:
    # Before: handed to `podman pull`, whose failure came back as a runtime
    # error (exit 1) in two lines, after the engine had been started.
    result = run(*args, cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '-i' / '--image'" in result.stderr, result.stderr
    assert "an image name has no spaces and is not empty" in result.stderr
    assert "pull" not in result.stderr


def test_a_selected_agent_that_is_not_installed_leaves_the_project_untouched(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kanibako_paths import load_paths, resolve_project

    config = isolated_home / ".config/kanibako.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[target]\nname = "claude"\n')
    # A PATH with the engine and nothing else: no claude on it, whatever the host has.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "podman").symlink_to(shutil.which("podman") or "/usr/bin/podman")
    monkeypatch.setenv("PATH", str(bin_dir))
    project = tmp_path / "proj"
    project.mkdir()
    result = run("start", cwd=project)
    assert result.exit_code == 2, result.output
    assert "Claude Code was not found on this host" in result.stderr
    assert not resolve_project(load_paths(), project).initialized
