"""XDG locations and the [paths] overrides of kanibako.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_paths import ConfigError, load_paths


def test_defaults_follow_xdg_variables(xdg: Path) -> None:
    paths = load_paths()
    data = xdg / ".local/share/kanibako"
    assert paths.config_file == xdg / ".config/kanibako.toml"
    assert paths.data_dir == data
    assert paths.boxes_dir == data / "boxes"
    assert paths.agents_dir == data / "agents"
    assert paths.shared_dir == data / "shared"
    assert paths.templates_dir == data / "templates"
    assert paths.global_env_file == data / "env"


def test_paths_table_overrides_data_root_and_subdirectories(xdg: Path, tmp_path: Path) -> None:
    root = tmp_path / "elsewhere"
    (xdg / ".config/kanibako.toml").write_text(
        f'[paths]\ndata_path = "{root}"\nboxes = "projects"\nshared = "/abs/caches"\n'
    )
    paths = load_paths()
    assert paths.data_dir == root
    assert paths.boxes_dir == root / "projects"
    assert paths.shared_dir == Path("/abs/caches")
    assert paths.templates_dir == root / "templates"
    assert paths.global_env_file == root / "env"


def test_malformed_global_config_names_file_and_line(xdg: Path) -> None:
    config = xdg / ".config/kanibako.toml"
    config.write_text('[paths]\ndata_path = "unterminated\n')
    with pytest.raises(ConfigError, match=r"kanibako\.toml: malformed TOML: .*line 2"):
        load_paths()


def test_relative_data_path_is_rejected(xdg: Path) -> None:
    (xdg / ".config/kanibako.toml").write_text('[paths]\ndata_path = "rel/dir"\n')
    with pytest.raises(ConfigError, match="data_path must be absolute"):
        load_paths()
