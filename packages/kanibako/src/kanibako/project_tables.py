"""Per-project tables in project.toml owned by the target side (settings, resource scopes)."""

from __future__ import annotations

from pathlib import Path

from kanibako_paths import Project, read_toml, write_toml


def set_project_entry(project: Project, table: str, key: str, value: str) -> None:
    """``[table] key = value`` in the project's project.toml (other tables untouched)."""
    data = read_toml(project.project_config_file)
    section = data.setdefault(table, {})
    if not isinstance(section, dict):
        from kanibako.errors import CliError

        raise CliError(f"{project.project_config_file}: [{table}] must be a table")
    section[key] = value
    write_toml(project.project_config_file, data)


def unset_project_entry(project: Project, table: str, key: str) -> bool:
    """Remove ``[table] key``; whether it was there (an emptied table goes too)."""
    path: Path = project.project_config_file
    data = read_toml(path)
    section = data.get(table)
    if not isinstance(section, dict) or key not in section:
        return False
    del section[key]
    if not section:
        del data[table]
    write_toml(path, data)
    return True
