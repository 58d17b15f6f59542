"""The session image: checked once, then trusted; supplied again if it vanishes."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from tests.launch_helpers import ENGINE, kanibako

pytestmark = pytest.mark.integration


def test_a_vanished_image_is_noticed_and_reported_in_one_line(
    isolated_home: Path, busybox_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    image = f"localhost/kanibako-test-vanish:{uuid.uuid4().hex[:8]}"
    subprocess.run([ENGINE, "tag", busybox_image, image], check=True)
    try:
        args = ["-p", str(project), "shell", "--no-helpers", "-i", image, "-c", "true"]
        assert kanibako(*args).returncode == 0  # checked with the engine, then remembered
        markers = list((isolated_home / ".cache/kanibako/images").iterdir())
        assert len(markers) == 1
    finally:
        subprocess.run([ENGINE, "rmi", image], check=True, capture_output=True)
    done = kanibako(*args)
    assert done.returncode == 1
    assert f"image {image} is gone; getting it again" in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("kanibako: ") and "kanibako-test-vanish" in last
    assert "Traceback" not in done.stderr
    assert not markers[0].exists()  # the next launch asks the engine again


def test_a_known_newer_registry_image_is_mentioned_without_asking_the_network(
    isolated_home: Path, busybox_image: str
) -> None:
    import time

    from kanibako_runtime.freshness import FreshnessHint, record

    project = isolated_home / "proj"
    project.mkdir()
    image = f"ghcr.io/kanibako-test/fresh-{uuid.uuid4().hex[:8]}:latest"
    subprocess.run([ENGINE, "tag", busybox_image, image], check=True)
    try:
        # The answer of an earlier background check, still fresh: no new check starts.
        record(
            isolated_home / ".cache/kanibako/freshness", FreshnessHint(image, time.time(), "stale")
        )
        done = kanibako("-p", str(project), "shell", "--no-helpers", "-i", image, "-c", "true")
    finally:
        subprocess.run([ENGINE, "rmi", image], check=True, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert f"a newer {image} is in its registry" in done.stderr
