"""The in-container ``kanibako`` resolves in any image, not only kanibako-base.

The test image is plain Debian plus python3: its PATH has no ``~/.local/bin``
(only kanibako-base's ENV adds it). Bound at :func:`cli_targets`, a bare
``sh -c 'kanibako ...'`` finds the bundle; bound only in the home, it does not
(the defect). The bind is read-only: the agent cannot replace the CLI the
helpers run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako.__about__ import __version__
from kanibako.self_bundle import CLI_ON_PATH, cli_targets, ensure_bundle
from kanibako_helpers import CONTAINER_CLI
from kanibako_runtime import ContainerSpec, Engine, Mount, detect_engine, run

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_bundle(tmp_path_factory.mktemp("bundle"))


def _sh(
    eng: Engine, image: str, targets: tuple[str, ...], bundle: Path, script: str, *,
    capfd: pytest.CaptureFixture[str],
) -> tuple[int, str]:  # fmt: skip
    spec = ContainerSpec(
        image=image,
        mounts=tuple(Mount(bundle, target, read_only=True) for target in targets),
        env={"HOME": str(Path(CONTAINER_CLI).parents[2])},
        entrypoint="/bin/sh",
        command=("-c", script),
    )
    capfd.readouterr()
    status = run(eng, spec)
    captured = capfd.readouterr()
    return status, captured.out + captured.err


def test_a_bare_kanibako_runs_in_an_image_without_local_bin_on_path(
    engine: str, python_image: str, bundle: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    eng = detect_engine(engine)
    status, out = _sh(eng, python_image, cli_targets(CONTAINER_CLI), bundle,
                      'echo "$PATH"; command -v kanibako; kanibako --version', capfd=capfd)  # fmt: skip
    assert status == 0, out
    path, found, version = out.splitlines()[-3:]
    assert ".local/bin" not in path
    assert found == CLI_ON_PATH
    assert version == f"kanibako, version {__version__}"


def test_bound_only_in_the_home_it_is_not_found_there(
    engine: str, python_image: str, bundle: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    eng = detect_engine(engine)
    status, out = _sh(
        eng, python_image, (CONTAINER_CLI,), bundle, "kanibako --version", capfd=capfd
    )
    assert status == 127, out
    assert "not found" in out


def test_the_agent_cannot_replace_the_cli_on_path(
    engine: str, python_image: str, bundle: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    before = bundle.read_bytes()
    eng = detect_engine(engine)
    status, out = _sh(eng, python_image, cli_targets(CONTAINER_CLI), bundle,
                      f"echo evil > {CLI_ON_PATH} || rm -f {CLI_ON_PATH} || exit 9", capfd=capfd)  # fmt: skip
    assert status == 9, out
    assert bundle.read_bytes() == before
