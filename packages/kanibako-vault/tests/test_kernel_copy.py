"""Plain-tar snapshots copy file bytes in the kernel: same archive, same checks, any file system."""

from __future__ import annotations

import errno
import os
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from kanibako_vault import VaultError, archive_write, kernel_copy, list_snapshots, restore, snapshot
from kanibako_vault.archive_write import ArchiveWriter
from kanibako_vault.kernel_copy import ShortCopy, copy_range

Tree = dict[str, tuple[str, int, bytes]]
E = TypeVar("E", bound=BaseException)


def _share(root: Path) -> Path:
    (root / "deep" / "er").mkdir(parents=True)
    (root / "big").write_bytes(os.urandom(9 * 1024 * 1024 + 3))  # not block-aligned
    (root / "deep" / "er" / "odd").write_bytes(os.urandom(777))
    (root / "empty").write_bytes(b"")
    (root / ("long-" + "n" * 120)).write_bytes(os.urandom(4096))  # a pax header
    (root / "deep" / "link").symlink_to("er/odd")
    (root / "deep" / "er" / "odd").chmod(0o600)
    return root


def _members_after_manifest(path: Path) -> bytes:
    # The manifest member carries the time it was written; everything after it must match.
    with tarfile.open(path) as tar:
        second = tar.getmembers()[1]
    return path.read_bytes()[second.offset :]


def test_the_kernel_copy_writes_the_archive_the_buffered_path_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share = _share(tmp_path / "share")
    kernel = snapshot(share, tmp_path / "kernel", compression="none").snapshot
    monkeypatch.setattr(ArchiveWriter, "copies_in_kernel", property(lambda self: False))
    buffered = snapshot(share, tmp_path / "buffered", compression="none").snapshot
    assert kernel is not None and buffered is not None
    assert kernel.path.stat().st_size == buffered.path.stat().st_size
    assert _members_after_manifest(kernel.path) == _members_after_manifest(buffered.path)


def test_a_kernel_copied_tar_extracts_with_tar_and_restores(
    tmp_path: Path, state: Callable[[Path], Tree]
) -> None:
    share, store = _share(tmp_path / "share"), tmp_path / "store"
    want = state(share)
    info = snapshot(share, store).snapshot  # 9 MiB of random data: chosen plain
    assert info is not None and info.path.name.endswith(".tar")
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(info.path), "-C", str(out)], check=True)
    assert (out / "data" / "big").read_bytes() == (share / "big").read_bytes()
    (share / "big").write_bytes(b"overwritten")
    restore(share, store, info.name)
    assert state(share) == want


def test_a_file_that_shrinks_during_the_copy_is_named_and_nothing_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share, store = _share(tmp_path / "share"), tmp_path / "store"

    def shrink_then_copy(src: int, dst: int, count: int, counted: object = None) -> None:
        os.truncate(share / "big", 1000)  # after the writer checked its size
        copy_range(src, dst, count)

    monkeypatch.setattr(archive_write, "copy_range", shrink_then_copy)
    with pytest.raises(VaultError, match="big changed during the snapshot"):
        snapshot(share, store, compression="none")
    assert list_snapshots(store) == []
    assert [p.name for p in store.iterdir() if p.name.startswith(".tmp")] == []


def _pair(tmp_path: Path, size: int) -> tuple[int, int, bytes]:
    data = os.urandom(size)
    (tmp_path / "src").write_bytes(data)
    src = os.open(tmp_path / "src", os.O_RDONLY)
    dst = os.open(tmp_path / "dst", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    return src, dst, data


def _copy_and_check(tmp_path: Path, size: int = 300_000) -> list[int]:
    src, dst, data = _pair(tmp_path, size)
    steps: list[int] = []
    try:
        copy_range(src, dst, size, steps.append)
    finally:
        os.close(src)
        os.close(dst)
    assert (tmp_path / "dst").read_bytes() == data
    assert sum(steps) == size
    return steps


def _refuse(err: int) -> Callable[..., int]:
    def refuse(*_args: object) -> int:
        raise OSError(err, os.strerror(err))

    return refuse


@pytest.mark.parametrize("err", [errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL])
def test_a_kernel_without_copy_file_range_falls_back_to_sendfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, err: int
) -> None:
    monkeypatch.setattr(os, "copy_file_range", _refuse(err))
    sent: list[int] = []
    real_sendfile = os.sendfile

    def counting_sendfile(out: int, in_: int, offset: int | None, count: int) -> int:
        sent.append(count)
        return real_sendfile(out, in_, offset, count)

    monkeypatch.setattr(os, "sendfile", counting_sendfile)
    _copy_and_check(tmp_path)
    assert sent


def test_without_either_the_bytes_go_through_read_and_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "copy_file_range", _refuse(errno.ENOSYS))
    monkeypatch.setattr(os, "sendfile", _refuse(errno.EINVAL))
    monkeypatch.setattr(kernel_copy, "STEP", 64 * 1024)
    assert len(_copy_and_check(tmp_path)) == 5  # 300,000 bytes in 64 KiB steps


def test_a_method_failing_midway_hands_over_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.copy_file_range
    calls = []

    def once_then_exdev(src: int, dst: int, count: int) -> int:
        calls.append(count)
        if len(calls) > 1:
            raise OSError(errno.EXDEV, "cross-device")
        return real(src, dst, count)

    monkeypatch.setattr(os, "copy_file_range", once_then_exdev)
    monkeypatch.setattr(kernel_copy, "STEP", 100_000)
    assert _copy_and_check(tmp_path)[0] == 100_000


def test_a_zero_answer_with_data_left_means_unsupported_not_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some file systems (procfs, FUSE) answer copy_file_range with 0 instead of an error.
    monkeypatch.setattr(os, "copy_file_range", lambda *_args: 0)
    _copy_and_check(tmp_path)


@pytest.mark.parametrize("method", ["copy_file_range", "sendfile", "read"])
def test_a_source_shorter_than_asked_is_a_short_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    if method != "copy_file_range":
        monkeypatch.setattr(os, "copy_file_range", _refuse(errno.ENOSYS))
    if method == "read":
        monkeypatch.setattr(os, "sendfile", _refuse(errno.EINVAL))
    src, dst, _ = _pair(tmp_path, 5000)
    short = _failing_copy(src, dst, 6000, ShortCopy)
    assert (short.copied, short.wanted) == (5000, 6000)


def test_a_failing_write_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    (tmp_path / "src").write_bytes(b"x" * 100)
    (tmp_path / "dst").write_bytes(b"")
    src = os.open(tmp_path / "src", os.O_RDONLY)
    dst = os.open(tmp_path / "dst", os.O_RDONLY)  # not writable: EBADF from every method
    assert _failing_copy(src, dst, 100, OSError).errno == errno.EBADF


def _failing_copy(src: int, dst: int, count: int, kind: type[E]) -> E:
    """The ``kind`` of error copying ``count`` bytes raises; both fds are closed after."""
    try:
        with pytest.raises(kind) as caught:
            copy_range(src, dst, count)
    finally:
        os.close(src)
        os.close(dst)
    return caught.value
