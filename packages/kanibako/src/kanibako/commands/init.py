"""``kanibako init`` and ``kanibako new``: create a project's state."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kanibako.app import App
from kanibako.errors import CliError
from kanibako.options import project_option

if TYPE_CHECKING:
    from kanibako_paths import KanibakoPaths, Project

local_option = click.option(
    "--local", is_flag=True, help="Decentralized: keep all state inside the project directory."
)
no_vault_option = click.option(
    "--no-vault", is_flag=True, help="Do not create the vault (share-ro, share-rw)."
)


@click.command()
@local_option
@no_vault_option
@project_option
@click.pass_obj
def init(app: App, local: bool, no_vault: bool, project: Path | None) -> None:
    """Initialize a decentralized project.

    With --local the state lives in DIR itself. Without --local the project's detected mode is used (account-centric
    unless the directory is in a working set).
    """
    _initialize(app, app.project_dir(project), local=local, vault=not no_vault)


@click.command()
@local_option
@no_vault_option
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def new(app: App, local: bool, no_vault: bool, path: Path) -> None:
    """Create a new decentralized project.

    Creates directory PATH and initializes it (decentralized with --local).
    """
    directory = path.expanduser().resolve()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise CliError(f"{directory} already exists and is not empty")
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        _initialize(app, directory, local=local, vault=not no_vault)
    except BaseException:
        # A failed `new` must not leave an empty directory behind.
        if created:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise


def _initialize(app: App, directory: Path, *, local: bool, vault: bool) -> None:
    from kanibako_paths import init_local, init_project, load_paths, resolve_project

    if not directory.is_dir():
        raise CliError(f"{directory} is not a directory")
    paths = load_paths()
    if local:
        project = init_local(paths, directory, vault=vault)
    else:
        project = resolve_project(paths, directory)
        if project.initialized:
            _apply_templates(app, paths, project)  # when a state command initialized it
            click.echo(f"{directory} is already initialized ({project.mode.value}).")
            return
        project = init_project(paths, project, vault=vault)
    _apply_templates(app, paths, project)
    click.echo(f"Initialized {project.mode.value} project in {project.workspace}")
    app.debug(f"metadata {project.metadata_dir}, shell {project.shell_dir}")


def _apply_templates(app: App, paths: KanibakoPaths, project: Project) -> None:
    """The shell templates now, for the agent detected now (the spec: once, at init).

    The same step as a launch's (``initialize_for``), so a project initialized
    another way still gets them on its first launch, and never twice. An agent
    that cannot be resolved now (an unknown ``target_name``) leaves them to it.
    """
    from kanibako.errors import as_cli_error
    from kanibako.session.agent import initialize_for, load_agent_context

    try:
        initialize_for(paths, project, load_agent_context(paths, project))
    except Exception as exc:
        if as_cli_error(exc) is None and not isinstance(exc, click.ClickException):
            raise
        click.echo(f"kanibako: templates left for the first launch: {exc}", err=True)
