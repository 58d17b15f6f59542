"""The egress proxy on a real Unix socket, with a loopback server standing in for a remote host."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kanibako.session.egress.config_entries import record
from kanibako.session.egress.decision_log import DecisionLog, read_log
from kanibako.session.egress.policy import Policy, builtin_rules
from kanibako.session.egress.proxy import EgressProxy, Limits


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello {self.path} host={self.headers.get('Host')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def remote() -> Iterator[int]:
    """An HTTP server on loopback: the 'remote host' (its port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


class Box:
    """A proxy with its files; ``ask`` sends raw bytes and returns the whole reply."""

    def __init__(self, limits: Limits) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="eg-", dir="/tmp"))
        self.project = self.dir / "project.toml"
        files = [("project", self.project), ("global", self.dir / "kanibako.toml")]
        self.policy = Policy(builtin_rules("t", []), files)
        self.log = DecisionLog(self.dir / "log.jsonl", interval=0.05)
        self.proxy = EgressProxy(self.policy, self.log, limits).start()
        self.socket = self.dir / "e0.sock"
        self.proxy.listen(self.socket, 0)

    def connect(self, path: Path | None = None) -> socket.socket:
        client = socket.socket(socket.AF_UNIX)
        client.settimeout(5)
        client.connect(str(path or self.socket))
        return client

    def ask(self, data: bytes, path: Path | None = None) -> bytes:
        with self.connect(path) as client:
            client.sendall(data)
            return _read_all(client)


def _read_all(client: socket.socket) -> bytes:
    chunks = []
    while chunk := client.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def box() -> Iterator[Box]:
    made = Box(Limits(head_timeout=0.5, max_connections=20, idle_timeout=2))
    yield made
    made.proxy.stop()
    made.log.close()
    shutil.rmtree(made.dir)


def _get(port: int, host: str = "127.0.0.1") -> bytes:
    return f"GET http://{host}:{port}/x?y=1 HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()


def test_denied_then_live_allowed_plain_http(box: Box, remote: int) -> None:
    denied = box.ask(_get(remote))
    assert denied.startswith(b"HTTP/1.1 403")
    assert f"kanibako net allow 127.0.0.1:{remote}".encode() in denied
    record(box.project, "allow", f"127.0.0.1:{remote}")
    allowed = box.ask(_get(remote))
    assert allowed.startswith(b"HTTP/1.0 200") or allowed.startswith(b"HTTP/1.1 200")
    assert allowed.endswith(f"hello /x?y=1 host=127.0.0.1:{remote}".encode())


def test_connect_tunnels_to_an_exactly_allowed_address(box: Box, remote: int) -> None:
    record(box.project, "allow", f"127.0.0.1:{remote}")
    with box.connect() as client:
        client.sendall(f"CONNECT 127.0.0.1:{remote} HTTP/1.1\r\n\r\n".encode())
        assert client.recv(100) == b"HTTP/1.1 200 Connection established\r\n\r\n"
        client.sendall(b"GET /tunnel HTTP/1.0\r\n\r\n")
        assert _read_all(client).endswith(b"hello /tunnel host=None")


@pytest.mark.parametrize(
    "spelling", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]"]
)
def test_odd_ip_spellings_meet_the_same_rule(box: Box, remote: int, spelling: str) -> None:
    request = f"CONNECT {spelling}:{remote} HTTP/1.1\r\n\r\n".encode()
    assert box.ask(request).startswith(b"HTTP/1.1 403")
    record(box.project, "allow", f"127.0.0.1:{remote}")
    with box.connect() as client:
        client.sendall(request)
        assert client.recv(100).startswith(b"HTTP/1.1 200")


def test_a_name_resolving_to_loopback_is_refused_unless_that_ip_port_is(
    box: Box, remote: int
) -> None:
    record(box.project, "allow", f"localhost:{remote}")
    refused = box.ask(_get(remote, host="localhost"))
    assert refused.startswith(b"HTTP/1.1 403") and b"internal address" in refused
    assert f"kanibako net allow 127.0.0.1:{remote}".encode() in refused
    record(box.project, "allow", f"127.0.0.1:{remote}")
    assert b"hello /x" in box.ask(_get(remote, host="localhost"))


def test_connect_only_to_allowed_ports(box: Box, remote: int) -> None:
    record(box.project, "allow", "127.0.0.1:443")
    assert box.ask(f"CONNECT 127.0.0.1:{remote} HTTP/1.1\r\n\r\n".encode()).startswith(
        b"HTTP/1.1 403"
    )


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"CONNECT nohostport HTTP/1.1\r\n\r\n", b"400"),
        (b"CONNECT a b:1 HTTP/1.1\r\n\r\n", b"400"),
        (b"CONNECT host:99999 HTTP/1.1\r\n\r\n", b"400"),
        (b"GET /relative HTTP/1.1\r\n\r\n", b"400"),
        (b"GET ftp://x/ HTTP/1.1\r\n\r\n", b"400"),
        (b"GET http://u:p@x/ HTTP/1.1\r\n\r\n", b"400"),
        (b"\xff\xfe\r\n\r\n", b"400"),
        (b"GET http://a..b/ HTTP/1.1\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 40000 + b"\r\n\r\n", b"431"),
    ],
)
def test_malformed_requests_get_an_error_and_the_proxy_goes_on(
    box: Box, remote: int, request_bytes: bytes, status: bytes
) -> None:
    assert box.ask(request_bytes).split(b" ")[1] == status
    record(box.project, "allow", f"127.0.0.1:{remote}")
    assert b"hello" in box.ask(_get(remote))


def test_a_slow_client_is_cut_off(box: Box) -> None:
    with box.connect() as client:
        client.sendall(b"GET http://x/ HTTP/1.1\r\n")
        started = time.monotonic()
        reply = _read_all(client)
    assert reply.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 3


def test_connections_beyond_the_cap_are_refused(box: Box, remote: int) -> None:
    idle = [box.connect() for _ in range(20)]
    try:
        time.sleep(0.1)
        assert box.ask(_get(remote)).startswith(b"HTTP/1.1 503")
    finally:
        for client in idle:
            client.close()
    time.sleep(0.2)
    assert box.ask(_get(remote)).startswith(b"HTTP/1.1 403")


def test_decisions_are_logged_per_helper_with_counts(box: Box, remote: int) -> None:
    helper_socket = box.dir / "e2.sock"
    box.proxy.listen(helper_socket, 2)
    for _ in range(3):
        box.ask(_get(remote), helper_socket)
    box.ask(_get(remote))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        rows = {(r.destination, r.helper): r for r in read_log(box.log.path)}
        if len(rows) == 2:
            break
        time.sleep(0.05)
    helper_row = rows[(f"127.0.0.1:{remote}", 2)]
    assert helper_row.verdict == "deny" and helper_row.count == 3
    assert helper_row.first <= helper_row.last
    assert rows[(f"127.0.0.1:{remote}", 0)].count == 1
    assert box.log.denied_this_session() == [f"127.0.0.1:{remote}"]


def test_the_forwarder_hands_tcp_connections_to_the_proxy(box: Box, remote: int) -> None:
    from kanibako.session.egress.forwarder import bind_loopback, serve

    record(box.project, "allow", f"127.0.0.1:{remote}")
    listener = bind_loopback(0)
    threading.Thread(target=serve, args=(listener, str(box.socket)), daemon=True).start()
    with socket.create_connection(listener.getsockname(), timeout=5) as client:
        client.sendall(_get(remote))
        assert _read_all(client).endswith(b"hello /x?y=1 host=127.0.0.1:" + str(remote).encode())
    listener.close()


def test_a_passed_descriptor_that_is_no_stream_socket_is_dropped(box: Box, remote: int) -> None:
    reader, writer = os.pipe()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for fd in (reader, udp.fileno()):
            with box.connect() as control:
                socket.send_fds(control, [b"\0"], [fd])
                assert _read_all(control) == b""
    finally:
        os.close(reader)
        os.close(writer)
        udp.close()
    record(box.project, "allow", f"127.0.0.1:{remote}")
    assert b"hello" in box.ask(_get(remote))


def test_git_honours_the_proxy_variables(box: Box) -> None:
    """git (libcurl) reads http_proxy/https_proxy: no http.proxy config is needed."""
    import subprocess

    from kanibako.session.egress.forwarder import bind_loopback, serve
    from kanibako.session.egress.launch_hook import proxy_env

    listener = bind_loopback(0)
    threading.Thread(target=serve, args=(listener, str(box.socket)), daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {k: v.replace("http://127.0.0.1:3128", url) for k, v in proxy_env().items()}
    for scheme in ("http", "https"):
        done = subprocess.run(
            ["git", "ls-remote", f"{scheme}://203.0.113.9/repo.git"],
            env={
                **env,
                "PATH": os.environ["PATH"],
                "GIT_TERMINAL_PROMPT": "0",
                "HOME": str(box.dir),
            },
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode != 0
    listener.close()
    box.log.close()
    rows = {(r.destination, r.verdict): r.count for r in read_log(box.log.path)}
    assert rows[("203.0.113.9", "deny")] == 2  # plain HTTP (port 80) and CONNECT (443)
