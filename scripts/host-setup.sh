#!/usr/bin/env bash
# System packages Kanibako and its tests need on Debian/Ubuntu (run as root or with sudo).
# Podman (preferred engine) with runc and the rootless helpers; busybox-static,
# debootstrap (as root) and mmdebstrap (rootless) let the tests and `kanibako setup`
# build images without a registry;
# npm installs the real Claude Code for the real-binary test; zstd lets `tar -xf` read
# vault snapshots (.tar.zst), as the vault tests check.
# Set KANIBAKO_WITH_DOCKER=1 to also install Docker (a supported fallback engine).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(podman runc uidmap slirp4netns fuse-overlayfs busybox-static debootstrap mmdebstrap git zstd)
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
