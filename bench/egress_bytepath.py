"""Egress proxy byte path, in process: a tunnelled download beside a direct one (ratios).

Run (no engine needed):  .venv/bin/python bench/egress_bytepath.py [--mib 100] [--rounds 5]

A loopback server sends --mib MiB. The same client code downloads it over
TCP directly, then through the proxy's Unix socket with CONNECT, once per
byte path the proxy offers (``Limits.byte_path``), interleaved round by round
so a busy machine slows every side alike. Prints the median ratio per path.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from kanibako.session.egress.config_entries import record
from kanibako.session.egress.decision_log import DecisionLog
from kanibako.session.egress.policy import Policy
from kanibako.session.egress.proxy import EgressProxy, Limits

BLOCK = os.urandom(1 << 20)


def _serve_blobs(listener: socket.socket, mib: int) -> None:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_send_blob, args=(conn, mib), daemon=True).start()


def _send_blob(conn: socket.socket, mib: int) -> None:
    with conn:
        for _ in range(mib):
            conn.sendall(BLOCK)


def _drain(client: socket.socket, expected: int) -> None:
    buffer = bytearray(256 * 1024)
    got = 0
    while got < expected:
        n = client.recv_into(buffer)
        if not n:
            break
        got += n
    assert got == expected, (got, expected)


def _direct(port: int, mib: int) -> float:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as client:
        _drain(client, mib << 20)
    return time.perf_counter() - started


def _tunnelled(path: Path, port: int, mib: int) -> float:
    started = time.perf_counter()
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(path))
        client.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode())
        reply = client.recv(len(b"HTTP/1.1 200 Connection established\r\n\r\n"))
        assert reply.startswith(b"HTTP/1.1 200"), reply
        _drain(client, mib << 20)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    port = listener.getsockname()[1]
    threading.Thread(target=_serve_blobs, args=(listener, options.mib), daemon=True).start()
    work = Path(tempfile.mkdtemp(prefix="egbp-", dir="/tmp"))
    record(work / "project.toml", "allow", f"127.0.0.1:{port}")
    paths = Limits.byte_paths
    proxies = {}
    for name in paths:
        log = DecisionLog(work / f"{name}.jsonl")
        limits = Limits(byte_path=name)
        proxy = EgressProxy(Policy([], [("project", work / "project.toml")]), log, limits).start()
        proxy.listen(work / f"{name}.sock", 0)
        proxies[name] = proxy
    times: dict[str, list[float]] = {"direct": [], **{name: [] for name in paths}}
    for _ in range(options.rounds):
        times["direct"].append(_direct(port, options.mib))
        for name in paths:
            times[name].append(_tunnelled(work / f"{name}.sock", port, options.mib))
    direct = statistics.median(times["direct"])
    print(f"{options.mib} MiB, {options.rounds} rounds: direct median {direct:.3f} s")
    for name in paths:
        ratios = sorted(t / d for t, d in zip(times[name], times["direct"], strict=True))
        print(f"  {name:8} median {statistics.median(times[name]):.3f} s, ratio "
              f"{statistics.median(times[name]) / direct:.2f}x "
              f"(per round {ratios[0]:.2f}-{ratios[-1]:.2f}x)")  # fmt: skip
    for proxy in proxies.values():
        proxy.stop()


if __name__ == "__main__":
    main()
