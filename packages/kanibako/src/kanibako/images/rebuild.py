"""``kanibako image rebuild``: build images again from the bundled Containerfiles.

A rebuild runs every package install again (no build cache). One image is
rebuilt on the current local kanibako-base (the base is built first only when
there is none). ``--all`` rebuilds kanibako-base, then every local kanibako
image on it, each shared layer once.
"""

from __future__ import annotations

from collections.abc import Iterator

from kanibako.images.build import build_recipe, current_image, debian_image
from kanibako.images.recipes import BASE_NAME, RecipeBook, image_basename, load_recipes
from kanibako.images.supply import bootstrap_debian
from kanibako.step_progress import StepProgress
from kanibako_runtime import Engine, list_images


def rebuild_images(
    engine: Engine, images: list[str] | None, *, verbose: bool = False
) -> Iterator[str]:
    """Rebuild ``images`` (None: every local kanibako image); yields each name when done."""
    book = load_recipes()
    progress = StepProgress(verbose=verbose)
    known: dict[str, str] = {}
    if images is None:
        images = _local_bundled_images(engine, book) or [book.default_ref(BASE_NAME)]
        base_refs = [i for i in images if image_basename(i) == BASE_NAME]
        if not base_refs:
            # Every image is built on kanibako-base: --all rebuilds it too.
            images.insert(0, book.default_ref(BASE_NAME))
    else:
        for image in images:
            book.require(image)
        base_digest = book.digest((BASE_NAME,))
        if any(image_basename(i) != BASE_NAME for i in images):
            base = current_image(engine, base_digest, BASE_NAME)
            if base:
                known[base_digest] = base

    def debian() -> str:
        return debian_image(engine, progress, lambda: bootstrap_debian(engine, progress))

    # Shorter recipes first: their steps are the prefixes of the longer ones.
    for image in sorted(images, key=lambda i: len(book.require(i).steps)):
        build_recipe(
            engine,
            book,
            book.require(image),
            tag=image,
            progress=progress,
            debian=debian,
            known=known,
            fresh=True,
        )
        yield image


def _local_bundled_images(engine: Engine, book: RecipeBook) -> list[str]:
    names = {n for info in list_images(engine) for n in info.names}
    return sorted(n for n in names if book.recipe_for(n) is not None)
