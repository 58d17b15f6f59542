"""The reference hub of hub_bench.py: one thread per connection, synchronous routing.

It logs then delivers each message under one lock, as the simplest correct
design would; the asyncio hub is compared against it in the same run. The
pass-through "hub" is the floor: what two wakeups across processes cost on
this machine right now, with no parsing and no log.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar

HELPERS = 32


class _ThreadedHub:
    """Reference: one thread per connection, synchronous log-then-deliver routing."""

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "hub.sock"
        self.log = (workdir / "log.jsonl").open("ab")
        self.lock = threading.Lock()
        self.mailboxes: dict[int, socket.socket] = {}
        self.seq = 0
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(self.path))
        self.server.listen(128)

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        me = -1
        for line in reader:
            request = json.loads(line)
            if request["op"] == "hello":
                me = int(request["token"])
                if request.get("role") == "mailbox":
                    self.mailboxes[me] = conn
                conn.sendall(json.dumps({"ok": True, "helper": me}).encode() + b"\n")
                continue
            with self.lock:
                self.seq += 1
                entry = {"seq": self.seq, "ts": time.time(), "from": me, "to": request["to"]}
                entry["text"] = request["text"]
                data = json.dumps(entry).encode() + b"\n"
                self.log.write(data)
                self.log.flush()
                target = self.mailboxes.get(request["to"])
                if target is not None:
                    try:
                        target.sendall(b'{"event":"message",' + data[1:])
                    except OSError:  # a mailbox that went away: forget it, as a hub must
                        self.mailboxes.pop(request["to"], None)


def _write_tokens(workdir: Path) -> None:
    """Token files as the bench's clients read them; a reference hub's token is the number."""
    tokens = workdir / "tokens"
    tokens.mkdir()
    for n in range(1, HELPERS + 1):
        (tokens / f"{n}.toml").write_text(f'token = "{n}"\n')


def serve_threaded(workdir: Path) -> None:
    hub = _ThreadedHub(workdir)
    _write_tokens(workdir)
    threading.Thread(target=hub.serve, daemon=True).start()
    print("READY", flush=True)
    for line in sys.stdin:
        if line.strip() == "stop":
            hub.server.close()
            print("STOPPED 0 True", flush=True)
            return


class _PassThrough(asyncio.Protocol):
    """The floor: forwards each line to the mailbox it names, with no JSON, checks or log."""

    mailboxes: ClassVar[dict[int, asyncio.Transport]] = {}

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.partial = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        *lines, self.partial = (self.partial + data).split(b"\n")
        for line in lines:
            if b'"hello"' in line:
                request = json.loads(line)
                if request.get("role") == "mailbox":
                    assert self.transport is not None
                    self.mailboxes[int(request["token"])] = self.transport
                assert self.transport is not None
                self.transport.write(b'{"ok":true}\n')
                continue
            start = line.index(b'"to":') + 5
            while line[start : start + 1] == b" ":
                start += 1
            end = start
            while line[end : end + 1].isdigit():
                end += 1
            target = self.mailboxes.get(int(line[start:end]))
            if target is not None and not target.is_closing():
                target.write(b'{"event":"message",' + line[1:] + b"\n")


def serve_bare(workdir: Path) -> None:
    """The pass-through floor, serving until stdin says stop."""
    _write_tokens(workdir)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_unix_server(_PassThrough, str(workdir / "hub.sock"))
        print("READY", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        server.close()
        print("STOPPED 0 True", flush=True)

    asyncio.run(serve())
