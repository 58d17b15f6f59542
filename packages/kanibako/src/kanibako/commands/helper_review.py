"""``kanibako helper diff|merge|conflicts|cleanup``: a helper's clone reviewed like a pull request.

These run on the host (or in the director, whose ``~/workspace`` is the
user's repository and ``~/helpers`` holds the clones): the helper's work is
fetched into ``refs/kanibako/helpers/N/`` of the user's repository and read
from there. ``cleanup`` checks for unmerged work before asking the hub.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kanibako.errors import CliError
from kanibako.options import json_option

if TYPE_CHECKING:
    from kanibako.session.helper_work import Review


def _review(ctx: click.Context) -> Review:
    """The user's repository and the helpers' trees, for this caller."""
    from kanibako.session.helper_git import repository_root
    from kanibako.session.helper_work import Review

    if os.environ.get("KANIBAKO_HELPER_CONFIG"):
        if os.environ.get("KANIBAKO_HELPER") != "0":
            raise CliError("helper clones are reviewed on the host or by the director")
        workspace, helpers_root = Path.home() / "workspace", Path.home() / "helpers"
    else:
        from kanibako.app import App
        from kanibako.project_context import current_project

        _, project = current_project(
            ctx.find_object(App) or App(), ctx.meta.get("kanibako.helper.project")
        )
        workspace, helpers_root = project.workspace, project.shell_dir / "helpers"
    if repository_root(workspace) is None:
        raise CliError(f"{workspace} is not a git repository: its helpers have no clones to review")
    return Review(workspace, helpers_root)


def _printable(text: str) -> str:
    """``text`` with control characters (a helper's escape sequences) shown, not sent to the terminal."""
    if not sys.stdout.isatty():
        return text
    return "".join(ch if ch in "\n\t" or ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


@click.command()
@click.argument("number", type=click.IntRange(1))
@click.option("--stat", is_flag=True, help="Only the files changed and how much.")
@click.pass_context
def diff(ctx: click.Context, number: int, stat: bool) -> None:
    """Show helper N's work (uncommitted included) against where it started."""
    click.echo(_printable(_review(ctx).diff(number, stat=stat)), nl=False)


@click.command()
@click.argument("number", type=click.IntRange(1))
@click.option("--squash", is_flag=True, help="One commit on the current branch.")
@click.pass_context
def merge(ctx: click.Context, number: int, squash: bool) -> None:
    """Merge helper N's commits into the checkout's current branch."""
    click.echo(_review(ctx).merge(number, squash=squash))


@click.command()
@json_option
@click.pass_context
def conflicts(ctx: click.Context, as_json: bool) -> None:
    """Files that would conflict between helpers, and each helper against HEAD."""
    from kanibako.tables import echo_json

    found = _review(ctx).conflicts()
    if as_json:
        echo_json(found)
        return
    clashing = [entry for entry in found if entry["files"]]
    for entry in clashing:
        other = "HEAD" if entry["b"] == "HEAD" else f"helper {entry['b']}"
        files: Any = entry["files"]
        click.echo(_printable(f"helper {entry['a']} and {other}: {', '.join(files)}"))
    if not clashing:
        click.echo(f"no conflicts ({len(found)} pair(s) checked)")


def cleanup_command(request: Any, where: Any) -> click.Command:
    """``helper cleanup N``: refused while N's clone holds unmerged work, unless ``--force``."""

    @click.command("cleanup")
    @click.argument("number", type=click.IntRange(1))
    @click.option("--cascade", is_flag=True, help="Also remove all of its descendants.")
    @click.option("--force", is_flag=True, help="Remove it even with work not merged.")
    @json_option
    @click.pass_context
    def cleanup(ctx: click.Context, number: int, cascade: bool, force: bool, as_json: bool) -> None:
        """Stop and remove helper N (a descendant)."""
        from kanibako.tables import echo_json

        review = None if _is_plain_helper() else _review_or_none(ctx)
        guarded = review is not None and not force and number in review.helpers()
        if guarded and review is not None and review.holds_unmerged_work(number):
            raise CliError(
                f"helper {number} holds work not merged into the checkout "
                f"(see 'kanibako helper diff {number}'); --force removes it anyway"
            )
        reply = request(where(ctx), "cleanup", helper=number, cascade=cascade)
        done = reply.get("helpers", [number])
        if review is not None:
            for gone in done:
                review.forget(int(gone))
        if as_json:
            echo_json({"helpers": done})
        else:
            click.echo(f"removed helper {', '.join(map(str, done))}")

    return cleanup


def _is_plain_helper() -> bool:
    """A helper (not the director) inside a container: it sees no user repository."""
    return (
        bool(os.environ.get("KANIBAKO_HELPER_CONFIG")) and os.environ.get("KANIBAKO_HELPER") != "0"
    )


def _review_or_none(ctx: click.Context) -> Review | None:
    try:
        return _review(ctx)
    except CliError:
        return None


def spawned_line(number: int, helpers_root: Path | None) -> str:
    """What ``helper spawn`` prints: whether the helper got its own clone."""
    root = helpers_root if helpers_root is not None else Path.home() / "helpers"
    git_dir = root / str(number) / "workspace" / ".git"
    if git_dir.is_dir():
        return f"spawned helper {number} (its own clone, branch kanibako/helper-{number})"
    if root.is_dir() and (root / str(number)).is_dir():
        return (
            f"spawned helper {number} (the workspace is not a git repository: "
            f"it works in its own ~/helpers/{number}/workspace, which the director can read)"
        )
    return f"spawned helper {number}"


def add_review_commands(group: click.Group, request: Any, where: Any) -> None:
    """Register the clone commands on ``kanibako helper`` (its ``cleanup`` included)."""
    for command in (diff, merge, conflicts, cleanup_command(request, where)):
        group.add_command(command)
