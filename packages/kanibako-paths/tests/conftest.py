"""Fixtures for kanibako-paths unit tests: a private XDG tree per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_paths import KanibakoPaths, load_paths


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME with XDG variables pointing inside it."""
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".local/share").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    return home


@pytest.fixture
def paths(xdg: Path) -> KanibakoPaths:
    """Kanibako's locations inside the private XDG tree."""
    return load_paths()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An existing project directory."""
    project = tmp_path / "projects" / "demo"
    project.mkdir(parents=True)
    return project
