"""Issue 12, item 10: each helper runs with least privilege and its own limits, and the fleet
is bounded (``[limits] helpers``): a real director spawns through the real hub.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.launch_helpers import kanibako, session_containers

pytestmark = pytest.mark.integration

# Sourced by every helper at start: report its limits where the director can read them.
STARTUP = r"""
at="$(dirname "$KANIBAKO_HELPER_CONFIG")"
{ cat /sys/fs/cgroup/pids/pids.max; grep NoNewPrivs /proc/self/status; } > "$at/limits.tmp"
mv "$at/limits.tmp" "$at/limits.txt"
"""

DIRECTOR = r"""
set -e
kb="python3 $HOME/.local/bin/kanibako"
mkdir -p "$HOME/helpers/all/ro/startup"
cp "$HOME/workspace/startup.sh" "$HOME/helpers/all/ro/startup/10-test.sh"
$kb helper spawn >/dev/null
n=0
until [ -s "$HOME/helpers/1/limits.txt" ]; do
  n=$((n + 1)); [ "$n" -lt 300 ] || { echo "no limits from helper 1" >&2; exit 3; }; sleep 0.1
done
cat "$HOME/helpers/1/limits.txt"
if $kb helper spawn >/dev/null 2>&1; then echo SECOND-SPAWNED; else echo SECOND-REFUSED; fi
"""


def test_helpers_get_their_limits_and_the_fleet_is_bounded(
    isolated_home: Path, python_image: str
) -> None:
    project = isolated_home / "proj"
    project.mkdir()
    (project / "startup.sh").write_text(STARTUP)
    (project / "director.sh").write_text(DIRECTOR)
    shown = kanibako("-p", str(project), "status").stdout.splitlines()
    metadata = Path(next(line.split(None, 1)[1] for line in shown if line.startswith("Metadata")))
    metadata.mkdir(parents=True, exist_ok=True)
    (metadata / "project.toml").write_text("[limits]\nhelpers = 1\nhelper_pids = 300\n")
    done = kanibako(
        "-p", str(project), "shell", "-i", python_image, "-c", "sh /home/agent/workspace/director.sh",
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["300", "NoNewPrivs:\t1", "SECOND-REFUSED"]
    assert session_containers(project) == []
