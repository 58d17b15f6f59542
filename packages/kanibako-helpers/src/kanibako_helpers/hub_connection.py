"""One client connection to the hub: line framing, strikes, authentication, flow control."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from kanibako_helpers.errors import HelperError
from kanibako_helpers.hub_state import HelperRecord, RequestError
from kanibako_helpers.protocol import (
    MAX_CONNECTIONS,
    MAX_LINE,
    MAX_STRIKES,
    ROLE_MAILBOX,
    encode,
)

if TYPE_CHECKING:
    from kanibako_helpers.hub import Hub

_WRITE_HIGH_WATER = 1024 * 1024
_ROUTING_OPS = frozenset({"send", "broadcast"})


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
