"""What a launch pays for the helper hub: entering and leaving ``hub_session`` (hub_bench.py)."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def session_cost(rounds: int = 10) -> tuple[float, float]:
    """Median ms to enter and to leave ``hub_session`` (what a launch pays), warm."""
    home = Path(tempfile.mkdtemp(prefix="kbb-home-", dir="/tmp"))
    saved = {k: os.environ.get(k) for k in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")}
    os.environ.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
    )
    try:
        from kanibako.session.hub import hub_session
        from kanibako_paths import ensure_initialized, load_paths, resolve_project

        (home / "proj").mkdir()
        paths = load_paths()
        project = ensure_initialized(paths, resolve_project(paths, home / "proj"))
        enters, exits = [], []
        for _ in range(rounds + 1):
            start = time.perf_counter()
            session = hub_session(paths, project, None)
            session.__enter__()
            entered = time.perf_counter()
            session.__exit__(None, None, None)
            enters.append((entered - start) * 1000)
            exits.append((time.perf_counter() - entered) * 1000)
        return statistics.median(enters[1:]), statistics.median(exits[1:])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)
