"""``kanibako image list|rebuild|export|import``: the local kanibako images, rebuilding
them, and carrying them to a machine with no registry.

``list`` shows each local kanibako image with its size, age and freshness:
for a local build, whether the bundled Containerfiles changed since; for a
pulled image, the cached registry answer (a background check refreshes it
once a day, never delaying the listing).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kanibako.app import App
from kanibako.options import json_option, project_option

if TYPE_CHECKING:
    from kanibako_runtime import Engine


@click.group()
def image() -> None:
    """Manage container images."""


@image.command("list")
@json_option
@click.pass_obj
def list_(app: App, /, as_json: bool) -> None:
    """Show local kanibako images: size, age and freshness."""
    from kanibako.images.errors import ImageError
    from kanibako.images.listing import local_kanibako_images
    from kanibako.images.recipes import load_recipes
    from kanibako.tables import echo_json, echo_table

    try:
        book = load_recipes()
    except ImageError as exc:
        app.debug(f"no bundled Containerfiles to compare local builds with: {exc}")
        book = None
    rows = local_kanibako_images(_engine(app), book)
    if as_json:
        echo_json([row.as_json() for row in rows])
        return
    if not rows:
        click.echo("no kanibako images here yet (`kanibako setup` makes the default one)")
        return
    echo_table(
        ["IMAGE", "SIZE", "CREATED", "FRESHNESS"],
        [[r.name, r.size_text, r.age_text(), r.freshness] for r in rows],
    )


@image.command()
@click.argument("name", required=False, metavar="[IMAGE]")
@click.option("--all", "rebuild_all", is_flag=True, help="Rebuild every local kanibako image.")
@project_option
@click.pass_obj
def rebuild(app: App, /, name: str | None, rebuild_all: bool, project: Path | None) -> None:
    """Rebuild IMAGE (default: the project's) from the Containerfiles.

    Package installs run again (no build cache), on the current local
    kanibako-base. With --all, kanibako-base is rebuilt first and every local
    kanibako image on top of it, each shared layer once. To update an image
    pulled from GHCR instead, pull it with the engine.
    """
    from kanibako.errors import CliError
    from kanibako.images.rebuild import rebuild_images

    if rebuild_all and name:
        raise CliError("give an IMAGE or --all, not both")
    engine = _engine(app, project)
    images = None if rebuild_all else [name or _project_image(app, project)]
    for done in rebuild_images(engine, images, verbose=app.verbose):
        click.echo(f"rebuilt {done}")


@image.command("export")
@click.argument("name", metavar="IMAGE")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@project_option
@click.pass_obj
def export(app: App, /, name: str, file: Path, force: bool, project: Path | None) -> None:
    """Write local IMAGE to the archive FILE (for `kanibako image import` elsewhere).

    FILE is the engine's own archive (`docker load` and `podman load` read
    it too); it appears whole or not at all.
    """
    from kanibako.images.transfer import export_image

    export_image(_engine(app, project), name, file, replace=force)
    click.echo(f"exported {name} to {file}")


@image.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@project_option
@click.pass_obj
def import_(app: App, /, file: Path, project: Path | None) -> None:
    """Load the images in the archive FILE (made by `kanibako image export`)."""
    from kanibako.images.transfer import import_archive

    for loaded in import_archive(_engine(app, project), file) or [str(file)]:
        click.echo(f"imported {loaded}")


def _project_image(app: App, project: Path | None) -> str:
    from kanibako.project_context import current_project
    from kanibako_paths import resolve_config

    paths, found = current_project(app, project)
    return resolve_config(paths, found, {"container_image": app.launch.image}).container_image


def _engine(app: App, project: Path | None = None) -> Engine:
    from kanibako.project_context import current_project
    from kanibako_paths import resolve_config
    from kanibako_runtime import detect_engine

    paths, found = current_project(app, project)
    return detect_engine(resolve_config(paths, found).container_engine or None)
