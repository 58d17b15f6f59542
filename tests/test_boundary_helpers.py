"""What a helper's container must not be able to do (real engine, a real director and helper).

The helper is untrusted: its token file, the broadcast channel written by the
director, its read-only vault, the message log and the in-container CLI stay
read-only to it, and it cannot speak as another helper by claiming a number.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration

_PROBE = r"""
kb="python3 $HOME/.local/bin/kanibako"
me="$(dirname "$KANIBAKO_HELPER_CONFIG")"
(
  wrote=""
  for f in "$KANIBAKO_HELPER_CONFIG" "$HOME/.kanibako/helper-messages.jsonl" \
           "$HOME/.local/bin/kanibako"; do
    if echo x >> "$f"; then wrote="$wrote $f"; fi
    if rm -f "$f" && [ ! -e "$f" ]; then wrote="$wrote rm:$f"; fi
  done
  for d in "$HOME/helpers/all/ro" "$me/vault/share-ro"; do
    if touch "$d/planted"; then wrote="$wrote $d"; fi
  done
  $kb helper send 0 "probe:${wrote:- none}"
  KANIBAKO_HELPER=0 $kb helper send 0 "claimed 0" || true
) >/dev/null 2>&1 &
"""

_DIRECTOR = r"""
set -e
kb="python3 $HOME/.local/bin/kanibako"
mkdir -p "$HOME/helpers/all/ro/startup"
cp "$HOME/workspace/probe.sh" "$HOME/helpers/all/ro/startup/10-probe.sh"
$kb helper spawn
n=0
until $kb helper log | grep -q "claimed 0"; do
  n=$((n + 1)); [ "$n" -lt 300 ] || { $kb helper log >&2; exit 3; }
  sleep 0.1
done
$kb helper log
"""


@pytest.fixture
def project(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    return path


def test_a_helper_cannot_write_its_read_only_mounts_or_claim_another_number(
    project: Path,
    python_image: str,
) -> None:
    (project / "probe.sh").write_text(_PROBE)
    (project / "director.sh").write_text(_DIRECTOR)
    done = kanibako(
        "-p", str(project), "shell", "-i", python_image, "-c", "sh /home/agent/workspace/director.sh",
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line.split("  ", 1)[1] for line in done.stdout.splitlines() if "→" in line]
    assert "[1 → 0]  probe: none" in lines, lines
    assert "[1 → 0]  claimed 0" in lines, lines
    assert not any(line.startswith("[0 → 0]") for line in lines), lines
    helpers = next((project.parent / ".local/share/kanibako/boxes").rglob("shell/helpers"))
    assert not (helpers / "all" / "ro" / "planted").exists()
    assert not (helpers / "1" / "vault" / "share-ro" / "planted").exists()


_PLANT = r"""
kb="python3 $HOME/.local/bin/kanibako"
# ~/helpers is read-only to the director (issue 12 item 11): every plant is refused, and
# the host's checks below hold whether or not one got through.
if mkdir -p "$HOME/helpers/6" "$HOME/helpers/²" "$HOME/helpers/3" 2>/dev/null \
  || mkfifo "$HOME/helpers/6/state.json" 2>/dev/null \
  || echo '{"helper":3,"parent":0,"depth":5,"breadth":5}' > "$HOME/helpers/3/state.json"; then
  echo "plant allowed"
else
  echo "plant refused"
fi 2>/dev/null
set -e
$kb helper send 0 "$(printf 'ok\033]52;c;ZXZpbA==\007\033[2J\nforged')"
"""


def test_what_a_director_plants_in_helpers_or_the_log_stays_harmless_on_the_host(
    project: Path, python_image: str
) -> None:
    (project / "plant.sh").write_text(_PLANT)
    planted = kanibako(
        "-p", str(project), "shell", "-i", python_image, "-c", "sh /home/agent/workspace/plant.sh",
        timeout=120,
    )  # fmt: skip
    assert planted.returncode == 0, planted.stdout + planted.stderr
    assert "plant refused" in planted.stdout, planted.stdout
    # On the host, with no session: a FIFO state.json, a `²` tree and a planted
    # helper neither hang nor break `helper list`, and none of them is listed.
    listed = kanibako("-p", str(project), "helper", "list", timeout=20)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1:] == [], listed.stdout
    log = kanibako("-p", str(project), "helper", "log", timeout=20)
    assert log.stdout.count("\n") == 1 and "\x1b" not in log.stdout, repr(log.stdout)
    assert log.stdout.endswith("ok\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\nforged\n"), repr(log.stdout)
    # The next launch starts, and the planted grandchild is nobody the hub knows.
    respawn = kanibako(
        "-p", str(project), "shell", "-i", python_image, "-c",
        "python3 $HOME/.local/bin/kanibako helper respawn 3; echo rc=$?",
        timeout=120,
    )  # fmt: skip
    assert respawn.returncode == 0, respawn.stdout + respawn.stderr
    assert "no helper 3 in this session" in respawn.stdout + respawn.stderr
    assert "rc=2" in respawn.stdout
