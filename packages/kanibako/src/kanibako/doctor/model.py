"""What a doctor check reports, and the change that would fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True)
class ConfEdit:
    """One ``key = value`` line under ``[table]`` of a TOML configuration file.

    ``value`` is already TOML (quoted strings, arrays). ``system`` marks a file
    only root may change: ``doctor --fix`` run by anyone else just prints it.
    ``then_run`` is a command the change needs afterwards (say, resetting the
    storage a new driver cannot read), run only after the user agreed to it.
    """

    path: Path
    table: str
    key: str
    value: str
    system: bool = False
    then_run: tuple[str, ...] = ()
    then_why: str = ""

    def describe(self) -> str:
        """The change as a person reads it: the file and the line."""
        return f"{self.path}: [{self.table}] {self.key} = {self.value}"


@dataclass(frozen=True)
class Check:
    """One host check: its outcome, what was found, and for anything not ok the fix.

    ``fix`` is a command or a file line for people; ``edit`` is the same fix
    when ``doctor --fix`` can apply it.
    """

    name: str
    status: Status
    detail: str
    fix: str | None = None
    edit: ConfEdit | None = None

    def as_json(self) -> dict[str, Any]:
        """The check in ``doctor --json``'s shape."""
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


def ok(name: str, detail: str) -> Check:
    """A check that passed."""
    return Check(name, "ok", detail)


def skip(name: str, detail: str) -> Check:
    """A check that does not apply here (or cannot run until another passes)."""
    return Check(name, "skip", detail)


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (JSON's escapes are TOML's)."""
    import json

    return json.dumps(value)


def toml_strings(values: list[str]) -> str:
    """A TOML array of basic strings."""
    return "[" + ", ".join(toml_string(v) for v in values) + "]"
