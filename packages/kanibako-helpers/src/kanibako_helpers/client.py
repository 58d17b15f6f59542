"""A small blocking client for the hub, used by the CLI on the host and in containers."""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kanibako_helpers.errors import HubRefused, HubUnavailable
from kanibako_helpers.protocol import MAX_LINE, ROLE_COMMAND, ROLE_MAILBOX, encode


class HubClient:
    """One authenticated connection to the hub (``role`` command or mailbox)."""

    def __init__(
        self,
        socket_path: Path,
        token: str,
        role: str = ROLE_COMMAND,
        timeout: float | None = 120.0,
    ) -> None:
        self.socket_path = socket_path
        self._ids = itertools.count(1)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(str(socket_path))
        except OSError as exc:
            self._sock.close()
            raise HubUnavailable(
                f"no helper hub at {socket_path} (is a session running?): {exc.strerror or exc}"
            ) from exc
        self._reader = self._sock.makefile("rb")
        self._early: list[dict[str, Any]] = []
        try:
            hello = self.request("hello", token=token, role=role)
        except BaseException:
            self.close()
            raise
        self.helper: int = int(hello["helper"])

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one request and wait for its reply; a refusal raises HubRefused."""
        rid = next(self._ids)
        self._send({"op": op, "id": rid, **fields})
        while True:
            reply = self._read()
            if reply.get("id") == rid or ("ok" in reply and reply.get("id") is None):
                break
            # A mailbox may receive messages while it waits for a reply.
            self._early.append(reply)
        if not reply.get("ok"):
            raise HubRefused(str(reply.get("error", "refused")), str(reply.get("code", "error")))
        return reply

    def send(self, to: int, text: str) -> int:
        """Send ``text`` to helper ``to``; returns the log sequence number."""
        return int(self.request("send", to=to, text=text)["seq"])

    def broadcast(self, text: str) -> int:
        """Send ``text`` to every other helper of the session."""
        return int(self.request("broadcast", text=text)["seq"])

    def events(self) -> Iterator[dict[str, Any]]:
        """Messages delivered to this mailbox, as they arrive (until the hub closes)."""
        while self._early:
            yield self._early.pop(0)
        while True:
            try:
                yield self._read()
            except HubUnavailable:
                return

    def _send(self, obj: dict[str, Any]) -> None:
        try:
            self._sock.sendall(encode(obj))
        except OSError as exc:
            raise HubUnavailable(f"lost the helper hub: {exc.strerror or exc}") from exc

    def _read(self) -> dict[str, Any]:
        try:
            line = self._reader.readline(MAX_LINE + 2)
        except OSError as exc:
            raise HubUnavailable(f"lost the helper hub: {exc}") from exc
        if not line:
            raise HubUnavailable("the helper hub closed the connection")
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise HubUnavailable("the helper hub sent something that is not JSON") from exc
        if not isinstance(obj, dict):
            raise HubUnavailable("the helper hub sent something that is not an object")
        return obj

    def close(self) -> None:
        """Close the connection."""
        self._reader.close()
        self._sock.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect_mailbox(socket_path: Path, token: str) -> HubClient:
    """Register as the mailbox of the helper ``token`` belongs to (no read timeout)."""
    return HubClient(socket_path, token, role=ROLE_MAILBOX, timeout=None)
