"""A self-contained build of the kanibako CLI for use inside containers.

The director and every helper run ``kanibako helper ...`` from
``~/.local/bin/kanibako``: a zipapp holding the six workspace packages'
sources plus their pure-Python dependencies (click, platformdirs, tomli_w),
run by the image's ``python3``. It is built from whatever is installed on the
host and cached by the hash of its content, so an unchanged install costs one
pass over ~2 MB of sources and nothing is rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

from kanibako_paths import KanibakoPathsError, atomic_file, atomic_write_bytes
from kanibako_paths.regular_file import read_regular_file

# Import names packed into the bundle, and the distributions whose metadata
# (entry points: the target plugins) is packed beside them.
PACKAGES = (
    "kanibako",
    "kanibako_paths",
    "kanibako_runtime",
    "kanibako_vault",
    "kanibako_helpers",
    "kanibako_targets",
    "click",
    "platformdirs",
    "tomli_w",
)
DISTRIBUTIONS = (
    "kanibako",
    "kanibako-paths",
    "kanibako-runtime",
    "kanibako-vault",
    "kanibako-helpers",
    "kanibako-targets",
)
CLI_ON_PATH = "/usr/local/bin/kanibako"
"""A second place the bundle is bound, so ``kanibako`` resolves in any image.

``~/.local/bin`` is on PATH only where the image's ENV puts it (kanibako-base
does); ``/usr/local/bin`` is on the default PATH of Debian, Ubuntu, Alpine
and the official language images, and on the engine's own default PATH for an
image that sets none. A bind (not a PATH in the container's env) keeps each
image's own PATH intact.
"""


def cli_targets(home_cli: str) -> tuple[str, str]:
    """Every container path the bundle is bound at: ``home_cli`` (``~/.local/bin/kanibako``,
    which scripts name explicitly) and :data:`CLI_ON_PATH` (what a bare ``kanibako`` finds)."""
    return (home_cli, CLI_ON_PATH)


_MAIN = b"from kanibako.cli import main\n\nmain()\n"
_SHEBANG = b"#!/usr/bin/env python3\n"


def _package_root(name: str) -> Path:
    """Where the package ``name`` lives, found without importing it."""
    spec = importlib.util.find_spec(name)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise RuntimeError(f"cannot locate the sources of {name}")
    return Path(locations[0])


def _package_files(name: str) -> Iterator[tuple[str, Path]]:
    """(archive name, host path) of every source file of the package ``name``."""
    root = _package_root(name)
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file() or path.suffix in (".pyc", ".so"):
            continue
        yield f"{name}/{path.relative_to(root).as_posix()}", path


def _metadata_files(dist_name: str) -> Iterator[tuple[str, bytes]]:
    """A minimal ``.dist-info`` (METADATA, entry_points.txt) so plugin discovery works."""
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution(dist_name)
    except importlib.metadata.PackageNotFoundError:
        return
    folder = f"{dist_name.replace('-', '_')}-{dist.version}.dist-info"
    for name in ("METADATA", "entry_points.txt"):
        text = dist.read_text(name)
        if text is not None:
            yield f"{folder}/{name}", text.encode()


@functools.cache
def _fingerprint() -> str:
    """A cheap key of the installed sources (names, sizes, mtimes): no file is read.

    It runs on every launch with helpers, so it walks with ``os.scandir`` (the
    entries carry their type; no Path objects): several times faster than
    :func:`_package_files`, over the same files. Once per process: the hub and
    the egress proxy both ask (4-7 ms each), and a running process keeps the
    code it started with.
    """
    digest = hashlib.sha256(importlib.util.MAGIC_NUMBER)
    for package in PACKAGES:
        root = str(_package_root(package))
        for relative, info in sorted(_walk_stats(root, "")):
            digest.update(f"{package}/{relative}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _walk_stats(directory: str, prefix: str) -> Iterator[tuple[str, os.stat_result]]:
    """(relative name, stat) of each source file below ``directory`` (as _package_files picks)."""
    with os.scandir(directory) as entries:
        for entry in entries:
            name = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    yield from _walk_stats(entry.path, f"{name}/")
            elif entry.is_file() and not entry.name.endswith((".pyc", ".so")):
                yield name, entry.stat()


def _compiled(path: Path, arc: str, workdir: Path) -> bytes:
    """Bytecode for ``path`` as zipimport reads it (``name.pyc`` beside ``name.py``).

    zipimport cannot cache bytecode itself, so without this every in-container
    ``kanibako`` call would compile click and kanibako afresh (~0.1 s). The
    unchecked-hash form needs no timestamps; a Python with another magic number
    ignores it and reads the source.
    """
    import py_compile

    target = workdir / "out.pyc"
    py_compile.compile(
        str(path),
        cfile=str(target),
        dfile=arc,
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    return target.read_bytes()


def bundle_contents() -> list[tuple[str, bytes]]:
    """The zipapp's sources and metadata, in a stable order (bytecode is added at build)."""
    contents = [("__main__.py", _MAIN)]
    for package in PACKAGES:
        contents += [(arc, path.read_bytes()) for arc, path in _package_files(package)]
    for dist in DISTRIBUTIONS:
        contents += list(_metadata_files(dist))
    return contents


def _with_bytecode(contents: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """``contents`` plus a ``.pyc`` after each package source."""
    import tempfile

    sources = {arc: path for package in PACKAGES for arc, path in _package_files(package)}
    result = []
    with tempfile.TemporaryDirectory() as tmp:
        for arc, data in contents:
            result.append((arc, data))
            if arc.endswith(".py") and arc in sources:
                result.append((arc + "c", _compiled(sources[arc], arc, Path(tmp))))
    return result


def ensure_bundle(cache_dir: Path) -> Path:
    """The zipapp for the installed sources, built into ``cache_dir`` if not there yet.

    A launch only stats the sources: when their fingerprint is the one recorded
    beside the last build, that build is used; otherwise the content hash
    decides whether a build is needed.
    """
    fingerprint = _fingerprint()
    index = cache_dir / "fingerprint"
    try:
        known, name = read_regular_file(index, KanibakoPathsError).decode().split()
    except (OSError, KanibakoPathsError, ValueError):
        known, name = "", ""
    if known == fingerprint and (cache_dir / name).is_file():
        return cache_dir / name
    target = _build(cache_dir)
    atomic_write_bytes(index, f"{fingerprint} {target.name}\n".encode())
    return target


def _build(cache_dir: Path) -> Path:
    """The zipapp named by the hash of its sources (built only when missing).

    Bytecode is left out of the hash: marshal output is not byte-for-byte
    stable, and it follows from the sources and the Python (its magic number).
    """
    contents = bundle_contents()
    digest = hashlib.sha256(importlib.util.MAGIC_NUMBER)
    for name, data in contents:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    target = cache_dir / f"kanibako-{digest.hexdigest()[:16]}.pyz"
    if target.is_file():
        return target
    import zipfile

    contents = _with_bytecode(contents)
    with atomic_file(target, mode=0o755) as handle:
        handle.write(_SHEBANG)
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in contents:
                # Fixed timestamps: the same sources give the same bytes.
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
    for old in cache_dir.glob("kanibako-*.pyz"):
        if old != target:
            old.unlink(missing_ok=True)
    return target
