"""Local images: exists, list, labels, digests, tag, remove (pull, build, save, load: image_ops)."""

from __future__ import annotations

import json
from dataclasses import dataclass
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


def image_labels(engine: Engine, image: str) -> dict[str, str] | None:
    """The labels of a local image ({} when it has none); None when it is not present."""
    done = engine_call(
        engine, ["image", "inspect", "--format", "{{json .Config.Labels}}", image], check=False
    )
    if done.returncode != 0:
        return None
    try:
        found = json.loads(done.stdout.strip().splitlines()[0])
    except (ValueError, IndexError):
        return {}
    return {str(k): str(v) for k, v in (found or {}).items()}


def images_labelled(engine: Engine, key: str, value: str) -> list[tuple[str, str]]:
    """(full id, repository) of each local image whose label ``key`` is ``value``, newest first."""
    done = engine_call(
        engine,
        ["images", "--no-trunc", "--filter", f"label={key}={value}",
         "--format", "{{.ID}} {{.Repository}}"],
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return []
    rows = (line.partition(" ") for line in done.stdout.splitlines() if line.strip())
    return [(image_id, repository) for image_id, _, repository in rows]


def tag_image(engine: Engine, source: str, target: str) -> None:
    """Give local image ``source`` the name ``target``."""
    done = engine_call(engine, ["tag", source, target], check=False)
    if done.returncode != 0:
        raise EngineCommandError(f"tagging {target} failed: {last_line(done)}")


def remove_image(engine: Engine, image: str) -> None:
    """Remove the local name ``image`` (the layers go when no other name holds them)."""
    done = engine_call(engine, ["rmi", image], check=False)
    if done.returncode != 0:
        raise EngineCommandError(f"removing {image} failed: {last_line(done)}")
