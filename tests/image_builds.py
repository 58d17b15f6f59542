"""kanibako-base built for the tests through the no-registry route, cached between runs.

The bootstrapped Debian root filesystem is kept as a tarball in the test cache
directory, and the built image is reused while the base recipe (its
Containerfile and files) is unchanged, so only a cold machine pays for
debootstrap and the package installs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kanibako.images import build as image_build
from kanibako.images import engine as image_engine
from kanibako.images.recipes import BASE_NAME, RECIPE_LABEL, load_recipes
from kanibako.images.supply import ensure_image
from kanibako_runtime import detect_engine
from tests import engine_images

TEST_BASE = "localhost/kanibako-base:kanibako-test"
NO_REGISTRY_DEBIAN = "localhost/kanibako-test-no-such-debian:none"
"""Stands in for docker.io's Debian so even a machine with a registry takes the bootstrap route."""


def bootstrap_cache() -> Path:
    """Where the bootstrapped Debian tarball is kept between test runs."""
    return engine_images.cache_dir() / "kanibako-bootstrap-bookworm.tar"


def ensure_test_base(engine: str) -> str:
    """:data:`TEST_BASE`, current with the bundled base recipe, built without any registry."""
    eng = detect_engine(engine)
    digest = load_recipes().digest((BASE_NAME,))
    found = image_engine.labels(eng, TEST_BASE)
    if found is not None and found.get(RECIPE_LABEL) != digest:
        subprocess.run([engine, "rmi", TEST_BASE], capture_output=True, check=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(image_build, "DEBIAN_IMAGE", NO_REGISTRY_DEBIAN)
        ensure_image(eng, TEST_BASE, bootstrap_cache=bootstrap_cache())
    return TEST_BASE
