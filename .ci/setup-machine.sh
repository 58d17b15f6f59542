#!/usr/bin/env bash
# Machine configuration for the project's CI hosts (Debian 12, cgroup v1/hybrid,
# no CAP_SYS_RESOURCE, no registry), as an admin would configure such a host.
# Kanibako itself hard-codes none of this. Idempotent; run as root.
#  - crun cannot run here ("cgroups in hybrid mode not supported"): use runc.
#  - Podman's default rlimits exceed the hard limits (EPERM): pin them to the hard limits.
#  - A rootless user with subuids for the rootless tests (KANIBAKO_TEST_ROOTLESS_USER).
#  - A non-root user in the group a test dockerd gives its socket (KANIBAKO_TEST_DOCKER_USER):
#    a user of the Docker group, without the system daemon's own group.
set -euo pipefail
user=${KANIBAKO_TEST_ROOTLESS_USER:-kanibako-ci}
docker_user=${KANIBAKO_TEST_DOCKER_USER:-kanibako-dock}
docker_group=${KANIBAKO_TEST_DOCKER_GROUP:-kanibako-docker}

nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ] && nofile=1048576
[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
engine_block='[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'

install -d /etc/containers
cat > /etc/containers/containers.conf.new <<CONF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

${engine_block}
CONF
mv /etc/containers/containers.conf.new /etc/containers/containers.conf

id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
grep -q "^$user:" /etc/subuid || usermod --add-subuids 200000-265535 "$user"
grep -q "^$user:" /etc/subgid || usermod --add-subgids 200000-265535 "$user"
home=$(getent passwd "$user" | cut -d: -f6)
install -d -o "$user" -g "$user" -m 700 "$home/.config" "$home/.config/containers"
# No /dev/net/tun for slirp4netns here: rootless containers use the host network.
cat > "$home/.config/containers/containers.conf" <<CONF
[containers]
netns = "host"

${engine_block}
CONF
# Overlay, not vfs: vfs copies the whole image for every container (seconds per launch).
if [ ! -d "$home/.local/share/containers/storage/vfs" ]; then
  printf '[storage]\ndriver = "overlay"\n' > "$home/.config/containers/storage.conf"
fi
chown -R "$user:$user" "$home/.config"

getent group "$docker_group" >/dev/null || groupadd --system "$docker_group"
id "$docker_user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$docker_user"
id -nG "$docker_user" | tr ' ' '\n' | grep -qx "$docker_group" || usermod -aG "$docker_group" "$docker_user"
echo "== machine configured (containers.conf, rootless user $user, Docker-group user $docker_user)"
