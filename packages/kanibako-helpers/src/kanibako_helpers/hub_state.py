"""What the hub knows: its configuration, one record per helper, and the shared state.

:class:`HubState` holds the session's helpers and their tokens; the routing
and control parts of the hub build on it (``hub_routing``, ``hub_control``).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kanibako_helpers.budget import SpawnBudget
from kanibako_helpers.errors import HelperError
from kanibako_helpers.helper_config import HelperConfig, write_helper_config
from kanibako_helpers.helper_registry import MODEL_PATTERN, registry_path, write_registry
from kanibako_helpers.layout import HelperTree
from kanibako_helpers.log_writer import LOG_MAX_BYTES, MessageLog
from kanibako_helpers.numbering import DIRECTOR, is_descendant
from kanibako_helpers.protocol import MAX_TEXT
from kanibako_helpers.spawn import BindMount, RunningHelper, Spawner

if TYPE_CHECKING:
    from kanibako_helpers.hub_connection import Connection

__all__ = ["MODEL_PATTERN", "HelperRecord", "HubConfig", "HubState", "RequestError"]


@dataclass(frozen=True)
class HubConfig:
    """Where the hub listens and logs, and what it gives every helper it spawns."""

    socket_path: Path
    log_path: Path
    tree: HelperTree
    token_dir: Path
    root_budget: SpawnBudget = field(default_factory=SpawnBudget)
    container_prefix: str = "kanibako-helper"
    init_script: bytes = b'#!/bin/sh\nexec "$@"\n'
    common_mounts: tuple[BindMount, ...] = ()
    common_env: tuple[tuple[str, str], ...] = ()
    max_pending_bytes: int = 16 * 1024 * 1024
    """Queued (undelivered) message bytes kept per helper."""
    max_pending_total: int = 64 * 1024 * 1024
    """Queued bytes kept for all helpers together: the hub's memory bound."""
    load_existing: bool = True
    homes_root: Path | None = None
    remove_tree: Callable[[Path], None] = shutil.rmtree
    """How a helper's tree and home are deleted (the CLI passes one that also removes the
    mount-point stubs a rootless engine leaves owned by a subordinate uid)."""
    """Where each helper's own persistent home (``/home/agent``) lives; None: the image's."""
    max_log_bytes: int = LOG_MAX_BYTES
    """The message log's cap: past it, the older half is dropped (see ``log_writer``)."""
    registry_path: Path | None = None
    """The hub's record of the helpers it spawned; None: beside the log (``registry_path``)."""
    director_config: Path | None = None
    """Where the director's spawn.toml (its token) is written; None: ``token_dir/0.toml``.
    The CLI puts it beside the socket, in the one directory the director's container binds."""
    director_token: str = ""
    """The director's token when the caller made it (and wrote its file) before the hub
    existed; empty: the hub makes one."""

    @property
    def registry(self) -> Path:
        """Where the helpers this hub spawned are recorded (no container can write there)."""
        return self.registry_path or registry_path(self.log_path)

    @property
    def base(self) -> int:
        """The numbering base: the director's breadth (at least 1)."""
        return max(1, self.root_budget.breadth)


class RequestError(Exception):
    """A refused request: becomes an error reply, never a disconnect."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class HelperRecord:
    """The hub's knowledge of one helper of this session."""

    number: int
    parent: int | None
    budget: SpawnBudget
    model: str | None
    token: str
    status: str
    peers: list[int] = field(default_factory=list)
    running: RunningHelper | None = None
    mailbox: Connection | None = None
    pending: deque[bytes] = field(default_factory=deque)
    pending_bytes: int = 0
    dropped: int = 0
    recorded: bool = False
    """Once it ran, the helper is in the registry (a failed first spawn never is)."""
    command: tuple[str, ...] = ()
    """What the helper runs instead of its agent (``spawn -c``); empty: the agent."""

    def summary(self) -> dict[str, Any]:
        return {
            "helper": self.number,
            "parent": self.parent,
            "status": self.status,
            "model": self.model or "",
            "depth": self.budget.depth,
            "breadth": self.budget.breadth,
            "connected": self.mailbox is not None,
            "peers": list(self.peers),
            "command": list(self.command),
        }


class HubState:
    """Session state shared by routing and control; lives on one event loop."""

    def __init__(self, config: HubConfig, spawner: Spawner | None) -> None:
        self.config = config
        self.spawner = spawner
        self.base = config.base
        self.connections: set[Connection] = set()
        self.helpers: dict[int, HelperRecord] = {}
        self.tokens: dict[str, int] = {}
        self.seq = 0
        self.log: MessageLog | None = None
        # Routed but not yet logged, and logged but not yet delivered.
        self.deliveries: list[tuple[HelperRecord, bytes]] = []
        self.ready: list[tuple[HelperRecord, bytes]] = []
        self.pending_total = 0
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kanibako-spawn")
        self.tasks: set[asyncio.Task[None]] = set()
        self.tree_lock = threading.Lock()
        # Registry snapshots are taken on the loop and written in worker
        # threads; a version keeps an older snapshot from landing last.
        self.registry_lock = threading.Lock()
        self.registry_taken = 0
        self.registry_written = 0
        director = HelperRecord(
            number=DIRECTOR,
            parent=None,
            budget=config.root_budget,
            model=None,
            token=config.director_token or secrets.token_hex(32),
            status="director",
        )
        self._add(director)
        self.director_token = director.token

    def _add(self, record: HelperRecord) -> None:
        self.helpers[record.number] = record
        self.tokens[record.token] = record.number

    def _forget(self, record: HelperRecord) -> None:
        self.pending_total -= record.pending_bytes
        record.pending.clear()
        record.pending_bytes = 0
        self.helpers.pop(record.number, None)
        self.tokens.pop(record.token, None)
        if record.mailbox is not None:
            record.mailbox.close()
        (self.config.token_dir / f"{record.number}.toml").unlink(missing_ok=True)

    def token_file(self, number: int) -> Path:
        """The private spawn.toml of helper ``number`` (holds its token)."""
        if number == DIRECTOR and self.config.director_config is not None:
            return self.config.director_config
        return self.config.token_dir / f"{number}.toml"

    def _write_token(self, record: HelperRecord) -> None:
        write_helper_config(
            self.token_file(record.number),
            HelperConfig(
                helper=record.number,
                parent=-1 if record.parent is None else record.parent,
                depth=record.budget.depth,
                breadth=record.budget.breadth,
                model=record.model or "",
                token=record.token,
            ),
        )

    def _target(self, value: object) -> HelperRecord:
        if not isinstance(value, int) or isinstance(value, bool):
            raise RequestError("bad-request", "'to'/'helper' must be a helper number")
        record = self.helpers.get(value)
        if record is None:
            raise RequestError("unknown-helper", f"no helper {value} in this session")
        return record

    def _descendant(self, caller: HelperRecord, request: dict[str, Any]) -> HelperRecord:
        record = self._target(request.get("helper"))
        if not is_descendant(record.number, caller.number, self.base):
            raise RequestError(
                "forbidden", f"helper {record.number} is not a descendant of helper {caller.number}"
            )
        return record

    def _home(self, number: int) -> Path | None:
        root = self.config.homes_root
        return None if root is None else root / str(number)

    def _save_state(
        self, record: HelperRecord, peers: list[int] | None = None, status: str | None = None
    ) -> None:
        state = record.summary()
        state.pop("connected")
        if peers is not None:
            state["peers"] = peers
        if status is not None:
            state["status"] = status
        with contextlib.suppress(OSError, HelperError):
            self.config.tree.write_state(record.number, state)

    def registry_snapshot(self) -> tuple[int, list[dict[str, Any]]]:
        """The helpers to record, taken on the loop thread (records change only there)."""
        self.registry_taken += 1
        kept = [r.summary() for n, r in sorted(self.helpers.items()) if n and r.recorded]
        return self.registry_taken, kept

    def write_registry(
        self, snapshot: tuple[int, list[dict[str, Any]]], *, durable: bool = True
    ) -> None:
        """Write a snapshot unless a newer one is already on disk (runs in any thread)."""
        version, helpers = snapshot
        with self.registry_lock:
            if version <= self.registry_written:
                return
            with contextlib.suppress(OSError):  # a full disk must not fail a stop
                write_registry(self.config.registry, helpers, durable=durable)
                self.registry_written = version

    async def record(self, record: HelperRecord | None) -> None:
        """After a change of ``record`` (None: one was removed): its state.json and the registry."""
        snapshot = self.registry_snapshot()
        loop = asyncio.get_running_loop()
        if record is not None:
            await loop.run_in_executor(self.executor, self._save_state, record)
        await loop.run_in_executor(self.executor, self.write_registry, snapshot)


def short_repr(value: object) -> str:
    """A client's value quoted in an error, cut short (replies stay small)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def message_text(request: dict[str, Any]) -> str:
    text = request.get("text")
    if not isinstance(text, str):
        raise RequestError("bad-request", "'text' must be a string")
    if len(text) > MAX_TEXT:
        raise RequestError("bad-request", f"message longer than {MAX_TEXT} characters")
    return text


def optional_int(request: dict[str, Any], key: str) -> int | None:
    value = request.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 64:
        raise RequestError("bad-request", f"{key!r} must be an integer between 0 and 64")
    return value
