"""vault_compression and vault_keep: defaults, TOML values, and bad values named at launch."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_paths import ConfigError, KanibakoPaths, init_project, resolve_config, resolve_project


def test_defaults_are_zstd_and_ten(paths: KanibakoPaths, workdir: Path) -> None:
    config = resolve_config(paths, resolve_project(paths, workdir))
    assert config.vault_retention() == ("zstd", 10)


def test_a_toml_integer_keep_and_zero_meaning_all(paths: KanibakoPaths, workdir: Path) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    with project.project_config_file.open("a") as out:
        out.write('\n[vault]\nkeep = 0\ncompression = "xz"\n')
    assert resolve_config(paths, project).vault_retention() == ("xz", None)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('compression = "gzip"', "vault_compression (from project) must be zstd, xz or none"),
        ("keep = -3", "vault_keep (from project) must be a whole number"),
        ('keep = "many"', "vault_keep (from project) must be a whole number"),
    ],
)
def test_a_bad_value_in_a_file_is_named(
    paths: KanibakoPaths, workdir: Path, line: str, message: str
) -> None:
    project = init_project(paths, resolve_project(paths, workdir))
    with project.project_config_file.open("a") as out:
        out.write(f"\n[vault]\n{line}\n")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve_config(paths, project).vault_retention()
