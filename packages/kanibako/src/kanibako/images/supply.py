"""Making the image a launch needs available, and telling when it has an update.

:func:`ensure_image` is what the launch pipeline and ``kanibako setup`` call:
the image is used when present; else pulled from its registry (GHCR); else,
for a bundled kanibako image, built locally from the bundled Containerfiles;
and when kanibako-base's own Debian image cannot be pulled either, Debian is
bootstrapped from a package mirror (``[image] mirror`` in kanibako.toml, else
the host's apt sources). Each step says what it does and how long it took.

:func:`freshness_hint` is the launch-time freshness check: it reads a cached
answer and starts a background registry check when the answer is a day old,
never waiting for the network (``kanibako.images.freshness`` reads the answer).
"""

from __future__ import annotations

from pathlib import Path

from kanibako.images import engine as image_engine
from kanibako.images.errors import ImageError
from kanibako.images.freshness import freshness_cache_dir, is_local_build
from kanibako.step_progress import StepProgress, format_duration
from kanibako_runtime import (
    Engine,
    cached_freshness,
    ensure_reachable,
    image_exists,
    start_background_check,
)


def ensure_image(
    engine: Engine,
    image: str,
    *,
    verbose: bool = False,
    progress: StepProgress | None = None,
    bootstrap_cache: Path | None = None,
) -> None:
    """Make ``image`` present locally: pull, else build, else bootstrap and build.

    Costs one engine call when the image is already there; else the engine is
    first checked to answer (EngineUnreachableError, within a second). ``bootstrap_cache``
    is a tarball path that keeps the bootstrapped Debian root filesystem
    between runs (the test suite uses one; setup does not need it).
    """
    if image_exists(engine, image):
        return
    # A stopped daemon also answers "no such image": say so before minutes of bootstrap.
    ensure_reachable(engine)
    progress = progress or StepProgress(verbose=verbose)
    started = progress.clock()
    source = published_ref(image)
    try:
        with progress.step(f"pulling {source}") as step:
            image_engine.pull(engine, source, step)
        if source != image:
            image_engine.tag_image(engine, source, image)
    except ImageError as pull_error:
        _build_instead(engine, image, progress, pull_error, bootstrap_cache)
        how = "built locally"
    else:
        how = "pulled"
    progress.note(f"{image} is ready ({how} in {format_duration(progress.clock() - started)})")


def published_ref(image: str) -> str:
    """Where to pull ``image`` from: a bare bundled name (``kanibako-systems:latest``,
    as in ``kanibako -i kanibako-systems:latest``) means the published one on GHCR."""
    if "/" in image.split("@", 1)[0]:
        return image
    from kanibako.images.recipes import image_basename, load_recipes

    try:
        book = load_recipes()
    except ImageError:
        return image
    if image_basename(image) not in book.recipes:
        return image
    return f"{book.registry}/{image}" + ("" if ":" in image or "@" in image else ":latest")


def _build_instead(
    engine: Engine,
    image: str,
    progress: StepProgress,
    pull_error: ImageError,
    bootstrap_cache: Path | None,
) -> None:
    from kanibako.images.build import build_recipe, debian_image
    from kanibako.images.recipes import load_recipes

    book = load_recipes()
    recipe = book.recipe_for(image)
    if recipe is None:
        raise ImageError(
            f"cannot pull {image} ({pull_error}) and it is not a bundled kanibako image"
        )
    progress.note(f"building {image} from the bundled Containerfiles ({book.root})")
    build_recipe(
        engine,
        book,
        recipe,
        tag=image,
        progress=progress,
        debian=lambda: debian_image(
            engine, progress, lambda: bootstrap_debian(engine, progress, bootstrap_cache)
        ),
    )


def bootstrap_debian(engine: Engine, progress: StepProgress, cache: Path | None = None) -> str:
    """The bootstrapped Debian image, made from the configured or the host's mirror."""
    from kanibako.images.bootstrap import ensure_bootstrap_image
    from kanibako.images.debian_mirror import find_mirror
    from kanibako_paths import load_global_config, load_paths

    paths = load_paths()
    mirror = find_mirror(load_global_config(paths), paths.config_file)
    return ensure_bootstrap_image(engine, mirror, progress, cache=cache)


def freshness_hint(engine: Engine, image: str) -> str | None:
    """A line to show at launch when a newer ``image`` is known to be in its registry.

    Never blocks: it reads the cached answer and, when that is missing or a day
    old, starts a detached background check whose answer shows next time. A
    local build is never told of an update: the registry's digest is of another
    build (checked with the engine only when the cached answer says "stale").
    """
    cache = freshness_cache_dir()
    hint = cached_freshness(cache, image)
    start_background_check(engine, image, cache)
    if hint is not None and hint.status == "stale" and not is_local_build(engine, image):
        return f"a newer {image} is in its registry: `{engine.kind} pull {image}` updates it"
    return None
