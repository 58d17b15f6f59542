"""The Containerfiles travel with the kanibako distribution.

A wheel built from the checkout, and one built from the sdist, carry
``kanibako/containers`` identical to the repository's ``containers/``, and
kanibako finds them there when installed; the editable dev install copies
nothing and reads the checkout's live files.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import kanibako
from kanibako.images.recipes import containers_dir

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "packages" / "kanibako"


def _repo_files() -> dict[str, bytes]:
    root = REPO / "containers"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _backend(call: str, source: Path, out: Path) -> Path:
    """Run a hatchling PEP 517 hook in ``source`` (no network, no isolated env)."""
    out.mkdir(parents=True, exist_ok=True)
    code = f"from hatchling.build import {call}; print({call}({str(out)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=source, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return out / done.stdout.strip().splitlines()[-1]


def _wheel_containers(wheel: Path) -> dict[str, bytes]:
    prefix = "kanibako/containers/"
    with zipfile.ZipFile(wheel) as archive:
        return {
            name[len(prefix) :]: archive.read(name)
            for name in archive.namelist()
            if name.startswith(prefix)
        }


def test_wheel_carries_the_containerfiles_and_finds_them_installed(tmp_path: Path) -> None:
    wheel = _backend("build_wheel", PACKAGE, tmp_path / "dist")
    assert _wheel_containers(wheel) == _repo_files()
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)  # noqa: S202 (our own freshly built wheel)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from kanibako.images.recipes import containers_dir, load_recipes;"
        "print(containers_dir()); print(len(load_recipes().recipes))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(site)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [str(site / "kanibako" / "containers"), "7"]


def test_wheel_built_from_the_sdist_carries_them_too(tmp_path: Path) -> None:
    sdist = _backend("build_sdist", PACKAGE, tmp_path / "dist")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (source,) = (tmp_path / "unpacked").iterdir()
    assert (source / "containers" / "images.toml").is_file()
    wheel = _backend("build_wheel", source, tmp_path / "dist2")
    assert _wheel_containers(wheel) == _repo_files()


def test_editable_install_reads_the_checkout_and_copies_nothing() -> None:
    assert containers_dir() == REPO / "containers"
    assert Path(kanibako.__file__).resolve().parent == PACKAGE / "src" / "kanibako"
    for entry in sys.path:
        assert not (Path(entry) / "kanibako" / "containers").exists(), entry
