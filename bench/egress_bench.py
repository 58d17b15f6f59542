"""Egress proxy: download speed from inside the box vs the host, parallel requests, idle memory.

Run (real engine, so under the shared lock; medians of --rounds downloads each side):
    flock /tmp/kanibako-engine.lock .venv/bin/python bench/egress_bench.py [--mib 100]

1. A 100 MiB download from a server on the host (allowed as IP:port), made
   from inside a real session through the forwarder and the proxy, beside the
   same download made on the host directly by the same client code: the ratio
   (goal <= 3x). The rounds alternate (the box asks the host for its round
   between its own) after one warm-up each, so both sides meet the same load.
2. 50 parallel requests from inside the box: how many were served (goal: all).
3. The proxy's memory with 1,000 idle tunnels open (in this process, on its
   Unix socket, to a loopback server): RSS growth in total and per connection.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

KANIBAKO = str(Path(sys.executable).with_name("kanibako"))
IMAGE = "localhost/kanibako-test-python:latest"
CHUNK = 256 * 1024
BLOCK = os.urandom(1024 * 1024)

# Runs inside the box: the timed download and the parallel requests.
_IN_BOX = r"""
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
port, size, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def download(path):
    got = 0
    with urllib.request.urlopen(f"http://127.0.0.2:{port}{path}", timeout=60) as reply:
        while chunk := reply.read(256 * 1024):
            got += len(chunk)
    return got
def timed():
    started = time.perf_counter()
    got = download(f"/blob/{size}")
    return got, time.perf_counter() - started
timed()  # warm-up, not counted: the first tunnel and the first pages
seconds, host = [], []
for _ in range(rounds):
    # The host's own download of this round, taken while this box waits.
    host.append(float(urllib.request.urlopen(f"http://127.0.0.2:{port}/host/{size}").read()))
    got, took = timed()
    seconds.append(took)
with ThreadPoolExecutor(50) as pool:
    sizes = list(pool.map(lambda n: download(f"/blob/1?{n}"), range(50)))
print(json.dumps({"bytes": got, "seconds": seconds, "host": host,
                  "parallel_ok": sizes.count(1 << 20)}))
"""


class _Blob(BaseHTTPRequestHandler):
    """GET /blob/N: N MiB of random bytes; GET /host/N: the host's own download of N MiB."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        mib = int(self.path.split("?")[0].rsplit("/", 1)[1])
        if self.path.startswith("/host/"):
            # The box asks between its rounds, so host and box rounds alternate
            # and a burst of other load on the machine meets both sides alike.
            body = repr(_host_download(self.server.server_address[1], mib)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(mib << 20))
        self.send_header("Connection", "close")
        self.end_headers()
        for _ in range(mib):
            self.wfile.write(BLOCK)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _host_download(port: int, mib: int) -> float:
    started = time.perf_counter()
    got = 0
    with urllib.request.urlopen(f"http://127.0.0.2:{port}/blob/{mib}", timeout=60) as reply:
        while chunk := reply.read(CHUNK):
            got += len(chunk)
    assert got == mib << 20
    return time.perf_counter() - started


def _box_run(port: int, mib: int, rounds: int, image: str, root: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "HOME": str(root),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")),
    }
    project = root / "proj"
    project.mkdir(parents=True)
    (project / "bench.py").write_text(_IN_BOX)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KANIBAKO, "-p", str(project), *args],
            env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
            timeout=600,
        )  # fmt: skip

    allowed = run("net", "allow", f"127.0.0.2:{port}")
    assert allowed.returncode == 0, allowed.stderr
    done = run("shell", "--no-helpers", "-i", image, "-c",
               f"python3 /home/agent/workspace/bench.py {port} {mib} {rounds}")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["bytes"] == mib << 20
    return result


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _idle_memory(connections: int) -> tuple[int, int]:
    """(RSS growth KiB, connections held) with ``connections`` idle tunnels through the proxy."""
    from kanibako.session.egress.config_entries import record
    from kanibako.session.egress.decision_log import DecisionLog
    from kanibako.session.egress.policy import Policy
    from kanibako.session.egress.proxy import EgressProxy, Limits

    listener = socket.create_server(("127.0.0.1", 0), backlog=2048)
    accepted: list[socket.socket] = []

    def accept_all() -> None:
        for _ in range(connections):
            accepted.append(listener.accept()[0])

    threading.Thread(target=accept_all, daemon=True).start()
    port = listener.getsockname()[1]
    work = Path(tempfile.mkdtemp(prefix="egb-", dir="/tmp"))
    record(work / "project.toml", "allow", f"127.0.0.1:{port}")
    log = DecisionLog(work / "log.jsonl")
    proxy = EgressProxy(Policy([], [("project", work / "project.toml")]), log, Limits()).start()
    proxy.listen(work / "e0.sock", 0)
    clients = []
    before = _rss_kib()
    for _ in range(connections):
        client = socket.socket(socket.AF_UNIX)
        client.connect(str(work / "e0.sock"))
        client.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode())
        clients.append(client)
    held = sum(c.recv(100).startswith(b"HTTP/1.1 200") for c in clients)
    time.sleep(0.5)
    grown = _rss_kib() - before
    for client in clients:
        client.close()
    proxy.stop()
    log.close()
    return grown, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=100)
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    server = ThreadingHTTPServer(("0.0.0.0", 0), _Blob)  # noqa: S104 - the box reaches it via the proxy
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    _host_download(port, options.mib)  # warm-up, as the box has one
    with tempfile.TemporaryDirectory(prefix="kanibako-egress-bench-") as tmp:
        box = _box_run(port, options.mib, options.rounds, options.image, Path(tmp))
    server.shutdown()
    grown, held = _idle_memory(options.idle)
    host, seconds = box["host"], box["seconds"]
    host_median, box_median = statistics.median(host), statistics.median(seconds)
    print(f"download {options.mib} MiB, median of {options.rounds} rounds taken in turn: "
          f"host {host_median:.3f} s, box via proxy {box_median:.3f} s, "
          f"ratio {box_median / host_median:.2f}x "
          f"(best of each: {min(seconds) / min(host):.2f}x; goal <= 3x)")  # fmt: skip
    rounds = ", ".join(f"{b / h:.2f}" for h, b in zip(host, seconds, strict=True))
    print(f"  per round box/host: {rounds}")
    print(f"parallel: {box['parallel_ok']:.0f}/50 requests served (goal 50)")
    print(f"idle: {held}/{options.idle} tunnels held, proxy RSS +{grown / 1024:.1f} MiB "
          f"({grown / max(held, 1):.1f} KiB each)")  # fmt: skip


if __name__ == "__main__":
    main()
