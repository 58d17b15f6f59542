"""``ps``'s resumable row: a project whose session died (a stale lock record), with its helpers."""

from __future__ import annotations

import json
import subprocess
import sys

from kanibako.session.hub import helper_log_path
from kanibako.session.listing import _resumable
from kanibako_helpers import registry_path
from kanibako_paths import KanibakoPaths, Project
from kanibako_runtime import LOCK_FILE_NAME, ProjectLock


def _die_holding(lock: str) -> None:
    code = (
        "import os; from pathlib import Path; from kanibako_runtime import ProjectLock;"
        f"ProjectLock(Path({lock!r})).acquire(container='kanibako-w-1'); os.kill(os.getpid(), 9)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == -9


def test_a_project_whose_session_died_is_resumable_with_its_running_helpers(
    box: tuple[KanibakoPaths, Project],
) -> None:
    paths, project = box
    lock = project.metadata_dir / LOCK_FILE_NAME
    project.metadata_dir.mkdir(parents=True, exist_ok=True)
    assert _resumable(paths, project) is None  # never ran
    _die_holding(str(lock))
    registry = registry_path(helper_log_path(paths, project))
    registry.parent.mkdir(parents=True)
    entry = {"parent": 0, "depth": 0, "breadth": 0, "model": "", "peers": []}
    registry.write_text(
        json.dumps(
            {"helpers": [{**entry, "helper": 1, "status": "running"},
                         {**entry, "helper": 2, "status": "stopped"}]}
        )
    )  # fmt: skip
    row = _resumable(paths, project)
    assert row is not None
    assert (row.project, row.state, row.helpers, row.container) == (
        str(project.workspace), "resumable", 1, "kanibako-w-1"
    )  # fmt: skip
    # The next session takes the lock: while it runs, and after it ended, nothing is resumable.
    taken = ProjectLock(lock)
    taken.acquire()
    assert _resumable(paths, project) is None
    taken.release()
    assert _resumable(paths, project) is None
