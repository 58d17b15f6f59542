"""Carrying images to a machine with no registry: ``kanibako image export|import``.

An export is the engine's own archive (``save``), so the other machine's
``docker load`` or ``podman load`` reads it too. Input is checked before the
engine runs, so a wrong name or path is one line (exit 2) and the output file
is either the whole archive or not there at all.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from kanibako.images.errors import ImageError, ImageInputError
from kanibako_runtime import Engine, KanibakoRuntimeError, image_exists, load_image, save_image


def export_image(engine: Engine, image: str, file: Path, *, replace: bool = False) -> None:
    """Write local ``image`` to ``file`` (atomically: a failure leaves no file behind)."""
    if not file.parent.is_dir():
        raise ImageInputError(f"cannot write {file}: {file.parent} is not a directory")
    if file.is_dir():
        raise ImageInputError(f"cannot write {file}: it is a directory")
    if (file.exists() or file.is_symlink()) and not replace:
        raise ImageInputError(f"{file} already exists (--force replaces it)")
    if not image_exists(engine, image):
        raise ImageInputError(f"no local image {image!r} ({engine.kind} images lists them)")
    try:
        save_image(engine, image, file)
    except KanibakoRuntimeError as exc:
        raise ImageError(str(exc)) from exc


def import_archive(engine: Engine, file: Path) -> list[str]:
    """Load an archive made by ``export_image`` (or any engine's save); the names it held."""
    if not file.exists():
        raise ImageInputError(f"no such file: {file}")
    if not file.is_file():
        raise ImageInputError(f"{file} is not a regular file")
    try:
        is_archive = tarfile.is_tarfile(file)
    except OSError as exc:
        raise ImageInputError(f"cannot read {file}: {exc.strerror or exc}") from exc
    if not is_archive:
        raise ImageInputError(f"{file} is not an image archive (made by 'kanibako image export')")
    try:
        return load_image(engine, file)
    except KanibakoRuntimeError as exc:
        raise ImageError(str(exc)) from exc
