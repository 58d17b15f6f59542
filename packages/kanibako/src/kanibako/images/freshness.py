"""What is known about an image's freshness without asking the network.

The registry check itself runs in the background (``kanibako_runtime.freshness``)
and leaves a small cached answer; this module reads that answer for
``kanibako status`` and the launch hint. It imports nothing heavy at module
top because ``status`` loads it on every run.

A locally built image (label ``io.kanibako.origin=local``) never has an update
"available": the registry's digest is of the published build and can never
match a local one, so a "stale" answer for it means nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kanibako_runtime import Engine

NOT_CHECKED = "not checked yet (a launch asks the registry in the background)"
LOCAL_IMAGE = "local image (no registry to compare with)"
LOCAL_BUILD = "local build (the registry's image is a different build)"
_SAYS = {
    "local": LOCAL_IMAGE,
    "none": NOT_CHECKED,
    "current": "current",
    "unknown": "unknown (registry not reachable)",
}


def freshness_cache_dir() -> Path:
    """Where the registry freshness answers are cached (``$XDG_CACHE_HOME/kanibako/freshness``)."""
    if sys.platform.startswith("linux"):
        # platformdirs' answer on Linux, without its import on the launch path.
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        return (Path(base) if base else Path.home() / ".cache") / "kanibako" / "freshness"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kanibako")) / "freshness"


def is_local_build(engine: Engine, image: str) -> bool:
    """Whether the local ``image`` was built by kanibako here (one engine call)."""
    from kanibako.images import engine as image_engine
    from kanibako.images.recipes import ORIGIN_LABEL

    return (image_engine.labels(engine, image) or {}).get(ORIGIN_LABEL) == "local"


def status_freshness(image: str, engine_choice: str | None) -> str:
    """The ``kanibako status`` line: the cached answer, never a network call or a new check.

    ``engine_choice`` is the configured engine (``""``/None to auto-detect); the
    engine is asked only when the cached answer says an update is available.
    """
    status = _cached_status(image)
    if status != "stale":
        return _SAYS.get(status, status)
    from kanibako_runtime import KanibakoRuntimeError, detect_engine

    try:
        engine = detect_engine(engine_choice or None)
    except KanibakoRuntimeError:
        return "update available in its registry"
    if is_local_build(engine, image):
        return LOCAL_BUILD
    return f"update available: `{engine.kind} pull {image}`"


def _cached_status(image: str) -> str:
    # "local" (no registry to ask), "none" (no answer yet), or the cached answer.
    if image.startswith(("localhost/", "localhost:")) or "@" in image:
        return "local"  # kanibako_runtime.parse_image_ref's "no registry" cases
    cache = freshness_cache_dir()
    if not cache.is_dir():
        return "none"
    return _read_answer(cache, image) or "none"


def _read_answer(cache: Path, image: str) -> str | None:
    # The file kanibako_runtime.freshness.record writes (its cached_freshness
    # reads it too), read here without importing that module and the engine
    # code it pulls in: it would add ~10 ms to every status. A test pins the two
    # readers to each other.
    import json

    from kanibako_paths import KanibakoPathsError, sha256_hex
    from kanibako_paths.regular_file import read_regular_file

    name = sha256_hex(image.encode())[:24] + ".json"
    try:
        # Non-blocking and regular files only: a FIFO planted in the cache
        # would otherwise hang every `status`. A cache that is not a file is
        # simply no answer.
        data = read_regular_file(cache / name, KanibakoPathsError)
        if data is None:
            return None
        status = json.loads(data)["status"]
    except (OSError, KanibakoPathsError, ValueError, KeyError, TypeError):
        return None
    return status if isinstance(status, str) else None
