"""``[protect]`` and ``[limits]``: defaults, precedence, and one clear error per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako_paths import ConfigError, KanibakoPaths, Project, load_paths, resolve_project
from kanibako_paths.session_config import describe_limits, protect_settings, resource_limits


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KanibakoPaths, Project]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "config").mkdir()
    (tmp_path / "w").mkdir()
    paths = load_paths()
    project = resolve_project(paths, tmp_path / "w")
    project.project_config_file.parent.mkdir(parents=True)
    return paths, project


def test_defaults_bound_the_session_each_helper_and_the_fleet(
    setup: tuple[KanibakoPaths, Project],
) -> None:
    paths, project = setup
    limits = resource_limits(paths, project)
    assert (limits.session.memory, limits.session.cpus, limits.session.pids) == ("8g", "2", 4096)
    assert (limits.helper.memory, limits.helper.pids, limits.helpers) == ("4g", 1024, 8)
    assert "helpers at once 8" in describe_limits(limits)
    assert protect_settings(project).privileged is False


def test_project_limits_win_over_global_key_by_key_and_none_lifts_one(
    setup: tuple[KanibakoPaths, Project],
) -> None:
    paths, project = setup
    paths.config_file.write_text('[limits]\nmemory = "2g"\ncpus = "1.5"\n')
    project.project_config_file.write_text('[limits]\nmemory = "none"\npids = 100\n')
    limits = resource_limits(paths, project)
    assert (limits.session.memory, limits.session.cpus, limits.session.pids) == (None, "1.5", 100)
    assert limits.sources["memory"] == "project" and limits.sources["cpus"] == "global"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[limits]\nmemory = "lots"\n', "memory"),
        ('[limits]\ncpus = "0"\n', "cpus"),
        ("[limits]\npids = 0\n", "pids"),
        ('[limits]\nhelpers = "²"\n', "helpers"),
        ("[limits]\nswap = 1\n", "swap"),
        ("[limits]\npids = true\n", "pids"),
    ],
)
def test_a_bad_limit_names_file_and_key(
    setup: tuple[KanibakoPaths, Project], text: str, named: str
) -> None:
    paths, project = setup
    project.project_config_file.write_text(text)
    with pytest.raises(ConfigError, match=named) as raised:
        resource_limits(paths, project)
    assert str(project.project_config_file) in str(raised.value)


@pytest.mark.parametrize(
    "text",
    [
        '[protect]\nextra = ["../outside"]\n',
        '[protect]\nextra = ["/etc"]\n',
        '[protect]\nwritable = ".envrc"\n',
        '[protect]\nprivileged = "yes"\n',
        "[protect]\nreadonly = []\n",
    ],
)
def test_a_bad_protect_table_is_a_config_error(
    setup: tuple[KanibakoPaths, Project], text: str
) -> None:
    _, project = setup
    project.project_config_file.write_text(text)
    with pytest.raises(ConfigError, match=r"\[protect\]"):
        protect_settings(project)


def test_protect_lists_are_normalized_relative_paths(setup: tuple[KanibakoPaths, Project]) -> None:
    _, project = setup
    project.project_config_file.write_text(
        '[protect]\nextra = ["Makefile", "./scripts/"]\nwritable = [".envrc"]\nprivileged = true\n'
    )
    settings = protect_settings(project)
    assert settings.extra == ("Makefile", "scripts")
    assert settings.writable == (".envrc",) and settings.privileged
