"""``kanibako status``: the project's mode, paths, image and its freshness, and its lock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kanibako.app import App
from kanibako.options import json_option, project_option

if TYPE_CHECKING:
    from kanibako_paths import KanibakoPaths, Project


@click.command()
@project_option
@json_option
@click.pass_obj
def status(app: App, project: Path | None, as_json: bool) -> None:
    """Show project status (mode, paths, lock, image and its freshness)."""
    from kanibako.images.freshness import status_freshness
    from kanibako.project_context import current_project
    from kanibako_paths import resolve_config

    paths, proj = current_project(app, project)
    config = resolve_config(paths, proj, {"container_image": app.launch.image})
    rows: list[tuple[str, str]] = [
        ("Project", str(proj.workspace)),
        ("Mode", proj.mode.value + (f" ({proj.workset})" if proj.workset else "")),
        ("Initialized", "yes" if proj.initialized else "no (initialized on first launch)"),
        ("Metadata", str(proj.metadata_dir)),
        ("Shell", str(proj.shell_dir)),
        ("Vault read-only", str(proj.vault_ro) if proj.vault_enabled else "disabled"),
        ("Vault read-write", str(proj.vault_rw) if proj.vault_enabled else "disabled"),
        ("Auth", proj.auth),
        ("Image", f"{config.container_image} ({config.sources['container_image']})"),
        # The cached registry answer only: status never asks the network.
        ("Image freshness", status_freshness(config.container_image, config.container_engine)),
        ("Target", config.target_name or "auto-detect"),
        ("Limits", _limits_line(paths, proj)),
        *_runtime_lines(paths, proj),
    ]
    if as_json:
        from kanibako.tables import echo_json

        echo_json(_as_json(rows))
        return
    width = max(len(label) for label, _ in rows) + 1
    for label, value in rows:
        click.echo(f"{label + ':':<{width}} {value}")


def _runtime_lines(paths: KanibakoPaths, project: Project) -> list[tuple[str, str]]:
    # Imported here: kanibako.session's package module is light (one lock probe).
    from kanibako.session import status_lines

    return [(label.capitalize(), value) for label, value in status_lines(paths, project)]


def _limits_line(paths: KanibakoPaths, project: Project) -> str:
    from kanibako_paths.session_config import describe_limits, resource_limits

    return describe_limits(resource_limits(paths, project))


def _as_json(rows: list[tuple[str, str]]) -> dict[str, str]:
    return {label.lower().replace(" ", "_").replace("-", "_"): value for label, value in rows}
