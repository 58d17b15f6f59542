"""The global kanibako.toml that ``kanibako setup`` writes when there is none."""

from __future__ import annotations

from pathlib import Path

from kanibako_paths import DEFAULT_IMAGE, atomic_write_text, read_toml

DEFAULT_CONFIG = f"""\
# Kanibako's global configuration (written by `kanibako setup`).
# Precedence: command-line flag > project.toml > this file > built-in defaults.
# `kanibako config --show` lists every key with its effective value.

[container]
image = "{DEFAULT_IMAGE}"
# engine = "podman"          # podman or docker; empty or absent: detect (podman first)

[paths]
# data_path = ""             # default: $XDG_DATA_HOME/kanibako

[shared]
# Global download caches shared by every project (mounted when the host dir exists).
# pip = ".cache/pip"
# cargo = ".cargo/registry"
# npm = ".npm"

[image]
# Debian mirror for building kanibako-base with no registry reachable (debootstrap).
# Default: the Debian mirror in this host's apt sources, else deb.debian.org.
# mirror = "http://deb.debian.org/debian"
# security_mirror = "http://deb.debian.org/debian-security"
"""


def write_default_config(path: Path) -> bool:
    """Write :data:`DEFAULT_CONFIG` to ``path`` unless a file is there; whether it wrote."""
    if path.exists():
        read_toml(path)  # a malformed file is reported now, naming its line
        return False
    atomic_write_text(path, DEFAULT_CONFIG)
    return True
