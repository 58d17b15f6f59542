"""Warm standby with the defaults users get: helpers on, the allowlist proxy, protected control files.

A warm session must be as capable and as locked down as a cold one: from inside
it, an allowed destination is reached through the proxy and a denied one gets
403, the hub spawns a helper and routes messages both ways, and nothing of the
previous session's container filesystem is left. A control file replaced on the
host (a new inode) between sessions sends the next launch cold; one edited in
place keeps it warm, and the warm session sees the edit.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kanibako.session.standby import STATE_FILE
from kanibako_paths import load_paths, resolve_project
from tests.launch_helpers import kanibako, session_containers, wait_for

pytestmark = pytest.mark.integration

WARM = ("--keep-warm", "120")
SETTINGS = ".claude/settings.json"

# Run in the warm session: the previous session's file is gone, egress works and
# holds, and the hub spawns a helper that talks back and hears the director.
_CHECKS = r"""
set -e
kb="python3 $HOME/.local/bin/kanibako"
cat /tmp/mark 2>/dev/null || echo fresh
python3 - <<'EOF'
import urllib.error, urllib.request
port = "REMOTE_PORT"
for host in ("127.0.0.2", "127.0.0.3"):
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/through", timeout=10) as reply:
            print(host, reply.status, reply.read().decode())
    except urllib.error.HTTPError as exc:
        print(host, exc.code)
EOF
mkdir -p "$HOME/helpers/all/ro/startup"
cat > "$HOME/helpers/all/ro/startup/10-test.sh" <<'EOF'
kb="python3 $HOME/.local/bin/kanibako"
inbox="$(dirname "$KANIBAKO_HELPER_CONFIG")/inbox.log"
(
  $kb helper send 0 "hello from $KANIBAKO_HELPER"
  n=0
  until grep -q ping "$inbox" 2>/dev/null; do
    n=$((n + 1)); [ "$n" -lt 300 ] || exit 1; sleep 0.1
  done
  $kb helper send 0 pong
) >/dev/null 2>&1 &
EOF
wait_log() {
  n=0
  until $kb helper log | grep -q "$1"; do
    n=$((n + 1)); [ "$n" -lt 300 ] || { echo "timed out waiting for $1" >&2; exit 3; }
    sleep 0.1
  done
}
$kb helper spawn
wait_log "hello from 1"
$kb helper send 1 ping
wait_log pong
echo routed
"""


def _standby(project: Path, timeout: float = 30) -> str:
    state = resolve_project(load_paths(), project).metadata_dir / STATE_FILE
    wait_for(state.exists, timeout=timeout, what="the standby")
    return str(json.loads(state.read_text())["name"])


def _shell(project: Path, image: str, script: str) -> subprocess.CompletedProcess[str]:
    return kanibako(
        "-v", "-p", str(project), "shell", "-i", image, *WARM, "-c", script, timeout=180
    )  # fmt: skip


def _warm(done: subprocess.CompletedProcess[str]) -> bool:
    return "kanibako: warm standby:" in done.stderr


@pytest.fixture
def project(isolated_home: Path) -> Path:
    """A git workspace with the control files a Claude project has, on the default config."""
    path = isolated_home / "proj"
    (path / ".claude").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "CLAUDE.md").write_text("# notes\n")
    (path / SETTINGS).write_text('{"first": true}\n')
    return path


def test_a_default_session_runs_warm_with_egress_and_helpers_as_a_cold_one(
    project: Path, python_image: str, remote: int
) -> None:
    net = ("-p", str(project), "net", "allow", f"127.0.0.2:{remote}")
    assert kanibako(*net).returncode == 0
    first = _shell(project, python_image, "touch /tmp/mark")
    assert first.returncode == 0, first.stderr
    assert not _warm(first)
    waiting = _standby(project)
    second = _shell(project, python_image, _CHECKS.replace("REMOTE_PORT", str(remote)))
    assert second.returncode == 0, second.stdout + second.stderr
    assert _warm(second) and waiting in second.stderr
    lines = second.stdout.splitlines()
    assert lines[0] == "fresh"
    assert "127.0.0.2 200 remote says /through" in lines
    assert "127.0.0.3 403" in lines
    assert "spawned helper 1" in second.stdout and lines[-1] == "routed"
    assert f"egress denied this session: 127.0.0.3:{remote}" in second.stderr
    # The helper and the used standby are gone; the next standby waits.
    following = _standby(project)
    assert following != waiting
    wait_for(lambda: session_containers(project) == [following], what="only the next standby")
    kanibako("stop", "--all")
    wait_for(lambda: not session_containers(project), what="stop --all")


def test_a_control_file_replaced_on_the_host_launches_cold_and_one_edited_in_place_warm(
    project: Path, python_image: str
) -> None:
    show = f"cat /home/agent/workspace/{SETTINGS}"
    assert _shell(project, python_image, show).returncode == 0
    _standby(project)
    unchanged = _shell(project, python_image, show)
    assert _warm(unchanged) and unchanged.stdout == '{"first": true}\n', unchanged.stderr
    _standby(project)
    # An editor's save: a new file renamed over the old one.
    fresh = project / ".claude" / "settings.json.new"
    fresh.write_text('{"replaced": true}\n')
    fresh.replace(project / SETTINGS)
    replaced = _shell(project, python_image, show)
    assert not _warm(replaced), replaced.stderr
    assert replaced.stdout == '{"replaced": true}\n'
    _standby(project)
    # Written in place (the same inode): the standby's bind shows the new content.
    with (project / SETTINGS).open("w") as settings:
        settings.write('{"edited": true}\n')
    edited = _shell(project, python_image, show)
    assert _warm(edited) and edited.stdout == '{"edited": true}\n', edited.stderr
    _standby(project)
    kanibako("stop", "--all")
    wait_for(lambda: not session_containers(project), what="stop --all")
