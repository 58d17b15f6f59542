"""Mode detection and where each mode keeps a project's state."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_paths import (
    KanibakoPaths,
    ProjectError,
    ProjectMode,
    init_local,
    init_project,
    project_hash,
    resolve_project,
)
from kanibako_paths.worksets import WorksetMember, create_workset, register_member


def test_plain_directory_is_account_centric_keyed_by_path_hash(
    paths: KanibakoPaths, workdir: Path
) -> None:
    project = resolve_project(paths, workdir)
    digest = project_hash(workdir.resolve())
    assert project.mode is ProjectMode.ACCOUNT_CENTRIC
    assert project.metadata_dir == paths.boxes_dir / digest
    assert project.shell_dir == paths.boxes_dir / digest / "shell"
    assert project.vault_ro == workdir / "vault/share-ro"
    assert project.vault_rw == workdir / "vault/share-rw"
    assert not project.initialized
    assert project.auth == "shared"
    assert project.layout == "default"


def test_local_init_makes_a_decentralized_project(paths: KanibakoPaths, workdir: Path) -> None:
    init_local(paths, workdir)
    project = resolve_project(paths, workdir)
    assert project.mode is ProjectMode.DECENTRALIZED
    assert project.metadata_dir == workdir / ".kanibako"
    assert project.initialized
    assert (workdir / "vault/share-ro").is_dir()
    assert (workdir / "vault/share-rw").is_dir()


def test_workset_member_workspace_is_detected(paths: KanibakoPaths, tmp_path: Path) -> None:
    workset = create_workset(paths, "research", tmp_path / "ws")
    register_member(workset, WorksetMember("paper-a"))
    inside = workset.workspace_dir("paper-a") / "src"
    inside.mkdir(parents=True)
    project = resolve_project(paths, inside)
    assert project.mode is ProjectMode.WORKSET
    assert project.name == "paper-a"
    assert project.workspace == workset.workspace_dir("paper-a")
    assert project.metadata_dir == workset.root / "boxes/paper-a"
    assert project.vault_rw == workset.root / "vault/paper-a/share-rw"


def test_account_centric_init_writes_shell_and_project_file(
    paths: KanibakoPaths, workdir: Path
) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    assert project.initialized
    assert (project.shell_dir / ".bashrc").is_file()
    assert (project.shell_dir / ".profile").is_file()
    assert (project.shell_dir / ".shell.d").is_dir()
    assert project.project_config_file.is_file()


def test_project_hash_is_sha256_of_the_resolved_path(tmp_path: Path) -> None:
    import hashlib

    expected = hashlib.sha256(str(tmp_path).encode()).hexdigest()
    assert project_hash(tmp_path) == expected


def test_status_path_of_the_package_loads_no_heavy_stdlib() -> None:
    import subprocess
    import sys

    code = (
        "import sys, kanibako_paths\n"
        "print(sorted(m for m in ('tarfile', 'shutil', 'tempfile', 'platformdirs', 'hashlib') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_a_decentralized_project_may_not_mount_paths_outside_itself(
    paths: KanibakoPaths, workdir: Path, tmp_path: Path
) -> None:
    # A planted .kanibako/project.toml must not point the home at the host.
    init_local(paths, workdir)
    config = workdir / ".kanibako/project.toml"
    original = config.read_text()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for key in ("shell", "vault_ro", "vault_rw"):
        config.write_text(f'{original}\n[box]\n{key} = "{outside}"\n')
        with pytest.raises(ProjectError, match=f"{key} = .* is outside the project"):
            resolve_project(paths, workdir)
    # Inside the project is fine, and other modes keep absolute overrides.
    (workdir / "home").mkdir()
    config.write_text(f'{original}\n[box]\nshell = "{workdir / "home"}"\n')
    assert resolve_project(paths, workdir).shell_dir == workdir / "home"
