"""Option decorators shared by several commands, so every command spells them alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kanibako.app import App, LaunchOptions
from kanibako.lazy_group import LazyGroup

F = TypeVar("F", bound=Callable[..., Any])


if TYPE_CHECKING:
    from pathlib import Path

    # click >= 8.5 makes ParamType generic; older releases cannot be subscripted.
    _PathParamType = click.ParamType[Path]
else:
    _PathParamType = click.ParamType


class DirectoryPath(_PathParamType):
    """A directory argument converted to ``pathlib.Path``.

    Not ``click.Path(path_type=Path)``: that needs pathlib imported when the
    option is declared, which is on every start-up path, ``--help`` included.
    """

    name = "directory"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        from pathlib import Path

        path = Path(value)
        if path.is_file():
            self.fail(f"{value!r} is a file, not a directory", param, ctx)
        return path


project_option = click.option(
    "-p",
    "--project",
    type=DirectoryPath(),
    default=None,
    help="Use DIR as the project directory (default: the current directory).",
    metavar="DIR",
)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _checked_image(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # Refused here (exit 2) rather than handed to `podman pull`, whose
    # failure is a runtime error (exit 1) in two lines.
    if value is not None and (not value or any(ch.isspace() for ch in value)):
        raise click.BadParameter(f"an image name has no spaces and is not empty, not {value!r}")
    return value


# Names Kanibako sets itself in every session: a -e over them would break it.
_RESERVED_ENV = ("HOME",)
_RESERVED_ENV_PREFIX = "KANIBAKO_"


def _checked_env(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    if not values:
        return ()
    import os

    from kanibako_paths import EnvFileError, validate_env_key, validate_env_value

    pairs: list[tuple[str, str]] = []
    for given in values:
        name, equals, value = given.partition("=")
        try:
            validate_env_key(name)
            if name in _RESERVED_ENV or name.startswith(_RESERVED_ENV_PREFIX):
                raise EnvFileError(f"{name} is set by Kanibako itself")
            if not equals:
                # Like `docker run -e NAME`: the host's value; refused when unset,
                # so that a typo cannot silently pass nothing.
                if name not in os.environ:
                    raise EnvFileError(
                        f"{name} is not set on this host (-e {name} passes its value)"
                    )
                value = os.environ[name]
            pairs.append((name, validate_env_value(name, value)))
        except EnvFileError as exc:
            raise click.BadParameter(str(exc)) from None
    return tuple(pairs)


def launch_options(func: F) -> F:
    """The common launch flags (-i -N -S -c --distinct-auth -e, and --no-helpers)."""
    decorators = [
        click.option(
            "-i",
            "--image",
            default=None,
            metavar="IMAGE",
            callback=_checked_image,
            help="Use IMAGE for this run.",
        ),
        click.option(
            "-N", "--new", is_flag=True, help="Start a new conversation (skip --continue)."
        ),
        click.option(
            "-S", "--safe", is_flag=True, help="Run without --dangerously-skip-permissions."
        ),
        click.option(
            "-c",
            "--command",
            default=None,
            metavar="CMD",
            help="Run CMD instead of the agent (through /bin/sh when it uses shell syntax).",
        ),
        click.option(
            "--distinct-auth", is_flag=True, help="Use distinct credentials (no sync from host)."
        ),
        click.option("--no-helpers", is_flag=True, help="Launch without helper support (no hub)."),
        click.option(
            "-e",
            "--env",
            multiple=True,
            metavar="NAME=VALUE",
            callback=_checked_env,
            help="Set NAME for this run (over the env files; NAME alone: the host's value).",
        ),
        click.option(
            "--keep-warm",
            default=None,
            metavar="SECONDS",
            help="Keep a standby container this long after the session (0: none).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def merge_launch(base: LaunchOptions, **given: Any) -> LaunchOptions:
    """Top-level launch flags, overridden by any the subcommand itself was given."""
    return LaunchOptions(
        image=given.get("image") or base.image,
        new=bool(given.get("new")) or base.new,
        safe=bool(given.get("safe")) or base.safe,
        # "" is a command (an empty one, refused at launch), not an absent one.
        command=given["command"] if given.get("command") is not None else base.command,
        distinct_auth=bool(given.get("distinct_auth")) or base.distinct_auth,
        no_helpers=bool(given.get("no_helpers")) or base.no_helpers,
        env=(*base.env, *given.get("env", ())),
        keep_warm=given.get("keep_warm") if given.get("keep_warm") is not None else base.keep_warm,
    )


# Commands that read the project from the top-level -p (through App) without
# declaring their own: each accepts -p after its name too.
_PROJECT_FROM_APP = frozenset({"stop"})


def _app_of(ctx: click.Context) -> App:
    return ctx.find_object(App) or ctx.ensure_object(App)


def _set_verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _app_of(ctx).verbose = True


def _set_project(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    # The position nearer the command wins over the top-level one.
    if value is not None:
        _app_of(ctx).project = value


def _declares(command: click.Command, flag: str) -> bool:
    return any(flag in param.opts for param in command.params if isinstance(param, click.Option))


def add_common_flags(command: click.Command, name: str, *, project: bool = False) -> None:
    """Accept the spec's common flags after the subcommand too, wherever they apply.

    ``-v`` applies to every command; ``-p`` to the subcommands of a group that
    takes it (``helper log -p DIR``) and to the commands of ``_PROJECT_FROM_APP``.
    (The launch flags ``-i -N -S -c`` are declared by the launch commands
    themselves.) Added options set the :class:`App`, so commands read them
    where they read the top-level ones.
    """
    if not _declares(command, "-v"):
        command.params.append(
            click.Option(
                ["-v", "--verbose"],
                is_flag=True,
                expose_value=False,
                callback=_set_verbose,
                help="Show debug output (target, engine command).",
            )
        )
    takes_project = _declares(command, "-p")
    if (project or name in _PROJECT_FROM_APP) and not takes_project:
        command.params.append(
            click.Option(
                ["-p", "--project"],
                type=DirectoryPath(),
                default=None,
                expose_value=False,
                callback=_set_project,
                metavar="DIR",
                help="Use DIR as the project directory (default: the current directory).",
            )
        )
    if isinstance(command, click.Group):
        inherit = project or takes_project
        for sub_name, sub in command.commands.items():
            add_common_flags(sub, sub_name, project=inherit)
        if isinstance(command, LazyGroup):
            command.on_load = lambda sub, sub_name: add_common_flags(sub, sub_name, project=inherit)
