"""The rootless bootstrap's mmdebstrap command and its trimming hook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kanibako.images.debian_mirror import DebianMirror
from kanibako.images.mmdebstrap import mmdebstrap_argv, slim_hook

MIRROR = DebianMirror(
    "http://m.example/debian",
    suites=("bookworm", "bookworm-updates"),
    security="http://m.example/security",
)


def test_rootless_runs_in_a_user_namespace_and_writes_a_tarball(tmp_path: Path) -> None:
    argv = mmdebstrap_argv("/usr/bin/mmdebstrap", tmp_path / "out.tar", MIRROR, rootless=True)
    assert argv[:5] == [
        "/usr/bin/mmdebstrap", "--mode=unshare", "--variant=minbase", "--components=main",
        "--format=tar",
    ]  # fmt: skip
    assert argv[-3:] == ["bookworm", str(tmp_path / "out.tar"), "http://m.example/debian"]
    assert f"--customize-hook={slim_hook(MIRROR)}" in argv
    root = mmdebstrap_argv("/usr/bin/mmdebstrap", tmp_path / "o.tar", MIRROR, rootless=False)
    assert root[1] == "--mode=root"


def test_the_merged_usr_hooks_are_used_when_mmdebstrap_ships_them(tmp_path: Path) -> None:
    binary = tmp_path / "bin" / "mmdebstrap"
    binary.parent.mkdir()
    binary.touch()
    assert not any(
        a.startswith("--hook-dir")
        for a in mmdebstrap_argv(str(binary), tmp_path / "o", MIRROR, rootless=True)
    )
    hooks = tmp_path / "share/mmdebstrap/hooks/merged-usr"
    hooks.mkdir(parents=True)
    argv = mmdebstrap_argv(str(binary), tmp_path / "o", MIRROR, rootless=True)
    assert f"--hook-dir={hooks}" in argv


def test_the_hook_trims_the_tree_like_the_rootful_route(tmp_path: Path) -> None:
    root = tmp_path / "root with space"
    for name in ("usr/share/man/man1/ls.1.gz", "usr/share/doc/x/copyright", "etc/hostname",
                 "etc/apt/sources.list", "usr/bin/ls"):  # fmt: skip
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    # mmdebstrap runs a hook with sh, the tree's path as $1.
    done = subprocess.run(
        ["sh", "-c", slim_hook(MIRROR), "sh", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert slim_hook(MIRROR).startswith(sys.executable)
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert left == [
        "etc/apt/sources.list.d/debian.sources",
        "etc/dpkg/dpkg.cfg.d/kanibako-slim",
        "usr/bin/ls",
        "usr/share/doc/x/copyright",
    ]
    sources = (root / "etc/apt/sources.list.d/debian.sources").read_text()
    assert "Suites: bookworm bookworm-updates\n" in sources
    assert "URIs: http://m.example/security\nSuites: bookworm-security\n" in sources
