"""The feature seam: what features contribute lands in the one ContainerSpec, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako.session.agent import AgentLaunch
from kanibako.session.features import SpecAdditions, fold
from kanibako.session.spec import build_spec
from kanibako_paths import KanibakoPaths, Project, ensure_initialized, load_paths, resolve_project
from kanibako_runtime import Mount, TmpfsMount, to_argv
from kanibako_runtime.engine import Engine


@pytest.fixture
def session_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KanibakoPaths, Project]:
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("HOME", "home")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    (tmp_path / "w").mkdir()
    paths = load_paths()
    return paths, ensure_initialized(paths, resolve_project(paths, tmp_path / "w"))


def test_additions_are_appended_in_order_and_later_env_wins() -> None:
    first = SpecAdditions(mounts=(Mount(Path("/a"), "/x/a"),), env={"K": "1", "A": "a"})
    second = SpecAdditions(
        mounts=(Mount(Path("/b"), "/x/b", read_only=True),),
        tmpfs=(TmpfsMount("/x/t", read_only=True),),
        env={"K": "2"},
        network="none",
    )
    folded = fold([first, second])
    assert [m.target for m in folded.mounts] == ["/x/a", "/x/b"]
    assert folded.env == {"K": "2", "A": "a"}
    assert folded.network == "none" and folded.tmpfs == (TmpfsMount("/x/t", read_only=True),)


def test_two_features_asking_for_different_networks_is_an_error() -> None:
    with pytest.raises(ValueError, match="networks none and slirp4netns"):
        fold([SpecAdditions(network="none"), SpecAdditions(network="slirp4netns")])


def test_a_features_additions_reach_the_engine_command(
    session_parts: tuple[KanibakoPaths, Project],
) -> None:
    paths, project = session_parts
    added = SpecAdditions(
        mounts=(Mount(Path("/run/proxy.sock"), "/home/agent/.kanibako/proxy.sock"),),
        tmpfs=(TmpfsMount("/home/agent/.protected", read_only=True),),
        env={"HTTPS_PROXY": "http://proxy", "HOME": "/elsewhere"},
        network="none",
    )
    spec = build_spec(paths, project, "img", AgentLaunch(argv=["agent"]), None, additions=[added])
    assert spec.network == "none"
    assert spec.env["HTTPS_PROXY"] == "http://proxy"
    assert spec.env["HOME"] == "/home/agent"  # Kanibako's own env has the last word
    argv = to_argv(Engine("podman", "/usr/bin/podman"), spec, host_ids=(1000, 1000))
    assert argv[argv.index("--network") + 1] == "none"
    assert any("/home/agent/.kanibako/proxy.sock" in arg for arg in argv)
    assert any("/home/agent/.protected" in arg for arg in argv)
    # Without features the engine's default network is kept.
    plain = build_spec(paths, project, "img", AgentLaunch(argv=["agent"]), None)
    assert plain.network is None
