"""Image freshness: reference parsing, the cache, and that nothing is checked when not due."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kanibako_runtime import (
    Engine,
    FreshnessHint,
    cached_freshness,
    parse_image_ref,
    start_background_check,
)
from kanibako_runtime.freshness import (
    FRESHNESS_TTL,
    ImageRef,
    freshness_status,
    record,
    registry_digest,
)

ENGINE = Engine("podman", "/nonexistent/podman")


def test_registry_references_are_split() -> None:
    assert parse_image_ref("ghcr.io/doctorjei/kanibako-base:latest") == ImageRef(
        "ghcr.io", "doctorjei/kanibako-base", "latest"
    )
    assert parse_image_ref("busybox") == ImageRef(
        "registry-1.docker.io", "library/busybox", "latest"
    )
    assert parse_image_ref("reg.example:5000/a/b") == ImageRef("reg.example:5000", "a/b", "latest")


def test_local_and_pinned_images_are_never_checked() -> None:
    assert parse_image_ref("localhost/kanibako-test-busybox:latest") is None
    assert parse_image_ref("localhost:5000/x:1") is None
    assert parse_image_ref("ghcr.io/a/b@sha256:" + "0" * 64) is None


def test_cache_round_trip(tmp_path: Path) -> None:
    hint = FreshnessHint("ghcr.io/a/b:1", time.time(), "stale")
    record(tmp_path, hint)
    assert cached_freshness(tmp_path, "ghcr.io/a/b:1") == hint
    assert cached_freshness(tmp_path, "ghcr.io/a/other:1") is None
    assert not hint.is_due()
    assert FreshnessHint("x", time.time() - FRESHNESS_TTL - 1, "current").is_due()


def test_a_fresh_answer_starts_no_check(tmp_path: Path) -> None:
    record(tmp_path, FreshnessHint("ghcr.io/a/b:1", time.time(), "current"))
    assert start_background_check(ENGINE, "ghcr.io/a/b:1", tmp_path) is False


def test_local_images_start_no_check(tmp_path: Path) -> None:
    assert start_background_check(ENGINE, "localhost/x:1", tmp_path) is False
    assert not any(tmp_path.iterdir())


def test_a_due_check_is_started_detached_and_marked_at_once(tmp_path: Path) -> None:
    # The engine binary does not exist, so the checker records "unknown" without
    # touching the network (no local digest means nothing to compare).
    started = time.monotonic()
    assert start_background_check(ENGINE, "ghcr.io/a/b:1", tmp_path) is True
    assert time.monotonic() - started < 0.5
    marked = cached_freshness(tmp_path, "ghcr.io/a/b:1")
    assert marked is not None and not marked.is_due()
    assert start_background_check(ENGINE, "ghcr.io/a/b:1", tmp_path) is False


class _Registry(BaseHTTPRequestHandler):
    """A registry that wants an anonymous bearer token, like GHCR and Docker Hub."""

    digest = "sha256:" + "a" * 64

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/token?") and "scope=repository" in self.path:
            body = json.dumps({"token": "anon-token"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def do_HEAD(self) -> None:
        host = self.headers["Host"]
        if self.path != "/v2/acme/tool/manifests/1.0":
            self.send_error(404)
        elif self.headers.get("Authorization") != "Bearer anon-token":
            self.send_response(401)
            realm = f'Bearer realm="http://{host}/token",service="reg",scope="repository:acme/tool:pull"'
            self.send_header("WWW-Authenticate", realm)
            self.end_headers()
        else:
            self.send_response(200)
            self.send_header("Docker-Content-Digest", self.digest)
            self.end_headers()


@pytest.fixture
def registry() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_registry_digest_follows_the_anonymous_token_dance(registry: str) -> None:
    ref = ImageRef(registry, "acme/tool", "1.0")
    assert registry_digest(ref, scheme="http", timeout=5) == _Registry.digest


def test_unknown_repository_or_unreachable_registry_gives_no_digest(registry: str) -> None:
    assert registry_digest(ImageRef(registry, "acme/other", "1.0"), scheme="http") is None
    assert registry_digest(ImageRef("127.0.0.1:9", "acme/tool", "1.0"), scheme="http") is None


def test_a_token_realm_on_a_weaker_scheme_is_refused(registry: str) -> None:
    # Over https the (http) realm would downgrade the token request: no digest.
    assert registry_digest(ImageRef(registry, "acme/tool", "1.0"), timeout=2) is None


def test_status_compares_the_registry_digest_with_the_local_ones() -> None:
    assert freshness_status(["sha256:a", "sha256:b"], "sha256:b") == "current"
    assert freshness_status(["sha256:a"], "sha256:c") == "stale"
    assert freshness_status([], "sha256:c") == "unknown"
    assert freshness_status(["sha256:a"], None) == "unknown"
