"""Compressing new archives: zstd (the default), xz, or none.

zstd goes through the ``zstandard`` binding, in-process: measured here
(bench/vault_speed.py) it compresses 100 MiB of mixed data two orders of magnitude
faster than ``tar -cJf``, and spreads large archives over every core. ``xz`` keeps
the format of older snapshots: the ``xz`` program on every core, else Python's lzma
(xz's fastest preset, -0, is an order of magnitude faster than its default for a few
percent more bytes). ``none`` writes a plain tar. Every output is what ``tar -xf``
reads (``.tar.zst`` where zstd is installed).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, cast

from kanibako_vault.errors import VaultError, VaultUsageError

PRESET = 0
COMPRESSIONS = ("zstd", "xz", "none")
DEFAULT_COMPRESSION = "zstd"
SUFFIXES = {"zstd": ".tar.zst", "xz": ".tar.xz", "none": ".tar"}
ZSTD_LEVEL = 1  # measured: 20% faster than 3 for 1% more bytes (bench/vault_speed.py data)
# Below this many bytes of content, starting worker threads costs more than it saves.
ZSTD_THREADS_FROM = 8 * 1024 * 1024


def check_compression(compression: str) -> str:
    """``compression`` if it is one this vault writes; a usage error naming it otherwise."""
    if compression not in COMPRESSIONS:
        raise VaultUsageError(
            f"compression must be one of {', '.join(COMPRESSIONS)}, not {compression!r}"
        )
    return compression


@contextmanager
def compressed_writer(out_fd: int, compression: str, content_bytes: int) -> Iterator[IO[bytes]]:
    """A binary stream whose bytes land in ``out_fd`` compressed as asked, once the block ends."""
    if compression == "xz":
        with xz_writer(out_fd) as packed:
            yield packed
        return
    with open(out_fd, "wb", closefd=False) as raw:
        if compression == "none":
            yield raw
            return
        import zstandard

        threads = -1 if content_bytes >= ZSTD_THREADS_FROM else 0
        # The checksum makes damage an error instead of silently wrong content.
        packer = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=threads, write_checksum=True)
        with packer.stream_writer(raw, closefd=False) as packed:
            yield cast(IO[bytes], packed)


def xz_program() -> str | None:
    """The ``xz`` binary to use, or None to compress in-process."""
    if os.environ.get("KANIBAKO_VAULT_XZ") == "python":
        return None
    import shutil

    return shutil.which("xz")


@contextmanager
def xz_writer(out_fd: int) -> Iterator[IO[bytes]]:
    """A binary stream whose bytes land xz-compressed in ``out_fd`` when the block ends."""
    program = xz_program()
    if program is None:
        import lzma

        with (
            open(out_fd, "wb", closefd=False) as raw,
            lzma.LZMAFile(raw, "w", preset=PRESET) as packed,
        ):
            yield packed
        return
    import subprocess

    # XZ_OPT/XZ_DEFAULTS in the user's environment must not change our format or speed.
    env = {k: v for k, v in os.environ.items() if k not in ("XZ_OPT", "XZ_DEFAULTS")}
    proc = subprocess.Popen(
        [program, "--threads=0", f"-{PRESET}", "--stdout", "--quiet"],
        stdin=subprocess.PIPE,
        stdout=out_fd,
        stderr=subprocess.PIPE,
        env=env,
    )
    if proc.stdin is None or proc.stderr is None:  # pragma: no cover - PIPE always gives both
        raise VaultError("could not talk to xz")
    try:
        yield proc.stdin
        proc.stdin.close()
    except BrokenPipeError:
        # xz stopped reading: it failed (a full disk, most likely) and says why.
        _close_quietly(proc.stdin)
        proc.wait()
        raise VaultError(f"xz failed: {_reason(proc.stderr, proc.returncode)}") from None
    except BaseException:
        proc.kill()
        _close_quietly(proc.stdin)
        proc.wait()
        proc.stderr.close()
        raise
    if proc.wait() != 0:
        raise VaultError(f"xz failed: {_reason(proc.stderr, proc.returncode)}")
    proc.stderr.close()


def _close_quietly(stream: IO[bytes]) -> None:
    # Closing flushes; to a dead xz that flush fails, and the caller reports why.
    with contextlib.suppress(BrokenPipeError):
        stream.close()


def _reason(stderr: IO[bytes], returncode: int) -> str:
    text = stderr.read().decode(errors="replace").strip()
    stderr.close()
    return text.splitlines()[-1] if text else f"exit status {returncode}"
