"""The launch-time freshness hint: a cached answer, never a wait."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kanibako.images.freshness import (
    LOCAL_IMAGE,
    NOT_CHECKED,
    freshness_cache_dir,
    status_freshness,
)
from kanibako.images.supply import freshness_hint
from kanibako_runtime import Engine, FreshnessHint, cached_freshness
from kanibako_runtime.freshness import Status, record

IMAGE = "ghcr.io/doctorjei/kanibako-base:latest"
# A stand-in engine binary: the background checker only runs it to read digests.
ENGINE = Engine("podman", "/bin/false")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert freshness_cache_dir() == tmp_path / "kanibako" / "freshness"
    return freshness_cache_dir()


def test_a_known_update_is_one_line_naming_the_pull(cache: Path) -> None:
    record(cache, FreshnessHint(IMAGE, time.time(), "stale"))
    assert freshness_hint(ENGINE, IMAGE) == (
        f"a newer {IMAGE} is in its registry: `podman pull {IMAGE}` updates it"
    )


def test_current_or_unknown_says_nothing(cache: Path) -> None:
    record(cache, FreshnessHint(IMAGE, time.time(), "current"))
    assert freshness_hint(ENGINE, IMAGE) is None


def test_no_answer_yet_starts_a_check_and_does_not_wait(cache: Path) -> None:
    started = time.monotonic()
    assert freshness_hint(ENGINE, IMAGE) is None
    assert time.monotonic() - started < 1.0
    marker = cached_freshness(cache, IMAGE)  # the check marks itself begun
    assert marker is not None and not marker.is_due()


def test_status_reads_the_answers_the_runtime_records(cache: Path) -> None:
    # status reads the runtime's cache file itself (for speed): same answers.
    assert status_freshness(IMAGE, "podman") == NOT_CHECKED
    answers: list[tuple[Status, str]] = [
        ("current", "current"),
        ("unknown", "unknown (registry not reachable)"),
    ]
    for status, shown in answers:
        record(cache, FreshnessHint(IMAGE, time.time(), status))
        assert status_freshness(IMAGE, "podman") == shown
    assert status_freshness("other:1", "podman") == NOT_CHECKED
    assert status_freshness("localhost/mine:1", "podman") == LOCAL_IMAGE
