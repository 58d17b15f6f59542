"""Building and pushing the seven images for a release (used by the release workflow).

``python -m kanibako.images.publish --version 0.2.0 --push`` builds every image
of containers/images.toml with the same code as ``kanibako image rebuild
--all`` (each shared layer once, no layer cache), tags each
``<registry>/<name>:<version>`` and ``:latest``, labels them as a release, and
pushes them. The registry defaults to the one images.toml names.
"""

from __future__ import annotations

import argparse
import sys

from kanibako.images import engine as image_engine
from kanibako.images.build import build_recipe, debian_image
from kanibako.images.errors import ImageError
from kanibako.images.recipes import load_recipes
from kanibako.step_progress import StepProgress
from kanibako_runtime import Engine, KanibakoRuntimeError, detect_engine


def publish_images(
    engine: Engine,
    *,
    registry: str,
    version: str,
    only: list[str] | None = None,
    push: bool = False,
    progress: StepProgress,
) -> list[str]:
    """Build (and with ``push`` push) the images; every tag made, in build order."""
    book = load_recipes()
    names = only or list(book.recipes)
    for name in names:
        book.require(name)
    known: dict[str, str] = {}
    tags: list[str] = []

    def no_bootstrap() -> str:
        raise ImageError("a release is built FROM the registry's Debian image, not a bootstrap")

    for name in sorted(names, key=lambda n: len(book.recipes[n].steps)):
        versioned, latest = f"{registry}/{name}:{version}", f"{registry}/{name}:latest"
        build_recipe(
            engine,
            book,
            book.recipes[name],
            tag=versioned,
            progress=progress,
            debian=lambda: debian_image(engine, progress, no_bootstrap),
            known=known,
            fresh=True,
            origin="release",
        )
        image_engine.tag_image(engine, versioned, latest)
        tags += [versioned, latest]
    if push:
        for tag in tags:
            with progress.step(f"pushing {tag}") as step:
                image_engine.push(engine, tag, step)
    return tags


def main(argv: list[str] | None = None) -> int:
    """Command line for the release workflow."""
    parser = argparse.ArgumentParser(prog="python -m kanibako.images.publish")
    parser.add_argument("--version", required=True, help="release version tag, e.g. 0.2.0")
    parser.add_argument("--registry", help="default: the registry in containers/images.toml")
    parser.add_argument("--only", nargs="*", help="image names (default: all seven)")
    parser.add_argument("--push", action="store_true", help="push the tags when built")
    parser.add_argument("--engine", help="podman or docker (default: detect)")
    args = parser.parse_args(argv)
    progress = StepProgress(verbose=True)
    try:
        tags = publish_images(
            detect_engine(args.engine),
            registry=args.registry or load_recipes().registry,
            version=args.version,
            only=args.only,
            push=args.push,
            progress=progress,
        )
    except (ImageError, KanibakoRuntimeError) as exc:
        print(f"image_publish: {exc}", file=sys.stderr)
        return 1
    print("\n".join(tags))
    return 0


if __name__ == "__main__":
    sys.exit(main())
