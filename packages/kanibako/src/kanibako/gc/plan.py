"""What ``kanibako gc`` would remove, and removing it.

The plan never names a workspace, and a project whose session lock is held is
left out (its state is in use). Removal takes each project's lock first, so a
session that starts meanwhile is never pulled from under.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kanibako.display import safe_line
from kanibako.gc.holdings import Holdings, ProjectHolding, helper_log_files
from kanibako.gc.sizes import tree_size

if TYPE_CHECKING:
    from kanibako_paths import KanibakoPaths


@dataclass(frozen=True)
class PlanItem:
    """One thing to remove: its kind, what it is, and the disk it frees."""

    kind: str
    target: str
    bytes: int
    project: ProjectHolding | None = None
    extra: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "bytes": self.bytes}


def _orphan(paths: KanibakoPaths, holding: ProjectHolding) -> PlanItem:
    logs = helper_log_files(paths, holding.project)
    store = [holding.snapshot_store] if holding.snapshot_store is not None else []
    extra = tuple(str(p) for p in [*store, *logs] if p.exists() or p.is_symlink())
    return PlanItem(
        "orphaned project", str(holding.project.workspace), holding.total, holding, extra
    )


def _old_snapshots(holding: ProjectHolding, keep: int) -> PlanItem | None:
    store = holding.snapshot_store
    extra = holding.snapshot_names[: max(len(holding.snapshot_names) - keep, 0)]
    if store is None or not extra:
        return None
    from kanibako_vault.names import ARCHIVE_SUFFIXES

    size = sum(
        tree_size(store / f"{name}{suffix}").bytes for name in extra for suffix in ARCHIVE_SUFFIXES
    )
    target = f"{len(extra)} snapshots of {holding.project.workspace} beyond the newest {keep}"
    return PlanItem("old snapshots", target, size, holding, tuple(extra))


def _stale_bundles(found: Holdings) -> list[PlanItem]:
    directory = found.bundle_dir
    if directory is None or not directory.is_dir():
        return []
    try:
        current = (directory / "fingerprint").read_text().split()[1]
    except (OSError, IndexError):
        current = ""
    items = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.endswith(".pyz") and entry.name != current:
                size = tree_size(Path(entry.path)).bytes
                items.append(PlanItem("stale bundle", entry.path, size))
    return items


def snapshots_to_keep(paths: KanibakoPaths, holding: ProjectHolding) -> int:
    """``vault_keep`` for this project (project.toml, else kanibako.toml, else 10)."""
    from kanibako_paths import ConfigError, resolve_config

    value = resolve_config(paths, holding.project).values["vault_keep"]
    if not value.isdigit():
        raise ConfigError(f"config key vault_keep must be a whole number, not {value!r}")
    return int(value)


def make_plan(paths: KanibakoPaths, found: Holdings) -> list[PlanItem]:
    """Orphaned projects, old snapshots, stale bundles, stopped containers, dangling images."""
    items: list[PlanItem] = []
    for holding in found.projects:
        if holding.running:
            continue  # a session is using this state
        if not holding.entry.workspace_exists:
            items.append(_orphan(paths, holding))
        elif (old := _old_snapshots(holding, snapshots_to_keep(paths, holding))) is not None:
            items.append(old)
    items += _stale_bundles(found)
    for container in found.containers:
        items.append(PlanItem("stopped container", container.name or container.id, 0))
    for container in found.standbys:
        # A warm standby serves the next launch; without it that launch is just cold.
        items.append(PlanItem("warm standby", container.name or container.id, 0))
    for image in found.images:
        if not image.names:
            items.append(PlanItem("dangling image", image.id, image.size))
    return items


Say = Callable[[str], None]


def _remove_path(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _with_project_lock(holding: ProjectHolding, action: Callable[[], None]) -> bool:
    from kanibako_runtime import ProjectLock, ProjectLockedError
    from kanibako_runtime.lock import LOCK_FILE_NAME

    meta = holding.project.metadata_dir
    if not meta.is_dir():
        action()
        return True
    # keep_stale: pruning must not make a project whose session died stop being resumable.
    lock = ProjectLock(meta / LOCK_FILE_NAME, label=str(holding.project.workspace), keep_stale=True)
    try:
        lock.acquire()
    except ProjectLockedError:
        return False
    try:
        action()
    finally:
        lock.release()
    return True


def _apply_one(paths: KanibakoPaths, found: Holdings, item: PlanItem) -> bool:
    if item.kind == "orphaned project" and item.project is not None:
        from kanibako_paths import purge_project

        def purge() -> None:
            from kanibako.stub_removal import remove_tree

            purge_project(paths, item.project.project, remove_tree)  # type: ignore[union-attr]
            for extra in item.extra:
                _remove_path(Path(extra))

        return _with_project_lock(item.project, purge)
    if item.kind == "old snapshots" and item.project is not None:
        from kanibako_vault import prune

        store = item.project.snapshot_store
        keep = len(item.project.snapshot_names) - len(item.extra)
        return store is not None and _with_project_lock(
            item.project, lambda: _prune(store, keep, prune)
        )
    if item.kind == "stale bundle":
        _remove_path(Path(item.target))
        return True
    if found.engine is None:
        return False
    from kanibako_runtime.calls import engine_call

    args = {
        "stopped container": ["rm", item.target],
        "warm standby": ["rm", "--force", item.target],
    }.get(item.kind, ["rmi", item.target])
    return engine_call(found.engine, args, check=False, timeout=120).returncode == 0


def _prune(store: Path, keep: int, prune: Callable[[Path, int], object]) -> None:
    prune(store, keep)


def apply_plan(paths: KanibakoPaths, found: Holdings, items: list[PlanItem], say: Say) -> int:
    """Remove every item that is still safe to remove; the bytes freed."""
    freed = 0
    for item in items:
        try:
            done = _apply_one(paths, found, item)
        except OSError as exc:
            say(f"could not remove {safe_line(item.target)}: {exc.strerror or exc}")
            continue
        if done:
            freed += item.bytes
            say(f"removed {item.kind}: {safe_line(item.target)}")
        else:
            say(f"kept {item.kind}: {safe_line(item.target)} (in use)")
    return freed
