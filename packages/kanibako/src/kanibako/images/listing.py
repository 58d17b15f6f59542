"""What ``kanibako image list`` shows: local kanibako images, their size, age, freshness."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kanibako.images import engine as image_engine
from kanibako.images.freshness import freshness_cache_dir
from kanibako.images.recipes import ORIGIN_LABEL, RECIPE_LABEL, RecipeBook, image_basename
from kanibako_runtime import (
    Engine,
    cached_freshness,
    list_images,
    parse_image_ref,
    start_background_check,
)

PREFIX = "kanibako-"
_REGISTRY_STATUS = {
    "current": "current",
    "stale": "update available",
    "unknown": "unknown (registry not reachable)",
}


@dataclass(frozen=True)
class ImageRow:
    """One named local image."""

    name: str
    id: str
    size: int
    created: float | None
    freshness: str

    @property
    def size_text(self) -> str:
        """Decimal units, like the engines print them."""
        return human_size(self.size)

    def age_text(self, now: float | None = None) -> str:
        """``3 days ago``; ``?`` when the engine gave no usable time."""
        if self.created is None:
            return "?"
        return human_age((now if now is not None else time.time()) - self.created)

    def as_json(self) -> dict[str, Any]:
        """The row for ``--json``."""
        return {
            "image": self.name,
            "id": self.id,
            "size": self.size,
            "created": self.created,
            "freshness": self.freshness,
        }


def human_size(size: int) -> str:
    """``326 MB`` (decimal units)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "MB") else f"{value:.3g} {unit}"
        value /= 1000
    return f"{value:.3g} GB"  # pragma: no cover (the loop always returns)


def human_age(seconds: float) -> str:
    """``just now``, ``5 minutes ago``, ``3 days ago``."""
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = int(seconds // length)
        if count >= 1:
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


def parse_created(text: str) -> float | None:
    """Podman's ``2026-11-26T22:40:50Z`` or Docker's ``2026-11-26 22:40:50 +0000 UTC``."""
    text = text.strip().removesuffix(" UTC")
    for parse in (datetime.fromisoformat, lambda t: datetime.strptime(t, "%Y-%m-%d %H:%M:%S %z")):
        try:
            return parse(text).timestamp()
        except ValueError:
            continue
    return None


def local_kanibako_images(engine: Engine, book: RecipeBook | None) -> list[ImageRow]:
    """Every local image whose name is ``kanibako-*``, one row per name, sorted."""
    rows = []
    seen: set[str] = set()  # Podman lists an image once per name, each with all names
    for info in list_images(engine):
        for name in info.names:
            if image_basename(name).startswith(PREFIX) and name not in seen:
                seen.add(name)
                rows.append(
                    ImageRow(
                        name=name,
                        id=info.id[:12],
                        size=info.size,
                        created=parse_created(info.created),
                        freshness=freshness_of(engine, book, name),
                    )
                )
    return sorted(rows, key=lambda r: r.name)


def freshness_of(engine: Engine, book: RecipeBook | None, name: str) -> str:
    """A local build against the bundled Containerfiles; a pulled image against its registry.

    The registry answer is the cached one; when it is a day old a background
    check is started, never waited for.
    """
    found = image_engine.labels(engine, name) or {}
    if found.get(ORIGIN_LABEL) == "local":
        recipe = book.recipe_for(name) if book is not None else None
        if recipe is None:
            return "local build"
        if found.get(RECIPE_LABEL) == book.digest(recipe.steps):  # type: ignore[union-attr]
            return "local build, current"
        return "local build, Containerfiles changed (rebuild)"
    if parse_image_ref(name) is None:
        return "local image"
    cache = freshness_cache_dir()
    hint = cached_freshness(cache, name)
    start_background_check(engine, name, cache)
    if hint is None:
        return "not checked yet"
    return _REGISTRY_STATUS.get(hint.status, hint.status)
