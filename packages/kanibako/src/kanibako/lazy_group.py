"""A click group whose subcommands are imported only when they run.

`kanibako --help` lists every command from a static table of names and short
help texts, so printing help imports none of the command modules (and so none
of the engine, vault, helper or target code behind them).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

import click


class LazyGroup(click.Group):
    """A group resolving `name -> "module:attribute"` on first use."""

    def __init__(
        self,
        *args: object,
        lazy_commands: Mapping[str, tuple[str, str]] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # name -> (import path "pkg.module:attr", one-line help)
        self.lazy_commands: dict[str, tuple[str, str]] = dict(lazy_commands or {})
        # Called with each command as it is loaded (the root adds the common flags).
        self.on_load: Callable[[click.Command, str], None] | None = None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands and cmd_name not in self.commands:
            self.add_command(self._load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, cmd_name: str) -> click.Command:
        import_path, _ = self.lazy_commands[cmd_name]
        module_name, attr = import_path.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{import_path} is not a click command")
        if self.on_load is not None:
            self.on_load(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                cmd = self.commands[name]
                if cmd.hidden:
                    continue
                rows.append((name, cmd.get_short_help_str(limit=formatter.width)))
            else:
                rows.append((name, self.lazy_commands[name][1]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
