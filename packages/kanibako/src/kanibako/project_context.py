"""The project a command works on, built from the App (its ``-p`` and the cwd).

Only kanibako_paths is imported here: commands that merely show state
(``status``, ``config``) stay fast.
"""

from __future__ import annotations

from pathlib import Path

from kanibako.app import App
from kanibako_paths import KanibakoPaths, Project, load_paths, resolve_project


def current_project(app: App, override: Path | None = None) -> tuple[KanibakoPaths, Project]:
    """Locations and the (possibly uninitialized) project; nothing is written."""
    paths = load_paths()
    project = resolve_project(paths, app.project_dir(override))
    app.debug(f"project {project.workspace} ({project.mode.value}, box {project.metadata_dir})")
    return paths, project


def initialized_project(app: App, override: Path | None = None) -> tuple[KanibakoPaths, Project]:
    """Like :func:`current_project`, initializing the project first if it is not yet.

    For commands that write project-level state; call it only after the user's
    input has been validated, so that bad input writes nothing.
    """
    from kanibako_paths import ensure_initialized

    paths, project = current_project(app, override)
    if not project.initialized:
        app.debug(f"initializing {project.workspace} first")
    return paths, ensure_initialized(paths, project)
