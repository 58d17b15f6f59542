"""Remembering that an image was present, so a launch need not ask the engine again.

``image exists`` costs an engine round trip (25-40 ms) on every launch, a
tenth of a whole container run. After one successful check the launch path
only stats a marker file. If the image is removed later, the engine's own
run fails (status 125); the caller then forgets the marker, re-checks and
supplies the image (see :func:`forget_image`).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from kanibako_runtime.engine import Engine


def _marker(cache_dir: Path, engine: Engine, image: str) -> Path:
    # Rootful, rootless and remote engines keep separate image stores.
    where = os.environ.get("CONTAINER_HOST" if engine.kind == "podman" else "DOCKER_HOST", "")
    # A readable file name (urllib.parse is loaded anyway by pathlib; hashlib is not).
    key = f"{engine.kind}@{engine.binary}@{os.geteuid()}@{where}@{image}"
    name = quote(key, safe="")
    if len(name) > 240:
        import hashlib

        name = hashlib.sha256(key.encode()).hexdigest()
    return cache_dir / name


def image_known_present(cache_dir: Path, engine: Engine, image: str) -> bool:
    """Whether ``image`` was seen present before (one stat; no engine call)."""
    return _marker(cache_dir, engine, image).exists()


def remember_image(cache_dir: Path, engine: Engine, image: str) -> None:
    """Record that ``image`` is present."""
    marker = _marker(cache_dir, engine, image)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def forget_image(cache_dir: Path, engine: Engine, image: str) -> None:
    """Drop the record (the image turned out to be gone)."""
    _marker(cache_dir, engine, image).unlink(missing_ok=True)
