"""The fast entry-point index agrees with importlib.metadata."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from kanibako_targets.internal import ENTRY_POINT_GROUP
from kanibako_targets.plugin_index import scan


def test_the_index_finds_what_importlib_metadata_finds() -> None:
    fast = {(e.name, e.value) for e in scan(ENTRY_POINT_GROUP)}
    reference = {(e.name, e.value) for e in entry_points(group=ENTRY_POINT_GROUP)}
    assert fast == reference
    assert ("claude", "kanibako_targets.claude:ClaudeTarget") in fast


@pytest.mark.parametrize("group", ["console_scripts", "pytest11"])
def test_other_groups_agree_too(group: str) -> None:
    fast = sorted((e.name, e.value) for e in scan(group))
    reference = sorted((e.name, e.value) for e in entry_points(group=group))
    assert fast == reference


def test_the_first_distribution_of_a_name_on_the_path_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for site, value in (("first", "mod_a:A"), ("second", "mod_b:B")):
        info = tmp_path / site / "Same_Dist-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: same-dist\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[demo.group]\nx = {value}\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "first"), str(tmp_path / "second")])
    fast = [(e.name, e.value) for e in scan("demo.group")]
    assert fast == [(e.name, e.value) for e in entry_points(group="demo.group")]
    assert fast == [("x", "mod_a:A")]
    [entry] = scan("demo.group")
    assert entry.distribution() == "same-dist 1.0"
