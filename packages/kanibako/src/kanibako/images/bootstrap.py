"""A Debian bookworm image made without any registry: debootstrap, slim, import.

As root, debootstrap makes the tree; without root, mmdebstrap in a user
namespace does (see kanibako.images.mmdebstrap), trimmed the same way.

For machines that reach only a Debian package mirror (air-gapped hosts, the
project's CI): the root filesystem is bootstrapped from the mirror, trimmed
like the registry's ``debian:bookworm-slim`` (same dpkg path excludes as
kanibako-base), packed as a tarball and imported as :data:`BOOTSTRAP_IMAGE`,
which kanibako-base is then built on.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kanibako.images import engine as image_engine
from kanibako.images.debian_mirror import SUITE, DebianMirror
from kanibako.images.errors import BootstrapUnavailableError, ImageError
from kanibako.images.host_command import run_command
from kanibako.images.mmdebstrap import run_mmdebstrap
from kanibako.images.recipes import BASE_NAME, containers_dir
from kanibako.step_progress import Step, StepProgress
from kanibako_runtime import Engine, image_exists

BOOTSTRAP_IMAGE = f"localhost/kanibako-bootstrap-debian:{SUITE}"
SLIM_CONFIG = "dpkg-slim.cfg"
_SLIMMED_DIRS = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale",
                 "usr/share/lintian")  # fmt: skip


def ensure_bootstrap_image(
    engine: Engine,
    mirror: DebianMirror,
    progress: StepProgress,
    *,
    cache: Path | None = None,
) -> str:
    """:data:`BOOTSTRAP_IMAGE`, present locally: imported from ``cache`` or bootstrapped.

    ``cache`` is a tarball path: reused when it exists, written when it does not
    (tests keep one between runs; a normal setup needs none).
    """
    if image_exists(engine, BOOTSTRAP_IMAGE):
        return BOOTSTRAP_IMAGE
    if cache is not None and cache.is_file():
        with progress.step(f"importing the cached Debian root filesystem {cache}") as step:
            image_engine.import_rootfs(engine, cache, BOOTSTRAP_IMAGE, step)
        return BOOTSTRAP_IMAGE
    tool = find_bootstrapper()
    # A Debian tree is ~200 MB: beside the cache, else on disk (/tmp may be a small tmpfs).
    work_root = cache.parent if cache is not None else _disk_tmp()
    work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kanibako-rootfs-", dir=work_root) as tmp:
        root = Path(tmp) / "root"
        tarball = cache if cache is not None else Path(tmp) / "rootfs.tar"
        how = "" if tool.kind == "debootstrap" else ", rootless with mmdebstrap"
        with progress.step(
            f"bootstrapping Debian {SUITE} from {mirror.archive} ({mirror.source}{how})"
        ) as step:
            if tool.kind == "debootstrap":
                run_debootstrap(tool.binary, root, mirror, step)
                slim_rootfs(root, mirror)
            else:
                run_mmdebstrap(tool.binary, tarball, mirror, step, work_dir=Path(tmp))
        with progress.step(f"importing the root filesystem as {BOOTSTRAP_IMAGE}") as step:
            if tool.kind == "debootstrap":
                pack_rootfs(root, tarball)
            image_engine.import_rootfs(engine, tarball, BOOTSTRAP_IMAGE, step)
    return BOOTSTRAP_IMAGE


def _disk_tmp() -> Path:
    var_tmp = Path("/var/tmp")  # noqa: S108 (a parent for mkdtemp, not a fixed file name)
    return (
        var_tmp if var_tmp.is_dir() and os.access(var_tmp, os.W_OK) else Path(tempfile.gettempdir())
    )


@dataclass(frozen=True)
class Bootstrapper:
    """The program that bootstraps Debian here: debootstrap (root) or mmdebstrap (any user)."""

    kind: Literal["debootstrap", "mmdebstrap"]
    binary: str


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")


def find_bootstrapper() -> Bootstrapper:
    """debootstrap as root, else mmdebstrap; an error saying what to do when neither can run."""
    rootless = os.geteuid() != 0
    debootstrap = _which("debootstrap")
    if debootstrap is not None and not rootless:
        return Bootstrapper("debootstrap", debootstrap)
    mmdebstrap = _which("mmdebstrap")
    if mmdebstrap is not None:
        return Bootstrapper("mmdebstrap", mmdebstrap)
    if rootless:
        raise BootstrapUnavailableError(
            "no registry is reachable and bootstrapping Debian without root needs mmdebstrap: "
            "install it (apt-get install mmdebstrap), run `kanibako setup` as root once, "
            "or load a Debian bookworm image (docker.io/library/debian:bookworm-slim) "
            "into the engine"
        )
    raise BootstrapUnavailableError(
        "no registry is reachable and debootstrap is not installed: install it "
        "(apt-get install debootstrap) or load a Debian bookworm image into the engine"
    )


def run_debootstrap(debootstrap: str, root: Path, mirror: DebianMirror, step: Step) -> None:
    """A minimal bookworm tree at ``root``, its output fed to ``step``."""
    argv = [debootstrap, "--variant=minbase", "--components=main", SUITE, str(root), mirror.archive]
    run_command(argv, step, what=f"debootstrap from {mirror.archive}")


def slim_rules(text: str) -> list[tuple[bool, str]]:
    """dpkg ``path-exclude``/``path-include`` rules as (excluded, pattern), in order."""
    rules = []
    for raw in text.splitlines():
        words = raw.split()
        if len(words) == 2 and words[0] in ("path-exclude", "path-include"):
            rules.append((words[0] == "path-exclude", words[1]))
    return rules


def is_excluded(path: str, rules: list[tuple[bool, str]]) -> bool:
    """dpkg's rule: the last pattern matching ``path`` decides."""
    excluded = False
    for exclude, pattern in rules:
        if fnmatch.fnmatchcase(path, pattern):
            excluded = exclude
    return excluded


def slim_rootfs(root: Path, mirror: DebianMirror) -> None:
    """Trim ``root`` like a registry's slim image and point apt at ``mirror``."""
    config = (containers_dir() / BASE_NAME / SLIM_CONFIG).read_text(encoding="utf-8")
    rules = slim_rules(config)
    for top in _SLIMMED_DIRS:
        for path in sorted((root / top).rglob("*"), reverse=True):
            inside = "/" + path.relative_to(root).as_posix()
            if (path.is_file() or path.is_symlink()) and is_excluded(inside, rules):
                path.unlink()
            elif path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
                path.rmdir()
    dpkg_cfg = root / "etc/dpkg/dpkg.cfg.d"
    dpkg_cfg.mkdir(parents=True, exist_ok=True)
    (dpkg_cfg / "kanibako-slim").write_text(config, encoding="utf-8")
    # Downloaded packages and index files are re-fetched by every build anyway.
    for folder in (root / "var/cache/apt/archives", root / "var/lib/apt/lists"):
        for path in folder.glob("*"):
            if path.is_file():
                path.unlink()
    (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    sources = root / "etc/apt/sources.list.d"
    sources.mkdir(parents=True, exist_ok=True)
    (sources / "debian.sources").write_text(mirror.sources_text(), encoding="utf-8")
    # The host's own name and resolver are no business of the image (the engine sets them).
    for name in ("etc/hostname", "etc/resolv.conf"):
        (root / name).unlink(missing_ok=True)


def pack_rootfs(root: Path, tarball: Path) -> None:
    """``root`` as a tar file at ``tarball`` (written under a temporary name, then renamed)."""
    tarball.parent.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_name(f".{tarball.name}.{os.getpid()}.partial")
    done = subprocess.run(
        ["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-cf", str(partial), "."],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise ImageError(f"packing the root filesystem failed: {done.stderr.strip()}")
    partial.replace(tarball)
