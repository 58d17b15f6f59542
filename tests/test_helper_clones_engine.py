"""Helper clones against a real engine: scripted helpers commit, leave work and collide.

One session (batched, to keep the engine time short): the director spawns
four helpers with ``-c`` in a git workspace; each works in its own clone and
tries to plant a hook, and one tries to write through the packs its clone
shares with the user's repository. After the session the host reviews them: diff,
conflicts, merge, squash and the refused merges, checking the user's
checkout at every step.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.image_builds import ensure_test_base
from tests.launch_helpers import kanibako, session_containers

pytestmark = pytest.mark.integration

# Each helper: $1 is what it writes to line 2 of f.txt (or "-" for a new file).
_HELPER = r"""
cd "$HOME/workspace"
me="$HOME/helpers/$KANIBAKO_HELPER"
{
  if echo 'touch /tmp/owned' > .git/hooks/pre-commit 2>/dev/null; then echo "hooks writable"; else echo "hooks read-only"; fi
  if git config core.hooksPath /tmp 2>/dev/null; then echo "config writable"; else echo "config read-only"; fi
  git symbolic-ref --short HEAD
} > "$me/report"
case "$1" in
  -) echo g1 > g.txt; git add g.txt; git commit -qm g1; echo g2 >> g.txt; git commit -qam g2 ;;
  none)
    # Its packs are the user's own files (hardlinked): chmod, write, plant, remove.
    shared=$(find .git/objects -type f -links +1)
    hit=
    for f in $shared; do
      chmod u+w "$f" 2>/dev/null
      printf x >> "$f" 2>/dev/null && hit=1
    done
    touch .git/objects/pack/planted 2>/dev/null && hit=1
    echo "attacked $(echo "$shared" | grep -c .) shared object files" >> "$me/report"
    if [ -n "$hit" ]; then echo "shared objects writable"; else echo "shared objects read-only"; fi >> "$me/report"
    git fsck --no-dangling >/dev/null 2>&1 && echo "own clone intact" >> "$me/report" ;;
  *) printf 'a\n%s\nc\n' "$1" > f.txt; git commit -qam "$1" ;;
esac
[ "$1" = ONE ] && echo draft > draft.txt
touch "$me/done"
"""

_DIRECTOR = r"""
set -e
kb="python3 $HOME/.local/bin/kanibako"
# After each spawn the session builds a spare clone: the next spawn claims it.
spare() {
  i=0
  until [ -e "$HOME/helpers/.spare/at" ]; do
    i=$((i + 1)); [ "$i" -lt 600 ] || { echo "no spare clone was made" >&2; exit 5; }
    sleep 0.1
  done
}
$kb helper spawn -c 'sh /home/agent/helpers/all/ro/helper.sh ONE'
spare; $kb helper spawn -c 'sh /home/agent/helpers/all/ro/helper.sh TWO'
spare; $kb helper spawn -c 'sh /home/agent/helpers/all/ro/helper.sh -'
spare; $kb helper spawn -c 'sh /home/agent/helpers/all/ro/helper.sh none'
for n in 1 2 3 4; do
  i=0
  until [ -e "$HOME/helpers/$n/done" ]; do
    i=$((i + 1)); [ "$i" -lt 600 ] || { echo "helper $n never finished" >&2; exit 3; }
    sleep 0.1
  done
  cat "$HOME/helpers/$n/report"
done
# The director reads the helpers' trees but cannot swap anything in them (issue 12 item 11).
if mv "$HOME/helpers/1/workspace" "$HOME/helpers/1/moved" 2>/dev/null \
  || ln -s / "$HOME/helpers/9" 2>/dev/null || echo x >> "$HOME/helpers/1/workspace/.git/config" 2>/dev/null; then
  echo "helper trees writable"
else
  echo "helper trees read-only"
fi
grep -q ONE "$HOME/helpers/1/workspace/f.txt" && echo "helper trees readable"
# The director's own checkout sees none of it.
test ! -e "$HOME/workspace/draft.txt" && test ! -e "$HOME/workspace/g.txt"
grep -qx b "$HOME/workspace/f.txt" && echo "checkout untouched"
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def checkout_state(repo: Path) -> tuple[str, str, str]:
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "ls-files", "-s"),
        git(repo, "status", "--porcelain"),
    )


_INIT_REPO = (
    "git init -q -b main && git config user.name User && git config user.email user@example.com"
    " && printf 'a\\nb\\nc\\n' > f.txt && printf 'director.sh\\nhelper.sh\\n' > .gitignore"
    " && git add -A && git commit -qm first && git gc -q"
    " && echo h > h.txt && git add h.txt && git commit -qm second"  # loose objects beside the pack
)


def object_files(repo: Path) -> dict[str, bytes]:
    objects = repo / ".git" / "objects"
    return {str(p.relative_to(objects)): p.read_bytes() for p in objects.rglob("*") if p.is_file()}


@pytest.fixture
def repo(isolated_home: Path) -> Path:
    path = isolated_home / "proj"
    path.mkdir()
    subprocess.run(["sh", "-c", _INIT_REPO], cwd=path, check=True)
    return path


def test_helpers_work_in_clones_and_the_host_reviews_them(repo: Path, engine: str) -> None:
    image = ensure_test_base(engine)
    (repo / "director.sh").write_text(
        'mkdir -p "$HOME/helpers/all/ro"\n'
        'cp "$HOME/workspace/helper.sh" "$HOME/helpers/all/ro/helper.sh"\n' + _DIRECTOR
    )
    (repo / "helper.sh").write_text(_HELPER)
    objects_before = object_files(repo)
    done = kanibako(
        "-p", str(repo), "shell", "-i", image, "-c", "sh /home/agent/workspace/director.sh", timeout=180
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert out.count("its own clone, branch kanibako/helper-") == 4
    assert out.count("hooks read-only") == 4 and out.count("config read-only") == 4, out
    assert "kanibako/helper-3" in out and "checkout untouched" in out
    assert "helper trees read-only" in out and "helper trees readable" in out
    assert session_containers(repo) == []
    assert not Path("/tmp/owned").exists()
    assert "shared objects read-only" in out and "own clone intact" in out, out
    # Helpers 2-4 worked in claimed spares: each clone was moved from the spare's
    # detached commit to its branch (helper 1's from an empty, new repository).
    info = json.loads(kanibako("-p", str(repo), "box", "info", "--json").stdout)
    clones = Path(info["shell"]) / "helpers"
    moves = [
        next(
            line.split()[3]
            for line in git(clones / str(n) / "workspace", "reflog", "--format=%gs").splitlines()
            if line.startswith("checkout: moving from ")
        )
        for n in (1, 2, 3, 4)
    ]
    head = git(repo, "rev-parse", "HEAD").strip()
    assert moves[0] != head and moves[1:] == [head] * 3, moves
    assert "attacked 0 shared" not in out, out  # the pack was there to attack
    after = object_files(repo)
    assert {k: after.get(k) for k in objects_before} == objects_before  # none changed
    git(repo, "fsck", "--strict")

    def helper(*args: str, code: int = 0) -> str:
        result = kanibako("-p", str(repo), "helper", *args)
        assert result.returncode == code, result.stdout + result.stderr
        return result.stdout + result.stderr

    stat = helper("diff", "1", "--stat")
    assert "f.txt" in stat and "draft.txt" in stat
    found = json.loads(helper("conflicts", "--json"))
    assert {"a": 1, "b": 2, "files": ["f.txt"]} in found
    assert {"a": 1, "b": 3, "files": []} in found
    assert {"a": 2, "b": "HEAD", "files": []} in found
    assert "merged into main (its uncommitted work was left out)" in helper("merge", "1")
    assert (repo / "f.txt").read_text() == "a\nONE\nc\n" and not (repo / "draft.txt").exists()
    merged = checkout_state(repo)
    assert "conflict with main in f.txt; nothing was merged" in helper("merge", "2", code=2)
    assert checkout_state(repo) == merged
    (repo / "f.txt").write_text("dirty\n")
    dirty = checkout_state(repo)
    assert "uncommitted changes (f.txt)" in helper("merge", "3", "--squash", code=2)
    assert checkout_state(repo) == dirty
    git(repo, "checkout", "f.txt")
    assert "squashed into main" in helper("merge", "3", "--squash")
    assert (repo / "g.txt").read_text() == "g1\ng2\n"
    assert git(repo, "log", "-1", "--format=%s") == "kanibako helper 3, squashed\n"
    assert git(repo, "status", "--porcelain") == ""
    assert helper("merge", "4", code=2).startswith("kanibako: helper 4 has no commits to merge")
    assert helper("diff", "99", code=2) == "kanibako: helper 99 has no clone in this project\n"
    assert git(repo, "branch", "--list") == "* main\n"  # never pushed into the user's branches
