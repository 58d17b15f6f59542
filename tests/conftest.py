"""Fixtures shared by the cross-package and real-engine tests.

Real-engine tests never skip: a missing engine is a failure, so CI cannot go
green without having run them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import engine_images

# Fixtures shared by several test modules live in fixture modules, not in tests;
# session_guards fails a run that leaves a kanibako container running.
pytest_plugins = [
    "tests.session_guards",
    "tests.rootless_fixtures",
    "tests.egress_checks",
    "tests.docker_fixtures",
    "tests.docker_user_fixtures",
]


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HOME and XDG tree, so tests never touch the real user's state."""
    home = tmp_path / "home"
    for sub in (".config", ".local/share", ".cache", ".local/state", "run"):
        (home / sub).mkdir(parents=True)
    (home / "run").chmod(0o700)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "run"))
    for var in ("KANIBAKO_ENGINE", "CONTAINER_HOST", "DOCKER_HOST"):
        monkeypatch.delenv(var, raising=False)
    # Never Anthropic's real token issuer: a test that needs one starts a
    # loopback TokenIssuer (kanibako_targets.testing_issuer) and sets this.
    monkeypatch.setenv("KANIBAKO_CLAUDE_ISSUER_URL", "")
    # No warm standby outlives a test unless the test asks for one (--keep-warm).
    monkeypatch.setenv("KANIBAKO_KEEP_WARM", "0")
    yield home
    from kanibako.session import launcher

    launcher.stop()  # a test that kept a standby started one in its runtime directory


@pytest.fixture
def offline_project(isolated_home: Path) -> Path:
    """A project whose sessions have no network (busybox has no python3 for the egress forwarder)."""
    from tests.launch_helpers import kanibako

    path = isolated_home / "proj"
    path.mkdir()
    assert kanibako("-p", str(path), "config", "network", "none").returncode == 0
    return path


@pytest.fixture(scope="session")
def engine() -> str:
    """The container engine binary for real-engine tests (fails if there is none)."""
    name = os.environ.get("KANIBAKO_TEST_ENGINE", "podman")
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"real-engine tests need {name!r} on PATH (run scripts/host-setup.sh)")
    return path


@pytest.fixture(scope="session")
def busybox_image(engine: str) -> str:
    """A tiny local image with /bin/sh, built from the host's busybox-static."""
    return engine_images.ensure_busybox(engine)


@pytest.fixture(scope="session")
def debian_image(engine: str) -> str:
    """A local Debian (glibc, bash) image bootstrapped from the distribution mirror."""
    return engine_images.ensure_debian(engine)


@pytest.fixture(scope="session")
def python_image(engine: str, debian_image: str) -> str:
    """The Debian test image plus python3 (what the in-container kanibako needs)."""
    return engine_images.ensure_python(engine)
