"""Fixtures for the vault's unit tests: real trees in tmp_path and hand-made archives."""

from __future__ import annotations

import io
import lzma
import os
import stat
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zstandard

from kanibako_vault import archive_read

Tree = dict[str, tuple[str, int, bytes]]


def tree_state(root: Path) -> Tree:
    """Everything a restore must reproduce (kind, permission bits, content or target)."""
    state: Tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                state[rel] = ("l", 0, os.fsencode(path.readlink()))
            elif stat.S_ISDIR(st.st_mode):
                state[rel] = ("d", stat.S_IMODE(st.st_mode), b"")
            else:
                state[rel] = ("f", stat.S_IMODE(st.st_mode), path.read_bytes())
    return state


@pytest.fixture
def state() -> Callable[[Path], Tree]:
    return tree_state


@pytest.fixture
def vault(tmp_path: Path) -> tuple[Path, Path]:
    """A share-rw-like directory with a little of everything, and an empty store path."""
    share = tmp_path / "vault" / "share-rw"
    (share / "docs" / "deep").mkdir(parents=True)
    (share / "empty").mkdir()
    (share / "docs" / "a.txt").write_text("alpha\n")
    (share / "docs" / "deep" / "b.bin").write_bytes(os.urandom(5000))
    (share / "top.txt").write_text("top\n")
    (share / "run.sh").write_text("#!/bin/sh\n")
    (share / "run.sh").chmod(0o755)
    (share / "to-a").symlink_to("docs/a.txt")
    (share / "docs-link").symlink_to("docs")
    return share, tmp_path / "store"


@pytest.fixture(params=["zstd", "xz", "xz-python", "none"])
def compressor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The compression to pass: zstd, xz (the program, then Python's lzma), none."""
    if request.param == "xz-python":
        monkeypatch.setenv("KANIBAKO_VAULT_XZ", "python")
        return "xz"
    return str(request.param)


@pytest.fixture
def plain_tar() -> Callable[[Path], tarfile.TarFile]:
    """Opens an archive of any format with tarfile, to look at its members directly."""
    return open_plain


def open_plain(path: Path) -> tarfile.TarFile:
    """An archive of any format opened with tarfile (see ``plain_tar``)."""
    data = path.read_bytes()
    if path.name.endswith(".tar.zst"):
        data = zstandard.ZstdDecompressor().stream_reader(data).read()
    elif path.name.endswith(".tar.xz"):
        data = lzma.decompress(data)
    return tarfile.open(fileobj=io.BytesIO(data))


@pytest.fixture(params=["data-filter", "own-checks"])
def member_checks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with tarfile's data filter, and as on Python 3.11.2 (our checks alone)."""
    if request.param == "own-checks":
        monkeypatch.setattr(archive_read, "DATA_FILTER", None)
    elif archive_read.DATA_FILTER is None:
        # Python 3.11.2 (Debian 12's): the own-checks run of the same case covers it.
        pytest.skip("this Python's tarfile has no data filter")
    return str(request.param)


@pytest.fixture
def no_leftovers(tmp_path: Path) -> Iterator[None]:
    """Fail if a test leaves restore/old temporaries or escapes into tmp_path's parent."""
    before = {p.name for p in tmp_path.parent.iterdir()}
    yield
    assert {p.name for p in tmp_path.parent.iterdir()} == before
    strays = [
        p
        for p in tmp_path.rglob(".*")
        if any(s in p.name for s in (".restore-", ".old-", ".unsynced-"))
    ]
    assert strays == []
