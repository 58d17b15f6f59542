"""Choosing the Debian mirror to bootstrap from: kanibako.toml, host apt sources, default."""

from __future__ import annotations

from pathlib import Path

import pytest

from kanibako.images.debian_mirror import (
    DEFAULT_MIRROR,
    AptEntry,
    DebianMirror,
    apt_entries,
    find_mirror,
    mirror_from_apt,
    parse_deb822,
    parse_one_line,
)
from kanibako.images.errors import ImageError

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def _apt(tmp_path: Path, files: dict[str, str]) -> Path:
    apt = tmp_path / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (apt / name).write_text(text)
    return apt


def test_deb822_stanzas_give_binary_entries_only() -> None:
    assert parse_deb822(DEB822) == [
        AptEntry("http://mirror.example/debian", ("bookworm", "bookworm-updates")),
        AptEntry("http://mirror.example/debian-security", ("bookworm-security",)),
    ]


def test_disabled_deb822_stanza_is_skipped() -> None:
    text = "Types: deb\nURIs: http://x.example/debian\nSuites: bookworm\nEnabled: no\n"
    assert parse_deb822(text) == []


def test_one_line_format_skips_options_comments_and_sources() -> None:
    text = (
        "# deb http://commented.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://local.example:3142/debian trixie main\n"
    )
    assert parse_one_line(text) == [AptEntry("http://local.example:3142/debian", ("trixie",))]


def test_host_mirror_keeps_updates_and_security_named_for_bookworm() -> None:
    mirror = mirror_from_apt(
        [
            AptEntry("https://packages.cloud.google.com/apt", ("cloud-sdk-bookworm",)),
            AptEntry("http://local.example/debian/", ("trixie", "trixie-updates")),
            AptEntry("http://local.example/debian-security", ("trixie-security",)),
        ]
    )
    assert mirror == DebianMirror(
        archive="http://local.example/debian",
        suites=("bookworm", "bookworm-updates"),
        security="http://local.example/debian-security",
        source="the host's apt sources",
    )


def test_ubuntu_host_has_no_debian_mirror() -> None:
    assert mirror_from_apt([AptEntry("http://archive.ubuntu.com/ubuntu", ("noble",))]) is None


def test_config_mirror_wins_over_the_host(tmp_path: Path) -> None:
    apt = _apt(tmp_path, {"sources.list.d/debian.sources": DEB822})
    config = {"image": {"mirror": "http://airgap.example/debian/"}}
    mirror = find_mirror(config, Path("/cfg/kanibako.toml"), apt_dir=apt)
    assert mirror.archive == "http://airgap.example/debian"
    assert mirror.suites == ("bookworm",)
    assert mirror.security is None
    assert mirror.source == "/cfg/kanibako.toml [image] mirror"


def test_host_apt_sources_are_used_without_config(tmp_path: Path) -> None:
    apt = _apt(
        tmp_path,
        {"sources.list": "", "sources.list.d/debian.sources": DEB822, "sources.list.d/x.txt": "no"},
    )
    assert len(apt_entries(apt)) == 2
    mirror = find_mirror({}, Path("k.toml"), apt_dir=apt)
    assert mirror.archive == "http://mirror.example/debian"
    assert mirror.security == "http://mirror.example/debian-security"


def test_default_mirror_when_nothing_says_otherwise(tmp_path: Path) -> None:
    assert find_mirror({}, Path("k.toml"), apt_dir=tmp_path / "none").archive == DEFAULT_MIRROR


@pytest.mark.parametrize(
    "table",
    [{"image": "x"}, {"image": {"mirror": "ftp://old.example"}}, {"image": {"mirror": 3}}],
)
def test_bad_config_names_the_file_and_key(table: dict[str, object]) -> None:
    with pytest.raises(ImageError, match=r"k\.toml: \[image\]"):
        find_mirror(table, Path("k.toml"), apt_dir=Path("/nonexistent"))


def test_sources_text_is_deb822_apt_reads() -> None:
    text = DebianMirror("http://m/debian", ("bookworm",), "http://m/sec").sources_text()
    assert parse_deb822(text) == [
        AptEntry("http://m/debian", ("bookworm",)),
        AptEntry("http://m/sec", ("bookworm-security",)),
    ]
