"""Egress on the real engine (rootful Podman here; rootless and Docker in their own modules).

A server on the host's addresses stands in for the internet. From inside a real
session, tests/egress_probe.py attacks the way out; the host checks what got
through, the decision log and the session's last stderr line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.egress_checks import (
    PROBE,
    PROBE_IN_BOX,
    check_allowlist_results,
    check_logged,
    check_session_end,
    host_addresses,
    parse_probe,
    run_allowlist_session,
)
from tests.launch_helpers import kanibako, start_session

pytestmark = pytest.mark.integration


@pytest.fixture
def project(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    shutil.copy(PROBE, path / PROBE.name)
    return path


def _probe_session(project: Path, image: str, port: int) -> subprocess.Popen[str]:
    addresses = " ".join(host_addresses())
    return start_session(
        "-p", str(project), "shell", "--no-helpers", "-i", image,
        "-c", f"{PROBE_IN_BOX} {port} {addresses}",
    )  # fmt: skip


def test_allowlist_holds_and_lets_allowed_through(
    project: Path, python_image: str, remote: int
) -> None:
    found, err = run_allowlist_session(
        project,
        remote,
        lambda: _probe_session(project, python_image, remote),
        lambda *args: kanibako("-p", str(project), "net", *args),
    )
    check_allowlist_results(found, remote)
    check_session_end(err, lambda *args: kanibako("-p", str(project), "net", *args), remote)


def test_open_restores_the_engine_network(project: Path, python_image: str, remote: int) -> None:
    assert kanibako("-p", str(project), "config", "network", "open").returncode == 0
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", python_image,
        "-c", f"{PROBE_IN_BOX} {remote} {' '.join(host_addresses())}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = parse_probe(done.stdout)
    assert found["interfaces"] != ["lo"]
    assert found["proxy_env"].strip() == ""
    assert "connected" in [v for k, v in found.items() if k.startswith("direct ")]


def test_none_has_no_way_out(project: Path, python_image: str, remote: int) -> None:
    assert kanibako("-p", str(project), "config", "network", "none").returncode == 0
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", python_image,
        "-c", f"{PROBE_IN_BOX} {remote} {' '.join(host_addresses())}; ls /run/kanibako-egress",
    )  # fmt: skip
    found = parse_probe(done.stdout)
    assert found["interfaces"] == ["lo"] and found["proxy_env"].strip() == ""
    assert all(v.startswith("failed") for k, v in found.items() if k.startswith("direct "))
    assert "egress.sock" not in done.stdout


def test_an_image_without_python_starts_with_no_way_out(
    project: Path, busybox_image: str, remote: int
) -> None:
    host = host_addresses()[0]
    done = kanibako(
        "-p", str(project), "shell", "--no-helpers", "-i", busybox_image,
        "-c", f"ls /sys/class/net; wget -q -T 3 -O- http://{host}:{remote}/ || echo no-way-out",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["lo", "no-way-out"]
    assert "has no python3: the session has no network at all" in done.stderr


# Sourced by every helper at start (a broadcast startup script): try the way out
# from the helper's container and leave the results in its workspace.
_HELPER_STARTUP = r"""
python3 - "$EGRESS_PORT" "$EGRESS_HOST" > /home/agent/workspace/egress.json.tmp <<'PY'
import json, socket, sys, urllib.error, urllib.request
port, host = int(sys.argv[1]), sys.argv[2]
def fetch(url):
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code
try:
    socket.create_connection((host, port), timeout=3).close()
    direct = "connected"
except OSError:
    direct = "failed"
print(json.dumps({"direct": direct, "allowed": fetch(f"http://127.0.0.2:{port}/h"),
                  "denied": fetch(f"http://127.0.0.3:{port}/h")}))
PY
mv /home/agent/workspace/egress.json.tmp /home/agent/workspace/egress.json
"""

_HELPER_DIRECTOR = r"""
set -e
mkdir -p "$HOME/helpers/all/ro/startup"
cp "$HOME/workspace/startup.sh" "$HOME/helpers/all/ro/startup/10-egress.sh"
python3 "$HOME/.local/bin/kanibako" helper spawn
n=0
until [ -s "$HOME/helpers/1/workspace/egress.json" ]; do
  n=$((n + 1)); [ "$n" -lt 300 ] || { echo "the helper never reported" >&2; exit 3; }
  sleep 0.1
done
cat "$HOME/helpers/1/workspace/egress.json"
"""


def test_helpers_go_out_through_the_same_proxy_logged_with_their_number(
    project: Path, python_image: str, remote: int
) -> None:
    (project / "startup.sh").write_text(
        f"export EGRESS_PORT={remote} EGRESS_HOST={host_addresses()[0]}\n" + _HELPER_STARTUP
    )
    (project / "director.sh").write_text(_HELPER_DIRECTOR)
    assert kanibako("-p", str(project), "net", "allow", f"127.0.0.2:{remote}").returncode == 0
    done = kanibako(
        "-p", str(project), "shell", "-i", python_image, "-c", "sh /home/agent/workspace/director.sh",
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"direct": "failed", "allowed": 200, "denied": 403}
    log = kanibako("-p", str(project), "net", "log", "--json")
    check_logged(log.stdout, remote, helper=1, allowed=1)
