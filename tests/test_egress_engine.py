"""Egress on the real engine (rootful Podman here; rootless and Docker in their own modules).

A server on the host's addresses stands in for the internet. From inside a real
session, tests/egress_probe.py attacks the way out; the host checks what got
through, the decision log and the session's last stderr line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.launch_helpers import finish, kanibako, start_session, wait_for

pytestmark = pytest.mark.integration
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


def check_logged(log_json: str, port: int, helper: int = 0) -> None:
    rows = {(r["destination"], r["verdict"]): r for r in json.loads(log_json)}
    denied = rows[(f"127.0.0.3:{port}", "deny")]
    assert denied["count"] >= 1 and denied["helper"] == helper
    assert rows[(f"127.0.0.2:{port}", "allow")]["count"] >= 3


@pytest.fixture
def project(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    shutil.copy(PROBE, path / PROBE.name)
    return path


def _probe_session(project: Path, image: str, port: int) -> subprocess.Popen[str]:
    addresses = " ".join(host_addresses())
    return start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", image,
        "-c", f"{PROBE_IN_BOX} {port} {addresses}",
    )  # fmt: skip


def test_allowlist_holds_and_lets_allowed_through(
    project: Path, python_image: str, remote: int
) -> None:
    found, err = run_allowlist_session(
        project,
        remote,
        lambda: _probe_session(project, python_image, remote),
        lambda *args: kanibako("-p", str(project), "net", *args),
    )
    check_allowlist_results(found, remote)
    assert f"egress denied this session: 127.0.0.3:{remote}" in err
    log = kanibako("-p", str(project), "net", "log", "--json")
    assert log.returncode == 0, log.stderr
    check_logged(log.stdout, remote)


def test_open_restores_the_engine_network(project: Path, python_image: str, remote: int) -> None:
    assert kanibako("-p", str(project), "config", "network", "open").returncode == 0
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", python_image,
        "-c", f"{PROBE_IN_BOX} {remote} {' '.join(host_addresses())}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = parse_probe(done.stdout)
    assert found["interfaces"] != ["lo"]
    assert found["proxy_env"].strip() == ""
    assert "connected" in [v for k, v in found.items() if k.startswith("direct ")]


def test_none_has_no_way_out(project: Path, python_image: str, remote: int) -> None:
    assert kanibako("-p", str(project), "config", "network", "none").returncode == 0
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", python_image,
        "-c", f"{PROBE_IN_BOX} {remote} {' '.join(host_addresses())}; ls /run/kanibako-egress",
    )  # fmt: skip
    found = parse_probe(done.stdout)
    assert found["interfaces"] == ["lo"] and found["proxy_env"].strip() == ""
    assert all(v.startswith("failed") for k, v in found.items() if k.startswith("direct "))
    assert "egress.sock" not in done.stdout


def test_an_image_without_python_starts_with_no_way_out(
    project: Path, busybox_image: str, remote: int
) -> None:
    host = host_addresses()[0]
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image,
        "-c", f"ls /sys/class/net; wget -q -T 3 -O- http://{host}:{remote}/ || echo no-way-out",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["lo", "no-way-out"]
    assert "has no python3: the session has no network at all" in done.stderr
