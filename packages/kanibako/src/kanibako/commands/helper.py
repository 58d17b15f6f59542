"""``kanibako helper``: spawn, stop and message helper agents through the session's hub.

The same commands work on the host (acting as the director, for the project of
``-p`` or the current directory) and inside any session container, where the
environment names the hub socket and the caller's own read-only spawn.toml.
Who the caller is comes from that file's token: the hub decides what it may do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kanibako.app import App
from kanibako.options import json_option, project_option

if TYPE_CHECKING:
    from kanibako_helpers import HubClient

_SUMMARY_HEADERS = ("HELPER", "PARENT", "STATUS", "MODEL", "DEPTH", "BREADTH", "CONNECTED")


@dataclass(frozen=True)
class _Where:
    """How this process reaches its session's hub."""

    socket: Path
    config: Path
    log: Path
    helpers_root: Path | None  # host only: to list helpers when no hub runs


def _where(app: App, project: Path | None) -> _Where:
    env = os.environ
    if env.get("KANIBAKO_HUB_SOCKET") and env.get("KANIBAKO_HELPER_CONFIG"):
        from kanibako_helpers import CONTAINER_LOG

        return _Where(
            socket=Path(env["KANIBAKO_HUB_SOCKET"]),
            config=Path(env["KANIBAKO_HELPER_CONFIG"]),
            log=Path(env.get("KANIBAKO_HELPER_LOG") or CONTAINER_LOG),
            helpers_root=None,
        )
    from kanibako.project_context import current_project
    from kanibako.session.hub import session_locations

    paths, resolved = current_project(app, project)
    where = session_locations(paths, resolved, find_running=True)
    return _Where(
        socket=where.socket_path,
        config=where.director_token_file,
        log=where.log_path,
        helpers_root=where.helpers_root,
    )


def _connect(where: _Where, role: str = "command") -> HubClient:
    from kanibako_helpers import HubClient, HubUnavailable, read_helper_config

    if not where.config.exists():
        raise HubUnavailable(
            f"no helper session is running here ({where.config} does not exist); "
            "start one with 'kanibako start' (without --no-helpers)"
        )
    token = read_helper_config(where.config).token
    return HubClient(where.socket, token, role=role, timeout=None if role == "mailbox" else 300)


def _request(where: _Where, op: str, **fields: Any) -> dict[str, Any]:
    with _connect(where) as client:
        return client.request(op, **fields)


def _emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    from kanibako.tables import echo_json

    if as_json:
        echo_json(data)
    else:
        click.echo(text)


@click.group()
@project_option
@click.pass_context
def helper(ctx: click.Context, project: Path | None) -> None:
    """Child kanibako spawning and messaging."""
    ctx.meta["kanibako.helper.project"] = project


def _ctx_where(ctx: click.Context) -> _Where:
    app = ctx.find_object(App) or App()
    return _where(app, ctx.meta.get("kanibako.helper.project"))


@helper.command()
@click.option("--model", default=None, metavar="M", help="The child's model (e.g. sonnet).")
@click.option(
    "--depth", type=click.IntRange(0, 64), default=None, help="Levels it may spawn below."
)
@click.option("--breadth", type=click.IntRange(0, 64), default=None, help="Children it may have.")
@click.option("-c", "command", default=None, metavar="CMD", help="Run CMD instead of its agent.")
@json_option
@click.pass_context
def spawn(  # noqa: PLR0917 - click passes one argument per option
    ctx: click.Context,
    model: str | None,
    depth: int | None,
    breadth: int | None,
    command: str | None,
    as_json: bool,
) -> None:
    """Spawn a child helper (within this helper's budget)."""
    from kanibako.commands.helper_review import spawned_line

    fields: dict[str, Any] = {}
    if command is not None:
        from kanibako.session.command_line import command_argv

        fields["command"] = command_argv(command)
    if model is not None:
        fields["model"] = model
    if depth is not None:
        fields["depth"] = depth
    if breadth is not None:
        fields["breadth"] = breadth
    where = _ctx_where(ctx)
    reply = _request(where, "spawn", **fields)
    _emit(as_json, {"helper": reply["helper"]}, spawned_line(reply["helper"], where.helpers_root))


@helper.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """Show all helpers with status."""
    from kanibako.tables import echo_json, echo_table
    from kanibako_helpers import HubUnavailable

    where = _ctx_where(ctx)
    try:
        helpers = _request(where, "list")["helpers"]
    except HubUnavailable:
        if where.helpers_root is None:
            raise
        helpers = _helpers_on_disk(where.log)
    helpers = [h for h in helpers if h.get("helper") != 0]
    if as_json:
        echo_json(helpers)
        return
    from kanibako_helpers import display_text

    # Every field may have come from inside a container: escaped, one row one line.
    rows = [
        tuple(
            display_text(cell)
            for cell in (
                h.get("helper"),
                h.get("parent"),
                h.get("status"),
                h.get("model") or "-",
                h.get("depth"),
                h.get("breadth"),
                "yes" if h.get("connected") else "no",
            )
        )
        for h in helpers
    ]
    echo_table(_SUMMARY_HEADERS, rows)


def _helpers_on_disk(log: Path) -> list[dict[str, Any]]:
    """Helpers of a project with no session running, as the hub recorded them.

    All are stopped; one recorded as running lost its session (``interrupted``,
    see ``kanibako_helpers.WAS_RUNNING``). Read from the hub's registry beside the log, never from ``~/helpers``
    (the director can write there).
    """
    from kanibako_helpers import WAS_RUNNING, read_registry, registry_path
    from kanibako_helpers.hub import wait_recorded

    wait_recorded(registry_path(log))  # a hub of this process that just ended
    return [
        {
            **entry,
            "status": "interrupted" if entry["status"] in WAS_RUNNING else "stopped",
            "connected": False,
        }
        for entry in read_registry(registry_path(log))
    ]


def _number_command(op: str, verb: str, doc: str) -> Callable[..., None]:
    @click.argument("number", type=click.IntRange(1))
    @json_option
    @click.pass_context
    def command(ctx: click.Context, /, number: int, as_json: bool, **extra: Any) -> None:
        reply = _request(_ctx_where(ctx), op, helper=number, **extra)
        done = reply.get("helpers", [number])
        _emit(as_json, {"helpers": done}, f"{verb} helper {', '.join(map(str, done))}")

    command.__doc__ = doc
    return command


helper.command("stop")(_number_command("stop", "stopped", "Stop helper N (a descendant)."))


@helper.command()
@click.argument("number", type=click.IntRange(1), required=False)
@click.option(
    "--all", "every", is_flag=True, help="Every helper that was running when the last session died."
)
@json_option
@click.pass_context
def respawn(ctx: click.Context, number: int | None, every: bool, as_json: bool) -> None:
    """Relaunch stopped helper N, or --all the interrupted ones (a descendant)."""
    from kanibako.errors import CliError

    if (number is None) == (not every):
        raise CliError("helper respawn takes a helper number or --all (not both)")
    fields: dict[str, Any] = {"all": True} if every else {"helper": number}
    done = _request(_ctx_where(ctx), "respawn", **fields).get("helpers", [number])
    text = f"respawned helper {', '.join(map(str, done))}" if done else "no interrupted helper"
    _emit(as_json, {"helpers": done}, text)


def _add_review_commands() -> None:
    # diff, merge, conflicts and a cleanup that guards unmerged clones.
    from kanibako.commands.helper_review import add_review_commands

    add_review_commands(helper, _request, _ctx_where)


_add_review_commands()


@helper.command()
@click.argument("number", type=click.IntRange(0))
@click.argument("message")
@json_option
@click.pass_context
def send(ctx: click.Context, number: int, message: str, as_json: bool) -> None:
    """Send MESSAGE to helper N (0 is the director)."""
    reply = _request(_ctx_where(ctx), "send", to=number, text=message)
    _emit(as_json, {"seq": reply["seq"]}, f"sent to helper {number}")


@helper.command()
@click.argument("message")
@json_option
@click.pass_context
def broadcast(ctx: click.Context, message: str, as_json: bool) -> None:
    """Send MESSAGE to every other helper."""
    reply = _request(_ctx_where(ctx), "broadcast", text=message)
    _emit(
        as_json,
        {"seq": reply["seq"], "recipients": reply["recipients"]},
        f"sent to {reply['recipients']} helper(s)",
    )


@helper.command()
@click.option("--follow", "-f", is_flag=True, help="Keep printing new messages (Ctrl-C ends).")
@click.option("--from", "sender", type=click.IntRange(0), default=None, help="Only from helper N.")
@click.option("--last", type=click.IntRange(0), default=None, help="Only the last K entries.")
@json_option
@click.pass_context
def log(
    ctx: click.Context, follow: bool, sender: int | None, last: int | None, as_json: bool
) -> None:
    """Display the message log (`12:35:10  [0 → 1]  text`; `*` is a broadcast)."""
    import json

    from kanibako_helpers import follow_log, format_entry, read_log

    where = _ctx_where(ctx)
    if follow:
        try:
            for entry in follow_log(where.log, sender=sender, last=last):
                click.echo(json.dumps(entry.as_dict()) if as_json else format_entry(entry))
        except KeyboardInterrupt:
            return
        return
    entries = read_log(where.log, sender=sender, last=last)
    if as_json:
        from kanibako.tables import echo_json

        echo_json([e.as_dict() for e in entries])
        return
    for entry in entries:
        click.echo(format_entry(entry))


@helper.command(hidden=True)
@click.option("--inbox", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--ready", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_context
def listen(ctx: click.Context, inbox: Path | None, ready: Path | None) -> None:
    """Register this helper's mailbox and print (or append to INBOX) each message."""
    from kanibako_helpers import LogEntry, format_entry

    client = _connect(_ctx_where(ctx), role="mailbox")
    if ready is not None:
        ready.touch()
    out = inbox.open("a", encoding="utf-8") if inbox is not None else None
    try:
        for event in client.events():
            if event.get("event") == "dropped":
                line = f"({event.get('count')} message(s) dropped; see `kanibako helper log`)"
            elif event.get("event") == "message":
                line = format_entry(
                    LogEntry(
                        seq=int(event["seq"]),
                        ts=float(event["ts"]),
                        sender=int(event["from"]),
                        to=event["to"],
                        text=str(event["text"]),
                    )
                )
            else:
                continue
            if out is not None:
                out.write(line + "\n")
                out.flush()
            else:
                click.echo(line)
    except KeyboardInterrupt:
        pass
    finally:
        client.close()
        if out is not None:
            out.close()
