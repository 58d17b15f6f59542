#!/usr/bin/env bash
# A fresh Debian 12 machine runs exactly the README's first command and ends in a session.
# The machine is a debootstrapped minbase root filesystem (cached under ~/.cache, keyed by
# date and mirror) run as a privileged Podman container with the checkout copied in:
#   root   root, no sudo installed (the README line as written);
#   user   an ordinary user with sudo (the same line, run by that user).
# The engine inside needs nothing of .ci/setup-machine.sh: the README line itself fixes
# what the doctor knows (its `kanibako doctor --fix --yes`). Only in CI (KANIBAKO_CI=1) or
# with KANIBAKO_FRESH_MACHINE=1: it takes minutes. It starts containers, so outside CI run
# it under the engine lock (flock /tmp/kanibako-engine.lock ...); it does not take the lock
# itself, since `scripts/test` may already run under it.
# KANIBAKO_FRESH_VARIANTS="root user" picks the variants.
# The machine's network is this host's: when the host trusts an intercepting proxy's CA
# (its CA bundle and pip's `cert` setting), the fresh machine is given the same trust, as
# an admin of that network would; nothing else of the host goes in.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${KANIBAKO_CI:-0}" != 1 ] && [ "${KANIBAKO_FRESH_MACHINE:-0}" != 1 ]; then
  echo "fresh machine: not run (CI only; KANIBAKO_FRESH_MACHINE=1 runs it here)"
  exit 0
fi
mirror=${KANIBAKO_TEST_MIRROR:-http://deb.debian.org/debian}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/kanibako-fresh-machine
key=$(date -u +%Y%m%d)-$(printf %s "$mirror" | sha256sum | cut -c1-12)
image=localhost/kanibako-fresh-debian:$key
work=$(mktemp -d /var/tmp/kanibako-fresh-XXXXXX)
trap 'podman rm -f -t 0 kanibako-fresh-root kanibako-fresh-user >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
start=$(date +%s)

if ! podman image exists "$image"; then
  mkdir -p "$cache"
  if [ ! -f "$cache/$key.tar" ]; then
    echo "== debootstrap bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >/dev/null
    chroot "$work/rootfs" apt-get clean
    tar -C "$work/rootfs" -cf "$cache/$key.tar.part" .
    mv "$cache/$key.tar.part" "$cache/$key.tar"
    rm -rf "$work/rootfs"
    find "$cache" -name '*.tar' ! -name "$key.tar" -delete  # yesterday's machine
  fi
  podman import -q "$cache/$key.tar" "$image" >/dev/null
fi
# The checkout as it is (tracked files, working-tree content), not only what is committed.
git ls-files -z | tar --null -T - -cf "$work/repo.tar"
trust=()
bundle=/etc/ssl/certs/ca-certificates.crt
if [ -f "$bundle" ] && { [ -n "${PIP_CERT:-}" ] || grep -qs '^cert' /etc/pip.conf; }; then
  # Beside the machine's own bundle, not over it: ca-certificates (which npm pulls in)
  # rewrites that file when it installs.
  printf '[global]\ncert = /etc/network-ca.crt\n' > "$work/pip.conf"
  trust=(-v "$bundle:/etc/network-ca.crt:ro" -v "$work/pip.conf:/etc/pip.conf:ro")
fi
line=$(awk '/^```bash$/ {getline; print; exit}' README.md)
echo "== README first command: $line"

run_variant() {
  local variant=$1 setup_user run_as
  mkdir -p "$work/$variant/storage" "$work/$variant/home"
  if [ "$variant" = user ]; then
    # The machine's premise: an ordinary user who may sudo (installing sudo is the admin's).
    setup_user='apt-get update -qq && apt-get install -y -qq --no-install-recommends sudo >/dev/null
      useradd --create-home --shell /bin/bash newcomer
      echo "newcomer ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/newcomer
      home=/home/newcomer'
    run_as='su newcomer -c'
  else
    setup_user='home=/root'
    run_as='bash -c'
  fi
  echo "== fresh machine ($variant)"
  local began=$SECONDS
  podman run --rm --privileged --name "kanibako-fresh-$variant" --network host \
    -v "$work/$variant/storage:/var/lib/containers" -v "$work/$variant/home:/home" \
    -v "$work/repo.tar:/repo.tar:ro" "${trust[@]}" -i "$image" /bin/bash -s > "$work/$variant.log" 2>&1 <<SCRIPT
set -eu
$setup_user
mkdir -p "\$home/kanibako" && tar -C "\$home/kanibako" -xf /repo.tar
chown -R "\$(stat -c %u "\$home")" "\$home/kanibako"
cd "\$home/kanibako"
# The session reads these lines: a plain shell (no agent here) prints the marker and ends.
printf 'echo KANIBAKO-FRESH-SESSION-\$((6*7))\nexit\n' | $run_as '$line'
echo "== exit status \$?"
SCRIPT
  local status=$?
  cp "$work/$variant.log" "$cache/last-$variant.log"
  echo "   $variant: $((SECONDS - began)) s (log: $cache/last-$variant.log)"
  if [ "$status" -ne 0 ] || ! grep -q 'KANIBAKO-FRESH-SESSION-42' "$work/$variant.log"; then
    grep -v '^  ' "$work/$variant.log" | tail -40
    echo "fresh machine ($variant): the README's first command did not end in a session" >&2
    return 1
  fi
}

failed=0
for variant in ${KANIBAKO_FRESH_VARIANTS:-root user}; do
  run_variant "$variant" || failed=1
done
echo "== fresh machine: $(( $(date +%s) - start )) s"
exit $failed
