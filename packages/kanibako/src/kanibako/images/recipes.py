"""The bundled Containerfiles and the recipe of each kanibako image.

``containers/images.toml`` names the seven images; each is kanibako-base plus
an ordered list of layers (Containerfile directories), every layer built FROM
the previous result through the ``BASE_IMAGE`` build argument. A recipe's
digest (a hash of the files of its base and layers) is stamped on images built
from it, so a local build can be told apart from one made by older
Containerfiles.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kanibako.images.errors import ImageError, UnknownImageError

BASE_NAME = "kanibako-base"
MANIFEST = "images.toml"
RECIPE_LABEL = "io.kanibako.recipe"
"""Label on every image built from the bundled Containerfiles: the recipe digest."""
ORIGIN_LABEL = "io.kanibako.origin"
"""``local`` on images built on this machine, ``release`` on published ones."""


CONTAINERS_ENV = "KANIBAKO_CONTAINERS_DIR"
"""Names another recipe set (a directory laid out like ``containers/``) to use instead."""


def containers_dir() -> Path:
    """Where the bundled Containerfiles are.

    An installed wheel carries them inside the package (``kanibako/containers``);
    a source checkout (the editable dev install) uses the repository's own
    ``containers/`` so edits apply without reinstalling. ``$KANIBAKO_CONTAINERS_DIR``
    overrides both: one's own recipes, or the test suite's small ones.
    """
    chosen = os.environ.get(CONTAINERS_ENV, "").strip()
    if chosen:
        root = Path(chosen).expanduser()
        if not (root / MANIFEST).is_file():
            raise ImageError(f"${CONTAINERS_ENV} is {chosen!r}, which has no {MANIFEST}")
        return root
    package = Path(__file__).resolve().parents[1]  # kanibako/, beside the images/ package
    for candidate in (package / "containers", package.parents[3] / "containers"):
        if (candidate / MANIFEST).is_file():
            return candidate
    raise ImageError(
        f"the bundled Containerfiles are missing (no {MANIFEST} in {package / 'containers'}); "
        "reinstall kanibako"
    )


@dataclass(frozen=True)
class ImageRecipe:
    """How one image is made: kanibako-base, then ``layers`` in order."""

    name: str
    layers: tuple[str, ...]

    @property
    def steps(self) -> tuple[str, ...]:
        """Every Containerfile directory built, base first."""
        return (BASE_NAME, *self.layers)


@dataclass(frozen=True)
class RecipeBook:
    """The recipes read from one ``containers/`` directory."""

    root: Path
    registry: str
    recipes: dict[str, ImageRecipe]

    def default_ref(self, name: str) -> str:
        """The published reference of image ``name`` (``ghcr.io/.../name:latest``)."""
        return f"{self.registry}/{name}:latest"

    def recipe_for(self, image: str) -> ImageRecipe | None:
        """The recipe an image reference names (by its last path part), if any."""
        return self.recipes.get(image_basename(image))

    def require(self, image: str) -> ImageRecipe:
        """Like :meth:`recipe_for`, but an unknown image is the user's mistake."""
        recipe = self.recipe_for(image)
        if recipe is None:
            known = ", ".join(self.recipes)
            raise UnknownImageError(
                f"{image!r} is not one of the bundled kanibako images ({known}); "
                "it can only be pulled"
            )
        return recipe

    def containerfile(self, step: str) -> Path:
        """The Containerfile of one step (a directory under ``containers/``)."""
        return self.root / step / "Containerfile"

    def digest(self, steps: tuple[str, ...]) -> str:
        """A hash of every file the given steps build from, in order."""
        hasher = hashlib.sha256()
        for step in steps:
            folder = self.root / step
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                hasher.update(f"{step}/{path.relative_to(folder).as_posix()}\0".encode())
                hasher.update(path.read_bytes())
                hasher.update(b"\0")
        return hasher.hexdigest()[:16]


def image_basename(image: str) -> str:
    """``ghcr.io/x/kanibako-jvm:latest`` -> ``kanibako-jvm`` (tag and digest dropped)."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def load_recipes(root: Path | None = None) -> RecipeBook:
    """Read ``images.toml`` (the bundled one unless ``root`` is given) and check it."""
    root = root or containers_dir()
    manifest = root / MANIFEST
    try:
        table = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImageError(f"{manifest}: {exc}") from None
    registry = table.get("registry")
    images = table.get("images")
    if not isinstance(registry, str) or not isinstance(images, dict):
        raise ImageError(f"{manifest}: needs a 'registry' string and an [images] table")
    recipes: dict[str, ImageRecipe] = {}
    for name, entry in images.items():
        layers = entry.get("layers") if isinstance(entry, dict) else None
        if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
            raise ImageError(f"{manifest}: [images.{name}] layers must be a list of names")
        recipe = ImageRecipe(name, tuple(layers))
        for step in recipe.steps:
            if not (root / step / "Containerfile").is_file():
                raise ImageError(
                    f"{manifest}: [images.{name}] names {step!r}, which has no Containerfile"
                )
        recipes[name] = recipe
    if BASE_NAME not in recipes:
        raise ImageError(f"{manifest}: [images.{BASE_NAME}] is missing")
    return RecipeBook(root=root, registry=registry, recipes=recipes)
