"""Is a newer image in the registry? Answered in the background, shown next time.

The launch path only reads a small cached answer (:func:`cached_freshness`)
and, when that answer is older than a day, starts a detached checker process
(:func:`start_background_check`) without waiting for it. The checker asks the
registry for the tag's digest over plain HTTPS (anonymous token if needed)
and compares it with the local copy's digests. Offline, the checker fails
quietly and records "unknown", so it is not retried for a day either.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from kanibako_runtime.engine import Engine
from kanibako_runtime.files import atomic_write_bytes, read_regular_file
from kanibako_runtime.images import local_digests

FRESHNESS_TTL = 24 * 3600.0
Status = Literal["current", "stale", "unknown"]
_MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into registry host, repository and tag."""

    registry: str
    repository: str
    tag: str


def parse_image_ref(image: str) -> ImageRef | None:
    """The registry parts of ``image``; None for local-only or digest-pinned images."""
    if "@" in image:
        return None  # pinned by digest: it cannot go stale
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", image
    if registry.startswith("localhost"):
        return None
    name, _, tag = path.rpartition(":") if ":" in path.split("/")[-1] else (path, "", "latest")
    if registry == "docker.io":
        registry = "registry-1.docker.io"
        if "/" not in name:
            name = f"library/{name}"
    return ImageRef(registry, name, tag or "latest")


@dataclass(frozen=True)
class FreshnessHint:
    """The last answer for one image: when it was checked and what was found."""

    image: str
    checked: float
    status: Status

    def is_due(self, now: float | None = None) -> bool:
        """Whether the answer is older than a day."""
        return (now if now is not None else time.time()) - self.checked >= FRESHNESS_TTL


def _cache_file(cache_dir: Path, image: str) -> Path:
    key = hashlib.sha256(image.encode()).hexdigest()[:24]
    return cache_dir / f"{key}.json"


def cached_freshness(cache_dir: Path, image: str) -> FreshnessHint | None:
    """The cached answer for ``image`` (a small file read: no engine, no network)."""
    try:
        data = json.loads(read_regular_file(_cache_file(cache_dir, image)))
        return FreshnessHint(image=image, checked=float(data["checked"]), status=data["status"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(cache_dir: Path, hint: FreshnessHint) -> None:
    """Store an answer atomically."""
    atomic_write_bytes(_cache_file(cache_dir, hint.image), json.dumps(asdict(hint)).encode())


def _bearer_token(challenge: str, timeout: float, scheme: str) -> str | None:
    import urllib.parse
    import urllib.request

    # WWW-Authenticate: Bearer realm="https://...",service="...",scope="..."
    if not challenge.lower().startswith("bearer "):
        return None
    params = dict(
        part.split("=", 1) for part in challenge[7:].replace('"', "").split(",") if "=" in part
    )
    realm = params.pop("realm", "")
    if not realm.startswith(f"{scheme}://"):
        return None  # never send a token request to a weaker scheme than the registry's
    url = realm + "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            token = json.loads(response.read()).get("token") or ""
    except (OSError, ValueError):
        return None
    return str(token) or None


def registry_digest(ref: ImageRef, *, timeout: float = 5.0, scheme: str = "https") -> str | None:
    """The digest the registry serves for ``ref`` now, or None when it cannot be asked.

    An anonymous bearer token is fetched when the registry asks for one
    (``401`` with ``WWW-Authenticate: Bearer realm=...``). ``scheme`` is
    ``https`` for real registries (tests use a local ``http`` one).
    """
    # Imported here: only the background checker needs HTTP (it is slow to import).
    import urllib.error
    import urllib.request

    if scheme not in ("https", "http"):
        raise ValueError(f"registry scheme must be https or http, not {scheme!r}")
    url = f"{scheme}://{ref.registry}/v2/{ref.repository}/manifests/{ref.tag}"
    headers = {"Accept": _MANIFEST_TYPES}
    for _attempt in range(2):
        request = urllib.request.Request(url, method="HEAD", headers=headers)  # noqa: S310 (checked)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                digest = response.headers.get("Docker-Content-Digest")
                return str(digest) if digest else None
        except urllib.error.HTTPError as exc:
            challenge = exc.headers.get("WWW-Authenticate", "") if exc.headers else ""
            exc.close()
            token = _bearer_token(challenge, timeout, scheme) if exc.code == 401 else None
            if token is None:
                return None
            headers["Authorization"] = f"Bearer {token}"
        except (OSError, ValueError):
            return None
    return None


def freshness_status(local: list[str], remote: str | None) -> Status:
    """``current`` when the registry's digest is one the local copy was pulled as."""
    if not local or not remote:
        return "unknown"
    return "current" if remote in local else "stale"


def check_now(engine: Engine, image: str, cache_dir: Path) -> FreshnessHint:
    """Ask the registry and the engine, and record the answer (this is the slow part)."""
    ref = parse_image_ref(image)
    status: Status = "unknown"
    if ref is not None:
        local = local_digests(engine, image)
        status = freshness_status(local, registry_digest(ref) if local else None)
    hint = FreshnessHint(image=image, checked=time.time(), status=status)
    record(cache_dir, hint)
    return hint


def start_background_check(engine: Engine, image: str, cache_dir: Path) -> bool:
    """Start a detached checker when the cached answer is missing or a day old.

    Returns whether one was started. Never waits and never touches the network
    itself; local-only images are never checked.
    """
    if parse_image_ref(image) is None:
        return False
    hint = cached_freshness(cache_dir, image)
    if hint is not None and not hint.is_due():
        return False
    # Mark the check as begun, so concurrent launches do not start more.
    record(cache_dir, FreshnessHint(image, time.time(), hint.status if hint else "unknown"))
    argv = [
        sys.executable, "-m", "kanibako_runtime.freshness",
        engine.kind, engine.binary, "1" if engine.remote else "0", image, str(cache_dir),
    ]  # fmt: skip
    devnull = os.devnull
    os.posix_spawn(
        sys.executable,
        argv,
        dict(os.environ),
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0),
        ],
        setsid=True,
    )
    return True


def _main(args: list[str]) -> int:
    kind, binary, remote, image, cache_dir = args
    if kind not in ("podman", "docker"):
        return 2
    engine = Engine(kind, binary, remote=remote == "1")  # type: ignore[arg-type]
    check_now(engine, image, Path(cache_dir))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
