"""``kanibako-vault``: the snapshot engine as a command of its own.

The only module of this package that imports click, so the library stays usable
without it being imported.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kanibako_vault.__about__ import __version__
from kanibako_vault.errors import VaultError

_dir_option = click.option(
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The directory to snapshot or restore.",
)
# list and prune need only the store; they accept --dir so every subcommand can be
# called with the same two options.
_optional_dir_option = click.option(
    "--dir",
    "directory",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Accepted for symmetry; not needed.",
)
_compression_option = click.option(
    "--compression",
    type=click.Choice(["zstd", "xz", "none"]),
    default="zstd",
    show_default=True,
    help="How new archives are compressed (existing ones are read in any of these).",
)
_store_option = click.option(
    "--store",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The directory holding the snapshots.",
)


class _VaultGroup(click.Group):
    """Turns vault errors and OS failures into one line on stderr and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VaultError as exc:
            _fail(str(exc), exc.exit_code)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or exc}{where}", 1)


def _fail(message: str, code: int) -> None:
    # A message may name a file the agent named (an OSError's filename): one line, escaped.
    from kanibako_vault.display import display_name

    click.echo(f"kanibako-vault: {display_name(message)}", err=True)
    sys.exit(code)


@click.group(cls=_VaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="kanibako-vault")
def cli() -> None:
    """Snapshot a directory into .tar.zst files, list, restore and prune them."""


@cli.command()
@_dir_option
@_store_option
@click.option(
    "--full",
    is_flag=True,
    help="Store everything, even if nothing changed since the last snapshot.",
)
@_compression_option
def snapshot(directory: Path, store: Path, full: bool, compression: str) -> None:
    """Snapshot DIR into STORE (skipped when nothing changed)."""
    from kanibako_vault.report import progress_line, skipped_message, snapshot_message
    from kanibako_vault.snapshotting import snapshot as take

    with progress_line("kanibako-vault: snapshot") as shown:
        result = take(directory, store, full=full, progress=shown, compression=compression)
    warning = skipped_message(result)
    if warning:
        click.echo(f"kanibako-vault: warning: {warning}", err=True)
    click.echo(snapshot_message(result))


@cli.command(name="list")
@_optional_dir_option
@_store_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def list_(directory: Path | None, store: Path, as_json: bool) -> None:
    """List the snapshots in STORE, oldest first."""
    from kanibako_vault.report import snapshot_json, snapshot_table
    from kanibako_vault.store import list_snapshots

    infos = list_snapshots(store)
    if as_json:
        click.echo(json.dumps(snapshot_json(infos), indent=2))
    elif infos:
        click.echo(snapshot_table(infos))
    else:
        click.echo("No snapshots.")


@cli.command()
@_dir_option
@_store_option
@click.argument("name")
@_compression_option
def restore(directory: Path, store: Path, name: str, compression: str) -> None:
    """Replace DIR with snapshot NAME (the current state is snapshotted first)."""
    from kanibako_vault.report import progress_line, restore_message
    from kanibako_vault.restoring import restore as put_back

    with progress_line("kanibako-vault: restore") as shown:
        result = put_back(
            directory, store, name, progress=shown, compression=compression, detach_cleanup=True
        )
    for warning in result.warnings:
        click.echo(f"kanibako-vault: warning: {warning}", err=True)
    click.echo(restore_message(result))


@cli.command()
@_optional_dir_option
@_store_option
@click.option(
    "--keep", required=True, type=int, help="How many of the newest snapshots to keep (0: none)."
)
@_compression_option
def prune(directory: Path | None, store: Path, keep: int, compression: str) -> None:
    """Delete all but the newest KEEP snapshots."""
    from kanibako_vault.pruning import prune as cut
    from kanibako_vault.report import prune_message

    click.echo(prune_message(cut(store, keep, compression)))


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="kanibako-vault")
