"""Engine commands that make or move an image: pull, push, build, import, save, load.

Each may run for minutes, so each takes an optional ``on_line`` that receives
the engine's output as it comes; a failure raises EngineCommandError with the
engine's last line.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from kanibako_runtime.calls import LineSink, engine_stream
from kanibako_runtime.engine import Engine
from kanibako_runtime.errors import EngineCommandError

LOADED_PREFIXES = ("Loaded image(s):", "Loaded image:", "Loaded image ID:")
"""How Podman and Docker name what ``load`` brought in."""


def pull_image(engine: Engine, image: str, *, on_line: LineSink | None = None) -> None:
    """Pull ``image`` from its registry."""
    engine_stream(engine, ["pull", image], what=f"pulling {image}", on_line=on_line)


def push_image(engine: Engine, image: str, *, on_line: LineSink | None = None) -> None:
    """Push local ``image`` to the registry its name points at."""
    engine_stream(engine, ["push", image], what=f"pushing {image}", on_line=on_line)


def build_image(
    engine: Engine,
    tag: str | None,
    context: Path,
    *,
    containerfile: Path | None = None,
    build_args: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    network_host: bool = False,
    no_cache: bool = False,
    on_line: LineSink | None = None,
) -> str:
    """Build ``context`` (tagged ``tag`` unless None); the new image's full id.

    ``containerfile`` defaults to the engine's choice in ``context``;
    ``no_cache`` skips the layer cache, so package installs run again.
    """
    with tempfile.TemporaryDirectory(prefix="kanibako-build-") as tmp:
        iidfile = Path(tmp) / "iid"
        args = ["build", "--iidfile", str(iidfile)]
        if tag:
            args += ["--tag", tag]
        if containerfile is not None:
            args += ["--file", str(containerfile)]
        if no_cache:
            args.append("--no-cache")
        for key, value in (build_args or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        for key, value in (labels or {}).items():
            args += ["--label", f"{key}={value}"]
        if network_host:
            # Rootless builds cannot use the bridge on hosts without /dev/net/tun.
            args += ["--network", "host"]
        args.append(str(context))
        what = f"building {tag or containerfile or context}"
        engine_stream(engine, args, what=what, on_line=on_line)
        image_id = iidfile.read_text(encoding="utf-8").strip() if iidfile.exists() else ""
    if not image_id:
        raise EngineCommandError(f"{what} produced no image id")
    return image_id


def import_image(
    engine: Engine,
    tarball: Path,
    image: str,
    *,
    changes: Iterable[str] = (),
    on_line: LineSink | None = None,
) -> None:
    """Import a root filesystem tarball as ``image``, with Containerfile ``changes`` applied."""
    args = ["import"]
    for change in changes:
        args += ["--change", change]
    with tarball.open("rb") as source:
        engine_stream(
            engine, [*args, "-", image], what=f"importing {image}", on_line=on_line,
            stdin=source.fileno(),
        )  # fmt: skip


def save_image(engine: Engine, image: str, file: Path) -> None:
    """Write local ``image`` to ``file`` as an archive ``load_image`` reads back.

    ``file`` is never half-written: the engine writes into a private directory
    beside it (the same file system, so the final rename is atomic, and no
    other process can take the name), which goes away whatever happens.
    """
    scratch = Path(tempfile.mkdtemp(prefix=f".{file.name}.", suffix=".partial", dir=file.parent))
    try:
        archive = scratch / "image.tar"
        engine_stream(engine, ["save", "-o", str(archive), image], what=f"saving {image}")
        archive.replace(file)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def load_image(engine: Engine, file: Path, *, on_line: LineSink | None = None) -> list[str]:
    """Load the image archive ``file``; the names (or ids) the engine reports it loaded."""
    output = engine_stream(
        engine, ["load", "-i", str(file)], what=f"loading {file}", on_line=on_line
    )
    loaded: list[str] = []
    for line in output.splitlines():
        for prefix in LOADED_PREFIXES:
            if line.strip().startswith(prefix):
                names = line.strip()[len(prefix) :].split(",")
                loaded += [name.strip() for name in names if name.strip()]
                break
    return loaded
