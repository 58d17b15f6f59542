"""What Kanibako holds on this host, with sizes: projects, caches, bundles, logs, engine objects.

Accounting only reads: one ``os.scandir`` walk per tree (see :mod:`kanibako.gc.sizes`),
and two engine calls (images, containers) when an engine answers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kanibako.gc.sizes import TreeSize, tree_size

if TYPE_CHECKING:
    from kanibako_paths import BoxEntry, KanibakoPaths, Project
    from kanibako_runtime import ContainerInfo, Engine, ImageInfo

HELPERS_DIR = "helpers"
HELPER_HOMES_DIR = "helper-homes"  # each helper's own home, in the box (helper_session)
HELPER_LOGS_DIR = "helper-logs"
STOPPED_STATES = frozenset({"exited", "created", "dead", "stopped", "configured"})


def helper_log_files(paths: KanibakoPaths, project: Project) -> list[Path]:
    """The hub's message log and helper registry for ``project`` (outside its box), if present."""
    from kanibako_helpers import registry_path

    log = paths.data_dir / HELPER_LOGS_DIR / f"{project.project_hash}.jsonl"
    return [p for p in (log, registry_path(log)) if p.exists() or p.is_symlink()]


@dataclass
class ProjectHolding:
    """One project's parts and their sizes; ``running`` when its session lock is held."""

    entry: BoxEntry
    project: Project
    state: int = 0
    shell: int = 0
    helpers: int = 0
    snapshots: int = 0
    snapshot_store: Path | None = None
    snapshot_names: list[str] = field(default_factory=list)
    running: bool = False

    @property
    def total(self) -> int:
        return self.state + self.shell + self.helpers + self.snapshots


@dataclass
class Holdings:
    """Everything :func:`account` found, and what could not be read."""

    projects: list[ProjectHolding] = field(default_factory=list)
    shared: int = 0
    bundles: int = 0
    bundle_dir: Path | None = None
    logs: int = 0
    images: list[ImageInfo] = field(default_factory=list)
    containers: list[ContainerInfo] = field(default_factory=list)
    standbys: list[ContainerInfo] = field(default_factory=list)
    engine: Engine | None = None
    engine_note: str = ""
    unreadable: list[str] = field(default_factory=list)


def snapshot_names(store: Path) -> list[str]:
    """The snapshot names in ``store``, oldest first (none when it is missing or unreadable)."""
    import os

    from kanibako_vault.names import split_archive_name

    try:
        with os.scandir(store) as entries:
            found = [split_archive_name(e.name) for e in entries]
    except OSError:
        return []
    # A name may have two archives for a moment (a rewrite killed midway): count it once.
    return sorted({pair[0] for pair in found if pair is not None})


def _measure(found: Holdings, root: Path, skip: tuple[str, ...] = ()) -> int:
    size: TreeSize = tree_size(root, skip=skip)
    found.unreadable += size.unreadable
    return size.bytes


def account_project(found: Holdings, paths: KanibakoPaths, entry: BoxEntry) -> ProjectHolding:
    """One project's state, shell, helper homes and clones, and snapshots."""
    from kanibako.session.vault_snapshot import snapshot_store
    from kanibako_paths import project_at
    from kanibako_runtime.lock import LOCK_FILE_NAME, lock_holder

    if entry.project is not None:
        project = entry.project
    else:
        if entry.workspace is None:  # unreadable boxes are never accounted as projects
            raise ValueError(f"box {entry.metadata_dir} has no readable workspace")
        project = project_at(paths, entry.mode, entry.workspace)
    store = snapshot_store(paths, project)
    meta = project.metadata_dir
    inside = (HELPER_HOMES_DIR, *(p.name for p in (project.shell_dir, store) if p.parent == meta))
    holding = ProjectHolding(entry, project, snapshot_store=store)
    holding.state = _measure(found, meta, inside)
    holding.shell = _measure(found, project.shell_dir, (HELPERS_DIR,))
    holding.helpers = _measure(found, project.shell_dir / HELPERS_DIR) + _measure(
        found, meta / HELPER_HOMES_DIR
    )
    holding.snapshots = _measure(found, store)
    holding.snapshot_names = snapshot_names(store)
    try:
        holding.running = lock_holder(meta / LOCK_FILE_NAME) is not None
    except OSError:
        holding.running = True  # cannot tell: treat as in use, never remove
    return holding


def bundle_cache_dir() -> Path:
    """Where the in-container CLI bundles are cached (see kanibako.session.hub)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kanibako")) / "bundle"


def _engine_objects(found: Holdings) -> None:
    from kanibako.images.recipes import ORIGIN_LABEL
    from kanibako.session.layout import LABEL_OWNER, LABEL_SESSION, LABEL_STANDBY
    from kanibako_runtime import (
        EngineNotFoundError,
        KanibakoRuntimeError,
        detect_engine,
        list_containers,
    )
    from kanibako_runtime.calls import engine_call
    from kanibako_runtime.images import parse_images

    try:
        engine = detect_engine()
        fmt = "json" if engine.kind == "podman" else "{{json .}}"
        listed = engine_call(engine, ["images", "--filter", f"label={ORIGIN_LABEL}=local",
                                      "--format", fmt], timeout=60)  # fmt: skip
        found.images = parse_images(listed.stdout)
        # This user's only: a rootful engine may be shared with other users' sessions.
        mine = {LABEL_SESSION: None, LABEL_OWNER: str(os.getuid())}
        listed_containers = list_containers(engine, mine, include_stopped=True)
        found.containers = [c for c in listed_containers if c.state.lower() in STOPPED_STATES]
        found.standbys = [
            c for c in listed_containers
            if LABEL_STANDBY in c.labels and c.state.lower() not in STOPPED_STATES
        ]  # fmt: skip
        found.engine = engine
    except (EngineNotFoundError, KanibakoRuntimeError) as exc:
        found.engine_note = f"engine not asked: {exc}"


def account(paths: KanibakoPaths, *, with_engine: bool = True) -> Holdings:
    """Measure everything Kanibako holds for this user."""
    from kanibako_paths import list_boxes

    found = Holdings()
    for entry in list_boxes(paths):
        if entry.unreadable:
            # A box we cannot read is never judged (or removed): only named.
            found.unreadable.append(f"{entry.metadata_dir}: {entry.unreadable}")
            continue
        found.projects.append(account_project(found, paths, entry))
    found.shared = _measure(found, paths.shared_dir)
    found.bundle_dir = bundle_cache_dir()
    found.bundles = _measure(found, found.bundle_dir)
    found.logs = _measure(found, paths.data_dir / HELPER_LOGS_DIR)
    if with_engine:
        _engine_objects(found)
    return found


def project_sizes(paths: KanibakoPaths, entries: list[BoxEntry]) -> list[int]:
    """Each project's total size on disk (state, shell, helpers, snapshots), for ``box list``."""
    found = Holdings()
    return [
        _measure(found, entry.metadata_dir)
        if entry.unreadable
        else account_project(found, paths, entry).total
        for entry in entries
    ]
