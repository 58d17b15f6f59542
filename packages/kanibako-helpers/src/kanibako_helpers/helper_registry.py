"""The host's own record of which helpers the hub spawned, for whom, with what budget.

``~/helpers/<n>/state.json`` lies in a tree the director (and each helper)
can write, so the host never takes a helper's existence, parent or budget
from it: a planted file there would let the director respawn grandchildren
its children were never allowed. The hub writes this registry instead,
beside the message log in the host's data directory (which no container
can write), and a later session's hub and ``helper list`` read only it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kanibako_helpers.atomic import write_atomic
from kanibako_helpers.errors import HelperError
from kanibako_helpers.regular_file import read_regular_file

REGISTRY_MAX_BYTES = 4 * 1024 * 1024
"""Far above what any allowed fleet records (the hub serves at most 512 connections)."""

MODEL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}")
"""A model name as the hub accepts it at spawn: nothing a terminal would interpret."""

_FIELDS = ("helper", "parent", "depth", "breadth", "model", "peers", "status", "command")
_STATUSES = frozenset({"running", "stopped", "failed", "stopping", "spawning", "interrupted"})
WAS_RUNNING = frozenset({"running", "spawning", "interrupted"})
"""Recorded statuses that, read by a new hub, mean the helper was running when its session
died: a hub that ends records every helper ``stopped``; only a killed one leaves these."""
_MAX_COMMAND_WORDS = 256


def registry_path(log_path: Path) -> Path:
    """Where the hub whose message log is ``log_path`` keeps its registry (same directory)."""
    return log_path.with_name(f"{log_path.name.removesuffix('.jsonl')}.helpers.json")


def write_registry(
    path: Path, helpers: Iterable[Mapping[str, Any]], *, durable: bool = True
) -> None:
    """Replace the registry with ``helpers`` (summaries as the hub lists them), atomically."""
    entries = [{key: helper[key] for key in _FIELDS} for helper in helpers]
    data = json.dumps({"version": 1, "helpers": entries}, indent=1, sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data.encode() + b"\n", mode=0o600, durable=durable)


def _int(value: object, low: int, high: int) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


def _entry(raw: object) -> dict[str, Any] | None:
    """One registry entry with every field checked, or None."""
    if not isinstance(raw, dict):
        return None
    number = _int(raw.get("helper"), 1, 2**62)
    parent = _int(raw.get("parent"), 0, 2**62)
    depth, breadth = _int(raw.get("depth"), 0, 64), _int(raw.get("breadth"), 0, 64)
    model, peers, status = raw.get("model"), raw.get("peers"), raw.get("status")
    if None in (number, parent, depth, breadth) or status not in _STATUSES:
        return None
    if not (model == "" or (isinstance(model, str) and MODEL_PATTERN.fullmatch(model))):
        return None
    if not isinstance(peers, list):
        return None
    command = raw.get("command", [])  # absent in registries written before it was kept
    if not (
        isinstance(command, list)
        and len(command) <= _MAX_COMMAND_WORDS
        and all(isinstance(word, str) and "\0" not in word for word in command)
    ):
        return None
    return {
        "helper": number,
        "parent": parent,
        "depth": depth,
        "breadth": breadth,
        "model": model,
        "peers": [p for p in peers if _int(p, 1, 2**62) is not None],
        "status": status,
        "command": command,
    }


def read_registry(path: Path) -> list[dict[str, Any]]:
    """The helpers recorded at ``path``, sorted by number; none when it does not exist yet.

    A malformed entry is skipped; a file that is not a bounded regular JSON
    file raises HelperError (one line naming it).
    """
    try:
        raw = json.loads(read_regular_file(path, REGISTRY_MAX_BYTES))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise HelperError(f"cannot read {path}: {exc.strerror}") from exc
    except (ValueError, RecursionError):
        raise HelperError(f"{path}: not a helper registry (invalid JSON)") from None
    listed = raw.get("helpers") if isinstance(raw, dict) else None
    if not isinstance(listed, list):
        raise HelperError(f"{path}: not a helper registry")
    entries = {}
    for item in listed:
        entry = _entry(item)
        if entry is not None:
            entries[entry["helper"]] = entry
    return [entries[n] for n in sorted(entries)]
