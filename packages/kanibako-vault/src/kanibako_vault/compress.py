"""xz compression for new archives: the ``xz`` program on every core, else Python's lzma.

Measured here (bench/vault_bench.py), xz's fastest preset (-0) is an order of
magnitude faster than the default (-6) for a few percent more bytes, and ``xz -T0``
spreads blocks over the cores; Python's lzma module has no threads. The output is
plain .xz either way, readable by ``tar -xJf`` and by Python.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from kanibako_vault.errors import VaultError

PRESET = 0


def xz_program() -> str | None:
    """The ``xz`` binary to use, or None to compress in-process."""
    if os.environ.get("KANIBAKO_VAULT_XZ") == "python":
        return None
    return shutil.which("xz")


@contextmanager
def xz_writer(out_fd: int) -> Iterator[IO[bytes]]:
    """A binary stream whose bytes land xz-compressed in ``out_fd`` when the block ends."""
    program = xz_program()
    if program is None:
        with (
            open(out_fd, "wb", closefd=False) as raw,
            lzma.LZMAFile(raw, "w", preset=PRESET) as packed,
        ):
            yield packed
        return
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
