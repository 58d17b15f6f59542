"""The helpers tree on the host and each container's view of it."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest

from kanibako_helpers import CONTAINER_HELPERS, HelperError, HelperTree, SpawnBudget

SCRIPT = b'#!/bin/sh\nexec "$@"\n'


def make(tree: HelperTree, number: int, siblings: list[int]) -> list[int]:
    return tree.create_helper(number, 0, SpawnBudget(1, 2), "sonnet", siblings, SCRIPT)


def test_helper_tree_has_every_directory_of_the_spec(tmp_path: Path) -> None:
    tree = HelperTree(tmp_path / "helpers")
    make(tree, 1, [])
    root = tmp_path / "helpers"
    for sub in ("workspace", "vault/share-ro", "vault/share-rw", "playbook/scripts", "peers"):
        assert (root / "1" / sub).is_dir(), sub
    for sub in ("all/ro", "all/rw", "channels"):
        assert (root / sub).is_dir(), sub
    assert (root / "1" / "all").readlink() == Path("../all")
    assert (root / "1" / "all" / "rw").is_dir()


def test_public_spawn_toml_has_budget_but_no_token_and_is_read_only(tmp_path: Path) -> None:
    tree = HelperTree(tmp_path / "helpers")
    make(tree, 1, [])
    spawn = tmp_path / "helpers/1/spawn.toml"
    data = tomllib.loads(spawn.read_text())
    assert data == {"helper": 1, "parent": 0, "depth": 1, "breadth": 2, "model": "sonnet"}
    assert stat.S_IMODE(spawn.stat().st_mode) == 0o444


def test_init_script_is_executable(tmp_path: Path) -> None:
    tree = HelperTree(tmp_path / "helpers")
    make(tree, 1, [])
    script = tree.init_script(1)
    assert script.read_bytes() == SCRIPT
    assert script.stat().st_mode & 0o111


def test_sibling_pair_gets_three_channels_and_peer_links(tmp_path: Path) -> None:
    tree = HelperTree(tmp_path / "helpers")
    make(tree, 1, [])
    assert make(tree, 2, [1]) == [1]
    pair = tmp_path / "helpers/channels/1-2"
    assert sorted(p.name for p in pair.iterdir()) == ["shared", "to-1", "to-2"]
    (pair / "shared" / "note").write_text("hi")
    assert (tmp_path / "helpers/1/peers/2/shared/note").read_text() == "hi"
    assert (tmp_path / "helpers/2/peers/1/shared/note").read_text() == "hi"


def test_container_view_binds_own_tree_and_pair_channels_only(tmp_path: Path) -> None:
    tree = HelperTree(tmp_path / "helpers")
    make(tree, 1, [])
    make(tree, 2, [1])
    make(tree, 3, [1, 2])
    mounts = {m.target: m for m in tree.mounts_for(2, [1, 3])}
    assert mounts[f"{CONTAINER_HELPERS}/2"].source == tmp_path / "helpers/2"
    assert f"{CONTAINER_HELPERS}/1" not in mounts
    assert mounts[f"{CONTAINER_HELPERS}/channels/1-2/to-2"].read_only
    assert not mounts[f"{CONTAINER_HELPERS}/channels/1-2/to-1"].read_only
    assert mounts[f"{CONTAINER_HELPERS}/all/ro"].read_only
    assert not any("1-3" in target for target in mounts)


def test_state_is_written_atomically_and_read_back(tmp_path: Path) -> None:
    tree = HelperTree(tmp_path / "helpers")
    make(tree, 1, [])
    tree.write_state(1, {"status": "running", "peers": []})
    assert tree.read_state(1) == {"status": "running", "peers": []}
    assert json.loads((tmp_path / "helpers/1/state.json").read_text())["status"] == "running"
    assert [p.name for p in (tmp_path / "helpers/1").glob(".state.json*")] == []


def test_remove_helper_deletes_its_tree_channels_and_peer_links(tmp_path: Path) -> None:
    tree = HelperTree(tmp_path / "helpers")
    make(tree, 1, [])
    make(tree, 2, [1])
    tree.remove_helper(2)
    assert not (tmp_path / "helpers/2").exists()
    assert not (tmp_path / "helpers/channels/1-2").exists()
    assert not (tmp_path / "helpers/1/peers/2").is_symlink()
    assert tree.existing_helpers() == [1]


def test_a_planted_symlink_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    tree = HelperTree(tmp_path / "helpers")
    tree.ensure_common()
    (tmp_path / "helpers" / "3").symlink_to(outside)
    with pytest.raises(HelperError, match="symlink"):
        make(tree, 3, [])
    assert list(outside.iterdir()) == []
    tree.remove_helper(3)
    assert outside.is_dir()
