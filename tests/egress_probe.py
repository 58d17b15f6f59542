"""Run inside a session container (by the image's python3): attacks the way out, prints JSON.

Usage: python3 egress_probe.py PORT HOST_ADDRESS... ; each line printed is one
``{"check": ..., "result": ...}``. The host's test reads them and decides.
Live-allow handshake: writes ``ready`` to the workspace, waits for ``go``.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

PROXY = ("127.0.0.1", 3128)
WORKSPACE = Path("/home/agent/workspace")


def say(check: str, result: object) -> None:
    print(json.dumps({"check": check, "result": result}), flush=True)


def direct(host: str, port: int) -> str:
    try:
        with socket.create_connection((host, port), timeout=3):
            return "connected"
    except OSError as exc:
        return f"failed: {exc.__class__.__name__}"


def fetch(url: str) -> tuple[int, str]:
    try:
        # http:// URLs built here only; urlopen goes through $http_proxy.
        with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def raw(data: bytes, *, read: int = 65536) -> str:
    with socket.create_connection(PROXY, timeout=15) as client:
        client.sendall(data)
        return client.recv(read).decode("latin-1").split("\r\n")[0]


def slow_client(result: dict[str, object]) -> None:
    """A header line a second, never finishing the head: the proxy must cut it off."""
    started = time.monotonic()
    with socket.create_connection(PROXY, timeout=30) as client:
        client.sendall(b"GET http://slow.example/ HTTP/1.1\r\n")
        client.settimeout(1)
        while time.monotonic() - started < 30:
            try:
                reply = client.recv(100)
            except TimeoutError:
                with contextlib.suppress(OSError):
                    client.sendall(b"X-Slow: a\r\n")
                continue
            result["reply"] = reply.decode("latin-1").split("\r\n")[0]
            break
    result["seconds"] = round(time.monotonic() - started)


def main() -> None:
    port = int(sys.argv[1])
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    say("proxy_env", os.environ.get("https_proxy", "") + " " + os.environ.get("NO_PROXY", ""))
    say("interfaces", sorted(p.name for p in Path("/sys/class/net").iterdir()))
    for host in ["127.0.0.1", "127.0.0.2", *sys.argv[2:], "169.254.169.254"]:
        say(f"direct {host}", direct(host, port))
    if "http_proxy" not in os.environ:
        return
    slow: dict[str, object] = {}
    slow_thread = threading.Thread(target=slow_client, args=(slow,))
    slow_thread.start()
    say("allowed", fetch(f"http://127.0.0.2:{port}/through"))
    say("denied", fetch(f"http://127.0.0.3:{port}/nope"))
    say("localhost_name", raw(f"CONNECT localhost:{port} HTTP/1.1\r\n\r\n".encode()))
    say("connect_allowed", raw(f"CONNECT 127.0.0.2:{port} HTTP/1.1\r\n\r\n".encode()))
    say("connect_decimal", raw(f"CONNECT 2130706434:{port} HTTP/1.1\r\n\r\n".encode()))
    say("connect_hex_denied", raw(f"CONNECT 0x7f000003:{port} HTTP/1.1\r\n\r\n".encode()))
    say("connect_metadata", raw(b"CONNECT 169.254.169.254:80 HTTP/1.1\r\n\r\n"))
    say("connect_malformed", raw(b"CONNECT :::: HTTP/1.1\r\n\r\n"))
    say("garbage", raw(b"\x00\x01\x02 garbage\r\n\r\n"))
    say("huge_head", raw(b"GET http://x/ HTTP/1.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n"))
    many = []
    for _ in range(1100):
        try:
            many.append(socket.create_connection(PROXY, timeout=5))
        except OSError:
            break
    time.sleep(1)
    refused = 0
    for client in many[-100:]:
        client.settimeout(0.2)
        with contextlib.suppress(OSError):
            refused += client.recv(100).startswith(b"HTTP/1.1 503")
    say("many_connections", {"opened": len(many), "refused_of_last_100": refused})
    for client in many:
        client.close()
    time.sleep(0.5)
    say("after_many", fetch(f"http://127.0.0.2:{port}/again")[0])
    say("live_before", fetch(f"http://127.0.0.4:{port}/live")[0])
    (WORKSPACE / "ready").write_text("ready")
    deadline = time.monotonic() + 30
    while not (WORKSPACE / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    status = 0
    while time.monotonic() - started < 1.0:
        status = fetch(f"http://127.0.0.4:{port}/live")[0]
        if status == 200:
            break
        time.sleep(0.05)
    say("live_after", status)
    slow_thread.join()
    say("slow_client", slow)


if __name__ == "__main__":
    main()
