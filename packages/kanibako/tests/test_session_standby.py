"""The warm standby's rules without an engine: which specs match, one claim each, expiry, keep_warm."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

from kanibako.session import layout, standby
from kanibako_paths import (
    ConfigError,
    Project,
    ensure_initialized,
    load_paths,
    resolve_config,
    resolve_project,
)
from kanibako_runtime import ContainerSpec, Mount
from kanibako_runtime.engine import Engine

# The engine's `rm` of a discarded standby runs in the background: /bin/true
# stands in so that no real engine is needed for these rules.
ENGINE = Engine("podman", "/bin/true")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("HOME", "home")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    (tmp_path / "w").mkdir()
    monkeypatch.delenv(standby.DEFAULT_ENV, raising=False)
    paths = load_paths()
    return ensure_initialized(paths, resolve_project(paths, tmp_path / "w"))


SPEC = ContainerSpec(
    image="localhost/img",
    name="kanibako-w-12345678",
    mounts=(Mount(Path("/srv/w"), "/home/agent/workspace"),),
    env={"A": "1"},
    workdir="/home/agent/workspace",
    entrypoint="/bin/sh",
    command=("-c", "true"),
    labels={layout.LABEL_SESSION: "h"},
    interactive=True,
    tty=True,
    init=True,
)


def test_the_command_and_name_do_not_matter_but_env_image_and_mounts_do() -> None:
    key = standby.spec_key(ENGINE, SPEC)
    same = replace(SPEC, name="other", entrypoint="claude", command=(), tty=False)
    assert standby.spec_key(ENGINE, same) == key
    for changed in (
        replace(SPEC, env={"A": "2"}),
        replace(SPEC, image="localhost/img2"),
        replace(SPEC, mounts=(Mount(Path("/srv/w"), "/home/agent/workspace", read_only=True),)),
        replace(SPEC, network="none"),
        replace(SPEC, labels={layout.LABEL_SESSION: "other"}),
    ):
        assert standby.spec_key(ENGINE, changed) != key
    assert standby.spec_key(Engine("docker", "/bin/true"), SPEC) != key


def test_the_standby_sleeps_for_keep_warm_under_init_and_is_labelled() -> None:
    key = standby.spec_key(ENGINE, SPEC)
    waiting = standby.standby_spec(SPEC, key, 900)
    assert (waiting.entrypoint, waiting.command) == ("sleep", ("900",))
    assert waiting.init and waiting.remove and waiting.detach and not waiting.tty
    assert waiting.name and waiting.name.startswith(f"{SPEC.name}-warm-")
    assert waiting.labels[layout.LABEL_STANDBY] == key
    assert standby.spec_key(ENGINE, waiting) == key  # the standby serves the spec it came from


def _record(
    project: Project,
    *,
    key: str,
    expires: float,
    sources: tuple[tuple[str, int, int], ...] = (),
) -> Path:
    state = project.metadata_dir / standby.STATE_FILE
    record = {
        "name": "c1",
        "key": key,
        "expires": expires,
        "engine": ENGINE.binary,
        "sources": [list(s) for s in sources],
    }
    state.write_text(json.dumps(record))
    return state


def test_a_standby_serves_once(project: Project) -> None:
    key = standby.spec_key(ENGINE, SPEC)
    state = _record(project, key=key, expires=time.time() + 600)
    assert standby.claim(project, ENGINE, key) == "c1"
    assert not state.exists()
    assert standby.claim(project, ENGINE, key) is None


def test_another_spec_or_a_near_expiry_discards_the_standby(project: Project) -> None:
    key = standby.spec_key(ENGINE, SPEC)
    state = _record(project, key=key, expires=time.time() + 600)
    assert standby.claim(project, ENGINE, "another key") is None
    assert not state.exists()  # discarded, not left for a later launch
    _record(project, key=key, expires=time.time() + standby.MARGIN / 2)
    assert standby.claim(project, ENGINE, key) is None


def test_a_bind_source_replaced_since_the_standby_started_discards_it(
    project: Project, tmp_path: Path
) -> None:
    control = tmp_path / "CLAUDE.md"
    control.write_text("first\n")
    held = tmp_path / "held"
    held.mkdir()
    spec = replace(
        SPEC,
        mounts=(
            Mount(held, "/home/agent/workspace"),
            Mount(control, "/home/agent/workspace/CLAUDE.md", read_only=True),
        ),
    )
    key = standby.spec_key(ENGINE, spec)
    sources = standby.source_identities(spec)
    assert [s[0] for s in sources] == [str(held), str(control)]
    control.write_text("edited in place\n")  # the same inode: the standby sees the edit
    _record(project, key=key, expires=time.time() + 600, sources=sources)
    assert standby.claim(project, ENGINE, key) == "c1"
    # An editor's save: a new file renamed over the old one (a new inode).
    fresh = tmp_path / "CLAUDE.md.tmp"
    fresh.write_text("replaced\n")
    fresh.replace(control)
    state = _record(project, key=key, expires=time.time() + 600, sources=sources)
    assert standby.claim(project, ENGINE, key) is None
    assert not state.exists()
    # A directory made again is another inode too. The standby's bind pins the old
    # one, so its number cannot be reused meanwhile: an open descriptor stands in.
    _record(project, key=key, expires=time.time() + 600, sources=standby.source_identities(spec))
    pinned = os.open(held, os.O_RDONLY)
    try:
        held.rmdir()
        held.mkdir()
        assert standby.claim(project, ENGINE, key) is None
    finally:
        os.close(pinned)


def test_every_overlay_path_is_part_of_the_identity(tmp_path: Path) -> None:
    from kanibako_runtime import OverlayMount

    for name in ("lower", "upper", "work"):
        (tmp_path / name).mkdir()
    layered = OverlayMount(tmp_path / "lower", "/x", tmp_path / "upper", tmp_path / "work")
    found = standby.source_identities(replace(SPEC, mounts=(), overlays=(layered,)))
    assert [Path(path).name for path, _, _ in found] == ["lower", "upper", "work"]
    assert all(dev >= 0 and ino > 0 for _, dev, ino in found)


def test_a_damaged_record_is_no_standby(project: Project) -> None:
    (project.metadata_dir / standby.STATE_FILE).write_text("{not json")
    assert standby.claim(project, ENGINE, "k") is None


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", ""])
def test_keep_warm_must_be_a_whole_number(project: Project, value: str) -> None:
    config = resolve_config(load_paths(), project, cli={"session_keep_warm": value})
    with pytest.raises(ConfigError, match="keep_warm"):
        standby.keep_warm_seconds(config)


def test_keep_warm_defaults_to_900_and_0_is_off(project: Project) -> None:
    paths = load_paths()
    assert standby.keep_warm_seconds(resolve_config(paths, project)) == 900
    off = resolve_config(paths, project, cli={"session_keep_warm": "0"})
    assert standby.keep_warm_seconds(off) == 0


def test_the_environment_sets_the_default_but_not_over_a_setting(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = load_paths()
    monkeypatch.setenv(standby.DEFAULT_ENV, "0")
    assert standby.keep_warm_seconds(resolve_config(paths, project)) == 0
    given = resolve_config(paths, project, cli={"session_keep_warm": "60"})
    assert standby.keep_warm_seconds(given) == 60
    monkeypatch.setenv(standby.DEFAULT_ENV, "-5")
    with pytest.raises(ConfigError, match=r"\$KANIBAKO_KEEP_WARM"):
        standby.keep_warm_seconds(resolve_config(paths, project))
