"""The run-wide guard (tests/session_guards.py) fails a run that leaks a kanibako container."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.session_guards import running_session_containers

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parent.parent

_LEAKY = """
import os, subprocess


def test_leaves_a_session_container(tmp_path):
    subprocess.run(
        [os.environ["ENGINE"], "run", "-d", "--rm", "--name", os.environ["NAME"],
         "--label", "io.kanibako.session=guard-test",
         "--label", f"io.kanibako.workspace={tmp_path}",
         os.environ["IMAGE"], "sleep", "120"],
        check=True, capture_output=True,
    )
"""

_CLEAN = """
def test_starts_nothing():
    pass
"""


def _inner_run(
    tmp_path: Path, source: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    tmp_path.mkdir()
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(source)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.session_guards",
         "--basetemp", str(tmp_path / "inner"), str(test_file)],
        cwd=ROOT, env={**os.environ, **env, "KANIBAKO_TEST_LEFTOVER_GRACE": "1"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_run_that_leaves_a_container_running_fails_and_removes_it(
    engine: str, busybox_image: str, tmp_path: Path
) -> None:
    name = f"kanibako-guard-test-{os.getpid()}"
    env = {"ENGINE": engine, "IMAGE": busybox_image, "NAME": name}
    try:
        clean = _inner_run(tmp_path / "clean", _CLEAN, env)
        assert clean.returncode == 0, clean.stdout + clean.stderr
        leaky = _inner_run(tmp_path / "leaky", _LEAKY, env)
        assert leaky.returncode == 1, leaky.stdout + leaky.stderr
        assert f"tests left kanibako containers running (now removed): {name}" in leaky.stdout
        assert name not in running_session_containers(engine)
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True, check=False)
