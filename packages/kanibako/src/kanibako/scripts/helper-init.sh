#!/bin/sh
# helper-init.sh: the entrypoint wrapper of every Kanibako helper container.
#
#   1. register this helper's mailbox with the hub: a background listener
#      stays connected and appends each message it receives to
#      ~/helpers/<n>/inbox.log (the log format of `kanibako helper log`);
#   2. wait for the host to finish checking out this helper's clone (if any);
#   3. source the broadcast startup scripts (~/helpers/all/ro/startup/*.sh),
#      which the director writes for every helper;
#   4. exec the agent command given as arguments.
#
# The hub knows this helper by the secret token in its read-only spawn.toml
# (KANIBAKO_HELPER_CONFIG); nothing here can claim another identity.
set -u

config="${KANIBAKO_HELPER_CONFIG:?helper-init.sh: KANIBAKO_HELPER_CONFIG is not set}"
helper_dir=$(dirname "$config")
helpers_root=$(dirname "$helper_dir")
cli="${KANIBAKO_CLI:-$HOME/.local/bin/kanibako}"
PATH="$(dirname "$cli"):$PATH"
export PATH

ready="$helper_dir/.registered"
rm -f "$ready"
# The listener must not hold the agent's stdout/stderr open: its own output
# goes to listener.log beside the inbox.
python3 "$cli" helper listen --inbox "$helper_dir/inbox.log" --ready "$ready" \
  </dev/null >"$helper_dir/listener.log" 2>&1 &
listener=$!

# One 50 ms wait of a loop; after $1 of them, give up saying $2.
tick() {
  waited=$((waited + 1))
  if [ "$waited" -gt "$1" ]; then
    echo "helper-init.sh: $2" >&2
    exit 1
  fi
  sleep 0.05
}

waited=0
while [ ! -e "$ready" ]; do
  if ! kill -0 "$listener" 2>/dev/null; then
    echo "helper-init.sh: could not register with the helper hub:" >&2
    cat "$helper_dir/listener.log" >&2
    exit 1
  fi
  tick 400 "the helper hub did not answer within 20 s"
done

# A helper of a git workspace: the host checks out its clone while this
# container starts; nothing runs in the workspace before that is done.
waited=0
while [ -e "$helper_dir/.checkout-pending" ]; do
  tick 12000 "the checkout of this helper's clone did not finish within 10 min"
done

for script in "$helpers_root"/all/ro/startup/*.sh; do
  if [ -r "$script" ]; then
    # shellcheck disable=SC1090
    . "$script"
  fi
done

if [ "$#" -eq 0 ]; then
  set -- /bin/sh
fi
exec "$@"
