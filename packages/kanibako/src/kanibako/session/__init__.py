"""One session of an agent in a container: ``start``, ``shell``, ``resume``, and its status.

The launch path runs forward through this package (docs/architecture.md):
``prepare`` (resolve, then prepare the project and agent), ``features`` (what
plugs in: the helper hub), ``spec`` (the one ContainerSpec), ``run`` (the
lock, the container, the unwinding). This module stays import-light:
``status`` imports it, and must not pay for the engine, the hub or the
snapshot code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kanibako_paths import KanibakoPaths, Project

__all__ = ["status_lines"]


def status_lines(paths: KanibakoPaths, project: Project) -> list[tuple[str, str]]:
    """The session part of ``kanibako status``: the lock, and the container holding it.

    Cheap by design: one lock probe on a small file, no engine call. The lock
    is shown as held only while a live process holds it (the kernel drops it
    when the process dies).
    """
    from kanibako_runtime.lock import LOCK_FILE_NAME, lock_holder, stale_holder

    lock = project.metadata_dir / LOCK_FILE_NAME
    holder = lock_holder(lock)
    if holder is None:
        dead = stale_holder(lock)  # a session that died: the next start resumes it
        if dead is not None:
            return [("lock", f"free (the last session died: {dead.describe()}; resumable)"),
                    ("container", "not running")]  # fmt: skip
        return [("lock", "free"), ("container", "not running")]
    return [("lock", f"held ({holder.describe()})"), ("container", holder.container or "starting")]
