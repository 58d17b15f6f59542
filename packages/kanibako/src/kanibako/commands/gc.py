"""``kanibako gc [--yes] [--json]``: what Kanibako holds on disk, and what it can let go."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kanibako.app import App
from kanibako.display import safe_line
from kanibako.options import json_option

if TYPE_CHECKING:
    from kanibako.gc.holdings import Holdings
    from kanibako.gc.plan import PlanItem


def holdings_json(found: Holdings) -> dict[str, Any]:
    """The accounting half of ``gc --json``."""
    return {
        "projects": [
            {
                "workspace": str(h.project.workspace), "mode": h.project.mode.value,
                "workspace_exists": h.entry.workspace_exists, "running": h.running,
                "state": h.state, "shell": h.shell, "helpers": h.helpers,
                "snapshots": h.snapshots, "snapshot_count": len(h.snapshot_names),
                "size_bytes": h.total,
            }
            for h in found.projects
        ],
        "shared_caches": found.shared, "bundles": found.bundles, "logs": found.logs,
        "images": [{"names": list(i.names), "id": i.id, "bytes": i.size} for i in found.images],
        "stopped_containers": [c.name or c.id for c in found.containers],
        "engine": found.engine.kind if found.engine else found.engine_note,
        "unreadable": found.unreadable,
    }  # fmt: skip


def _echo_holdings(found: Holdings) -> None:
    from kanibako.gc.sizes import human
    from kanibako.tables import echo_table

    rows = [
        [safe_line(h.project.workspace), human(h.state), human(h.shell), human(h.helpers),
         f"{human(h.snapshots)} ({len(h.snapshot_names)})", human(h.total),
         "running" if h.running else ("MISSING" if not h.entry.workspace_exists else "")]
        for h in found.projects
    ]  # fmt: skip
    echo_table(["PROJECT", "STATE", "SHELL", "HELPERS", "SNAPSHOTS", "TOTAL", ""], rows)
    images = sum(i.size for i in found.images)
    click.echo(
        f"shared caches {human(found.shared)}, bundles {human(found.bundles)}, "
        f"logs {human(found.logs)}, images built {human(images)} ({len(found.images)}), "
        f"stopped containers {len(found.containers)}"
    )
    if found.engine_note:
        click.echo(found.engine_note)
    for where in found.unreadable:
        click.echo(f"could not read {safe_line(where)} (not counted)", err=True)


def _echo_plan(items: list[PlanItem]) -> None:
    from kanibako.gc.sizes import human

    if not items:
        click.echo("nothing to remove")
        return
    click.echo("would remove:")
    for item in items:
        click.echo(f"  {item.kind}: {safe_line(item.target)} ({human(item.bytes)})")
    click.echo(f"total {human(sum(i.bytes for i in items))}; run kanibako gc --yes to remove it")


@click.command()
@click.option("-y", "--yes", is_flag=True, help="Remove what the plan lists.")
@json_option
@click.pass_obj
def gc(app: App, /, yes: bool, as_json: bool) -> None:
    """Show what Kanibako holds on disk and what it can remove.

    Lists per project state, shell, helper homes and clones and snapshots,
    shared caches, bundles, logs, images Kanibako built and stopped Kanibako
    containers; plans orphaned projects, stale bundles, stopped containers,
    dangling images and snapshots beyond vault_keep (default 10). Removes
    only with --yes; never a workspace, never a running session's state.
    """
    from kanibako.gc.holdings import account
    from kanibako.gc.plan import apply_plan, make_plan
    from kanibako_paths import load_paths

    paths = load_paths()
    found = account(paths)
    items = make_plan(paths, found)
    freed = None
    if yes and items:
        say = (lambda _line: None) if as_json else click.echo
        freed = apply_plan(paths, found, items, say)
    if as_json:
        from kanibako.tables import echo_json

        echo_json({**holdings_json(found), "plan": [i.as_json() for i in items],
                   "freed_bytes": freed})  # fmt: skip
        return
    if freed is not None:
        from kanibako.gc.sizes import human

        click.echo(f"freed {human(freed)}")
        return
    _echo_holdings(found)
    _echo_plan(items)
