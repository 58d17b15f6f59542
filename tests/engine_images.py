"""Build the small local test images without any registry.

busybox: the host's static busybox in a folder, imported (seconds).
debian: a debootstrap minbase rootfs, cached between runs, imported (~40 s once).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BUSYBOX_IMAGE = "localhost/kanibako-test-busybox:latest"
DEBIAN_IMAGE = "localhost/kanibako-test-debian:latest"
PYTHON_IMAGE = "localhost/kanibako-test-python:latest"
_IMPORT_CHANGES = [
    "--change",
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "--change",
    "ENV LANG=C.UTF-8",
]


def cache_dir() -> Path:
    """Outside any per-test HOME so the rootfs survives between runs."""
    base = os.environ.get("KANIBAKO_TEST_CACHE") or str(
        Path(tempfile.gettempdir()) / "kanibako-test-cache"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def image_exists(engine: str, image: str) -> bool:
    return (
        subprocess.run(
            [engine, "image", "inspect", image], capture_output=True, check=False
        ).returncode
        == 0
    )


def _import_tree(engine: str, root: Path, image: str, cmd: str) -> None:
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(root), "-c", "."], stdout=subprocess.PIPE
    )
    subprocess.run(
        [engine, "import", *_IMPORT_CHANGES, "--change", f'CMD ["{cmd}"]', "-", image],
        stdin=tar.stdout,
        check=True,
        capture_output=True,
    )
    assert tar.stdout is not None
    tar.stdout.close()
    if tar.wait() != 0:
        raise RuntimeError(f"tar of {root} failed")


def ensure_busybox(engine: str) -> str:
    if image_exists(engine, BUSYBOX_IMAGE):
        return BUSYBOX_IMAGE
    busybox = shutil.which("busybox") or "/bin/busybox"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        for sub in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "root", "home"):
            (root / sub).mkdir(parents=True)
        shutil.copy2(busybox, root / "bin" / "busybox")
        subprocess.run(["chroot", str(root), "/bin/busybox", "--install", "-s"], check=True)
        (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
        (root / "etc/group").write_text("root:x:0:\n")
        (root / "tmp").chmod(0o1777)
        _import_tree(engine, root, BUSYBOX_IMAGE, "/bin/sh")
    return BUSYBOX_IMAGE


def debian_rootfs() -> Path:
    """A debootstrap minbase bookworm tree, made once and cached."""
    root = cache_dir() / "debian-rootfs"
    if (root / "usr/bin/apt-get").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    mirror = os.environ.get("KANIBAKO_TEST_MIRROR") or _host_mirror()
    subprocess.run(
        ["debootstrap", "--variant=minbase", "bookworm", str(root), mirror],
        check=True,
        capture_output=True,
    )
    subprocess.run(["chroot", str(root), "apt-get", "clean"], check=True)
    shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
    (root / "var/lib/apt/lists/partial").mkdir(parents=True)
    return root


def _host_mirror() -> str:
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split()[1]
    return "http://deb.debian.org/debian"


def ensure_debian(engine: str) -> str:
    if image_exists(engine, DEBIAN_IMAGE):
        return DEBIAN_IMAGE
    _import_tree(engine, debian_rootfs(), DEBIAN_IMAGE, "/bin/bash")
    return DEBIAN_IMAGE


def ensure_python(engine: str) -> str:
    """The Debian test image plus python3: the in-container kanibako is a zipapp."""
    if image_exists(engine, PYTHON_IMAGE):
        return PYTHON_IMAGE
    ensure_debian(engine)
    containerfile = (
        f"FROM {DEBIAN_IMAGE}\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends python3 \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "Containerfile").write_text(containerfile)
        subprocess.run(
            [engine, "build", "--network", "host", "-t", PYTHON_IMAGE, tmp],
            check=True,
            capture_output=True,
        )
    return PYTHON_IMAGE
