"""Shared caches: known names, [shared] config, lazy creation."""

from __future__ import annotations

import pytest

from kanibako_paths import (
    ConfigError,
    KanibakoPaths,
    agent_caches,
    global_caches,
    init_shared_cache,
)


def test_pip_cargo_npm_uv_are_known_out_of_the_box(paths: KanibakoPaths) -> None:
    caches = {c.name: c for c in global_caches(paths)}
    assert {n: c.container_path for n, c in caches.items()} == {
        "cargo": ".cargo/registry",
        "npm": ".npm",
        "pip": ".cache/pip",
        "uv": ".cache/uv",
    }
    assert not any(c.exists for c in caches.values())  # lazy until `shared init`


def test_init_creates_the_host_directory(paths: KanibakoPaths) -> None:
    directory = init_shared_cache(paths, "pip")
    assert directory == paths.shared_dir / "global/pip"
    assert directory.is_dir()
    assert {c.name for c in global_caches(paths) if c.exists} == {"pip"}


def test_config_adds_and_overrides_caches(paths: KanibakoPaths) -> None:
    paths.config_file.write_text('[shared]\ngradle = ".gradle/caches"\nnpm = ".cache/npm"\n')
    caches = {c.name: c.container_path for c in global_caches(paths)}
    assert caches["gradle"] == ".gradle/caches"
    assert caches["npm"] == ".cache/npm"
    init_shared_cache(paths, "gradle")


def test_unknown_global_cache_is_refused(paths: KanibakoPaths) -> None:
    with pytest.raises(ConfigError, match="unknown shared cache 'maven'"):
        init_shared_cache(paths, "maven")
    assert not paths.shared_dir.exists()


def test_absolute_container_path_in_config_is_refused(paths: KanibakoPaths) -> None:
    paths.config_file.write_text('[shared]\nbad = "/etc"\n')
    with pytest.raises(ConfigError, match=r"\[shared\] bad must be a path relative"):
        global_caches(paths)


def test_agent_caches_come_from_agent_toml(paths: KanibakoPaths) -> None:
    paths.agents_dir.mkdir(parents=True)
    (paths.agents_dir / "claude.toml").write_text('[shared]\nplugins = ".claude/plugins"\n')
    directory = init_shared_cache(paths, "plugins", agent="claude")
    assert directory == paths.shared_dir / "claude/plugins"
    (cache,) = agent_caches(paths)
    assert (cache.scope, cache.container_path, cache.exists) == ("claude", ".claude/plugins", True)
