"""``kanibako setup``: the default config (when missing) and the default image.

The image is made available the way a launch would: pulled from its registry,
else built from the bundled Containerfiles, else built on a Debian bootstrapped
from a package mirror (see kanibako.images.supply).
"""

from __future__ import annotations

import click

from kanibako.app import App


@click.command()
@click.pass_obj
def setup(app: App, /) -> None:
    """Initial setup (config and default image)."""
    from kanibako.default_config import write_default_config
    from kanibako.images.supply import ensure_image
    from kanibako_paths import load_paths, resolve_config
    from kanibako_runtime import detect_engine

    paths = load_paths()
    if write_default_config(paths.config_file):
        click.echo(f"wrote the default configuration to {paths.config_file}")
    else:
        click.echo(f"keeping the existing configuration {paths.config_file}")
    config = resolve_config(paths, None, {"container_image": app.launch.image})
    engine = detect_engine(config.container_engine or None)
    image = config.container_image
    from kanibako.doctor.for_setup import doctor_summary, offer_overlay_storage

    offer_overlay_storage(lambda q: click.confirm(q, default=True), click.echo)
    ensure_image(engine, image, verbose=app.verbose)
    click.echo(f"image {image} is available ({engine.kind})")
    click.echo(doctor_summary())
