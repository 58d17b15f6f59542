"""Building kanibako images locally from the bundled Containerfiles.

An image is kanibako-base plus its layers (see kanibako.images.recipes); each
step is built FROM the previous one's image id, and only the last is tagged.
Every step carries the digest of the recipe up to it, so a later build can
start from a local image that already holds a current prefix (kanibako-jvm
serves kanibako-android's first two steps).
"""

from __future__ import annotations

from collections.abc import Callable

from kanibako.images import engine as image_engine
from kanibako.images.bootstrap import BOOTSTRAP_IMAGE
from kanibako.images.errors import ImageError
from kanibako.images.recipes import (
    BASE_NAME,
    ORIGIN_LABEL,
    RECIPE_LABEL,
    ImageRecipe,
    RecipeBook,
    image_basename,
)
from kanibako.step_progress import StepProgress
from kanibako_runtime import Engine, image_exists, images_labelled

DEBIAN_IMAGE = "docker.io/library/debian:bookworm-slim"
"""What kanibako-base is built FROM when a registry is reachable."""


def debian_image(engine: Engine, progress: StepProgress, bootstrap: Callable[[], str]) -> str:
    """A local Debian bookworm image for kanibako-base's FROM.

    The registry's, when present or pullable; else a bootstrapped one (already
    imported, or made now by ``bootstrap``).
    """
    if image_exists(engine, DEBIAN_IMAGE):
        return DEBIAN_IMAGE
    if image_exists(engine, BOOTSTRAP_IMAGE):
        progress.note(f"using the bootstrapped {BOOTSTRAP_IMAGE} for kanibako-base")
        return BOOTSTRAP_IMAGE
    try:
        with progress.step(f"pulling {DEBIAN_IMAGE}") as step:
            image_engine.pull(engine, DEBIAN_IMAGE, step)
    except ImageError:
        progress.note("no registry for Debian either: bootstrapping it from a package mirror")
        return bootstrap()
    return DEBIAN_IMAGE


def current_image(engine: Engine, digest: str, name: str) -> str | None:
    """The newest local image named ``name`` (any registry or tag) built from recipe ``digest``.

    The name matters: images built FROM a kanibako image inherit its labels.
    """
    for image_id, repository in images_labelled(engine, RECIPE_LABEL, digest):
        if image_basename(repository) == name:
            return image_id
    return None


def build_recipe(
    engine: Engine,
    book: RecipeBook,
    recipe: ImageRecipe,
    *,
    tag: str,
    progress: StepProgress,
    debian: Callable[[], str],
    known: dict[str, str] | None = None,
    fresh: bool = False,
    origin: str = "local",
) -> str:
    """Build ``recipe`` and tag it ``tag``; the image id.

    Steps already done are skipped: with ``known`` (recipe digest -> image id)
    only those are reused, and every step built is added to it (so one
    ``rebuild --all`` builds each shared layer once); without it, any local
    image stamped with a current digest is. ``fresh`` builds without the
    engine's layer cache (new packages, not only new files). ``debian`` is
    asked for kanibako-base's FROM only when the base is built. ``origin``
    is stamped as a label: ``local`` here, ``release`` for published images.
    """
    steps = recipe.steps
    digests = [book.digest(steps[: i + 1]) for i in range(len(steps))]
    start, parent = 0, ""
    named = {r.steps: r.name for r in book.recipes.values()}
    for count in range(len(steps), 0, -1):
        digest, image_name = digests[count - 1], named.get(steps[:count])
        if known is not None:
            found = known.get(digest)
        else:
            found = current_image(engine, digest, image_name) if image_name else None
        if found:
            start, parent = count, found
            progress.note(f"reusing the current local build of {' + '.join(steps[:count])}")
            break
    for index in range(start, len(steps)):
        name = steps[index]
        last = index == len(steps) - 1
        build_args = {"DEBIAN_IMAGE": debian()} if name == BASE_NAME else {"BASE_IMAGE": parent}
        what = f"building {tag}" if len(steps) == 1 else f"building {tag}: layer {name}"
        with progress.step(what) as step:
            parent = image_engine.build(
                engine,
                book.containerfile(name),
                step,
                build_args=build_args,
                labels={RECIPE_LABEL: digests[index], ORIGIN_LABEL: origin},
                tag=tag if last else None,
                fresh=fresh,
            )
        if known is not None:
            known[digests[index]] = parent
    if start == len(steps):
        image_engine.tag_image(engine, parent, tag)
    return parent
