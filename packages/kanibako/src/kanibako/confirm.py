"""Asking before deleting, or saying how to skip the question when nobody can answer."""

from __future__ import annotations

import sys

import click

from kanibako.errors import CliError


def confirm_or_refuse(question: str) -> None:
    """Ask ``question``; stop unless the user says yes.

    With no terminal on stdin (a script, CI) click's prompt reads EOF and
    prints a bare "Aborted!"; say instead that ``--yes`` is needed.
    """
    if not sys.stdin.isatty():
        raise CliError(f"{question.rstrip('?')}: needs confirmation; pass --yes (no terminal)")
    click.confirm(question, abort=True)
