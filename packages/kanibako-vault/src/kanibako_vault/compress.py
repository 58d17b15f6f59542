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
from typing import IO, Any, cast

from kanibako_vault.errors import VaultError, VaultUsageError

PRESET = 0
COMPRESSIONS = ("zstd", "xz", "none")
DEFAULT_COMPRESSION = "zstd"
SUFFIXES = {"zstd": ".tar.zst", "xz": ".tar.xz", "none": ".tar"}
ZSTD_LEVEL = 1  # measured: 20% faster than 3 for 1% more bytes (bench/vault_speed.py data)
# Below this many bytes of content, starting worker threads costs more than it saves.
ZSTD_THREADS_FROM = 8 * 1024 * 1024
# A sample that shrinks less than this is incompressible: zstd stores such blocks as
# they are, at about copying speed, and worker threads only add copies (measured on
# 50 MiB of random data: 0.05 s on one thread, 0.10-0.12 s with threads).
_INCOMPRESSIBLE = 0.9
_WRITE_SIZE = 1024 * 1024
_NOT_WORTH_IT = 0.97
# A snapshot with this much incompressible content is stored as a plain tar; below it,
# trying zstd costs too little to matter and the format stays predictable.
PLAIN_FROM = 8 * 1024 * 1024


def check_compression(compression: str) -> str:
    """``compression`` if it is one this vault writes; a usage error naming it otherwise."""
    if compression not in COMPRESSIONS:
        raise VaultUsageError(
            f"compression must be one of {', '.join(COMPRESSIONS)}, not {compression!r}"
        )
    return compression


@contextmanager
def compressed_writer(
    out_fd: int, compression: str, content_bytes: int, sample: bytes = b""
) -> Iterator[IO[bytes]]:
    """A binary stream whose bytes land in ``out_fd`` compressed as asked, once the block ends.

    ``sample``, some of the content to come, tells whether threads can pay off.
    """
    if compression == "xz":
        with xz_writer(out_fd) as packed:
            yield packed
        return
    with open(out_fd, "wb", closefd=False) as raw:
        if compression == "none":
            yield raw
            return
        import zstandard

        worth_threads = content_bytes >= ZSTD_THREADS_FROM and _compressible(zstandard, sample)
        threads = -1 if worth_threads else 0
        # The checksum makes damage an error instead of silently wrong content.
        packer = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=threads, write_checksum=True)
        # 1 MiB writes, not zstd's 128 KiB: measured 0.06 s against 0.12 s for 50 MiB.
        with packer.stream_writer(raw, closefd=False, write_size=_WRITE_SIZE) as packed:
            yield cast(IO[bytes], packed)


def _compressible(zstandard: Any, sample: bytes, below: float = _INCOMPRESSIBLE) -> bool:
    """True unless ``sample`` (none: unknown, so True) barely shrinks at our level."""
    if not sample:
        return True
    packed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(sample)
    return len(packed) < len(sample) * below


def worth_compressing(sample: bytes) -> bool:
    """False when ``sample`` shrinks less than 3% under zstd: such content is stored as a
    plain ``.tar`` (what zstd would store too, at the cost of trying; compare borg's
    ``auto`` compression)."""
    import zstandard

    return _compressible(zstandard, sample, _NOT_WORTH_IT)


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
