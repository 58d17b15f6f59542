"""``kanibako image rebuild --all`` against the real engine, kept fast.

The real layers install toolchains for minutes (and some download vendor
tarballs no CI mirror carries), so this runs the real command on a small
recipe set (``$KANIBAKO_CONTAINERS_DIR``, a documented option) whose base is
built on the test suite's cached bootstrapped Debian. It runs in a store of
its own (``CONTAINERS_STORAGE_CONF``), so ``--all`` sees only these images and
never rebuilds the machine's real kanibako images. Every ``RUN`` writes a
fresh UUID, which shows whether a step really ran again.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako.images import engine as image_engine
from kanibako.images.bootstrap import ensure_bootstrap_image
from kanibako.images.debian_mirror import DebianMirror
from kanibako.images.recipes import ORIGIN_LABEL, RECIPE_LABEL, load_recipes
from kanibako.step_progress import StepProgress
from kanibako_runtime import Engine, detect_engine
from tests.image_builds import bootstrap_cache
from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration

REGISTRY = "localhost/kanibako-rebuild-test"
MANIFEST = f"""registry = "{REGISTRY}"

[images.kanibako-base]
layers = []

[images.kanibako-alpha]
layers = ["layer-a"]

[images.kanibako-beta]
layers = ["layer-a", "layer-b"]

[images.kanibako-gamma]
layers = ["layer-c"]
"""
STEPS = {
    "kanibako-base": ("DEBIAN_IMAGE", "/base"),
    "layer-a": ("BASE_IMAGE", "/a"),
    "layer-b": ("BASE_IMAGE", "/b"),
    "layer-c": ("BASE_IMAGE", "/c"),
}


def _ref(name: str) -> str:
    return f"{REGISTRY}/{name}:latest"


@pytest.fixture
def own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> Iterator[Engine]:
    """An empty engine store holding only the cached bootstrapped Debian."""
    store = tmp_path / "store"
    store.mkdir()
    # A short run root: the engine's attach socket lives under it, and a socket
    # path over 108 bytes makes every `run` wait 20 s for a timeout instead.
    runroot = Path(tempfile.mkdtemp(prefix="kb-run-"))
    conf = store / "storage.conf"
    conf.write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{store / "graph"}"\nrunroot = "{runroot}"\n'
    )
    monkeypatch.setenv("CONTAINERS_STORAGE_CONF", str(conf))
    eng = detect_engine(engine)
    # The cached tarball is imported (written by a first, cold run if missing).
    ensure_bootstrap_image(
        eng, DebianMirror("http://deb.debian.org/debian"), StepProgress(), cache=bootstrap_cache()
    )
    try:
        yield eng
    finally:
        subprocess.run([engine, "rmi", "--all", "--force"], capture_output=True, check=False)
        shutil.rmtree(store, ignore_errors=True)
        shutil.rmtree(runroot, ignore_errors=True)


@pytest.fixture
def recipes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "containers"
    root.mkdir()
    (root / "images.toml").write_text(MANIFEST)
    for step, (arg, file) in STEPS.items():
        (root / step).mkdir()
        (root / step / "Containerfile").write_text(
            f"ARG {arg}\nFROM ${{{arg}}}\nRUN cat /proc/sys/kernel/random/uuid > {file}\n"
        )
    monkeypatch.setenv("KANIBAKO_CONTAINERS_DIR", str(root))
    return root


def _ids(engine: str, *images: str) -> list[str]:
    return subprocess.run(
        [engine, "image", "inspect", "--format", "{{.Id}}", *images],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip


def _read(engine: str, image: str, files: str) -> list[str]:
    return subprocess.run(
        [engine, "run", "--rm", "--network", "none", image, "sh", "-c", f"cat {files}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip


def test_rebuild_all_rebuilds_the_base_and_every_local_image_each_layer_once(
    isolated_home: Path, engine: str, own_store: Engine, recipes: Path
) -> None:
    alpha, beta, gamma, base = (_ref(f"kanibako-{n}") for n in ("alpha", "beta", "gamma", "base"))
    first = kanibako("image", "rebuild", alpha, cwd=isolated_home, timeout=120)
    assert first.returncode == 0, first.stderr
    for image in (beta, gamma):  # reusing the base and layer-a built just now
        assert kanibako("image", "rebuild", image, cwd=isolated_home).returncode == 0
    before = _ids(engine, alpha, beta, gamma)
    old_beta = _read(engine, beta, "/base /a /b")
    untouched = _ids(engine, "localhost/kanibako-bootstrap-debian:bookworm")

    done = kanibako("image", "rebuild", "--all", cwd=isolated_home, timeout=180)
    assert done.returncode == 0, done.stderr
    # The base first (it was not even tagged: every image is built on it),
    # then one-layer images before the two-layer one that shares layer-a.
    assert done.stdout.splitlines() == [f"rebuilt {i}" for i in (base, alpha, gamma, beta)]
    assert done.stderr.count(": layer layer-a: done in") == 1
    assert "reusing the current local build of kanibako-base + layer-a" in done.stderr

    after = _ids(engine, alpha, beta, gamma)
    assert all(new != old for new, old in zip(after, before, strict=True))
    new_beta = _read(engine, beta, "/base /a /b")
    assert all(new != old for new, old in zip(new_beta, old_beta, strict=True))  # all ran again
    assert _read(engine, alpha, "/base /a") == new_beta[:2]  # one base, one layer-a
    assert _read(engine, gamma, "/base") == new_beta[:1]
    assert _ids(engine, "localhost/kanibako-bootstrap-debian:bookworm") == untouched
    book = load_recipes()
    labels = image_engine.labels(own_store, beta)
    assert labels is not None and labels[ORIGIN_LABEL] == "local"
    assert labels[RECIPE_LABEL] == book.digest(("kanibako-base", "layer-a", "layer-b"))
