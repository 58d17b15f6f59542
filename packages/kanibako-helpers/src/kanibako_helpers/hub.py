"""The host hub: an asyncio router for control requests and messages between helpers.

The hub is a security boundary: helpers are untrusted agents. It knows who is
speaking only from the secret token presented in ``hello``, checks budgets and
ancestry itself, bounds every input, and never lets one slow or hostile
connection stall the others. Every routed message is appended to the JSONL log
before it is delivered; messages to a helper whose mailbox is not connected
wait in a bounded queue and are delivered when it connects.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from kanibako_helpers.budget import SpawnBudget
from kanibako_helpers.errors import HelperError
from kanibako_helpers.helper_registry import WAS_RUNNING, read_registry
from kanibako_helpers.hub_connection import Connection
from kanibako_helpers.hub_control import Control
from kanibako_helpers.hub_routing import Routing
from kanibako_helpers.hub_state import (
    HelperRecord,
    HubConfig,
    RequestError,
    short_repr,
)
from kanibako_helpers.log_writer import MessageLog, last_seq
from kanibako_helpers.numbering import DIRECTOR, depth_of, parent_of
from kanibako_helpers.protocol import ROLE_COMMAND, ROLE_MAILBOX
from kanibako_helpers.spawn import RunningHelper

__all__ = ["Connection", "Hub", "HubConfig", "MessageLog", "RequestError", "wait_recorded"]

_CLOSING: dict[Path, threading.Thread] = {}
"""Per registry, the thread still recording the end of the last session in this process."""


def wait_recorded(registry: Path) -> None:
    """Block until the hub that ended last in this process has recorded its helpers stopped.

    A session calls it before it releases the project lock: a registry still
    saying ``running`` after that would read, to the next session, as helpers
    whose session died (``interrupted``).
    """
    closing = _CLOSING.pop(registry, None)
    if closing is not None:
        closing.join()


class Hub(Routing, Control):
    """Session state, routing and control; lives on one event loop, never blocks it."""

    # -- lifecycle --------------------------------------------------------
    def open(self) -> None:
        """Open the log and write the director's token file; load helpers left on disk."""
        self.config.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = MessageLog(self.config.log_path, self.config.max_log_bytes)
        self.seq = last_seq(self.config.log_path)
        self.config.token_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._write_token(self.helpers[DIRECTOR])
        wait_recorded(self.config.registry)  # the last session's "stopped" lands before this reads
        if self.config.load_existing:
            self._load_existing()

    def _load_existing(self) -> None:
        """Helpers of earlier sessions, as stopped records (so they can be respawned).

        A helper the registry still records as running lost its session to a
        crash (a hub that ends records ``stopped``): it loads ``interrupted``,
        and a respawn continues its conversation. Only the hub's own registry says which helpers exist: never the
        helpers' tree (``state.json`` there is the director's to write). Even
        so, each budget is clamped to what the numbering allows below the
        director, and a number whose recorded parent disagrees with the
        numbering is skipped.
        """
        root = self.config.root_budget
        try:
            recorded = read_registry(self.config.registry)
        except HelperError:
            recorded = []  # damaged: the session starts with no helpers to respawn
        for entry in recorded:
            number = entry["helper"]
            parent = parent_of(number, self.base)
            allowed_depth = root.depth - depth_of(number, self.base)
            if parent != entry["parent"] or allowed_depth < 0 or number in self.helpers:
                continue
            self._add(
                HelperRecord(
                    number=number,
                    parent=parent,
                    budget=SpawnBudget(
                        min(entry["depth"], allowed_depth), min(entry["breadth"], root.breadth)
                    ),
                    model=entry["model"] or None,
                    token=secrets.token_hex(32),
                    status="interrupted" if entry["status"] in WAS_RUNNING else "stopped",
                    peers=entry["peers"],
                    recorded=True,
                    command=tuple(entry["command"]),
                )
            )

    def close(self) -> list[RunningHelper]:
        """Drop every connection and the log; returns the helpers still running.

        Their containers end with the session (the caller stops them), so
        their state and the registry say ``stopped`` from here on.
        """
        still_running = [r.running for r in self.helpers.values() if r.running is not None]
        # An interrupted helper nobody respawned stays so: it is still to be brought back.
        ended = [
            r
            for n, r in self.helpers.items()
            if n and r.recorded and r.status not in ("stopped", "interrupted")
        ]
        for record in ended:
            record.status = "stopped"
        if ended:
            # Written beside the stop, not in its way: dozens of files on a
            # busy disk took up to 110 ms. The thread is not a daemon, so the
            # process finishes it before exiting, and a next hub waits for it.
            writer = threading.Thread(
                target=self._record_ended,
                args=(ended, self.registry_snapshot()),
                name="kanibako-hub-closing",
            )
            _CLOSING[self.config.registry] = writer
            writer.start()
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        if self.log is not None:
            self.log.close()
            self.log = None
        self.executor.shutdown(wait=False, cancel_futures=True)
        return still_running

    def _record_ended(
        self, ended: list[HelperRecord], snapshot: tuple[int, list[dict[str, Any]]]
    ) -> None:
        for record in ended:
            self._save_state(record)
        # Not synced: who exists was synced at spawn, and every recorded
        # helper loads as stopped anyway.
        self.write_registry(snapshot, durable=False)

    # -- authentication ---------------------------------------------------
    def hello(self, conn: Connection, request: dict[str, Any], rid: object) -> None:
        token, role = request.get("token"), request.get("role", ROLE_COMMAND)
        number = self.tokens.get(token) if isinstance(token, str) else None
        if number is None:
            conn.reply_error(rid, "auth", "unknown token")
            conn.close()
            return
        if role not in (ROLE_MAILBOX, ROLE_COMMAND):
            conn.strike(rid, f"unknown role {short_repr(role)}")
            return
        record = self.helpers[number]
        if role == ROLE_MAILBOX:
            if record.mailbox is not None:
                conn.reply_error(rid, "registered", f"helper {number} is already registered")
                conn.close()
                return
            record.mailbox = conn
        conn.helper, conn.role = record, role
        conn.send({"ok": True, "id": rid, "helper": number, "role": role})
        if role == ROLE_MAILBOX:
            self.flush_pending(record)

    def disconnected(self, conn: Connection) -> None:
        record = conn.helper
        if record is not None and record.mailbox is conn:
            record.mailbox = None

    # -- dispatch ---------------------------------------------------------
    def dispatch(
        self,
        conn: Connection,
        caller: HelperRecord,
        op: object,
        request: dict[str, Any],
        rid: object,
    ) -> dict[str, Any] | None:
        handler = self._handlers.get(op) if isinstance(op, str) else None
        if handler is None:
            conn.strike(rid, f"unknown op {short_repr(op)}")
            return None
        return handler(self, conn, caller, request, rid)

    def _op_whoami(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> dict[str, Any]:
        return {"helper": caller.number, "budget": [caller.budget.depth, caller.budget.breadth]}

    def _op_list(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> dict[str, Any]:
        return {"helpers": [self.helpers[n].summary() for n in sorted(self.helpers)]}

    _handlers: ClassVar[dict[str, Callable[..., dict[str, Any] | None]]] = {
        "whoami": _op_whoami,
        "list": _op_list,
        "send": Routing._op_send,
        "broadcast": Routing._op_broadcast,
        "spawn": Control._op_spawn,
        "respawn": Control._op_respawn,
        "stop": Control._op_stop,
        "cleanup": Control._op_cleanup,
    }
