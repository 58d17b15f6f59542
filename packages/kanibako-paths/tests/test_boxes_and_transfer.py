"""Listing boxes, orphans, purge, and migrate/duplicate between the three modes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kanibako_paths import (
    KanibakoPaths,
    Project,
    ProjectMode,
    StateTransferError,
    create_workset,
    find_orphans,
    init_local,
    init_project,
    list_boxes,
    load_workset,
    purge_project,
    read_env_file,
    resolve_config,
    resolve_project,
    set_config_value,
    set_env_var,
    transfer_project,
)


def _populated(paths: KanibakoPaths, directory: Path, *, local: bool = False) -> Project:
    """A project with something in every part of its state."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "code.py").write_text("print('hi')\n")
    project = (
        init_local(paths, directory)
        if local
        else init_project(paths, resolve_project(paths, directory))
    )
    set_env_var(project.env_file, "MARK", "env")
    set_config_value(project.project_config_file, "image", "img:mark", is_global=False)
    (project.shell_dir / ".shell.d/mark.sh").write_text("export MARK=shell\n")
    (project.vault_rw / "data.db").write_text("vault")
    return project


def _assert_carried(paths: KanibakoPaths, project: Project) -> None:
    assert project.initialized
    assert read_env_file(project.env_file) == {"MARK": "env"}
    assert resolve_config(paths, project).container_image == "img:mark"
    assert (project.shell_dir / ".shell.d/mark.sh").read_text() == "export MARK=shell\n"
    assert (project.vault_rw / "data.db").read_text() == "vault"
    assert (project.workspace / "code.py").exists()


def test_list_shows_all_modes_and_workspace_existence(paths: KanibakoPaths, tmp_path: Path) -> None:
    init_project(paths, resolve_project(paths, _mkdir(tmp_path / "ac")))
    init_local(paths, _mkdir(tmp_path / "dec"))
    create_workset(paths, "ws", tmp_path / "ws")
    from kanibako_paths import add_to_workset

    add_to_workset(paths, "ws", name="member")
    entries = {e.name: e for e in list_boxes(paths)}
    assert entries["ac"].mode is ProjectMode.ACCOUNT_CENTRIC
    assert entries["dec"].mode is ProjectMode.DECENTRALIZED
    assert entries["member"].mode is ProjectMode.WORKSET
    assert all(e.workspace_exists for e in entries.values())
    shutil.rmtree(tmp_path / "ac")
    assert [e.name for e in find_orphans(paths)] == ["ac"]


def test_purge_removes_state_and_keeps_workspace(paths: KanibakoPaths, tmp_path: Path) -> None:
    project = _populated(paths, tmp_path / "p")
    removed = purge_project(paths, project)
    assert removed == [project.metadata_dir]
    assert not project.metadata_dir.exists()
    assert (tmp_path / "p/code.py").exists()
    assert list_boxes(paths) == []


def test_account_centric_to_decentralized_and_back(paths: KanibakoPaths, tmp_path: Path) -> None:
    source = _populated(paths, tmp_path / "p")
    local = transfer_project(paths, source, ProjectMode.DECENTRALIZED, move=True)
    assert local.metadata_dir == tmp_path / "p/.kanibako"
    assert not source.metadata_dir.exists()
    assert resolve_project(paths, tmp_path / "p").mode is ProjectMode.DECENTRALIZED
    _assert_carried(paths, local)
    back = transfer_project(paths, local, ProjectMode.ACCOUNT_CENTRIC, move=True)
    assert back.metadata_dir == source.metadata_dir
    assert not (tmp_path / "p/.kanibako").exists()
    _assert_carried(paths, back)
    assert [e.mode for e in list_boxes(paths)] == [ProjectMode.ACCOUNT_CENTRIC]


def test_any_mode_to_workset_moves_workspace_and_vault(
    paths: KanibakoPaths, tmp_path: Path
) -> None:
    create_workset(paths, "ws", tmp_path / "ws")
    source = _populated(paths, tmp_path / "p", local=True)
    moved = transfer_project(paths, source, ProjectMode.WORKSET, move=True, workset="ws")
    assert moved.workspace == tmp_path / "ws/workspaces/p"
    assert moved.vault_rw == tmp_path / "ws/vault/p/share-rw"
    assert not (moved.workspace / ".kanibako").exists()  # metadata went to boxes/p
    assert not (moved.workspace / "vault").exists()
    assert not (tmp_path / "p").exists()
    _assert_carried(paths, moved)
    assert [m.name for m in load_workset(paths, "ws").members] == ["p"]


def test_leaving_a_workset_needs_a_destination(paths: KanibakoPaths, tmp_path: Path) -> None:
    create_workset(paths, "ws", tmp_path / "ws")
    source = _populated(paths, tmp_path / "p")
    member = transfer_project(paths, source, ProjectMode.WORKSET, move=True, workset="ws")
    with pytest.raises(StateTransferError, match="--dest"):
        transfer_project(paths, member, ProjectMode.DECENTRALIZED, move=True)
    out = transfer_project(
        paths, member, ProjectMode.DECENTRALIZED, move=True, dest=tmp_path / "out"
    )
    assert out.vault_rw == tmp_path / "out/vault/share-rw"
    _assert_carried(paths, out)
    assert load_workset(paths, "ws").members == ()
    assert not (tmp_path / "ws/vault/p").exists()


def test_duplicate_leaves_the_source_unchanged(paths: KanibakoPaths, tmp_path: Path) -> None:
    source = _populated(paths, tmp_path / "p")
    copy = transfer_project(
        paths, source, ProjectMode.ACCOUNT_CENTRIC, move=False, dest=tmp_path / "copy"
    )
    _assert_carried(paths, copy)
    _assert_carried(paths, resolve_project(paths, tmp_path / "p"))
    assert copy.project_hash != source.project_hash


def test_duplicate_keeps_a_sparse_vault_file_sparse(paths: KanibakoPaths, tmp_path: Path) -> None:
    source = _populated(paths, tmp_path / "p")
    image = source.vault_rw / "disk.img"
    with image.open("wb") as out:
        out.truncate(2 * 1024**3)
        out.seek(1024**3)
        out.write(b"middle")
    if image.stat().st_blocks * 512 > 1024 * 1024:
        pytest.skip("this filesystem does not keep holes")
    copy = transfer_project(
        paths, source, ProjectMode.ACCOUNT_CENTRIC, move=False, dest=tmp_path / "copy"
    )
    copied = copy.vault_rw / "disk.img"
    assert copied.stat().st_size == 2 * 1024**3
    assert copied.stat().st_blocks * 512 <= 1024 * 1024  # before: 2 GiB of zeros on disk
    assert copied.stat().st_mtime_ns == image.stat().st_mtime_ns
    with copied.open("rb") as f:
        f.seek(1024**3 - 2)
        assert f.read(10) == b"\0\0middle\0\0"


def test_orphan_is_remapped_to_where_its_files_went(paths: KanibakoPaths, tmp_path: Path) -> None:
    source = _populated(paths, tmp_path / "old")
    (tmp_path / "old").rename(tmp_path / "new")
    assert [e.name for e in find_orphans(paths)] == ["old"]
    orphan = resolve_project(paths, tmp_path / "old")
    remapped = transfer_project(
        paths, orphan, ProjectMode.ACCOUNT_CENTRIC, move=True, dest=tmp_path / "new"
    )
    _assert_carried(paths, remapped)
    assert find_orphans(paths) == []
    assert not source.metadata_dir.exists()


def test_transfer_refuses_to_overwrite_existing_state(paths: KanibakoPaths, tmp_path: Path) -> None:
    source = _populated(paths, tmp_path / "p")
    init_project(paths, resolve_project(paths, _mkdir(tmp_path / "taken")))
    with pytest.raises(StateTransferError, match="already holds kanibako state"):
        transfer_project(
            paths, source, ProjectMode.ACCOUNT_CENTRIC, move=True, dest=tmp_path / "taken"
        )
    _assert_carried(paths, resolve_project(paths, tmp_path / "p"))


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def test_decentralized_project_whose_state_was_deleted_is_not_listed(
    paths: KanibakoPaths, tmp_path: Path
) -> None:
    gone = init_local(paths, _mkdir(tmp_path / "gone"))
    moved = init_local(paths, _mkdir(tmp_path / "moved"))
    shutil.rmtree(gone.metadata_dir)
    shutil.rmtree(moved.workspace)
    (entry,) = list_boxes(paths)
    assert (entry.name, entry.workspace_exists) == ("moved", False)
