"""Making sure the session's image is there, at the cost of one stat on most launches.

The first launch with an image asks the engine (and supplies the image
through :mod:`kanibako.images.supply` when it is missing); later launches trust a
marker. Should the image vanish, the engine's run fails with status 125 and
:meth:`LaunchImage.recover` supplies it again so the caller can retry once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from kanibako_runtime import Engine, forget_image, image_known_present, remember_image

ENGINE_ERROR = 125


def kanibako_cache_dir() -> Path:
    """Kanibako's user cache directory (what platformdirs answers)."""
    if sys.platform.startswith("linux"):
        # platformdirs' Linux answer, without importing it on every launch.
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        root = Path(base) if base else Path.home() / ".cache"
        return root / "kanibako"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kanibako"))


def _cache_dir() -> Path:
    return kanibako_cache_dir() / "images"


def _is_local(image: str) -> bool:
    # Cheap pre-check so local images never import the freshness code.
    return image.startswith("localhost/") or image.startswith("localhost:") or "@" in image


class LaunchImage:
    """The image of one launch."""

    def __init__(self, engine: Engine, image: str, *, verbose: bool, echo: Callable[[str], None]):
        self.engine = engine
        self.image = image
        self.verbose = verbose
        self.echo = echo
        self.cache = _cache_dir()
        self.trusted = False

    def ensure(self) -> None:
        """Make the image present (trusting the marker when there is one)."""
        if image_known_present(self.cache, self.engine, self.image):
            self.trusted = True
        else:
            self._supply()
        self._freshness_hint()

    def recover(self, status: int) -> bool:
        """After a failed run: whether the image had vanished and has been supplied again."""
        if status != ENGINE_ERROR or not self.trusted:
            return False
        from kanibako_runtime import image_exists

        if image_exists(self.engine, self.image):
            return False
        forget_image(self.cache, self.engine, self.image)
        self.trusted = False
        self.echo(f"image {self.image} is gone; getting it again")
        self._supply()
        return True

    def _supply(self) -> None:
        from kanibako_runtime import image_exists

        if not image_exists(self.engine, self.image):
            from kanibako.images.supply import ensure_image

            ensure_image(self.engine, self.image, verbose=self.verbose)
        remember_image(self.cache, self.engine, self.image)

    def _freshness_hint(self) -> None:
        if _is_local(self.image):
            return
        from kanibako_runtime import parse_image_ref

        if parse_image_ref(self.image) is None:
            return  # a local image: no registry to compare with, nothing to import
        from kanibako.images.supply import freshness_hint

        hint = freshness_hint(self.engine, self.image)
        if hint:
            self.echo(hint)
