"""Bootstrapping Debian: trimming the tree like a slim image, packing it, and saying what is missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kanibako.images.bootstrap import (
    Bootstrapper,
    find_bootstrapper,
    is_excluded,
    pack_rootfs,
    slim_rootfs,
    slim_rules,
)
from kanibako.images.debian_mirror import DebianMirror
from kanibako.images.errors import BootstrapUnavailableError

RULES = slim_rules(
    "# comment\npath-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n"
)


def test_last_matching_rule_decides_like_dpkg() -> None:
    assert is_excluded("/usr/share/doc/git/README", RULES)
    assert not is_excluded("/usr/share/doc/git/copyright", RULES)
    assert not is_excluded("/usr/bin/git", RULES)


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


def test_slimming_drops_docs_and_points_apt_at_the_mirror(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _tree(
        root,
        [
            "usr/share/doc/git/README", "usr/share/doc/git/copyright",
            "usr/share/man/man1/git.1.gz", "usr/share/locale/de/LC_MESSAGES/x.mo",
            "usr/share/locale/locale.alias", "usr/bin/git",
            "var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease",
            "var/cache/apt/archives/git.deb", "etc/apt/sources.list",
            "etc/resolv.conf", "etc/hostname",
        ],
    )  # fmt: skip
    slim_rootfs(root, DebianMirror("http://m.example/debian"))
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert left == [
        "etc/apt/sources.list.d/debian.sources",
        "etc/dpkg/dpkg.cfg.d/kanibako-slim",
        "usr/bin/git",
        "usr/share/doc/git/copyright",
        "usr/share/locale/locale.alias",
    ]
    assert list((root / "usr/share/man").iterdir()) == []
    assert (root / "var/lib/apt/lists/partial").is_dir()
    assert (
        "URIs: http://m.example/debian"
        in (root / "etc/apt/sources.list.d/debian.sources").read_text()
    )


def test_packing_writes_the_tarball_whole_or_not_at_all(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _tree(root, ["etc/os-release"])
    target = tmp_path / "cache" / "rootfs.tar"
    pack_rootfs(root, target)
    assert target.stat().st_size > 0
    assert [p.name for p in target.parent.iterdir()] == ["rootfs.tar"]


def _tools(monkeypatch: pytest.MonkeyPatch, euid: int, *installed: str) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: euid)
    monkeypatch.setattr(
        shutil, "which", lambda name, **_k: f"/usr/bin/{name}" if name in installed else None
    )


def test_root_uses_debootstrap_and_others_mmdebstrap(monkeypatch: pytest.MonkeyPatch) -> None:
    _tools(monkeypatch, 0, "debootstrap", "mmdebstrap")
    assert find_bootstrapper() == Bootstrapper("debootstrap", "/usr/bin/debootstrap")
    _tools(monkeypatch, 1000, "debootstrap", "mmdebstrap")
    assert find_bootstrapper() == Bootstrapper("mmdebstrap", "/usr/bin/mmdebstrap")
    _tools(monkeypatch, 0, "mmdebstrap")
    assert find_bootstrapper().kind == "mmdebstrap"


def test_without_debootstrap_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _tools(monkeypatch, 0)
    with pytest.raises(BootstrapUnavailableError, match=r"apt-get install debootstrap") as info:
        find_bootstrapper()
    assert info.value.exit_code == 2


def test_rootless_users_without_mmdebstrap_are_told_how_to_get_a_debian_image(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _tools(monkeypatch, 1000, "debootstrap")
    with pytest.raises(
        BootstrapUnavailableError,
        match=r"without root needs mmdebstrap: install it \(apt-get install mmdebstrap\), "
        r"run `kanibako setup` as root once",
    ):
        find_bootstrapper()
