"""A helper's private spawn.toml: its budget plus the secret token the hub knows it by.

The host writes it into the session's private runtime directory and binds it
read-only into the helper's container at ``~/helpers/<n>/spawn.toml``; no
other container sees it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from kanibako_helpers.atomic import write_atomic
from kanibako_helpers.errors import HelperError
from kanibako_helpers.regular_file import read_regular_file


@dataclass(frozen=True)
class HelperConfig:
    """What a helper knows about itself."""

    helper: int
    parent: int
    depth: int
    breadth: int
    model: str
    token: str


def write_helper_config(path: Path, config: HelperConfig) -> None:
    """Write ``config`` atomically, readable by its owner only."""
    data = tomli_w.dumps(
        {
            "helper": config.helper,
            "parent": config.parent,
            "depth": config.depth,
            "breadth": config.breadth,
            "model": config.model,
            "token": config.token,
        }
    ).encode()
    write_atomic(path, data, mode=0o600)


def read_helper_config(path: Path) -> HelperConfig:
    """Load a spawn.toml; a malformed one names the file and the key."""
    try:
        data = tomllib.loads(read_regular_file(path).decode("utf-8"))
    except OSError as exc:
        raise HelperError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise HelperError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise HelperError(f"{path}: {exc}") from exc
    values: dict[str, int | str] = {}
    for key, kind in (("helper", int), ("parent", int), ("depth", int), ("breadth", int)):
        value = data.get(key, -1 if key == "parent" else None)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise HelperError(f"{path}: key {key!r} must be an integer")
        values[key] = value
    for key in ("model", "token"):
        value = data.get(key, "")
        if not isinstance(value, str):
            raise HelperError(f"{path}: key {key!r} must be a string")
        values[key] = value
    if not values["token"]:
        raise HelperError(f"{path}: key 'token' is missing")
    return HelperConfig(**values)  # type: ignore[arg-type]
