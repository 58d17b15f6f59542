"""Creating a project's state: metadata, shell skeleton, templates, vault dirs.

``project.toml`` is written last: it marks a project as initialized, so an
init that fails half-way is simply redone next time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kanibako_paths.errors import ProjectError
from kanibako_paths.locations import KanibakoPaths
from kanibako_paths.modes import ProjectMode
from kanibako_paths.project import Project, project_at
from kanibako_paths.shell_skeleton import upgrade_shell, write_shell_skeleton
from kanibako_paths.templates import apply_templates
from kanibako_paths.tomlfile import read_toml, table_at, write_toml

PROJECT_TABLE = "project"
TEMPLATES_PENDING = "pending"


def identity_table(project: Project) -> dict[str, Any]:
    """The ``[project]`` table recording what and where a project is."""
    table: dict[str, Any] = {
        "mode": project.mode.value,
        "workspace": str(project.workspace),
        "name": project.name,
    }
    if project.workset:
        table["workset"] = project.workset
    return table


def rewrite_identity(project_file: Path, project: Project) -> None:
    """Make the ``[project]`` table of ``project_file`` describe ``project`` (after a move)."""
    table = read_toml(project_file)
    identity = table.get(PROJECT_TABLE, {})
    identity.update(identity_table(project))
    if project.workset is None:
        identity.pop("workset", None)
    table[PROJECT_TABLE] = identity
    write_toml(project_file, table)


def init_project(
    paths: KanibakoPaths,
    project: Project,
    *,
    vault: bool = True,
    agent_id: str | None = None,
    template_variant: str | None = None,
) -> Project:
    """Create ``project``'s state; an error if it is already initialized.

    ``template_variant`` (from the agent's TOML, e.g. ``"standard"``) and
    ``agent_id`` choose the shell templates. Without a variant the templates
    are left pending: the first launch, which knows the agent, applies them
    through :func:`ensure_initialized`.
    """
    if project.initialized:
        raise ProjectError(f"{project.workspace} is already initialized ({project.mode.value})")
    project.metadata_dir.mkdir(parents=True, exist_ok=True)
    write_shell_skeleton(project.shell_dir)
    templates = TEMPLATES_PENDING
    if template_variant is not None:
        apply_templates(paths.templates_dir, project.shell_dir, template_variant, agent_id)
        upgrade_shell(project.shell_dir)
        templates = template_variant
    if vault:
        project.vault_ro.mkdir(parents=True, exist_ok=True)
        project.vault_rw.mkdir(parents=True, exist_ok=True)
    table = read_toml(project.project_config_file)
    table[PROJECT_TABLE] = {
        **identity_table(project),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "templates": templates,
    }
    if not vault:
        table.setdefault("box", {})["vault_enabled"] = False
    write_toml(project.project_config_file, table)
    if project.mode is ProjectMode.DECENTRALIZED:
        from kanibako_paths.known_projects import remember_decentralized

        remember_decentralized(paths, project.workspace)
    return reload_project(paths, project)


def ensure_initialized(
    paths: KanibakoPaths,
    project: Project,
    *,
    agent_id: str | None = None,
    template_variant: str | None = None,
) -> Project:
    """Initialize ``project`` if needed, else bring its shell up to date.

    Called before every launch and before any command that writes project
    state. Pending templates are applied once a ``template_variant`` is known;
    an older shell gains ``shell.d`` sourcing.
    """
    if not project.initialized:
        return init_project(paths, project, agent_id=agent_id, template_variant=template_variant)
    table = read_toml(project.project_config_file)
    identity = table_at(table, PROJECT_TABLE, project.project_config_file)
    if template_variant is not None and identity.get("templates") == TEMPLATES_PENDING:
        project.shell_dir.mkdir(parents=True, exist_ok=True)
        apply_templates(paths.templates_dir, project.shell_dir, template_variant, agent_id)
        identity["templates"] = template_variant
        table[PROJECT_TABLE] = identity
        write_toml(project.project_config_file, table)
    if project.shell_dir.is_dir():
        upgrade_shell(project.shell_dir)
    else:
        write_shell_skeleton(project.shell_dir)
    if project.vault_enabled:
        # A vault directory deleted by hand would otherwise fail the mount.
        project.vault_ro.mkdir(parents=True, exist_ok=True)
        project.vault_rw.mkdir(parents=True, exist_ok=True)
    return project


def init_local(paths: KanibakoPaths, directory: Path, *, vault: bool = True) -> Project:
    """Make ``directory`` a decentralized project (``init --local``)."""
    directory = directory.expanduser().resolve()
    if not directory.is_dir():
        raise ProjectError(f"{directory} is not a directory")
    project = project_at(paths, ProjectMode.DECENTRALIZED, directory)
    if project.initialized:
        raise ProjectError(f"{directory} is already a decentralized project")
    account = project_at(paths, ProjectMode.ACCOUNT_CENTRIC, directory)
    if account.initialized:
        raise ProjectError(
            f"{directory} already has account-centric state; "
            "move it with 'kanibako box migrate --to decentralized'"
        )
    return init_project(paths, project, vault=vault)


def reload_project(paths: KanibakoPaths, project: Project) -> Project:
    """``project`` re-read from disk (after its ``project.toml`` changed)."""
    return project_at(
        paths,
        project.mode,
        project.workspace,
        workset_name=project.workset,
        workset_root=project.workset_root,
        name=project.name,
        default_auth=_workset_auth(paths, project),
    )


def _workset_auth(paths: KanibakoPaths, project: Project) -> str:
    if project.workset is None:
        return "shared"
    from kanibako_paths.worksets import load_workset

    return load_workset(paths, project.workset).auth
