"""Config precedence: CLI flag > project.toml > kanibako.toml > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_paths import (
    DEFAULT_IMAGE,
    ConfigError,
    KanibakoPaths,
    clear_config,
    init_project,
    resolve_config,
    resolve_project,
    set_config_value,
    unset_config_value,
)


def test_missing_global_config_means_defaults(paths: KanibakoPaths, workdir: Path) -> None:
    config = resolve_config(paths, resolve_project(paths, workdir))
    assert config.container_image == DEFAULT_IMAGE
    assert config.target_name == ""
    assert config["paths_data_path"] == ""
    assert set(config.sources.values()) == {"default"}


def test_each_layer_overrides_the_one_below(paths: KanibakoPaths, workdir: Path) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    set_config_value(paths.config_file, "image", "global:1", is_global=True)
    set_config_value(paths.config_file, "target", "aider", is_global=True)
    assert resolve_config(paths, project).container_image == "global:1"
    set_config_value(project.project_config_file, "container_image", "proj:2", is_global=False)
    config = resolve_config(paths, project)
    assert (config.container_image, config.sources["container_image"]) == ("proj:2", "project")
    assert (config.target_name, config.sources["target_name"]) == ("aider", "global")
    flagged = resolve_config(paths, project, {"image": "cli:3", "target_name": None})
    assert (flagged.container_image, flagged.sources["container_image"]) == ("cli:3", "cli")
    assert flagged.target_name == "aider"


def test_unset_and_clear_remove_project_overrides(paths: KanibakoPaths, workdir: Path) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    file = project.project_config_file
    set_config_value(file, "image", "a:1", is_global=False)
    set_config_value(file, "engine", "docker", is_global=False)
    assert unset_config_value(file, "image") is True
    assert unset_config_value(file, "image") is False
    assert clear_config(file, is_global=False) == ["container_engine"]
    assert resolve_config(paths, project).sources["container_engine"] == "default"
    assert "project" in file.read_text()  # identity survives a clear


def test_paths_keys_are_global_only(paths: KanibakoPaths, workdir: Path) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    with pytest.raises(ConfigError, match="--global"):
        set_config_value(project.project_config_file, "data_path", "/x", is_global=False)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("colour", "red", "unknown config key 'colour'"),
        ("image", "has space", "no spaces"),
        ("engine", "lxc", "podman, docker"),
        ("data_path", "relative", "absolute"),
    ],
)
def test_invalid_keys_and_values_are_rejected_by_name(
    paths: KanibakoPaths, key: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        set_config_value(paths.config_file, key, value, is_global=True)
    assert not paths.config_file.exists()


def test_malformed_project_toml_names_file_and_line(paths: KanibakoPaths, workdir: Path) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    project.project_config_file.write_text("[container]\nimage = \n")
    with pytest.raises(ConfigError, match=r"project\.toml: malformed TOML: .*line 2"):
        resolve_project(paths, workdir)


def test_wrong_type_in_global_config_names_the_key(paths: KanibakoPaths) -> None:
    paths.config_file.write_text("[container]\nimage = 3\n")
    with pytest.raises(ConfigError, match=r"\[container\] image must be a string"):
        resolve_config(paths)


def test_image_mirror_keys_are_global_only_urls(paths: KanibakoPaths, workdir: Path) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    assert resolve_config(paths, project)["mirror"] == ""
    set_config_value(paths.config_file, "mirror", "http://mirror.lan/debian", is_global=True)
    set_config_value(
        paths.config_file, "security_mirror", "file:///srv/debian-security", is_global=True
    )
    text = paths.config_file.read_text()
    assert "[image]" in text and 'mirror = "http://mirror.lan/debian"' in text
    config = resolve_config(paths, project)
    assert config["image_security_mirror"] == "file:///srv/debian-security"
    assert config.sources["image_mirror"] == "global"
    with pytest.raises(ConfigError, match="--global"):
        set_config_value(project.project_config_file, "mirror", "http://x/", is_global=False)
    for bad in ("", "mirror.lan/debian", "ftp://mirror.lan/debian", "http://a b"):
        with pytest.raises(ConfigError, match="image_mirror must be an http"):
            set_config_value(paths.config_file, "image_mirror", bad, is_global=True)
    assert 'mirror = "http://mirror.lan/debian"' in paths.config_file.read_text()
