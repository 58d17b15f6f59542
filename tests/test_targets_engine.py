"""The agent in a real container: arguments, credentials, and the real Claude Code binary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kanibako_targets.testing_issuer import TokenIssuer
from tests import engine_images
from tests.launch_helpers import kanibako

pytestmark = pytest.mark.integration

CREDS = ".claude/.credentials.json"
ARGS_FILE = "claude-args"


def token(expires_at: int, access: str = "") -> str:
    access = access or f"t{expires_at}"
    return json.dumps({"claudeAiOauth": {"accessToken": access, "expiresAt": expires_at}})


@pytest.fixture
def issuer(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenIssuer]:
    """Claude's token issuer on the host's loopback: t100..t300 are the user's tokens."""
    with TokenIssuer() as running:
        for expiry in (100, 150, 200, 300):
            running.issue(f"t{expiry}", "account-of-the-user")
        running.issue("attacker", "account-of-the-attacker")
        monkeypatch.setenv("KANIBAKO_CLAUDE_ISSUER_URL", running.url)
        yield running


@pytest.fixture
def agent_bin(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory first on PATH, where a test puts its `claude`."""
    path = isolated_home / "agent-bin"
    path.mkdir()
    monkeypatch.setenv("PATH", f"{path}{os.pathsep}{os.environ['PATH']}")
    return path


def host_token(host_home: Path) -> Path:
    """The host's credentials: the user's token t100."""
    path = host_home / CREDS
    path.parent.mkdir()
    path.write_text(token(100))
    return path


def fake_claude(agent_bin: Path, body: str) -> None:
    """A `claude` that records its arguments in the workspace, then runs ``body``."""
    script = agent_bin / "claude"
    script.write_text(
        f"#!/bin/sh\nprintf '%s\\n' \"$@\" > /home/agent/workspace/{ARGS_FILE}\n{body}\n"
    )
    script.chmod(0o755)


@pytest.fixture
def project(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    return path


def launch(project: Path, image: str, *args: str) -> list[str]:
    """Run one session; the arguments the agent received."""
    done = kanibako("-p", str(project), *args, "--no-helpers", "-i", image)
    assert done.returncode == 0, done.stderr
    return (project / ARGS_FILE).read_text().splitlines()


def test_the_agent_receives_the_right_arguments(
    agent_bin: Path, project: Path, busybox_image: str
) -> None:
    fake_claude(agent_bin, "exit 0")
    skip, model = "--dangerously-skip-permissions", ["--model", "opus"]
    assert launch(project, busybox_image, "start") == [skip, *model]  # first run
    assert launch(project, busybox_image, "start") == ["--continue", skip, *model]
    assert launch(project, busybox_image, "start", "-N") == [skip, *model]
    assert launch(project, busybox_image, "start", "-S") == ["--continue", *model]
    assert launch(project, busybox_image, "resume") == ["--resume", skip, *model]
    settings = kanibako("-p", str(project), "box", "settings", "set", "model", "sonnet")
    assert settings.returncode == 0, settings.stderr
    assert launch(project, busybox_image, "start") == ["--continue", skip, "--model", "sonnet"]


def test_a_shell_or_a_failed_launch_leaves_the_agents_first_run_to_come(
    agent_bin: Path, project: Path, busybox_image: str
) -> None:
    skip, model = "--dangerously-skip-permissions", ["--model", "opus"]
    shell = kanibako("-p", str(project), "shell", "--no-helpers", "-i", busybox_image)
    assert shell.returncode == 0, shell.stderr
    fake_claude(agent_bin, "exit 3")  # e.g. Claude refused to start
    failed = kanibako("-p", str(project), "start", "--no-helpers", "-i", busybox_image)
    assert failed.returncode == 3, failed.stderr
    fake_claude(agent_bin, "exit 0")
    assert launch(project, busybox_image, "start") == [skip, *model]  # still the first run
    assert launch(project, busybox_image, "start") == ["--continue", skip, *model]


def test_a_root_session_tells_claude_it_is_sandboxed_so_permissions_can_be_skipped(
    agent_bin: Path, project: Path, busybox_image: str
) -> None:
    # As root the container runs as 0:0, where Claude refuses
    # --dangerously-skip-permissions unless IS_SANDBOX=1 is set.
    fake_claude(agent_bin, 'echo "uid=$(id -u) sandbox=$IS_SANDBOX" > /home/agent/workspace/who')
    launch(project, busybox_image, "start")
    assert (project / "who").read_text() == f"uid={os.getuid()} sandbox=1\n"
    launch(project, busybox_image, "start", "-S")
    assert (project / "who").read_text() == f"uid={os.getuid()} sandbox=\n"


@pytest.mark.usefixtures("issuer")
def test_credentials_round_trip_and_an_older_token_never_comes_back(
    agent_bin: Path, project: Path, isolated_home: Path, busybox_image: str
) -> None:
    host_creds = host_token(isolated_home)
    # The agent sees the host's token, then "rotates" it to a fresher one.
    fake_claude(
        agent_bin,
        f"cp ~/{CREDS} /home/agent/workspace/seen.json\nprintf '%s' '{token(200)}' > ~/{CREDS}",
    )
    launch(project, busybox_image, "start")
    assert (project / "seen.json").read_text() == token(100)
    assert host_creds.read_text() == token(200)
    assert host_creds.stat().st_mode & 0o777 == 0o600
    # A session that ends holding an older token leaves the host's alone.
    fake_claude(agent_bin, f"printf '%s' '{token(150)}' > ~/{CREDS}")
    launch(project, busybox_image, "start")
    assert host_creds.read_text() == token(200)


def test_a_link_planted_by_the_container_is_set_aside_never_followed(
    agent_bin: Path, project: Path, isolated_home: Path, busybox_image: str
) -> None:
    host_creds = host_token(isolated_home)
    victim = isolated_home / "victim"
    victim.write_text("precious")
    fake_claude(agent_bin, f"rm -f ~/{CREDS}; ln -s {victim} ~/{CREDS}")
    done = kanibako("-p", str(project), "start", "--no-helpers", "-i", busybox_image)
    assert done.returncode == 0, done.stderr  # the session ended well; the link changes nothing
    assert "refusing to follow a symbolic link" in done.stderr
    assert victim.read_text() == "precious"
    assert host_creds.read_text() == token(100)
    # The next launch goes on with the host's token.
    fake_claude(agent_bin, f"cp ~/{CREDS} /home/agent/workspace/seen.json")
    launch(project, busybox_image, "start")
    assert (project / "seen.json").read_text() == token(100)


@pytest.mark.parametrize(
    "plant",
    [f"rm -f ~/{CREDS}; mkfifo ~/{CREDS}", f"rm -f ~/{CREDS}; truncate -s 1G ~/{CREDS}"],
    ids=["fifo", "huge"],
)
def test_a_fifo_or_huge_file_planted_in_the_box_neither_hangs_nor_stops_the_next_launch(
    agent_bin: Path, project: Path, isolated_home: Path, busybox_image: str, plant: str
) -> None:
    host_creds = host_token(isolated_home)
    fake_claude(agent_bin, plant)
    done = kanibako("-p", str(project), "start", "--no-helpers", "-i", busybox_image)
    assert done.returncode == 0, done.stderr
    assert "set aside as .credentials.json.rejected" in done.stderr
    assert host_creds.read_text() == token(100)
    fake_claude(agent_bin, f"cp ~/{CREDS} /home/agent/workspace/seen.json")
    launch(project, busybox_image, "start")
    assert (project / "seen.json").read_text() == token(100)


@pytest.mark.usefixtures("issuer")
def test_a_forged_token_from_the_box_never_becomes_the_hosts(
    agent_bin: Path, project: Path, isolated_home: Path, busybox_image: str
) -> None:
    # Before: a token with expiresAt 9999999999999 replaced the host's file,
    # and every other project received it at its next launch.
    host_creds = host_token(isolated_home)
    before = host_creds.stat()
    later = int((time.time() + 7 * 24 * 3600) * 1000)
    forgeries = {
        "a huge expiresAt": token(9999999999999, access="attacker"),
        "Infinity": '{"claudeAiOauth": {"accessToken": "attacker", "expiresAt": Infinity}}',
        "another account's plausible token": token(later, access="attacker"),
    }
    for what, forged in forgeries.items():
        fake_claude(
            agent_bin,
            f"cp ~/{CREDS} /home/agent/workspace/seen.json\nprintf '%s' '{forged}' > ~/{CREDS}",
        )
        done = kanibako("-p", str(project), "start", "--no-helpers", "-i", busybox_image)
        assert done.returncode == 0, done.stderr
        assert (project / "seen.json").read_text() == token(100), what  # the host's, each time
        assert host_creds.read_text() == token(100), what
        assert (host_creds.stat().st_ino, host_creds.stat().st_mtime_ns) == (
            before.st_ino,
            before.st_mtime_ns,
        ), what
        [line] = [entry for entry in done.stderr.splitlines() if "set aside" in entry]
        assert ".credentials.json.rejected" in line, what


def test_distinct_auth_forwards_nothing(
    agent_bin: Path, project: Path, isolated_home: Path, busybox_image: str
) -> None:
    host_creds = host_token(isolated_home)
    (isolated_home / ".claude.json").write_text('{"oauthAccount": {"email": "me@example.com"}}')
    fake_claude(
        agent_bin,
        f"ls -A ~ ~/.claude > /home/agent/workspace/home-listing 2>&1\n"
        f"mkdir -p ~/.claude; printf '%s' '{token(300)}' > ~/{CREDS}",
    )
    launch(project, busybox_image, "start", "--distinct-auth")
    listing = (project / "home-listing").read_text()
    assert ".credentials.json" not in listing
    assert ".claude.json" not in listing
    assert host_creds.read_text() == token(100)


@pytest.fixture(scope="session")
def real_claude_bin() -> Path:
    """Claude Code from npm, installed once into the test cache."""
    prefix = engine_images.cache_dir() / "claude-code-npm"
    binary = prefix / "bin" / "claude"
    if not binary.exists():
        npm = shutil.which("npm")
        assert npm is not None, "the real-binary test needs npm (scripts/host-setup.sh)"
        subprocess.run(
            [npm, "install", "-g", "--prefix", str(prefix), "@anthropic-ai/claude-code"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return binary.parent


def test_the_real_claude_code_binary_runs_inside(
    real_claude_bin: Path,
    project: Path,
    isolated_home: Path,
    debian_image: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", f"{real_claude_bin}{os.pathsep}{os.environ['PATH']}")
    host = subprocess.run(
        ["claude", "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    inside = kanibako(
        "-v", "-p", str(project), "shell", "--no-helpers", "-i", debian_image,
        "-c", "claude --version",
    )  # fmt: skip
    assert inside.returncode == 0, inside.stderr
    assert "target claude (npm:" in inside.stderr
    assert inside.stdout == host.stdout
    assert "(Claude Code)" in inside.stdout


def test_resource_scopes_apply_in_real_sessions(
    agent_bin: Path, isolated_home: Path, busybox_image: str
) -> None:
    one, two, alone = (isolated_home / name for name in ("one", "two", "alone"))
    for project in (one, two, alone):
        project.mkdir()
    # Project one creates the shared plugins dir and writes into it from its session.
    # The stand-in claude comes first: setting a resource needs the target detected,
    # and the host may have no Claude Code of its own.
    fake_claude(agent_bin, "mkdir -p ~/.claude/plugins && echo from-one > ~/.claude/plugins/p")
    setting = kanibako("-p", str(alone), "box", "resource", "set", "plugins/", "project")
    assert setting.returncode == 0, setting.stderr
    launch(one, busybox_image, "start")
    # What the user puts in the shared dir on the host reaches every sharing project;
    # what a session wrote stays in that project's own layer (issue 12).
    shared = next(isolated_home.glob(".local/share/kanibako/shared/claude/plugins"))
    (shared / "q").write_text("from-host\n")
    fake_claude(
        agent_bin,
        "cat ~/.claude/plugins/p ~/.claude/plugins/q > /home/agent/workspace/seen 2>/dev/null"
        " || true",
    )
    launch(two, busybox_image, "start")
    launch(alone, busybox_image, "start")
    assert (two / "seen").read_text() == "from-host\n"  # shared: the host's copy for all
    assert (alone / "seen").read_text() == ""  # project: nothing shared
