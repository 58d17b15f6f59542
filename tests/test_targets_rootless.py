"""Credentials round-trip in a rootless session too (keep-id: the agent is the user)."""

from __future__ import annotations

import dataclasses
import json
import pwd
import subprocess
from pathlib import Path

import pytest

from kanibako_targets.testing_issuer import TokenIssuer
from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration

CREDS = ".claude/.credentials.json"


def token(expires_at: int) -> str:
    return json.dumps({"claudeAiOauth": {"accessToken": f"t{expires_at}", "expiresAt": expires_at}})


def test_rootless_credentials_round_trip(
    rootless: RootlessUser,
    busybox_image: str,
    tmp_path: Path,
) -> None:
    base = rootless.root / f"targets-{tmp_path.name}"
    home, bin_dir, project = base / "home", base / "bin", base / "proj"
    for directory in (home / ".claude", bin_dir, project / "vault/share-ro"):
        directory.mkdir(parents=True)
    (home / CREDS).write_text(token(100))
    (home / CREDS).chmod(0o600)
    claude = bin_dir / "claude"
    claude.write_text(
        "#!/bin/sh\n"
        f"cp ~/{CREDS} /home/agent/workspace/seen.json\n"
        f"printf '%s' '{token(200)}' > ~/{CREDS}\n"
    )
    claude.chmod(0o755)
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(base)], check=True)
    # A throwaway HOME for the credentials; Podman keeps finding the user's
    # own image store through XDG_DATA_HOME.
    own_data = Path(pwd.getpwnam(rootless.name).pw_dir) / ".local/share"
    env = {
        **rootless.env,
        "HOME": str(home),
        "XDG_DATA_HOME": str(own_data),
        "PATH": f"{bin_dir}:{rootless.env['PATH']}",
    }
    with TokenIssuer() as issuer:  # on loopback: the user's process on the host asks it
        issuer.issue("t100", "account-of-the-user")
        issuer.issue("t200", "account-of-the-user")
        env["KANIBAKO_CLAUDE_ISSUER_URL"] = issuer.url
        user = dataclasses.replace(rootless, env=env)
        done = user.kanibako(project, "start", "--no-helpers", "-i", busybox_image)
    assert done.returncode == 0, done.stderr.decode()
    assert (project / "seen.json").read_text() == token(100)
    assert (home / CREDS).read_text() == token(200)
    assert (home / CREDS).stat().st_uid == rootless.uid
    assert (home / CREDS).stat().st_mode & 0o777 == 0o600
