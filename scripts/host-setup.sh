#!/usr/bin/env bash
# System packages Kanibako and its tests need on Debian/Ubuntu. Run it as root, or as a
# user with sudo: it re-runs itself through sudo (so the README's first command works both
# ways, and on a fresh machine with no sudo installed at all when run as root).
# Podman (preferred engine) with runc, catatonit (the init every launch's --init runs) and
# the rootless helpers; busybox-static, debootstrap (as root) and mmdebstrap (rootless)
# let the tests and `kanibako setup` build images without a registry;
# npm installs the real Claude Code for the real-binary test; zstd lets `tar -xf` read
# vault snapshots (.tar.zst), as the vault tests check.
# Set KANIBAKO_WITH_DOCKER=1 to also install Docker (a supported fallback engine).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "host-setup.sh: needs root: run it as root, or install sudo" >&2
    exit 1
  fi
  exec sudo --preserve-env=KANIBAKO_WITH_DOCKER -- "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
# Installed without recommends, so what Podman only recommends is named here: catatonit
# (--init), uidmap, slirp4netns and fuse-overlayfs (rootless), containernetworking-plugins
# and iptables (rootful bridge networks).
pkgs=(podman runc catatonit uidmap slirp4netns fuse-overlayfs containernetworking-plugins
      iptables busybox-static debootstrap mmdebstrap git zstd)
# Only when the tool itself is missing: a machine may have Python or Node from elsewhere.
python3 -m venv --help >/dev/null 2>&1 || pkgs+=(python3-venv)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
[ "${KANIBAKO_WITH_DOCKER:-0}" = 1 ] && pkgs+=(docker.io)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "== system packages present: ${pkgs[*]}"
