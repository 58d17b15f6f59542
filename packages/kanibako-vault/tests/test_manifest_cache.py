"""The latest manifest's cache: used while it vouches for the archive, ignored otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kanibako_vault import snapshot
from kanibako_vault.manifest_cache import CACHE_NAME, cached_matches
from kanibako_vault.scan import scan_tree


def _altered_cache(store: Path) -> None:
    """Make the cached manifest claim another size for one file (as if the tree changed)."""
    head, _, data = (store / CACHE_NAME).read_bytes().partition(b"\n")
    doc = json.loads(data)
    files = [e for e in doc["entries"] if e[1] == "f"]
    files[0][2] += 1
    (store / CACHE_NAME).write_bytes(head + b"\n" + json.dumps(doc).encode())


def test_an_unchanged_snapshot_imports_neither_tarfile_nor_zstandard(
    vault: tuple[Path, Path],
) -> None:
    share, store = vault
    snapshot(share, store)
    probe = (
        "import sys; from pathlib import Path; from kanibako_vault import snapshot; "
        f"r = snapshot(Path({str(share)!r}), Path({str(store)!r})); "
        "print(r.snapshot is None, sorted({'tarfile', 'zstandard', 'lzma'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True)
    assert done.stdout.decode().split() == ["True", "[]"]


def test_the_cache_is_used_while_its_facts_match_the_archive(vault: tuple[Path, Path]) -> None:
    share, store = vault
    snapshot(share, store)
    _altered_cache(store)
    # The (altered) cache was believed: the file looks changed, so a new snapshot.
    assert snapshot(share, store).snapshot is not None


def test_a_cache_whose_facts_no_longer_match_is_ignored(vault: tuple[Path, Path]) -> None:
    share, store = vault
    info = snapshot(share, store).snapshot
    assert info is not None
    _altered_cache(store)
    os.utime(info.path, ns=(1, 1))  # the archive is not the one the cache describes
    result = snapshot(share, store)
    assert result.snapshot is None and result.unchanged_since == info.name


@pytest.mark.parametrize("junk", [b"", b"not json\n{}", b'{"archive": 1}\n[]', b"\xff" * 100])
def test_a_damaged_cache_is_ignored_and_rewritten(vault: tuple[Path, Path], junk: bytes) -> None:
    share, store = vault
    info = snapshot(share, store).snapshot
    assert info is not None
    (store / CACHE_NAME).write_bytes(junk)
    assert snapshot(share, store).unchanged_since == info.name
    assert (store / CACHE_NAME).read_bytes().startswith(b'{"archive": ')
    (share / "top.txt").write_text("changed\n")
    assert snapshot(share, store).snapshot is not None


def test_a_cache_that_is_a_link_is_not_followed(vault: tuple[Path, Path], tmp_path: Path) -> None:
    share, store = vault
    info = snapshot(share, store).snapshot
    assert info is not None
    elsewhere = tmp_path / "elsewhere"
    (store / CACHE_NAME).rename(elsewhere)
    (store / CACHE_NAME).symlink_to(elsewhere)
    _altered_cache(store)  # writes through the link: the target now lies
    assert snapshot(share, store).unchanged_since == info.name


def test_the_fast_comparison_answers_yes_only_for_the_scanned_tree_itself(
    vault: tuple[Path, Path],
) -> None:
    share, store = vault
    taken = snapshot(share, store).snapshot
    assert taken is not None
    archive = taken.path
    scan = scan_tree(share)
    assert cached_matches(store, archive, taken.name, scan.root_mode, scan.entries)
    assert not cached_matches(store, archive, taken.name, 0o700, scan.entries)
    assert not cached_matches(store, archive, taken.name, scan.root_mode, scan.entries[1:])
    (share / "top.txt").write_text("changed\n")
    changed = scan_tree(share)
    assert not cached_matches(store, archive, taken.name, changed.root_mode, changed.entries)
    _altered_cache(store)  # the cache no longer says what the tree holds
    assert not cached_matches(store, archive, taken.name, scan.root_mode, scan.entries)
