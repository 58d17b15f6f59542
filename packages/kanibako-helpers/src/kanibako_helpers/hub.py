"""The host hub: an asyncio router for control requests and messages between helpers.

The hub is a security boundary: helpers are untrusted agents. It knows who is
speaking only from the secret token presented in ``hello``, checks budgets and
ancestry itself, bounds every input, and never lets one slow or hostile
connection stall the others. Every routed message is appended to the JSONL log
before it is delivered; messages to a helper whose mailbox is not connected
wait in a bounded queue and are delivered when it connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from kanibako_helpers.budget import SpawnBudget, child_budget, free_child_number
from kanibako_helpers.errors import BudgetExceeded, HelperError
from kanibako_helpers.helper_config import HelperConfig, write_helper_config
from kanibako_helpers.layout import (
    CONTAINER_HELPERS,
    CONTAINER_HOME,
    CONTAINER_LOG,
    CONTAINER_SOCKET,
    INIT_SCRIPT_NAME,
    HelperTree,
)
from kanibako_helpers.numbering import DIRECTOR, depth_of, is_descendant, parent_of
from kanibako_helpers.protocol import (
    MAX_CONNECTIONS,
    MAX_LINE,
    MAX_STRIKES,
    MAX_TEXT,
    ROLE_COMMAND,
    ROLE_MAILBOX,
    encode,
)
from kanibako_helpers.spawn import BindMount, RunningHelper, Spawner, SpawnRequest

_WRITE_HIGH_WATER = 1024 * 1024
_MAX_COMMAND_WORDS = 256
_ROUTING_OPS = frozenset({"send", "broadcast"})
_MODEL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}")


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
    """Where each helper's own persistent home (``/home/agent``) lives; None: the image's."""

    @property
    def base(self) -> int:
        """The numbering base: the director's breadth (at least 1)."""
        return max(1, self.root_budget.breadth)


class MessageLog:
    """The JSONL log, appended with one write per batch of routed messages."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.pending: list[bytes] = []

    def add(self, line: bytes) -> None:
        self.pending.append(line)

    def flush(self) -> bool:
        """Write what was added; False (and nothing kept) when the disk refuses."""
        if not self.pending:
            return True
        data = memoryview(b"".join(self.pending))
        self.pending.clear()
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:
            return False
        return True

    def close(self) -> None:
        self.flush()
        os.close(self.fd)


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
        }


class Connection(asyncio.Protocol):
    """One client connection: line framing, strikes, authentication, flow control."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.transport: asyncio.WriteTransport | None = None
        self.buffer = bytearray()
        self.discarding = False
        self.strikes = 0
        self.helper: HelperRecord | None = None
        self.role: str | None = None
        self.paused = False
        self.closed = False

    # -- asyncio callbacks ------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not isinstance(transport, asyncio.WriteTransport):
            raise TypeError("the hub serves stream transports only")
        self.transport = transport
        if len(self.hub.connections) >= MAX_CONNECTIONS:
            # A flood of connections must not exhaust the hub's descriptors.
            self.send({"ok": False, "id": None, "code": "busy", "error": "too many connections"})
            self.close()
            return
        transport.set_write_buffer_limits(high=_WRITE_HIGH_WATER)
        self.hub.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.hub.connections.discard(self)
        self.hub.disconnected(self)

    def pause_writing(self) -> None:
        self.paused = True
        if self.transport is not None:
            # A client that does not read what we send waits for itself: its
            # requests are not read (its messages queue, bounded, meanwhile).
            self.transport.pause_reading()  # type: ignore[attr-defined]

    def resume_writing(self) -> None:
        self.paused = False
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()  # type: ignore[attr-defined]
        if self.role == ROLE_MAILBOX and self.helper is not None:
            self.hub.flush_pending(self.helper)

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        start = 0
        if self.discarding:
            end = buf.find(b"\n")
            if end < 0:
                buf.clear()
                return
            start = end + 1
            self.discarding = False
        hub = self.hub
        try:
            while not self.closed:
                end = buf.find(b"\n", start)
                if end < 0:
                    break
                if end - start > MAX_LINE:
                    self.strike(None, f"line longer than {MAX_LINE} bytes")
                else:
                    self.handle_line(bytes(buf[start:end]))
                start = end + 1
            del buf[:start]
            if len(buf) > MAX_LINE and not self.closed:
                # Never hold more than one line's worth: drop until the next newline.
                buf.clear()
                self.discarding = True
                self.strike(None, f"line longer than {MAX_LINE} bytes")
        finally:
            hub.end_batch()

    # -- requests ---------------------------------------------------------
    def handle_line(self, line: bytes) -> None:
        request = self.parse(line)
        if request is None:
            return
        rid = request.get("id")
        if not (isinstance(rid, int | str) and not isinstance(rid, bool)) or (
            isinstance(rid, str) and len(rid) > 64
        ):
            rid = None
        op = request.get("op")
        if self.helper is None:
            if op != "hello":
                self.strike(rid, "say hello (with your token) first")
                return
            self.hub.hello(self, request, rid)
            return
        try:
            reply = self.hub.dispatch(self, self.helper, op, request, rid)
        except RequestError as exc:
            self.reply_error(rid, exc.code, str(exc))
            return
        except (HelperError, OSError) as exc:
            self.reply_error(rid, "failed", str(exc))
            return
        if reply is not None and rid is not None:
            # A confirmed message is already on record.
            if op not in _ROUTING_OPS or self.hub.flush_log():
                self.send({"ok": True, "id": rid, **reply})
            else:
                self.reply_error(rid, "failed", "the message log cannot be written")

    def parse(self, line: bytes) -> dict[str, Any] | None:
        """The request on ``line``, or None after striking a malformed one."""
        if not line.strip():
            return None
        try:
            request = json.loads(line)
        except (ValueError, RecursionError):
            self.strike(None, "invalid JSON")
            return None
        if not isinstance(request, dict):
            self.strike(None, "a request must be a JSON object")
            return None
        return request

    def strike(self, rid: object, message: str) -> None:
        self.strikes += 1
        self.reply_error(rid, "bad-request", message)
        if self.strikes >= MAX_STRIKES:
            self.close()

    def reply_error(self, rid: object, code: str, message: str) -> None:
        self.send({"ok": False, "id": rid, "code": code, "error": message})

    def send(self, obj: dict[str, Any]) -> None:
        self.write(encode(obj))

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()


class Hub:
    """Session state and routing; lives on one event loop, never blocks it."""

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
        director = HelperRecord(
            number=DIRECTOR,
            parent=None,
            budget=config.root_budget,
            model=None,
            token=secrets.token_hex(32),
            status="director",
        )
        self._add(director)
        self.director_token = director.token

    # -- lifecycle --------------------------------------------------------
    def open(self) -> None:
        """Open the log and write the director's token file; load helpers left on disk."""
        self.config.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = MessageLog(self.config.log_path)
        self.seq = _last_seq(self.config.log_path)
        self.config.token_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._write_token(self.helpers[DIRECTOR])
        if self.config.load_existing:
            self._load_existing()

    def _load_existing(self) -> None:
        """Helpers of earlier sessions, as stopped records (so they can be respawned).

        state.json lies in a tree the helper itself can write, so nothing in it
        is trusted: the budget is clamped to what the numbering allows below
        the director, and a model that is not a plain name is dropped.
        """
        tree = self.config.tree
        root = self.config.root_budget
        for number in tree.existing_helpers():
            state = tree.read_state(number)
            parent = parent_of(number, self.base) if number else None
            if state is None or parent is None or number in self.helpers:
                continue
            allowed_depth = root.depth - depth_of(number, self.base)
            depth, breadth = state.get("depth"), state.get("breadth")
            if allowed_depth < 0 or not (isinstance(depth, int) and isinstance(breadth, int)):
                continue
            model = state.get("model")
            if not (isinstance(model, str) and _MODEL_PATTERN.fullmatch(model)):
                model = None
            self._add(
                HelperRecord(
                    number=number,
                    parent=parent,
                    budget=SpawnBudget(
                        min(max(0, depth), allowed_depth), min(max(0, breadth), root.breadth)
                    ),
                    model=model,
                    token=secrets.token_hex(32),
                    status="stopped",
                    peers=[p for p in state.get("peers", []) if isinstance(p, int)],
                )
            )

    def close(self) -> list[RunningHelper]:
        """Drop every connection and the log; returns the helpers still running."""
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        if self.log is not None:
            self.log.close()
            self.log = None
        self.executor.shutdown(wait=False, cancel_futures=True)
        return [r.running for r in self.helpers.values() if r.running is not None]

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

    # -- authentication ---------------------------------------------------
    def hello(self, conn: Connection, request: dict[str, Any], rid: object) -> None:
        token, role = request.get("token"), request.get("role", ROLE_COMMAND)
        number = self.tokens.get(token) if isinstance(token, str) else None
        if number is None:
            conn.reply_error(rid, "auth", "unknown token")
            conn.close()
            return
        if role not in (ROLE_MAILBOX, ROLE_COMMAND):
            conn.strike(rid, f"unknown role {_short(role)}")
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
            conn.strike(rid, f"unknown op {_short(op)}")
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

    def _op_send(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> dict[str, Any]:
        text = _text(request)
        target = self._target(request.get("to"))
        seq = self._route(caller.number, [target], target.number, text)
        return {"seq": seq}

    def _op_broadcast(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> dict[str, Any]:
        text = _text(request)
        targets = [r for n, r in self.helpers.items() if n != caller.number]
        seq = self._route(caller.number, targets, "*", text)
        return {"seq": seq, "recipients": len(targets)}

    def _op_spawn(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> None:
        if self.spawner is None:
            raise RequestError("unavailable", "this session cannot spawn helpers")
        depth, breadth = _opt_int(request, "depth"), _opt_int(request, "breadth")
        model = request.get("model")
        if model is not None and (
            not isinstance(model, str) or _MODEL_PATTERN.fullmatch(model) is None
        ):
            raise RequestError("bad-request", "model must be a short name like 'sonnet'")
        try:
            budget = child_budget(caller.budget, depth, breadth)
            number = free_child_number(caller.number, caller.budget, self.helpers, self.base)
        except BudgetExceeded as exc:
            raise RequestError("budget", str(exc)) from exc
        record = HelperRecord(
            number=number,
            parent=caller.number,
            budget=budget,
            model=model or caller.model,
            token=secrets.token_hex(32),
            status="spawning",
            command=_command(request),
        )
        self._add(record)
        self._start(conn, rid, record, fresh=True)

    def _op_respawn(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> None:
        record = self._descendant(caller, request)
        if record.status not in ("stopped", "failed"):
            raise RequestError("state", f"helper {record.number} is {record.status}")
        if self.spawner is None:
            raise RequestError("unavailable", "this session cannot spawn helpers")
        # A fresh token: whatever held the old one is not the new container.
        self.tokens.pop(record.token, None)
        record.token = secrets.token_hex(32)
        self.tokens[record.token] = record.number
        record.status = "spawning"
        self._start(conn, rid, record, fresh=False)

    def _op_stop(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> None:
        record = self._descendant(caller, request)
        if record.status not in ("running", "failed"):
            raise RequestError("state", f"helper {record.number} is {record.status}")
        self._background(conn, rid, self._stop_records([record], remove=False))

    def _op_cleanup(
        self, conn: Connection, caller: HelperRecord, request: dict[str, Any], rid: object
    ) -> None:
        record = self._descendant(caller, request)
        below = [
            r for r in self.helpers.values() if is_descendant(r.number, record.number, self.base)
        ]
        if below and request.get("cascade") is not True:
            raise RequestError(
                "state",
                f"helper {record.number} has {len(below)} helper(s) below it; use --cascade",
            )
        if record.status == "spawning" or any(r.status == "spawning" for r in below):
            raise RequestError("state", f"helper {record.number} is still spawning")
        # Deepest first, so no helper outlives its parent's directory.
        ordered = [*sorted(below, key=lambda r: -r.number), record]
        self._background(conn, rid, self._stop_records(ordered, remove=True))

    _handlers: ClassVar[dict[str, Callable[..., dict[str, Any] | None]]] = {
        "whoami": _op_whoami,
        "list": _op_list,
        "send": _op_send,
        "broadcast": _op_broadcast,
        "spawn": _op_spawn,
        "respawn": _op_respawn,
        "stop": _op_stop,
        "cleanup": _op_cleanup,
    }

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

    # -- routing ----------------------------------------------------------
    def _route(self, sender: int, targets: list[HelperRecord], to: int | str, text: str) -> int:
        self.seq += 1
        entry = {"seq": self.seq, "ts": round(time.time(), 6), "from": sender, "to": to}
        entry["text"] = text
        line = encode(entry)
        if self.log is not None:
            self.log.add(line)
        event = b'{"event":"message",' + line[1:]
        self.deliveries.extend((record, event) for record in targets)
        return self.seq

    def end_batch(self) -> None:
        """Flush the log for everything routed in this batch, then deliver it."""
        self.flush_log()
        if not self.ready:
            return
        deliveries, self.ready = self.ready, []
        for record, event in deliveries:
            mailbox = record.mailbox
            if mailbox is not None and not mailbox.paused and not record.pending:
                mailbox.write(event)
            else:
                self._enqueue(record, event)

    def flush_log(self) -> bool:
        """Push buffered log lines to the file (one write for a whole batch); False on failure."""
        logged = self.log is None or self.log.flush()
        if logged:
            self.ready.extend(self.deliveries)
        # Messages that did not reach the log are not delivered either.
        self.deliveries.clear()
        return logged

    def _enqueue(self, record: HelperRecord, event: bytes) -> None:
        record.pending.append(event)
        record.pending_bytes += len(event)
        self.pending_total += len(event)
        while record.pending_bytes > self.config.max_pending_bytes:
            self._drop_oldest(record)
        if self.pending_total > self.config.max_pending_total:
            # Rare: trim the longest queues first until the whole hub fits again.
            by_size = sorted(self.helpers.values(), key=lambda r: -r.pending_bytes)
            for victim in by_size:
                while victim.pending and self.pending_total > self.config.max_pending_total:
                    self._drop_oldest(victim)

    def _drop_oldest(self, record: HelperRecord) -> None:
        # Memory stays bounded; the log keeps the record of what was dropped.
        size = len(record.pending.popleft())
        record.pending_bytes -= size
        self.pending_total -= size
        record.dropped += 1

    def flush_pending(self, record: HelperRecord) -> None:
        """Deliver queued messages to ``record``'s mailbox while it keeps up."""
        mailbox = record.mailbox
        if mailbox is None:
            return
        if record.dropped:
            mailbox.send({"event": "dropped", "count": record.dropped})
            record.dropped = 0
        while record.pending and not mailbox.paused and not mailbox.closed:
            event = record.pending.popleft()
            record.pending_bytes -= len(event)
            self.pending_total -= len(event)
            mailbox.write(event)

    # -- spawning and stopping (blocking work runs in a worker thread) -----
    def _background(self, conn: Connection, rid: object, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            self._answer(conn, rid, work)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, conn: Connection, rid: object, work: Any) -> None:
        try:
            reply = await work
        except RequestError as exc:
            conn.reply_error(rid, exc.code, str(exc))
        except Exception as exc:  # the spawner is foreign code: report, never crash the hub
            conn.reply_error(rid, "failed", str(exc) or type(exc).__name__)
        else:
            conn.send({"ok": True, "id": rid, **reply})

    def _start(self, conn: Connection, rid: object, record: HelperRecord, fresh: bool) -> None:
        self._background(conn, rid, self._spawn(record, fresh))

    async def _spawn(self, record: HelperRecord, fresh: bool) -> dict[str, Any]:
        parent = record.parent if record.parent is not None else DIRECTOR
        siblings = [
            r.number for r in self.helpers.values() if r.parent == parent and r is not record
        ]
        loop = asyncio.get_running_loop()
        try:
            running, peers = await loop.run_in_executor(
                self.executor, self._spawn_blocking, record, siblings
            )
        except BaseException:
            if fresh:
                self._forget(record)
            else:
                record.status = "failed"
            raise
        if self.helpers.get(record.number) is not record:
            # Cleaned up while starting: do not leave the container behind.
            await loop.run_in_executor(self.executor, running.stop)
            raise RequestError("state", f"helper {record.number} was removed while starting")
        record.running, record.peers, record.status = running, peers, "running"
        for peer in peers:
            other = self.helpers.get(peer)
            if other is not None and record.number not in other.peers:
                other.peers.append(record.number)
        await loop.run_in_executor(self.executor, self._save_state, record)
        return {"helper": record.number}

    def _spawn_blocking(
        self, record: HelperRecord, siblings: list[int]
    ) -> tuple[RunningHelper, list[int]]:
        if self.spawner is None:
            raise RequestError("unavailable", "this session cannot spawn helpers")
        tree = self.config.tree
        parent = record.parent if record.parent is not None else DIRECTOR
        with self.tree_lock:  # concurrent spawns share channel directories
            peers = tree.create_helper(
                record.number,
                parent,
                record.budget,
                record.model,
                siblings,
                self.config.init_script,
            )
        self._write_token(record)
        self._save_state(record, peers=peers, status="starting")
        inside = f"{CONTAINER_HELPERS}/{record.number}"
        home = self._home(record.number)
        homes: list[BindMount] = []
        if home is not None:
            # The helper's own writable home: an image's /home/agent is not
            # writable by the host user a rootless (keep-id) container runs as.
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
            homes.append(BindMount(home, CONTAINER_HOME))
        mounts = [
            *homes,
            *tree.mounts_for(record.number, peers),
            BindMount(self.token_file(record.number), f"{inside}/spawn.toml", read_only=True),
            BindMount(self.config.socket_path, CONTAINER_SOCKET),
            BindMount(self.config.log_path, CONTAINER_LOG, read_only=True),
            *self.config.common_mounts,
        ]
        env = dict(self.config.common_env)
        env |= {
            "KANIBAKO_HELPER": str(record.number),
            "KANIBAKO_HELPER_CONFIG": f"{inside}/spawn.toml",
            "KANIBAKO_HUB_SOCKET": CONTAINER_SOCKET,
            "KANIBAKO_HELPER_LOG": CONTAINER_LOG,
        }
        if record.model:
            env["KANIBAKO_MODEL"] = record.model
        request = SpawnRequest(
            helper=record.number,
            parent=parent,
            depth=record.budget.depth,
            breadth=record.budget.breadth,
            model=record.model,
            container_name=f"{self.config.container_prefix}-{record.number}",
            mounts=tuple(mounts),
            env=env,
            command=("/bin/sh", f"{inside}/playbook/scripts/{INIT_SCRIPT_NAME}"),
            agent_command=record.command,
        )
        return self.spawner(request), peers

    def _remove_tree(self, number: int) -> None:
        with self.tree_lock:
            self.config.tree.remove_helper(number)
            home = self._home(number)
            if home is not None and home.is_dir() and not home.is_symlink():
                shutil.rmtree(home)

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

    async def _stop_records(self, records: list[HelperRecord], remove: bool) -> dict[str, Any]:
        """Stop every container at once, then record the outcome (and remove, deepest first)."""
        loop = asyncio.get_running_loop()
        stops = []
        for record in records:
            running, record.running = record.running, None
            record.status = "stopping"
            if record.mailbox is not None:
                record.mailbox.close()
            if running is not None:
                stops.append((record, loop.run_in_executor(self.executor, running.stop)))
        outcomes = await asyncio.gather(*(f for _, f in stops), return_exceptions=True)
        failed = {
            record.number: outcome
            for (record, _), outcome in zip(stops, outcomes, strict=True)
            if isinstance(outcome, BaseException)
        }
        done = []
        for record in records:
            if record.number in failed:
                record.status = "failed"
                await loop.run_in_executor(self.executor, self._save_state, record)
                continue
            if remove:
                self._forget(record)
                for other in self.helpers.values():
                    if record.number in other.peers:
                        other.peers.remove(record.number)
                await loop.run_in_executor(self.executor, self._remove_tree, record.number)
            else:
                record.status = "stopped"
                await loop.run_in_executor(self.executor, self._save_state, record)
            done.append(record.number)
        if failed:
            reasons = "; ".join(f"helper {n}: {exc}" for n, exc in sorted(failed.items()))
            raise RequestError("failed", f"could not stop {reasons}")
        return {"helpers": done}


def _short(value: object) -> str:
    """A client's value quoted in an error, cut short (replies stay small)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(request: dict[str, Any]) -> str:
    text = request.get("text")
    if not isinstance(text, str):
        raise RequestError("bad-request", "'text' must be a string")
    if len(text) > MAX_TEXT:
        raise RequestError("bad-request", f"message longer than {MAX_TEXT} characters")
    return text


def _command(request: dict[str, Any]) -> tuple[str, ...]:
    """The ``command`` of a spawn request: a short list of strings, or nothing."""
    value = request.get("command")
    if value is None:
        return ()
    if (
        not isinstance(value, list)
        or not value
        or len(value) > _MAX_COMMAND_WORDS
        or not all(isinstance(word, str) and "\0" not in word for word in value)
        or sum(len(word) for word in value) > MAX_TEXT
    ):
        raise RequestError("bad-request", "command must be a short, non-empty list of strings")
    return tuple(value)


def _opt_int(request: dict[str, Any], key: str) -> int | None:
    value = request.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 64:
        raise RequestError("bad-request", f"{key!r} must be an integer between 0 and 64")
    return value


def _last_seq(log_path: Path) -> int:
    """The sequence number of the log's last entry, so numbering continues across sessions."""
    try:
        with log_path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - 2 * MAX_LINE))
            tail = handle.read().splitlines()
    except OSError:
        return 0
    for raw in reversed(tail):
        try:
            seq = json.loads(raw).get("seq")
        except (ValueError, AttributeError):
            continue
        if isinstance(seq, int):
            return seq
    return 0
