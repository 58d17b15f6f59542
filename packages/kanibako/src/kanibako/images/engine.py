"""The engine commands image supply runs, through kanibako_runtime, shown as progress steps.

Each engine's output goes line by line into a :class:`~kanibako.step_progress.Step`,
so the user sees progress on a terminal and the last lines when something
fails; an engine failure becomes an :class:`ImageError` (one line, exit 1).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from kanibako.images.errors import ImageError
from kanibako.step_progress import Step
from kanibako_runtime import (
    Engine,
    EngineCommandError,
    KanibakoRuntimeError,
    build_image,
    image_labels,
    import_image,
    pull_image,
    push_image,
)
from kanibako_runtime import tag_image as engine_tag

IMPORT_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    'CMD ["/bin/bash"]',
)
"""What a registry's Debian image sets and a bare imported tarball lacks."""


@contextmanager
def _as_image_error(step: Step | None = None, *, show_tail: bool = True) -> Iterator[None]:
    try:
        yield
    except KanibakoRuntimeError as exc:
        if step is not None and show_tail and isinstance(exc, EngineCommandError):
            step.show_tail()
        raise ImageError(str(exc)) from exc


def pull(engine: Engine, image: str, step: Step) -> None:
    """Pull ``image`` (a failure is often expected: the caller falls back)."""

    with _as_image_error(step, show_tail=False):
        pull_image(engine, image, on_line=step.output)


def push(engine: Engine, image: str, step: Step) -> None:
    """Push ``image`` to its registry."""

    with _as_image_error(step):
        push_image(engine, image, on_line=step.output)


def build(
    engine: Engine,
    containerfile: Path,
    step: Step,
    *,
    build_args: Mapping[str, str],
    labels: Mapping[str, str],
    tag: str | None = None,
    fresh: bool = False,
) -> str:
    """Build one Containerfile (its directory is the context); the new image's id.

    ``fresh`` skips the engine's layer cache, so package installs run again.
    """

    with _as_image_error(step):
        return build_image(
            engine,
            tag,
            containerfile.parent,
            containerfile=containerfile,
            build_args=build_args,
            labels=labels,
            # Rootless Podman has no bridge on hosts without /dev/net/tun, and a
            # Docker daemon started without iptables has none either.
            network_host=engine.rootless or engine.kind == "docker",
            no_cache=fresh,
            on_line=step.output,
        )


def import_rootfs(engine: Engine, tarball: Path, image: str, step: Step) -> None:
    """Import a root filesystem tarball as ``image`` (with a registry image's PATH and CMD)."""

    with _as_image_error(step):
        import_image(engine, tarball, image, changes=IMPORT_CHANGES, on_line=step.output)


def labels(engine: Engine, image: str) -> dict[str, str] | None:
    """The labels of a local image; None when it is not present."""

    with _as_image_error():
        return image_labels(engine, image)


def tag_image(engine: Engine, source: str, target: str) -> None:
    """Give local image ``source`` the name ``target``."""

    with _as_image_error():
        engine_tag(engine, source, target)
