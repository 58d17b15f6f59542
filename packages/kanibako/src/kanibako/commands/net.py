"""``kanibako net``: what a session's containers may reach, and what they tried.

Entries live in ``[network] allow`` / ``deny`` of project.toml (or
kanibako.toml with ``--global``); a running session's proxy re-reads them on
its next request, so no restart is needed.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kanibako.app import App
from kanibako.display import safe_line
from kanibako.errors import CliError
from kanibako.options import json_option, project_option

if TYPE_CHECKING:
    from kanibako.session.egress.decision_log import LogRow

global_option = click.option(
    "--global", "is_global", is_flag=True, help="Change the global list (all projects)."
)


@click.group()
def net() -> None:
    """Egress: allow, deny and list destinations; show the decision log."""


def _checked(dest: str) -> str:
    from kanibako.session.egress.config_entries import check_entry
    from kanibako.session.egress.destinations import DestinationError

    try:
        return check_entry(dest)
    except DestinationError as exc:
        raise CliError(str(exc)) from None


def _record(app: App, dest: str, kind: str, is_global: bool, project: Path | None) -> None:
    from kanibako.project_context import current_project, initialized_project
    from kanibako.session.egress.config_entries import read_entries, record

    entry = _checked(dest)
    paths, proj = current_project(app, project)
    target = paths.config_file if is_global else proj.project_config_file
    read_entries(target)  # a malformed file is reported before anything is written
    if not is_global:
        target = initialized_project(app, project)[1].project_config_file
    changed = record(target, "allow" if kind == "allow" else "deny", entry)
    where = "global" if is_global else "project"
    click.echo(f"{kind} {entry} ({where})" + ("" if changed else ": already so"))


@net.command("allow")
@click.argument("dest")
@global_option
@project_option
@click.pass_obj
def allow(app: App, dest: str, is_global: bool, project: Path | None) -> None:
    """Allow DEST: host, *.suffix, host:port, IP:port or @preset (@pypi, @github, ...)."""
    _record(app, dest, "allow", is_global, project)


@net.command("deny")
@click.argument("dest")
@global_option
@project_option
@click.pass_obj
def deny(app: App, dest: str, is_global: bool, project: Path | None) -> None:
    """Deny DEST (it wins over allows from less specific places)."""
    _record(app, dest, "deny", is_global, project)


def _effective(app: App, project: Path | None) -> tuple[str, list[dict[str, Any]]]:
    from kanibako.project_context import current_project
    from kanibako.session.egress import launch_hook
    from kanibako.session.egress.policy import Policy, builtin_rules

    paths, proj = current_project(app, project)
    name, hosts = launch_hook.target_network_hosts(paths, proj)
    policy = Policy(builtin_rules(name, hosts), launch_hook.policy_files(paths, proj))
    rows = [
        {
            "destination": str(rule.destination),
            "verdict": rule.verdict,
            "scope": rule.scope,
            "source": rule.source,
        }
        for rule in policy.rules()
    ]
    return launch_hook.network_mode(paths, proj), rows


@net.command("list")
@project_option
@json_option
@click.pass_obj
def list_(app: App, project: Path | None, as_json: bool) -> None:
    """The effective list, most specific first, with where each entry comes from."""
    mode, rows = _effective(app, project)
    if as_json:
        from kanibako.tables import echo_json

        echo_json({"mode": mode, "entries": rows})
        return
    from kanibako.tables import echo_table

    click.echo(f"network = {mode}" + ("" if mode == "allowlist" else " (the list is not used)"))
    echo_table(
        ["DESTINATION", "VERDICT", "SOURCE"],
        [[r["destination"], r["verdict"], r["source"]] for r in rows],
    )


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def _who(helper: int) -> str:
    return "director" if helper == 0 else f"helper {helper}"


def _log_rows(app: App, project: Path | None) -> tuple[Path, list[LogRow]]:
    from kanibako.project_context import current_project
    from kanibako.session.egress.decision_log import read_log
    from kanibako.session.egress.launch_hook import log_path

    path = log_path(current_project(app, project)[1])
    return path, read_log(path)


def _row_json(row: LogRow) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(row)


@net.command("log")
@project_option
@json_option
@click.option("--follow", "-f", is_flag=True, help="Keep printing decisions as they happen.")
@click.pass_obj
def log(app: App, project: Path | None, as_json: bool, follow: bool) -> None:
    """Each destination tried: verdict, count, first and last time, and which helper."""
    path, rows = _log_rows(app, project)
    if as_json and not follow:
        from kanibako.tables import echo_json

        echo_json([_row_json(r) for r in rows])
        return
    if not follow:
        from kanibako.tables import echo_table

        echo_table(
            ["DESTINATION", "VERDICT", "WHO", "COUNT", "FIRST", "LAST"],
            [
                [
                    safe_line(r.destination),
                    safe_line(r.verdict),
                    _who(r.helper),
                    str(r.count),
                    _when(r.first),
                    _when(r.last),
                ]
                for r in rows
            ],
        )
        return
    _follow(path, as_json)


def _follow(path: Path, as_json: bool) -> None:
    """Print each row when it is new or its count grows (one JSON object a line with --json)."""
    import json

    from kanibako.session.egress.decision_log import read_log

    seen: dict[tuple[str, str, int], int] = {}
    try:
        while True:
            for row in read_log(path):
                key = (row.destination, row.verdict, row.helper)
                if seen.get(key) == row.count:
                    continue
                seen[key] = row.count
                if as_json:
                    click.echo(json.dumps(_row_json(row), sort_keys=True))
                else:
                    click.echo(
                        f"{_when(row.last)}  {safe_line(row.verdict):5}  "
                        f"{safe_line(row.destination)}  "
                        f"({_who(row.helper)}, {row.count}x)"
                    )
            time.sleep(0.25)
    except KeyboardInterrupt:
        return


@net.command("forward", hidden=True, context_settings={"ignore_unknown_options": True})
@click.option("--port", type=click.IntRange(1, 65535), required=True)
@click.option("--socket", "socket_path", required=True)
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
def forward(port: int, socket_path: str, argv: tuple[str, ...]) -> None:
    """Inside a container: serve 127.0.0.1:PORT through SOCKET, then run ARGV."""
    from kanibako.session.egress.forwarder import forward_then_exec

    forward_then_exec(port, socket_path, argv)
