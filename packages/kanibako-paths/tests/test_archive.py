"""Archive and restore of a project's state."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from kanibako_paths import (
    KanibakoPaths,
    Project,
    StateTransferError,
    archive_project,
    init_local,
    init_project,
    read_env_file,
    resolve_project,
    restore_project,
    set_env_var,
)


def _project_with_state(paths: KanibakoPaths, directory: Path) -> Project:
    directory.mkdir(parents=True)
    project = init_project(paths, resolve_project(paths, directory))
    set_env_var(project.env_file, "KEEP", "me")
    (project.shell_dir / "notes.txt").write_text("shell")
    (project.vault_rw / "db").write_text("vault")
    return project


def test_round_trip_into_another_mode(paths: KanibakoPaths, tmp_path: Path) -> None:
    project = _project_with_state(paths, tmp_path / "p")
    archive = archive_project(project, tmp_path / "p.tar.gz")
    target_dir = tmp_path / "elsewhere"
    target_dir.mkdir()
    local = init_local(paths, target_dir)
    restored = restore_project(paths, local, archive, force=True)
    assert read_env_file(restored.env_file) == {"KEEP": "me"}
    assert (restored.shell_dir / "notes.txt").read_text() == "shell"
    assert (restored.vault_rw / "db").read_text() == "vault"
    assert "decentralized" in restored.project_config_file.read_text()
    assert str(target_dir) in restored.project_config_file.read_text()


def test_restore_refuses_existing_state_without_force(paths: KanibakoPaths, tmp_path: Path) -> None:
    project = _project_with_state(paths, tmp_path / "p")
    archive = archive_project(project, tmp_path / "a.tar.gz")
    set_env_var(project.env_file, "KEEP", "changed")
    with pytest.raises(StateTransferError, match="--force"):
        restore_project(paths, project, archive)
    assert read_env_file(project.env_file) == {"KEEP": "changed"}
    restore_project(paths, project, archive, force=True)
    assert read_env_file(project.env_file) == {"KEEP": "me"}


def test_restore_into_a_fresh_directory_initializes_it(
    paths: KanibakoPaths, tmp_path: Path
) -> None:
    archive = archive_project(_project_with_state(paths, tmp_path / "p"), tmp_path / "a.tar.gz")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    restored = restore_project(paths, resolve_project(paths, fresh), archive)
    assert restored.initialized
    assert (fresh / "vault/share-rw/db").read_text() == "vault"


def test_archive_refuses_to_overwrite(paths: KanibakoPaths, tmp_path: Path) -> None:
    project = _project_with_state(paths, tmp_path / "p")
    (tmp_path / "x.tar.gz").write_text("precious")
    with pytest.raises(StateTransferError, match="already exists"):
        archive_project(project, tmp_path / "x.tar.gz")
    assert (tmp_path / "x.tar.gz").read_text() == "precious"


def test_not_an_archive_is_a_clear_error(paths: KanibakoPaths, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not a tar")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with pytest.raises(StateTransferError, match="not a kanibako archive"):
        restore_project(paths, resolve_project(paths, fresh), bogus)


def test_member_escaping_the_tree_is_rejected(paths: KanibakoPaths, tmp_path: Path) -> None:
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        for name, data in [
            ("kanibako-archive.toml", b'format = 1\nparts = ["box"]\n'),
            ("box/project.toml", b""),
            ("box/../../escaped.txt", b"gotcha"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    project = resolve_project(paths, fresh)
    with pytest.raises(StateTransferError, match="unsafe archive member"):
        restore_project(paths, project, evil)
    assert not project.metadata_dir.exists()
    assert not list(tmp_path.rglob("escaped.txt"))
