"""Send -> deliver latency of a hub, measured by a sender and a receiver in separate processes.

Used by hub_bench.py. The former measurement ran the 32 senders, the 32
mailboxes and the timer on one asyncio loop in one process: a message's
arrival waited for that loop (a burst of sends, other mailboxes' reads, a
timer rounded up to epoll's millisecond), and every time the loop was
descheduled both ends of the figure stalled together. Measured on the loaded
2-core machine, that loop itself overslept a 0.5 ms sleep by 3.5 ms at p99,
while the hub's own work per message stayed under 0.25 ms at p99.

Here the sender (this process) paces itself on an absolute schedule with
blocking sockets, and the receiver is a child process doing nothing but
epoll on the 32 mailboxes, stamping each message as its bytes are read. Both
ends stamp with CLOCK_MONOTONIC (``perf_counter_ns``), which is one clock for
every process on the machine.

Run as ``hub_latency.py receive SOCKET TOKEN...`` it is that receiver: it
prints READY once every mailbox is registered, then for each ``expect N``
line on stdin prints ``p50 p99 count`` (ms) of the next N messages.
"""

from __future__ import annotations

import json
import selectors
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _hello(path: str, token: str, role: str) -> socket.socket:
    """A connection that said hello as ``role``; retried while an old mailbox lingers."""
    for _ in range(500):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        sock.sendall(json.dumps({"op": "hello", "token": token, "role": role}).encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        if reply and json.loads(reply).get("ok"):
            return sock
        sock.close()
        time.sleep(0.01)  # the previous mailbox's disconnect is not processed yet
    raise RuntimeError(f"hello as {role} refused: {reply!r}")


def _receive(path: str, tokens: list[str]) -> None:
    selector = selectors.DefaultSelector()
    partial: dict[socket.socket, bytes] = {}
    for token in tokens:
        sock = _hello(path, token, "mailbox")
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, sock)
        partial[sock] = b""
    print("READY", flush=True)
    for command in sys.stdin:
        wanted = int(command.split()[1])
        latencies: list[float] = []
        while len(latencies) < wanted:
            for key, _ in selector.select():
                ready: socket.socket = key.data
                data = ready.recv(1 << 16)
                now = time.perf_counter_ns()
                *lines, partial[ready] = (partial[ready] + data).split(b"\n")
                latencies.extend((now - int(json.loads(line)["text"])) / 1e6 for line in lines)
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(f"{statistics.median(latencies)} {p99} {len(latencies)}", flush=True)


class Probe:
    """A receiver process with every mailbox of one hub, and this process's 32 senders."""

    def __init__(self, path: Path, tokens: list[str]) -> None:
        self.receiver = subprocess.Popen(
            [sys.executable, __file__, "receive", str(path), *tokens],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.receiver.stdin is not None and self.receiver.stdout is not None
        self.commands, self.answers = self.receiver.stdin, self.receiver.stdout
        if self.answers.readline().strip() != "READY":
            raise RuntimeError("the latency receiver did not start")
        # Sends carry no id, so the hub sends no reply for anyone to read.
        self.senders = [_hello(str(path), token, "command") for token in tokens]

    def round(self, rate: int, seconds: float) -> tuple[float, float]:
        """p50 and p99 (ms) of one round at a steady ``rate``, on an absolute schedule."""
        total = int(rate * seconds)
        self.commands.write(f"expect {total}\n")
        self.commands.flush()
        interval = 1e9 / rate
        begin = time.perf_counter_ns()
        for sent in range(total):
            ahead = begin + sent * interval - time.perf_counter_ns()
            if ahead > 0:
                time.sleep(ahead / 1e9)
            to = (sent + 1) % len(self.senders) + 1
            stamp = time.perf_counter_ns()
            self.senders[sent % len(self.senders)].sendall(
                b'{"op":"send","to":%d,"text":"%d"}\n' % (to, stamp)
            )
        p50, p99, _ = self.answers.readline().split()
        return float(p50), float(p99)

    def close(self) -> None:
        for sock in self.senders:
            sock.close()
        self.receiver.kill()
        self.receiver.wait()


def interleaved(
    paths: dict[str, Path], tokens: dict[str, list[str]], rate: int, seconds: float, rounds: int
) -> dict[str, dict[str, Any]]:
    """Latency of each hub, their rounds taken in turn: a burst of other load hits all alike.

    Per hub: the median round's p50 and p99, and every round's p99.
    """
    probes = {kind: Probe(path, tokens[kind]) for kind, path in paths.items()}
    try:
        figures: dict[str, list[tuple[float, float]]] = {kind: [] for kind in probes}
        for _ in range(rounds):
            for kind, probe in probes.items():
                figures[kind].append(probe.round(rate, seconds))
    finally:
        for probe in probes.values():
            probe.close()
    return {
        kind: {
            "p50": statistics.median(p50 for p50, _ in rows),
            "p99": statistics.median(p99 for _, p99 in rows),
            "p99_rounds": [p99 for _, p99 in rows],
        }
        for kind, rows in figures.items()
    }


if __name__ == "__main__" and sys.argv[1:2] == ["receive"]:
    _receive(sys.argv[2], sys.argv[3:])
