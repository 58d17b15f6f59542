"""Updating Kanibako from the git checkout it was installed from.

The checkout is found from the installed distribution: an editable install
points into it, and ``pip install ./packages/...`` (scripts/install.sh)
records the directory it came from in ``direct_url.json``. Either way the
directory must be inside a git work tree; otherwise there is nothing to pull.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from kanibako.errors import CliError, CliFailure


@dataclass(frozen=True)
class Checkout:
    """Where Kanibako's source lives and how it was installed."""

    root: Path
    editable: bool


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise CliFailure("git is not installed") from None


def _checked_git(root: Path, *args: str) -> str:
    done = _git(root, *args)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise CliFailure(f"git {' '.join(args)} failed in {root}: {reason}")
    return done.stdout.strip()


def _installed_from() -> tuple[Path | None, bool]:
    try:
        dist = metadata.distribution("kanibako")
    except metadata.PackageNotFoundError:
        return None, False
    raw = dist.read_text("direct_url.json")
    if raw:
        info = json.loads(raw)
        url = urlparse(str(info.get("url", "")))
        if url.scheme == "file":
            editable = bool(info.get("dir_info", {}).get("editable"))
            return Path(unquote(url.path)), editable
        return None, False
    return None, False


def find_checkout(source: Path | None = None) -> Checkout:
    """The git work tree Kanibako was installed from; a clear error when there is none."""
    editable = False
    if source is None:
        source, editable = _installed_from()
    if source is None:
        raise CliError(
            "kanibako was not installed from a git checkout, so 'upgrade' cannot update it; "
            "upgrade it the way it was installed (e.g. pip install --upgrade kanibako)"
        )
    done = _git(source, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise CliError(
            f"kanibako was installed from {source}, which is not a git checkout; "
            "upgrade it the way it was installed"
        )
    return Checkout(Path(done.stdout.strip()), editable)


@dataclass(frozen=True)
class UpdateState:
    """How the checkout's branch compares with its upstream after a fetch."""

    branch: str
    upstream: str
    behind: int
    ahead: int


def check_for_update(checkout: Checkout) -> UpdateState:
    """Fetch the upstream and count the commits the checkout lacks (and has extra)."""
    branch = _checked_git(checkout.root, "rev-parse", "--abbrev-ref", "HEAD")
    upstream_done = _git(checkout.root, "rev-parse", "--abbrev-ref", "@{upstream}")
    if upstream_done.returncode != 0:
        raise CliError(
            f"branch {branch} of {checkout.root} has no upstream to update from "
            "(git branch --set-upstream-to=...)"
        )
    upstream = upstream_done.stdout.strip()
    _checked_git(checkout.root, "fetch", "--quiet")
    counts = _checked_git(
        checkout.root, "rev-list", "--left-right", "--count", "HEAD...@{upstream}"
    )
    ahead, behind = (int(n) for n in counts.split())
    return UpdateState(branch, upstream, behind, ahead)


def apply_update(checkout: Checkout) -> str:
    """``git pull --ff-only``, then reinstall into this interpreter; the new HEAD."""
    _checked_git(checkout.root, "pull", "--ff-only", "--quiet")
    packages = sorted(p for p in (checkout.root / "packages").glob("kanibako*") if p.is_dir())
    if packages:
        args = [sys.executable, "-m", "pip", "install", "--quiet", "--upgrade"]
        for package in packages:
            args += ["--editable", str(package)] if checkout.editable else [str(package)]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise CliFailure(f"reinstalling from {checkout.root} failed: {reason}")
    return _checked_git(checkout.root, "rev-parse", "--short", "HEAD")
