"""Fixtures shared by the CLI package's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kanibako_paths import KanibakoPaths, Project, load_paths, resolve_project


@pytest.fixture
def box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KanibakoPaths, Project]:
    """A project whose host has a `claude` on PATH (auto-detected as the target)."""
    home = tmp_path / "home"
    for sub in (".config", ".local/share", "bin"):
        (home / sub).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    claude = home / "bin" / "claude"
    claude.write_text("#!/bin/sh\nexit 0\n")
    claude.chmod(0o755)
    monkeypatch.setenv("PATH", f"{claude.parent}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "w").mkdir()
    paths = load_paths()
    return paths, resolve_project(paths, tmp_path / "w")
