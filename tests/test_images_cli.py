"""``kanibako image list|rebuild`` and ``kanibako setup`` against the real engine.

``setup`` runs from an empty home on a machine without any registry: it writes
the default config, fails to pull the default image, builds it from the
bundled Containerfiles on the no-registry kanibako-base, and a session then
runs in it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kanibako.images import engine as image_engine
from kanibako.images.recipes import BASE_NAME, ORIGIN_LABEL, RECIPE_LABEL, load_recipes
from kanibako_paths import DEFAULT_IMAGE
from kanibako_runtime import detect_engine
from tests.image_builds import ensure_test_base
from tests.launch_helpers import kanibako
from tests.state_cli import run

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def base(engine: str) -> str:
    return ensure_test_base(engine)


def test_image_list_shows_the_local_build_with_size_age_and_freshness(
    isolated_home: Path, base: str
) -> None:
    table = run("image", "list")
    assert table.exit_code == 0, table.output
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["IMAGE", "SIZE", "CREATED", "FRESHNESS"]
    (row,) = [r for r in rows if r.startswith(base + " ")]
    assert " MB " in row
    assert " ago " in row or "just now" in row
    assert row.endswith("local build, current")
    listed = json.loads(run("image", "list", "--json").stdout)
    (entry,) = [e for e in listed if e["image"] == base]
    assert entry["size"] > 100_000_000 and entry["freshness"] == "local build, current"


def test_rebuild_builds_again_without_the_layer_cache(
    isolated_home: Path, engine: str, base: str
) -> None:
    target = "localhost/kanibako-base:kanibako-test-rebuild"
    try:
        done = kanibako("image", "rebuild", target, timeout=240)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"rebuilt {target}\n"
        assert f"building {target}: done in" in done.stderr
        labels = image_engine.labels(detect_engine(engine), target)
        assert labels is not None
        assert labels[RECIPE_LABEL] == load_recipes().digest((BASE_NAME,))
        ids = subprocess.run(
            [engine, "image", "inspect", "--format", "{{.Id}}", target, base],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        assert ids[0] != ids[1]  # really built again, not the cached layers
    finally:
        subprocess.run([engine, "rmi", target], capture_output=True, check=False)


def test_rebuild_of_an_image_kanibako_cannot_build_is_a_user_mistake(
    isolated_home: Path,
) -> None:
    done = kanibako("image", "rebuild", "docker.io/library/ubuntu:24.04")
    assert done.returncode == 2
    assert done.stderr.startswith("kanibako: 'docker.io/library/ubuntu:24.04' is not one of")
    assert done.stderr.count("\n") == 1


def test_setup_then_a_session_from_nothing_without_a_registry(
    isolated_home: Path, engine: str, base: str
) -> None:
    eng = detect_engine(engine)
    found = image_engine.labels(eng, DEFAULT_IMAGE)
    if found is not None and found.get(ORIGIN_LABEL) == "local":
        # Our own earlier build: drop the name so setup must make it again.
        subprocess.run([engine, "rmi", DEFAULT_IMAGE], capture_output=True, check=True)
    done = kanibako("setup", timeout=300)
    assert done.returncode == 0, done.stderr
    config = isolated_home / ".config" / "kanibako.toml"
    *lines, doctor = done.stdout.splitlines()
    assert lines == [
        f"wrote the default configuration to {config}",
        f"image {DEFAULT_IMAGE} is available (podman)",
    ]
    assert doctor.startswith("doctor: ") and ", 0 fail" in doctor  # setup ends with its summary
    if found is None or found.get(ORIGIN_LABEL) == "local":
        assert f"{DEFAULT_IMAGE} is ready (" in done.stderr
    assert f'image = "{DEFAULT_IMAGE}"' in config.read_text()

    again = kanibako("setup")
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout.splitlines()[0] == f"keeping the existing configuration {config}"

    project = isolated_home / "proj"
    project.mkdir()
    session = kanibako(
        "-p", str(project), "shell", "--no-helpers",
        "-c", "git --version && python3 --version",
    )  # fmt: skip
    assert session.returncode == 0, session.stderr
    assert session.stdout.startswith("git version 2.")
    assert "Python 3.11" in session.stdout
