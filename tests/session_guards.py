"""A run of the suite must leave no kanibako container running (registered in conftest).

Kanibako's session containers (directors and helpers) carry the session
labels of ``kanibako.session.layout``. At the end of the run, any such
container that was not already running when the run began is a test that
leaked it: the run fails naming it, and the container is removed so that the
next run starts clean.

Containers of another test run going on at the same time (their workspaces
lie in that run's own pytest temp directory, a sibling of ours) are not ours
and are left alone; in CI the suite runs alone, so every leftover counts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kanibako.session.layout import LABEL_SESSION, LABEL_WORKSPACE

# A session that is ending stops its containers within a few seconds
# (the guard's own test shortens the wait).
GRACE_SECONDS = float(os.environ.get("KANIBAKO_TEST_LEFTOVER_GRACE", "15"))


PS_ARGS = ("ps", "--filter", f"label={LABEL_SESSION}", "--format", "json")


def parse_ps(stdout: str) -> dict[str, str]:
    """``podman ps --format json`` of session containers: name -> workspace label."""
    rows = json.loads(stdout or "[]")
    return {row["Names"][0]: (row.get("Labels") or {}).get(LABEL_WORKSPACE, "") for row in rows}


def running_session_containers(engine: str) -> dict[str, str]:
    """Running kanibako session containers: name -> workspace label."""
    done = subprocess.run(
        [engine, *PS_ARGS], capture_output=True, text=True, timeout=60, check=True
    )
    return parse_ps(done.stdout)


def still_running(
    listing: Callable[[], dict[str, str]], counts: Callable[[str, str], bool]
) -> list[str]:
    """Names ``counts(name, workspace)`` selects that are still running after the grace period."""
    deadline = time.monotonic() + GRACE_SECONDS
    while True:
        left = sorted(name for name, workspace in listing().items() if counts(name, workspace))
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.5)


def _another_runs(workspace: str, basetemp: Path) -> bool:
    """True when ``workspace`` lies in a concurrent pytest run's temp directory."""
    path = Path(workspace)
    return path.is_relative_to(basetemp.parent) and not path.is_relative_to(basetemp)


@pytest.fixture(scope="session", autouse=True)
def no_kanibako_container_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail the run if a test left a kanibako container running (then remove it)."""
    engine = shutil.which(os.environ.get("KANIBAKO_TEST_ENGINE", "podman"))
    if engine is None:  # no engine: no test can have started a container
        yield
        return
    basetemp = tmp_path_factory.getbasetemp().resolve()
    before = set(running_session_containers(engine))
    yield
    leaked = still_running(
        lambda: running_session_containers(engine),
        lambda name, workspace: name not in before and not _another_runs(workspace, basetemp),
    )
    if leaked:
        # SIGKILL first: `rm -f` alone waits out the stop timeout of a
        # process that ignores SIGTERM (a shell as PID 1 does).
        for action in (["kill"], ["rm", "-f"]):
            subprocess.run([engine, *action, *leaked], capture_output=True, check=False)
        pytest.fail(f"tests left kanibako containers running (now removed): {', '.join(leaked)}")
