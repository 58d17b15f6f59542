"""What the egress tests share: the stand-in remote host, the probe, and the checks.

A server on the host's addresses stands in for the internet; tests/egress_probe.py
attacks the way out from inside a real session and prints what it found.
Registered as a plugin in tests/conftest.py (for the ``remote`` fixture).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.launch_helpers import finish, wait_for

PROBE = Path(__file__).with_name("egress_probe.py")
PROBE_IN_BOX = "python3 /home/agent/workspace/egress_probe.py"


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"remote says {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def remote() -> Iterator[int]:
    """An HTTP server on every host address (loopback, the host's own, the bridge gateway)."""
    server = ThreadingHTTPServer(("0.0.0.0", 0), _Hello)  # noqa: S104 - reachable is the point
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def host_addresses() -> list[str]:
    """The host's own non-loopback IPv4 addresses (its LAN address, the bridge gateway)."""
    done = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=True)
    return [a for a in done.stdout.split() if ":" not in a]


def parse_probe(stdout: str) -> dict[str, Any]:
    results = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            results[row["check"]] = row["result"]
    return results


def check_allowlist_results(found: dict[str, Any], port: int) -> None:
    """What a session in allowlist mode must show (shared by every engine's test)."""
    assert found["interfaces"] == ["lo"], found
    assert "http://127.0.0.1:3128" in found["proxy_env"]
    direct = {k: v for k, v in found.items() if k.startswith("direct ")}
    assert direct and all(v.startswith("failed") for v in direct.values()), direct
    assert found["allowed"] == [200, "remote says /through"]
    status, body = found["denied"]
    assert status == 403 and f"kanibako net allow 127.0.0.3:{port}" in body
    assert found["localhost_name"].startswith("HTTP/1.1 403")
    assert found["connect_allowed"] == "HTTP/1.1 200 Connection established"
    assert found["connect_decimal"] == "HTTP/1.1 200 Connection established"
    assert found["connect_hex_denied"].startswith("HTTP/1.1 403")
    assert found["connect_metadata"].startswith("HTTP/1.1 403")
    assert found["connect_malformed"].startswith("HTTP/1.1 400")
    assert found["garbage"].startswith("HTTP/1.1 400")
    assert found["huge_head"].startswith("HTTP/1.1 431")
    many = found["many_connections"]
    assert many["opened"] >= 1024 and many["refused_of_last_100"] > 0, many
    assert found["after_many"] == 200
    assert found["live_before"] == 403 and found["live_after"] == 200
    slow = found["slow_client"]
    assert slow["reply"] == "HTTP/1.1 408 Request Timeout" and slow["seconds"] <= 15, slow


def run_allowlist_session(
    project: Path,
    port: int,
    start: Callable[[], subprocess.Popen[str]],
    net: Callable[..., subprocess.CompletedProcess[str]],
) -> tuple[dict[str, Any], str]:
    """Allow what the probe expects, run it, allow 127.0.0.4 live; (results, stderr)."""
    for dest in (f"127.0.0.2:{port}", f"localhost:{port}"):
        allowed = net("allow", dest)
        assert allowed.returncode == 0, allowed.stderr
    session = start()
    try:
        wait_for((project / "ready").exists, timeout=90, what="the probe")
        live = net("allow", f"127.0.0.4:{port}")
        assert live.returncode == 0, live.stderr
        (project / "go").write_text("go")
        status, out, err = finish(session, timeout=60)
    finally:
        session.kill()
    assert status == 0, out + err
    return parse_probe(out), err


def check_session_end(
    err: str, net: Callable[..., subprocess.CompletedProcess[str]], port: int
) -> None:
    """The session's last stderr line names the denied; ``net log`` has the decisions."""
    assert f"egress denied this session: 127.0.0.3:{port}" in err
    log = net("log", "--json")
    assert log.returncode == 0, log.stderr
    check_logged(log.stdout, port)


def check_logged(log_json: str, port: int, helper: int = 0, allowed: int = 3) -> None:
    rows = {(r["destination"], r["verdict"]): r for r in json.loads(log_json)}
    denied = rows[(f"127.0.0.3:{port}", "deny")]
    assert denied["count"] >= 1 and denied["helper"] == helper
    assert rows[(f"127.0.0.2:{port}", "allow")]["count"] >= allowed
