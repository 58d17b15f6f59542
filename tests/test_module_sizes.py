"""No module of the project is over 400 lines (STYLE.md): a longer one has seams to split along."""

from __future__ import annotations

from pathlib import Path

import pytest

LIMIT = 400
PACKAGES = Path(__file__).resolve().parent.parent / "packages"
SOURCES = sorted(PACKAGES.glob("*/src/**/*.py"))


def _name(path: Path) -> str:
    return path.relative_to(PACKAGES).as_posix()


def test_the_sources_are_found() -> None:
    assert len(SOURCES) > 50


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_module_is_at_most_400_lines(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= LIMIT, f"{_name(path)} has {lines} lines (limit {LIMIT})"
