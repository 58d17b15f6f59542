"""``kanibako config --global mirror URL`` is the mirror the Debian bootstrap uses."""

from __future__ import annotations

from pathlib import Path

from kanibako.images.debian_mirror import find_mirror
from kanibako_paths import load_global_config, load_paths
from tests.state_cli import ok, run


def _mirror_choice(apt_dir: Path) -> tuple[str, str | None]:
    paths = load_paths()
    chosen = find_mirror(load_global_config(paths), paths.config_file, apt_dir=apt_dir)
    return chosen.archive, chosen.security


def test_mirrors_set_through_config_reach_the_bootstrap(
    isolated_home: Path, tmp_path: Path
) -> None:
    no_apt = tmp_path / "apt"  # a host without apt sources: the default would apply
    assert _mirror_choice(no_apt) == ("http://deb.debian.org/debian", None)
    ok("config", "--global", "mirror", "http://mirror.lan/debian/", cwd=isolated_home)
    ok("config", "--global", "security_mirror", "http://mirror.lan/security", cwd=isolated_home)
    assert _mirror_choice(no_apt) == ("http://mirror.lan/debian", "http://mirror.lan/security")
    assert ok("config", "image_mirror", cwd=isolated_home) == "http://mirror.lan/debian/\n"
    ok("config", "--global", "--unset", "mirror", cwd=isolated_home)
    assert _mirror_choice(no_apt)[0] == "http://deb.debian.org/debian"


def test_a_project_mirror_or_a_bad_url_is_refused_in_one_line(isolated_home: Path) -> None:
    for args, says in (
        (["mirror", "http://mirror.lan/debian"], "set it with --global"),
        (["--global", "mirror", "mirror.lan"], "must be an http(s):// or file:// URL"),
    ):
        result = run("config", *args, cwd=isolated_home)
        assert result.exit_code == 2
        assert result.stderr.startswith("kanibako: config key image_mirror")
        assert says in result.stderr and result.stderr.count("\n") == 1
    assert not (isolated_home / ".config" / "kanibako.toml").exists()
