"""``kanibako upgrade [--check]``: update Kanibako from its git checkout."""

from __future__ import annotations

import click

from kanibako.app import App


@click.command()
@click.option("--check", is_flag=True, help="Only report whether an update exists.")
@click.pass_obj
def upgrade(app: App, /, check: bool) -> None:
    """Update Kanibako from git (git pull --ff-only and reinstall)."""
    from kanibako.self_upgrade import apply_update, check_for_update, find_checkout

    checkout = find_checkout()
    app.debug(f"checkout: {checkout.root}")
    state = check_for_update(checkout)
    if state.behind == 0:
        click.echo(f"kanibako is up to date ({state.branch} = {state.upstream})")
        return
    if check:
        click.echo(f"an update is available: {state.behind} new commit(s) on {state.upstream}")
        return
    head = apply_update(checkout)
    click.echo(f"kanibako updated to {head} ({state.behind} new commit(s))")
