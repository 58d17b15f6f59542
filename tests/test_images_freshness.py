"""Image freshness in ``kanibako status`` and the launch hint, against the real engine.

The registry answer is cached by the background check; here it is written
directly (no registry is reachable), and the images are real local ones given
registry-looking names: kanibako's own local build of kanibako-base, and the
busybox test image standing in for a pulled one.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako.images.freshness import LOCAL_BUILD, LOCAL_IMAGE, NOT_CHECKED, freshness_cache_dir
from kanibako.images.supply import freshness_hint
from kanibako_runtime import Engine, FreshnessHint, detect_engine
from kanibako_runtime.freshness import Status, record
from tests.image_builds import ensure_test_base
from tests.state_cli import ok

pytestmark = pytest.mark.integration

LOCAL_NAME = "ghcr.io/kanibako-test/kanibako-base:freshness"
PULLED_NAME = "ghcr.io/kanibako-test/busybox:freshness"


@pytest.fixture(scope="module")
def named(engine: str, busybox_image: str) -> Iterator[Engine]:
    """The two images under registry names (removed again: only the names go)."""
    sources = {LOCAL_NAME: ensure_test_base(engine), PULLED_NAME: busybox_image}
    for name, source in sources.items():
        subprocess.run([engine, "tag", source, name], capture_output=True, check=True)
    yield detect_engine(engine)
    for name in sources:
        subprocess.run([engine, "untag", name, name], capture_output=True, check=False)


def _answer(image: str, status: Status) -> None:
    record(freshness_cache_dir(), FreshnessHint(image, time.time(), status))


def _status_freshness(project: Path, image: str) -> str:
    shown: dict[str, str] = json.loads(ok("-i", image, "status", "--json", cwd=project))
    return shown["image_freshness"]


def test_a_local_build_is_never_told_of_an_update(isolated_home: Path, named: Engine) -> None:
    _answer(LOCAL_NAME, "stale")  # its registry digest can never match a local build
    assert freshness_hint(named, LOCAL_NAME) is None
    assert _status_freshness(isolated_home, LOCAL_NAME) == LOCAL_BUILD


def test_a_pulled_image_with_a_newer_one_in_its_registry_is_told(
    isolated_home: Path, named: Engine
) -> None:
    _answer(PULLED_NAME, "stale")
    pull = f"`podman pull {PULLED_NAME}`"
    assert freshness_hint(named, PULLED_NAME) == (
        f"a newer {PULLED_NAME} is in its registry: {pull} updates it"
    )
    assert _status_freshness(isolated_home, PULLED_NAME) == f"update available: {pull}"
    text = ok("-i", PULLED_NAME, "status", cwd=isolated_home)
    assert f"Image freshness:  update available: {pull}\n" in text


def test_status_shows_the_cached_answer_and_never_starts_a_check(
    isolated_home: Path, named: Engine
) -> None:
    cache = freshness_cache_dir()
    assert _status_freshness(isolated_home, PULLED_NAME) == NOT_CHECKED
    assert not cache.exists()  # no background check was started (a launch would)
    _answer(PULLED_NAME, "current")
    assert _status_freshness(isolated_home, PULLED_NAME) == "current"
    _answer(PULLED_NAME, "unknown")
    assert _status_freshness(isolated_home, PULLED_NAME) == "unknown (registry not reachable)"
    assert len(list(cache.iterdir())) == 1  # the answer written here, nothing more
    assert _status_freshness(isolated_home, "localhost/kanibako-test-busybox:latest") == LOCAL_IMAGE
