"""Archiving a project's state to one ``.tar.gz`` file and restoring it.

The archive holds the box (``project.toml``, env, shell, ...) under ``box/``,
an overridden shell under ``shell/``, the vault under ``vault/share-{ro,rw}/``
and a manifest, ``kanibako-archive.toml``. The workspace is not included: it
is the user's own files. Restoring extracts with tarfile's ``data`` filter
(no absolute paths, no ``..``, no links leaving the tree, no devices) into a
staging directory, and only then replaces anything.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

from kanibako_paths.atomic import atomic_file
from kanibako_paths.errors import StateTransferError
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.modes import ProjectMode
from kanibako_paths.project import Project
from kanibako_paths.project_init import identity_table, reload_project, rewrite_identity
from kanibako_paths.tomlfile import write_toml

MANIFEST = "kanibako-archive.toml"
FORMAT = 1


def default_archive_name(project: Project) -> str:
    """``kanibako-{name}-{hash8}-{UTC timestamp}.tar.gz``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"kanibako-{project.name}-{project.project_hash[:8]}-{stamp}.tar.gz"


def _parts(project: Project) -> list[tuple[str, Path]]:
    parts = [("box", project.metadata_dir)]
    if not project.shell_dir.is_relative_to(project.metadata_dir):
        parts.append(("shell", project.shell_dir))
    parts += [("vault/share-ro", project.vault_ro), ("vault/share-rw", project.vault_rw)]
    return [(name, path) for name, path in parts if path.is_dir()]


def archive_project(project: Project, output: Path) -> Path:
    """Write ``project``'s state to ``output`` (atomically); the path written."""
    if not project.initialized:
        raise StateTransferError(f"{project.workspace} has no kanibako state to archive")
    output = output.expanduser().resolve()
    if output.exists():
        raise StateTransferError(f"{output} already exists")
    # Private like the box it copies (credentials may be in the shell).
    with atomic_file(output, mode=0o600) as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        staging = Path(tempfile.mkdtemp(prefix="kanibako-archive-"))
        try:
            manifest = staging / MANIFEST
            parts = _parts(project)
            write_toml(
                manifest,
                {
                    "format": FORMAT,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "project": identity_table(project),
                    "parts": [name for name, _ in parts],
                },
            )
            tar.add(manifest, arcname=MANIFEST)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for name, path in parts:
            tar.add(path, arcname=name)
    return output


def read_manifest(archive: Path) -> dict[str, object]:
    """The manifest of ``archive`` (an error when it is not a kanibako archive)."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            import tomllib

            return tomllib.loads(member.read().decode("utf-8"))
    except tarfile.ReadError:
        # tarfile's own text lists every compression it tried, one per line.
        raise StateTransferError(
            f"{archive}: not a kanibako archive (not a readable .tar.gz file)"
        ) from None
    except (KeyError, tarfile.TarError, OSError, ValueError, EOFError) as exc:
        raise StateTransferError(f"{archive}: not a kanibako archive ({exc})") from None


def restore_project(
    paths: KanibakoPaths, project: Project, archive: Path, *, force: bool = False
) -> Project:
    """Restore the state in ``archive`` into ``project`` (any mode); the restored project.

    Existing state is replaced only with ``force``; nothing changes if the
    archive is unreadable or unsafe.
    """
    archive = archive.expanduser().resolve()
    manifest = read_manifest(archive)
    parts = manifest.get("parts")
    if manifest.get("format") != FORMAT or not isinstance(parts, list) or "box" not in parts:
        raise StateTransferError(f"{archive}: unsupported archive format")
    targets = {
        "box": project.metadata_dir,
        "shell": project.shell_dir,
        "vault/share-ro": project.vault_ro,
        "vault/share-rw": project.vault_rw,
    }
    occupied = [
        targets[p] for p in parts if p in targets and targets[p].exists() and _has_files(targets[p])
    ]
    if occupied and not force:
        raise StateTransferError(
            f"{occupied[0]} already holds state; use --force to replace it with the archive"
        )
    project.metadata_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kanibako-restore-", dir=project.metadata_dir.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            try:
                tar.extractall(staging, filter="data")
                _read_to_end(tar)
            except tarfile.FilterError as exc:
                raise StateTransferError(f"{archive}: unsafe archive member: {exc}") from None
            except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
                # A truncated gzip stream raises EOFError, which click would
                # otherwise report as a bare "Aborted!".
                raise StateTransferError(
                    f"{archive}: truncated or corrupt archive ({exc})"
                ) from None
        rewrite_identity(staging / "box" / "project.toml", project)
        for part in parts:
            if part not in targets or not (staging / part).is_dir():
                continue
            destination = targets[part]
            if destination.exists():
                shutil.rmtree(destination)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging / part, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if project.mode is ProjectMode.DECENTRALIZED:
        from kanibako_paths.known_projects import remember_decentralized

        remember_decentralized(paths, project.workspace)
    return reload_project(paths, project)


def _read_to_end(tar: tarfile.TarFile) -> None:
    """Read the compressed stream to its end so gzip checks its CRC.

    tarfile stops at the end-of-archive blocks, before the gzip trailer, so
    a damaged member would otherwise be restored without complaint.
    """
    stream = tar.fileobj
    if stream is not None:
        while stream.read(1 << 20):
            pass


def _has_files(directory: Path) -> bool:
    return directory.is_dir() and any(directory.iterdir())
