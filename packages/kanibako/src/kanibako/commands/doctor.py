"""``kanibako doctor [--json] [--fix] [--yes]``: check this host, and fix what is the user's to fix."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from kanibako.app import App
from kanibako.options import json_option

if TYPE_CHECKING:
    from kanibako.doctor import Check

_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def echo_checks(checks: list[Check]) -> None:
    """One line per check, and its fix indented under anything not ok."""
    width = max(len(c.name) for c in checks)
    for check in checks:
        click.echo(f"{_MARK[check.status]}  {check.name:<{width}}  {check.detail}")
        if check.fix and check.status in ("warn", "fail"):
            click.echo(f"      {'':<{width}}  fix: {check.fix}")


@click.command()
@json_option
@click.option("--fix", "fix", is_flag=True, help="Apply the fixes that are yours to apply.")
@click.option("-y", "--yes", is_flag=True, help="Apply fixes without asking (for scripts).")
@click.pass_obj
def doctor(app: App, /, as_json: bool, fix: bool, yes: bool) -> None:
    """Check the host; say how to fix it.

    Checks that this host can run Kanibako's containers, and how to fix what
    cannot.     Exit status 1 when a check fails. --fix writes containers.conf or
    storage.conf lines for this user (system files only as root), showing each
    change and asking first.
    """
    from kanibako.doctor import report, run_checks, summary

    checks = run_checks()
    if fix:
        checks = _fix(checks, yes)
    if as_json:
        from kanibako.tables import echo_json

        echo_json(report(checks))
    else:
        echo_checks(checks)
        click.echo(summary(checks))
    if not report(checks)["ok"]:
        sys.exit(1)


def _fix(checks: list[Check], yes: bool) -> list[Check]:
    from kanibako.doctor import run_checks
    from kanibako.doctor.fixing import apply_fixes, fixable
    from kanibako.errors import CliError

    edits = fixable(checks)
    if not edits:
        click.echo("nothing to fix that doctor can apply", err=True)
        return checks
    if not yes and not sys.stdin.isatty():
        raise CliError("doctor --fix: needs confirmation; pass --yes (no terminal)")

    def ask(question: str) -> bool:
        return yes or click.confirm(question, default=True, err=True)

    if apply_fixes(edits, ask, lambda line: click.echo(line, err=True)) == 0:
        return checks
    return run_checks()  # what the host looks like now
