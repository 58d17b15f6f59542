"""Helpers against a real engine: a director container spawns a helper through the hub.

The in-container CLI is a python3 zipapp, so these tests use a small image
derived from the Debian test image with python3 added (built once with
``podman build`` and kept by tag: about 20 s the first time, nothing after).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.launch_helpers import kanibako, session_containers
from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration


@pytest.fixture
def project(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    return path


# What every helper sources at start (a broadcast startup script): say hello,
# answer "ping" with "pong", and report what happens when it overspends.
_STARTUP = r"""
kb="python3 $HOME/.local/bin/kanibako"
inbox="$(dirname "$KANIBAKO_HELPER_CONFIG")/inbox.log"
(
  if touch "$HOME/.probe"; then home=writable; else home=read-only; fi
  $kb helper send 0 "hello from $KANIBAKO_HELPER (home $home)"
  if out=$($kb helper spawn --depth 1 2>&1); then
    $kb helper send 0 "overspend allowed: $out"
  else
    $kb helper send 0 "overspend refused: $out"
  fi
  n=0
  until grep -q ping "$inbox" 2>/dev/null; do
    n=$((n + 1)); [ "$n" -lt 300 ] || exit 1; sleep 0.1
  done
  $kb helper send 0 "pong"
) >/dev/null 2>&1 &
"""

# The director: write the startup script, spawn, exchange messages, show the log.
_DIRECTOR = r"""
set -e
kb="python3 $HOME/.local/bin/kanibako"
wait_log() {
  n=0
  until $kb helper log | grep -q "$1"; do
    n=$((n + 1)); [ "$n" -lt 200 ] || { echo "timed out waiting for $1" >&2; $kb helper log >&2; exit 3; }
    sleep 0.1
  done
}
mkdir -p "$HOME/helpers/all/ro/startup"
cp "$HOME/workspace/startup.sh" "$HOME/helpers/all/ro/startup/10-test.sh"
$kb helper spawn
wait_log "hello from 1"
wait_log "overspend"
$kb helper send 1 ping
wait_log pong
$kb helper list
echo ---
$kb helper log
"""


def _check_conversation(out: str) -> None:
    assert "spawned helper 1" in out
    listing, log = out.split("---\n")
    table = listing.split("HELPER", 1)[1].splitlines()
    assert table[1].split()[:3] == ["1", "0", "running"]
    lines = [line.split("  ", 1)[1] for line in log.splitlines()]
    assert "[1 → 0]  hello from 1 (home writable)" in lines
    assert "[0 → 1]  ping" in lines
    assert "[1 → 0]  pong" in lines
    refused = next(line for line in lines if "overspend" in line)
    assert refused == "[1 → 0]  overspend refused: kanibako: depth 1 exceeds the allowed 0"


def test_director_spawns_a_helper_that_talks_both_ways(project: Path, python_image: str) -> None:
    (project / "startup.sh").write_text(_STARTUP)
    (project / "director.sh").write_text(_DIRECTOR)
    done = kanibako(
        "-p", str(project), "shell", "-i", python_image, "-c", "sh /home/agent/workspace/director.sh",
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    _check_conversation(done.stdout)
    # The host sees the same log, and the session's helpers are gone with it.
    host_log = kanibako("-p", str(project), "helper", "log", "--json")
    assert host_log.returncode == 0, host_log.stderr
    texts = [e["text"] for e in json.loads(host_log.stdout)]
    assert texts[0] == "hello from 1 (home writable)"
    assert texts[-1] == "pong"
    assert session_containers(project) == []
    # The helper's own tree is on the host, in the project's shell.
    assert any((project.parent / ".local/share/kanibako/boxes").rglob("helpers/1/inbox.log"))


def test_rootless_director_and_helper_talk_through_the_hub(
    rootless: RootlessUser,
    python_image: str,
) -> None:
    """The same conversation as an ordinary user with rootless Podman (keep-id)."""
    rootless.load_image(python_image)
    project = rootless.root / "projects" / "helpers"
    project.mkdir()
    (project / "startup.sh").write_text(_STARTUP)
    (project / "director.sh").write_text(_DIRECTOR)
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(project)], check=True)
    # `su` keeps root's PATH; the user's own must not lead to root's tools.
    user = replace(rootless, env={**rootless.env, "PATH": "/usr/local/bin:/usr/bin:/bin"})
    done = user.kanibako(
        project, "shell", "-i", python_image, "-c", "sh /home/agent/workspace/director.sh"
    )
    assert done.returncode == 0, (done.stdout + done.stderr).decode()
    _check_conversation(done.stdout.decode())


# A fake `claude` for the director and its helpers: each records its arguments;
# the director spawns one helper with a model and one without, and collects theirs.
_FAKE_CLAUDE = r"""#!/bin/sh
printf '%s\n' "$@" > /home/agent/workspace/claude-args
[ "$KANIBAKO_HELPER" = 0 ] || exit 0
kb="python3 $HOME/.local/bin/kanibako"
$kb helper spawn --model sonnet && $kb helper spawn || exit 2
for n in 1 2; do
  i=0
  until [ -s "$HOME/helpers/$n/workspace/claude-args" ]; do
    i=$((i + 1)); [ "$i" -lt 300 ] || { echo "helper $n never ran claude" >&2; exit 3; }
    sleep 0.1
  done
  cp "$HOME/helpers/$n/workspace/claude-args" "/home/agent/workspace/helper-$n-args"
done
"""


def test_a_helper_runs_the_model_its_spawn_asked_for(
    project: Path, python_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_bin = project.parent / "agent-bin"
    agent_bin.mkdir()
    (agent_bin / "claude").write_text(_FAKE_CLAUDE)
    (agent_bin / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", f"{agent_bin}:{os.environ['PATH']}")
    done = kanibako("-p", str(project), "start", "-i", python_image, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    skip = "--dangerously-skip-permissions"
    assert (project / "claude-args").read_text().split() == [skip, "--model", "opus"]
    assert (project / "helper-1-args").read_text().split() == [skip, "--model", "sonnet"]
    # No --model: the director's effective model (its `model` setting).
    assert (project / "helper-2-args").read_text().split() == [skip, "--model", "opus"]
    assert session_containers(project) == []
