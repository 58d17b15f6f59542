"""Working sets: persisted registry, members, default auth."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_paths import (
    KanibakoPaths,
    ProjectMode,
    WorksetError,
    add_to_workset,
    create_workset,
    delete_workset,
    init_project,
    list_worksets,
    load_workset,
    remove_from_workset,
    resolve_project,
    set_env_var,
    set_workset_auth,
)


def test_created_workset_persists_with_its_layout(paths: KanibakoPaths, tmp_path: Path) -> None:
    create_workset(paths, "research", tmp_path / "ws")
    (found,) = list_worksets(paths)
    assert (found.name, found.root, found.auth) == ("research", tmp_path / "ws", "shared")
    assert {p.name for p in found.root.iterdir()} >= {"boxes", "workspaces", "vault"}


def test_duplicate_name_and_bad_name_are_refused(paths: KanibakoPaths, tmp_path: Path) -> None:
    create_workset(paths, "a", tmp_path / "a")
    with pytest.raises(WorksetError, match="already exists"):
        create_workset(paths, "a", tmp_path / "b")
    with pytest.raises(WorksetError, match="invalid working set name"):
        create_workset(paths, "../up", tmp_path / "c")


def test_add_copies_source_files_and_leaves_source_alone(
    paths: KanibakoPaths, tmp_path: Path
) -> None:
    create_workset(paths, "ws", tmp_path / "ws")
    source = tmp_path / "repos/paper-a"
    source.mkdir(parents=True)
    (source / "paper.tex").write_text("\\section{A}")
    project = add_to_workset(paths, "ws", source)
    assert project.mode is ProjectMode.WORKSET
    assert project.workspace == tmp_path / "ws/workspaces/paper-a"
    assert (project.workspace / "paper.tex").read_text() == "\\section{A}"
    assert (source / "paper.tex").exists()
    assert project.initialized
    assert (tmp_path / "ws/vault/paper-a/share-rw").is_dir()
    assert resolve_project(paths, project.workspace).mode is ProjectMode.WORKSET


def test_add_carries_existing_state_along(paths: KanibakoPaths, tmp_path: Path) -> None:
    create_workset(paths, "ws", tmp_path / "ws")
    source = tmp_path / "repos/b"
    source.mkdir(parents=True)
    existing = init_project(paths, resolve_project(paths, source))
    set_env_var(existing.env_file, "FROM_SOURCE", "yes")
    project = add_to_workset(paths, "ws", source, name="bee")
    assert project.name == "bee"
    assert "FROM_SOURCE=yes" in project.env_file.read_text()


def test_add_without_source_makes_an_empty_workspace(paths: KanibakoPaths, tmp_path: Path) -> None:
    create_workset(paths, "ws", tmp_path / "ws")
    project = add_to_workset(paths, "ws", name="fresh")
    assert project.workspace.is_dir()
    assert not any(project.workspace.iterdir())
    with pytest.raises(WorksetError, match="already has a project 'fresh'"):
        add_to_workset(paths, "ws", name="fresh")


def test_remove_deletes_state_but_keeps_files(paths: KanibakoPaths, tmp_path: Path) -> None:
    create_workset(paths, "ws", tmp_path / "ws")
    project = add_to_workset(paths, "ws", name="p")
    (project.workspace / "keep.txt").write_text("mine")
    removed = remove_from_workset(paths, "ws", "p")
    assert project.metadata_dir in removed
    assert (project.workspace / "keep.txt").exists()
    assert load_workset(paths, "ws").members == ()
    assert resolve_project(paths, project.workspace).mode is ProjectMode.ACCOUNT_CENTRIC


def test_auth_is_the_default_for_member_projects(paths: KanibakoPaths, tmp_path: Path) -> None:
    create_workset(paths, "ws", tmp_path / "ws")
    project = add_to_workset(paths, "ws", name="p")
    assert project.auth == "shared"
    set_workset_auth(paths, "ws", "distinct")
    assert load_workset(paths, "ws").auth == "distinct"
    assert resolve_project(paths, project.workspace).auth == "distinct"


def test_delete_unregisters_and_purge_removes_files(paths: KanibakoPaths, tmp_path: Path) -> None:
    create_workset(paths, "keep", tmp_path / "keep")
    create_workset(paths, "gone", tmp_path / "gone")
    delete_workset(paths, "keep")
    delete_workset(paths, "gone", purge=True)
    assert list_worksets(paths) == []
    assert (tmp_path / "keep").is_dir()
    assert not (tmp_path / "gone").exists()
    with pytest.raises(WorksetError, match="no working set named 'keep'"):
        load_workset(paths, "keep")
