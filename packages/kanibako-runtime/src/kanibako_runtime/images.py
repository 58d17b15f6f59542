"""Local images: exists, pull, build, list."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kanibako_runtime.calls import engine_call, last_line
from kanibako_runtime.engine import Engine
from kanibako_runtime.engine_json import json_rows
from kanibako_runtime.errors import EngineCommandError


@dataclass(frozen=True)
class ImageInfo:
    """One local image: its names (repo:tag), id, size in bytes (0 if unknown), creation time."""

    names: tuple[str, ...]
    id: str
    size: int
    created: str


def image_exists(engine: Engine, image: str) -> bool:
    """Whether ``image`` is present locally (no network)."""
    args = ["image", "exists", image] if engine.kind == "podman" else ["image", "inspect", image]
    return engine_call(engine, args, check=False).returncode == 0


def _run_visible(engine: Engine, args: list[str], *, quiet: bool, what: str) -> None:
    argv = [*engine.base_argv(), *args]
    if quiet:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise EngineCommandError(f"{what} failed: {last_line(done)}")
        return
    # Progress goes straight to the user's terminal.
    if subprocess.run(argv, check=False).returncode != 0:
        raise EngineCommandError(f"{what} failed (see the engine's output above)")


def pull_image(engine: Engine, image: str, *, quiet: bool = True) -> None:
    """Pull ``image`` from its registry."""
    _run_visible(engine, ["pull", image], quiet=quiet, what=f"pulling {image}")


def build_image(
    engine: Engine,
    tag: str,
    context: Path,
    *,
    containerfile: Path | None = None,
    build_args: dict[str, str] | None = None,
    network_host: bool = False,
    quiet: bool = True,
) -> None:
    """Build ``tag`` from ``context`` (``containerfile`` defaults to the engine's choice)."""
    args = ["build", "--tag", tag]
    if containerfile is not None:
        args += ["--file", str(containerfile)]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    if network_host:
        # Rootless builds cannot use the bridge on hosts without /dev/net/tun.
        args += ["--network", "host"]
    args.append(str(context))
    _run_visible(engine, args, quiet=quiet, what=f"building {tag}")


def _size(raw: Any) -> int:
    if isinstance(raw, int):
        return raw
    text = str(raw or "").strip().upper()
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "B": 1}
    for unit, factor in units.items():
        if text.endswith(unit):
            try:
                return int(float(text[: -len(unit)]) * factor)
            except ValueError:
                return 0
    return int(text) if text.isdigit() else 0


def parse_images(text: str) -> list[ImageInfo]:
    """Rows of ``images --format json`` (Podman: one array; Docker: one object a line)."""
    found = []
    for row in json_rows(text):
        if "Names" in row:
            names = tuple(row.get("Names") or ())
        else:
            repo, tag = row.get("Repository", "<none>"), row.get("Tag", "<none>")
            names = () if repo == "<none>" else (f"{repo}:{tag}",)
        found.append(
            ImageInfo(
                names=names,
                id=str(row.get("Id") or row.get("ID") or ""),
                size=_size(row.get("Size")),
                created=str(row.get("CreatedAt") or row.get("Created") or ""),
            )
        )
    return found


def list_images(engine: Engine) -> list[ImageInfo]:
    """Every local image."""
    fmt = "json" if engine.kind == "podman" else "{{json .}}"
    return parse_images(engine_call(engine, ["images", "--format", fmt]).stdout)


def local_digests(engine: Engine, image: str) -> list[str]:
    """The registry digests (``sha256:...``) the local copy of ``image`` was pulled as."""
    done = engine_call(
        engine, ["image", "inspect", "--format", "{{json .RepoDigests}}", image], check=False
    )
    if done.returncode != 0:
        return []
    try:
        digests = json.loads(done.stdout.strip().splitlines()[0])
    except (ValueError, IndexError):
        return []
    return [d.split("@", 1)[1] for d in digests or [] if "@" in d]
