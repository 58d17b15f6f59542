"""Who the container process is: the invoking host user, whatever USER the image sets.

kanibako-base sets ``USER agent`` (uid 1000). With a rootful engine that user
could not write the home Kanibako made on the host (as root), nor read the
credentials in it; the session runs as the invoking user's uid:gid instead
(as root: 0:0), so what it writes belongs to that user on the host.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.launch_helpers import ensure_user_image, kanibako
from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration


def test_an_image_with_a_non_root_user_gets_a_writable_home_and_owned_files(
    isolated_home: Path, engine: str, busybox_image: str
) -> None:
    image = ensure_user_image(engine, busybox_image)
    project = isolated_home / "proj"
    (project / "vault" / "share-ro").mkdir(parents=True)
    (project / "vault" / "share-ro" / "ref.txt").write_text("ref\n")
    args = ["-p", str(project), "shell", "--no-helpers", "-i", image, "-c"]
    first = kanibako(*args, "true")
    assert first.returncode == 0, first.stderr
    shell = next((isolated_home / ".local/share/kanibako/boxes").iterdir()) / "shell"
    (shell / ".claude").mkdir(exist_ok=True)
    (shell / ".claude" / "creds.json").write_text("{}\n")
    (shell / ".claude" / "creds.json").chmod(0o600)
    (shell / ".claude").chmod(0o700)
    script = (
        "touch ~/x && echo home-ok; cat ~/.claude/creds.json; "
        "echo w > written.txt && echo ws-ok; cat ~/share-ro/ref.txt; id -u"
    )
    done = kanibako(*args, f"sh -c '{script}'")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["home-ok", "{}", "ws-ok", "ref", str(os.getuid())]
    for made in (shell / "x", project / "written.txt"):
        assert (made.stat().st_uid, made.stat().st_gid) == (os.getuid(), os.getgid())


def test_rootless_podman_runs_an_image_with_its_own_user_as_the_host_user(
    rootless: RootlessUser, engine: str, busybox_image: str
) -> None:
    # keep-id alone would run the image's USER (uid 1000), a subuid on the
    # host unless the user happens to be uid 1000 too.
    image = ensure_user_image(engine, busybox_image)
    as_user = ["su", rootless.name, "-s", "/bin/sh", "-c"]
    if subprocess.run(
        [*as_user, f"cd /tmp && podman image exists {image}"], check=False
    ).returncode:
        saved = subprocess.run([engine, "save", image], capture_output=True, check=True).stdout
        subprocess.run(
            [*as_user, "cd /tmp && podman load"], input=saved, capture_output=True, check=True
        )
    project = rootless.root / "projects" / "user-image"
    project.mkdir()
    subprocess.run(["chown", f"{rootless.uid}:{rootless.uid}", str(project)], check=True)
    script = "id -u; touch ~/x && echo home-ok; echo w > written.txt && echo ws-ok"
    done = rootless.kanibako(
        project, "shell", "--no-helpers", "-i", image, "-c", f"sh -c '{script}'"
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == [str(rootless.uid), "home-ok", "ws-ok"]
    assert (project / "written.txt").stat().st_uid == rootless.uid
    homes = list((rootless.root / "data").glob("boxes/*/shell/x"))
    assert [h.stat().st_uid for h in homes] == [rootless.uid]
