"""zstd's worker threads only for content they can speed up (not random data)."""

from __future__ import annotations

import os

import zstandard

from kanibako_vault import compress


def test_random_data_is_judged_incompressible_and_text_compressible() -> None:
    assert not compress._compressible(zstandard, os.urandom(256 * 1024))
    text = b"".join(
        b"2026-12-02T05:%02d GET /api/v1/items 200 took %d ms\n" % (i % 60, i) for i in range(5000)
    )
    assert compress._compressible(zstandard, text)
    assert compress._compressible(zstandard, b"")  # nothing known: as before, threads
