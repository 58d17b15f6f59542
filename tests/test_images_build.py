"""kanibako-base built with no registry (debootstrap from the Debian mirror, import,
build on it), then the launch layout checked inside it.

On a cold machine the fixture runs the whole route (about a minute); later runs
reuse the cached root filesystem tarball and the image while the base recipe
is unchanged (see tests/image_builds.py).
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from kanibako.images import build as image_build
from kanibako.images import engine as image_engine
from kanibako.images.bootstrap import BOOTSTRAP_IMAGE
from kanibako.images.recipes import BASE_NAME, ORIGIN_LABEL, RECIPE_LABEL, load_recipes
from kanibako.images.supply import ensure_image
from kanibako.step_progress import StepProgress
from kanibako_paths import write_shell_skeleton
from kanibako_runtime import detect_engine
from tests.image_builds import NO_REGISTRY_DEBIAN, ensure_test_base

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def base(engine: str) -> str:
    return ensure_test_base(engine)


def _run(engine: str, image: str, *args: str, mounts: tuple[str, ...] = ()) -> str:
    volumes = [arg for m in mounts for arg in ("-v", m)]
    done = subprocess.run(
        [engine, "run", "--rm", "--network", "none", *volumes, image, *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _layers(engine: str, image: str) -> list[str]:
    done = subprocess.run(
        [engine, "image", "inspect", "--format", "{{json .RootFS.Layers}}", image],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    layers: list[str] = json.loads(done.stdout)
    return layers


def test_base_is_built_on_the_bootstrapped_debian(engine: str, base: str) -> None:
    bootstrap = _layers(engine, BOOTSTRAP_IMAGE)
    assert len(bootstrap) == 1  # one imported root filesystem
    assert _layers(engine, base)[0] == bootstrap[0]
    labels = image_engine.labels(detect_engine(engine), base)
    assert labels is not None
    assert labels[RECIPE_LABEL] == load_recipes().digest((BASE_NAME,))
    assert labels[ORIGIN_LABEL] == "local"


def test_launch_layout_tools_user_and_home(engine: str, base: str) -> None:
    script = (
        "git --version; python3 --version; jq --version; gh --version | head -1; "
        "ssh -V 2>&1; nano --version | head -1; "
        "for t in zip unzip xz bzip2 zstd 7z tar gzip curl; do command -v $t >/dev/null || echo MISSING $t; done; "
        "echo user=$(id -un) uid=$(id -u) home=$HOME pwd=$PWD; "
        "command -v claude || echo no-agent-binary"
    )
    out = _run(engine, base, "bash", "-c", script)
    assert out.startswith("git version 2.")
    assert "Python 3.11" in out
    assert "jq-1." in out and "gh version" in out and "OpenSSH" in out and "GNU nano" in out
    assert "MISSING" not in out
    assert "user=agent uid=1000 home=/home/agent pwd=/home/agent/workspace" in out
    assert out.rstrip().endswith("no-agent-binary")


def test_bash_sources_shell_d_from_the_persistent_home(
    engine: str, base: str, tmp_path: Path
) -> None:
    # The launch mounts the project's shell (made by kanibako_paths) at /home/agent.
    home = tmp_path / "shell"
    write_shell_skeleton(home)
    (home / ".shell.d" / "10-mark.sh").write_text("export KANIBAKO_MARK=from-shell-d\n")
    (home / ".shell.d" / "20-later.sh").write_text('KANIBAKO_MARK="$KANIBAKO_MARK+20"\n')
    home.chmod(0o755)
    out = _run(
        engine, base, "bash", "-ic", 'echo "mark=$KANIBAKO_MARK"',
        mounts=(f"{home}:/home/agent",),
    )  # fmt: skip
    assert "mark=from-shell-d+20" in out


def test_the_image_home_alone_also_sources_shell_d(engine: str, base: str) -> None:
    script = (
        "echo 'export KANIBAKO_MARK=image-skel' > ~/.shell.d/x.sh; "
        "bash -ic 'echo mark=$KANIBAKO_MARK'; bash -c 'echo plain=${KANIBAKO_MARK:-unset}'"
    )
    out = _run(engine, base, "bash", "-c", script)
    assert "mark=image-skel" in out
    assert "plain=unset" in out  # non-interactive shells (kanibako shell -c) skip drop-ins


def test_ensure_image_reuses_a_current_build_under_another_name(engine: str, base: str) -> None:
    eng = detect_engine(engine)
    other = "localhost/kanibako-base:kanibako-test-alias"
    out = io.StringIO()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(image_build, "DEBIAN_IMAGE", NO_REGISTRY_DEBIAN)
            ensure_image(eng, other, progress=StepProgress(stream=out))
        text = out.getvalue()
        assert f"pulling {other}: failed" in text
        assert "reusing the current local build of kanibako-base" in text
        assert f"building {other} ..." not in text  # tagged, not built again
        assert _layers(engine, other) == _layers(engine, base)
        assert f"{other} is ready (built locally in" in text
        out.truncate(0)
        ensure_image(eng, other, progress=StepProgress(stream=out))
        assert out.getvalue() == ""  # present: one engine call, nothing said
    finally:
        subprocess.run([engine, "rmi", other], capture_output=True, check=False)
