"""Taking snapshots: plain tar (.tar.zst, .tar.xz, .tar), skipped when unchanged, incremental otherwise."""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kanibako_vault import list_snapshots, restore, snapshot
from kanibako_vault.archive_read import read_manifest
from kanibako_vault.errors import VaultUsageError
from kanibako_vault.names import is_snapshot_name, next_name

Tree = dict[str, tuple[str, int, bytes]]


def test_full_snapshot_is_a_plain_tar_readable_by_tar(
    vault: tuple[Path, Path], tmp_path: Path, compressor: str, state: Callable[[Path], Tree]
) -> None:
    share, store = vault
    info = snapshot(share, store, compression=compressor).snapshot
    assert info is not None and info.full and info.files == 6
    suffix = {"zstd": ".tar.zst", "xz": ".tar.xz", "none": ".tar"}[compressor]
    assert info.path.name == f"{info.name}{suffix}"
    out = tmp_path / "out"
    out.mkdir()
    # GNU tar picks the decompressor from the content (zstd where it is installed).
    subprocess.run(["tar", "-xf", str(info.path), "-C", str(out)], check=True)
    assert state(out / "data") == state(share)
    assert (out / "manifest.json").is_file()


def test_unchanged_directory_writes_nothing(vault: tuple[Path, Path]) -> None:
    share, store = vault
    first = snapshot(share, store).snapshot
    again = snapshot(share, store)
    assert first is not None and again.snapshot is None
    assert again.unchanged_since == first.name
    assert [i.name for i in list_snapshots(store)] == [first.name]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: (s / "top.txt").write_text("TOP\n"), id="same-size-rewrite"),
        pytest.param(lambda s: (s / "new.txt").write_text("new"), id="new-file"),
        pytest.param(lambda s: (s / "top.txt").unlink(), id="deleted-file"),
        pytest.param(lambda s: (s / "top.txt").chmod(0o600), id="chmod"),
        pytest.param(lambda s: (s / "empty" / "sub").mkdir(), id="new-dir"),
        pytest.param(
            lambda s: (s / "to-a").unlink() or (s / "to-a").symlink_to("top.txt"), id="relink"
        ),
    ],
)
def test_any_change_is_noticed(vault: tuple[Path, Path], change: Callable[[Path], object]) -> None:
    share, store = vault
    snapshot(share, store)
    change(share)
    assert snapshot(share, store).snapshot is not None


def test_rewrite_that_restores_size_and_mtime_is_still_noticed(vault: tuple[Path, Path]) -> None:
    share, store = vault
    snapshot(share, store)
    target = share / "top.txt"
    before = target.stat()
    target.write_text("pot\n")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert snapshot(share, store).snapshot is not None  # the ctime gives it away


def test_incremental_stores_only_what_changed(
    plain_tar: Callable[[Path], tarfile.TarFile], vault: tuple[Path, Path]
) -> None:
    share, store = vault
    first = snapshot(share, store).snapshot
    (share / "top.txt").write_text("changed\n")
    second = snapshot(share, store).snapshot
    assert first is not None and second is not None
    assert second.parent == first.name and second.files == first.files
    with plain_tar(second.path) as tar:
        names = tar.getnames()
    assert names == ["manifest.json", "data/top.txt"]
    stored = [e.path for e in read_manifest(second.path).entries if e.stored]
    assert stored == ["top.txt"]


def test_full_flag_stores_everything_even_when_unchanged(vault: tuple[Path, Path]) -> None:
    share, store = vault
    snapshot(share, store)
    forced = snapshot(share, store, full=True).snapshot
    assert forced is not None and forced.full


def test_symlinked_directory_is_stored_as_a_link_not_followed(
    plain_tar: Callable[[Path], tarfile.TarFile], vault: tuple[Path, Path], tmp_path: Path
) -> None:
    share, store = vault
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "key").write_text("do not copy")
    (share / "inside-link").symlink_to("docs")
    info = snapshot(share, store).snapshot
    assert info is not None
    with plain_tar(info.path) as tar:
        link = tar.getmember("data/inside-link")
        names = tar.getnames()
    assert link.issym() and link.linkname == "docs"
    assert not any(n.startswith("data/inside-link/") for n in names)


def test_links_pointing_outside_are_left_out_and_reported(
    plain_tar: Callable[[Path], tarfile.TarFile], vault: tuple[Path, Path], tmp_path: Path
) -> None:
    share, store = vault
    (share / "abs").symlink_to(tmp_path)
    (share / "up").symlink_to("../../..")
    (share / "docs" / "via").symlink_to("../docs-link/../..")
    result = snapshot(share, store)
    assert result.snapshot is not None
    assert set(result.skipped) == {"abs", "up", "docs/via"}
    with plain_tar(result.snapshot.path) as tar:
        names = tar.getnames()
    assert "data/abs" not in names and "data/up" not in names and "data/docs/via" not in names


def test_fifo_is_skipped_without_blocking(vault: tuple[Path, Path]) -> None:
    share, store = vault
    os.mkfifo(share / "pipe")
    result = snapshot(share, store)
    assert result.skipped == ("pipe",)


def test_missing_directory_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(VaultUsageError, match="does not exist"):
        snapshot(tmp_path / "nope", tmp_path / "store")


def test_names_sort_by_time_and_never_collide() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    names: list[str] = []
    for _ in range(5):
        names.append(next_name(names, now=moment))
    assert len(set(names)) == 5 and names == sorted(names)
    assert all(is_snapshot_name(n) for n in names)
    earlier = next_name(names, now=datetime(2020, 1, 1, tzinfo=UTC))
    assert earlier > names[-1]


def test_several_snapshots_in_one_second_get_distinct_ordered_names(
    vault: tuple[Path, Path],
) -> None:
    share, store = vault
    made = []
    for i in range(4):
        (share / "top.txt").write_text(f"v{i}\n")
        info = snapshot(share, store).snapshot
        assert info is not None
        made.append(info.name)
    assert made == sorted(set(made))
    assert [i.name for i in list_snapshots(store)] == made


def test_names_that_are_not_utf8_survive(tmp_path: Path, state: Callable[[Path], Tree]) -> None:
    share = tmp_path / "share"
    share.mkdir()
    (Path(os.fsdecode(bytes(share) + b"/caf\xe9"))).write_text("latin-1 name")
    (share / "日本").write_text("utf-8 name")
    store = tmp_path / "store"
    first = snapshot(share, store).snapshot
    assert first is not None
    (share / "日本").unlink()
    restore(share, store, first.name)
    names = os.listdir(bytes(share))  # noqa: PTH208 - bytes keep the Latin-1 name as it is
    assert sorted(names) == sorted([b"caf\xe9", "日本".encode()])
    assert state(share)[os.fsdecode(b"caf\xe9")][2] == b"latin-1 name"


def test_hard_links_are_stored_and_restored_as_separate_files(
    plain_tar: Callable[[Path], tarfile.TarFile],
    vault: tuple[Path, Path],
    state: Callable[[Path], Tree],
) -> None:
    share, store = vault
    (share / "twin").hardlink_to(share / "top.txt")
    want = state(share)
    info = snapshot(share, store).snapshot
    assert info is not None
    with plain_tar(info.path) as tar:
        assert not any(m.islnk() for m in tar.getmembers())
    restore(share, store, info.name)
    assert state(share) == want
    assert (share / "twin").stat().st_ino != (share / "top.txt").stat().st_ino
