"""Image freshness: reference parsing, the cache, and that nothing is checked when not due."""

from __future__ import annotations

import time
from pathlib import Path

from kanibako_runtime import (
    Engine,
    FreshnessHint,
    cached_freshness,
    parse_image_ref,
    start_background_check,
)
from kanibako_runtime.freshness import FRESHNESS_TTL, ImageRef, record

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
