"""Helper clones on Docker and on rootless Podman: a helper commits, the host takes its work.

One session per engine runs in the background: the director spawns a
scripted helper, which tries to write through the packs its clone shares
with the user's repository, commits in its clone (and leaves a directory of
its own there), then waits. Meanwhile the host runs ``helper diff`` and
``helper merge`` against the user's repository and ``helper cleanup``
through the session's hub, which must remove the whole clone (as the
rootless user, whatever uid the engine gave the files), and then lets the
director end.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.image_builds import ensure_test_base
from tests.launch_helpers import finish, kanibako, reap, start_session, wait_for
from tests.rootless_fixtures import RootlessUser

pytestmark = pytest.mark.integration

_HELPER = r"""
cd "$HOME/workspace"
# The packs it shares with the user's repository: chmod and write, remount, plant.
for f in $(find .git/objects -type f -links +1); do
  chmod u+w "$f" 2>/dev/null; printf x >> "$f" 2>/dev/null
done
mount -o remount,rw .git/objects/pack 2>/dev/null; touch .git/objects/pack/planted 2>/dev/null
echo from-helper > helper.txt
mkdir -p build/deep && echo out > build/deep/out.txt
git add helper.txt && git commit -qm "helper work"
touch "$HOME/helpers/$KANIBAKO_HELPER/done"
"""

_DIRECTOR = r"""
set -e
kb="python3 $HOME/.local/bin/kanibako"
mkdir -p "$HOME/helpers/all/ro"
cp "$HOME/workspace/helper.sh" "$HOME/helpers/all/ro/helper.sh"
$kb helper spawn -c 'sh /home/agent/helpers/all/ro/helper.sh'
i=0
until [ -e "$HOME/helpers/1/done" ]; do
  i=$((i + 1)); [ "$i" -lt 900 ] || { echo "helper 1 never finished" >&2; exit 3; }
  sleep 0.1
done
touch "$HOME/workspace/ready"
i=0
until [ -e "$HOME/workspace/go" ]; do
  i=$((i + 1)); [ "$i" -lt 1800 ] || { echo "the host never said go" >&2; exit 4; }
  sleep 0.1
done
echo director done
"""

_INIT_REPO = (
    "git init -q -b main && git config user.name User && git config user.email user@example.com"
    " && echo first > f.txt && printf 'director.sh\\nhelper.sh\\nready\\ngo\\n' > .gitignore"
    " && git add -A && git commit -qm first && git gc -q"
)
_SESSION = ("shell", "-c", "sh /home/agent/workspace/director.sh")

Helper = Callable[..., tuple[int, str]]


def _make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["sh", "-c", _INIT_REPO], cwd=path, check=True)
    (path / "director.sh").write_text(_DIRECTOR)
    (path / "helper.sh").write_text(_HELPER)
    return path


def _take_the_helpers_work(
    repo: Path,
    session: subprocess.Popen[str],
    helper: Helper,
    clone_root: Callable[[], Path],
    foreign_uid: int | None = None,
) -> None:
    """While the session waits: diff, merge and cleanup from the host; then let it end."""
    objects = repo / ".git" / "objects"
    before = {p: p.read_bytes() for p in objects.rglob("*") if p.is_file()}
    assert any(p.suffix == ".pack" for p in before)  # there is a shared pack to attack
    try:
        wait_for(lambda: (repo / "ready").exists() or session.poll() is not None, 240, "helper 1")
        assert session.poll() is None, finish(session)
        clone = clone_root() / "1" / "workspace"
        assert (clone / "build" / "deep" / "out.txt").is_file()
        assert not (repo / "helper.txt").exists()  # nothing reaches the checkout before a merge
        assert {p: p.read_bytes() for p in before} == before  # the user's objects as they were
        assert not (clone / ".git" / "objects" / "pack" / "planted").exists()
        if foreign_uid is not None:
            _plant_foreign_tree(clone / "build", foreign_uid)
        code, out = helper("diff", "1", "--stat")
        assert code == 0 and "helper.txt" in out and "build/deep/out.txt" in out, out
        code, out = helper("merge", "1")
        assert code == 0 and "merged into main" in out, out
        assert (repo / "helper.txt").read_text() == "from-helper\n"
        code, out = helper("cleanup", "1", "--force")  # the untracked build/ is not merged
        assert code == 0 and out.strip().endswith("removed helper 1"), out
        assert not clone.exists() and not clone.parent.exists()
        (repo / "go").touch()
        code, out, err = finish(session, timeout=60)
        assert code == 0 and "director done" in out + err, out + err
    finally:
        if session.poll() is None:
            os.killpg(session.pid, 9)
            reap(session)


def _plant_foreign_tree(where: Path, uid: int) -> None:
    """What a container uid outside the user's own mapping leaves: a tree the user does not own."""
    foreign = where / "foreign"
    (foreign / "sub").mkdir(parents=True)
    (foreign / "sub" / "file").write_text("x\n")
    for path in (foreign / "sub" / "file", foreign / "sub", foreign):
        os.chown(path, uid, uid)
    foreign.chmod(0o755)
    (foreign / "sub").chmod(0o755)


def _first_subuid(user: str) -> int:
    for line in Path("/etc/subuid").read_text().splitlines():
        name, start, _ = line.split(":")
        if name == user:
            return int(start)
    pytest.fail(f"{user} has no subordinate uids in /etc/subuid")


def test_docker_helper_commits_in_its_clone_and_the_host_merges_it(
    isolated_home: Path, engine: str, docker_host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = ensure_test_base(engine)
    env = {**os.environ, "DOCKER_HOST": docker_host}
    if subprocess.run(["docker", "image", "inspect", image], env=env, capture_output=True,
                      check=False).returncode:  # fmt: skip
        saved = subprocess.Popen([engine, "save", image], stdout=subprocess.PIPE)
        subprocess.run(["docker", "load"], stdin=saved.stdout, env=env, check=True,
                       capture_output=True)  # fmt: skip
        assert saved.stdout is not None
        saved.stdout.close()
        assert saved.wait() == 0
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    monkeypatch.setenv("KANIBAKO_ENGINE", "docker")
    repo = _make_repo(isolated_home / "proj")

    def helper(*args: str) -> tuple[int, str]:
        done = kanibako("-p", str(repo), "helper", *args, timeout=120)
        return done.returncode, done.stdout + done.stderr

    def clone_root() -> Path:
        info = json.loads(kanibako("-p", str(repo), "box", "info", "--json").stdout)
        return Path(info["shell"]) / "helpers"

    session = start_session("-p", str(repo), _SESSION[0], "-i", image, *_SESSION[1:])
    _take_the_helpers_work(repo, session, helper, clone_root)


def test_rootless_helper_commits_in_its_clone_and_cleanup_removes_it(
    rootless: RootlessUser, engine: str
) -> None:
    image = ensure_test_base(engine)
    rootless.load_image(image)
    repo = _make_repo(rootless.root / "projects" / "clones")
    subprocess.run(["chown", "-R", f"{rootless.uid}:{rootless.uid}", str(repo)], check=True)
    user = replace(rootless, env={**rootless.env, "PATH": "/usr/local/bin:/usr/bin:/bin"})

    def helper(*args: str) -> tuple[int, str]:
        done = user.kanibako(repo, "helper", *args)
        return done.returncode, (done.stdout + done.stderr).decode()

    def clone_root() -> Path:
        info = json.loads(user.kanibako(repo, "box", "info", "--json").stdout)
        return Path(info["shell"]) / "helpers"

    session = user.start(repo, _SESSION[0], "-i", image, *_SESSION[1:])
    # Uid 1000 of the user's namespace (a container user outside keep-id).
    foreign = _first_subuid(user.name) + 999
    _take_the_helpers_work(repo, session, helper, clone_root, foreign)
    purged = user.kanibako(repo, "box", "purge", "--yes")
    assert purged.returncode == 0, purged.stderr.decode()
