"""Spawning a helper clone in a large repository against an empty one, side by side in one run.

The large repository (20,000 files in the working tree, about 1 GB of packed
history) is generated once with ``git fast-import`` into a cache directory
and reused. Each round makes helper clones exactly as a session's spawner
does (:meth:`HelperClones.begin`: the protected ``.git`` skeleton, then in
the background the director's tree as a commit, ``git clone --local`` and the
checkout; ``finish`` waits for them) in both repositories, alternately, and the fastest of each is
compared, on both paths: claiming a spare clone (built untimed before the
spawn, as the session builds it in the background after the previous one)
and cold (a project's first spawn: no spare yet). ``--engine`` also starts a container on the clone while the
checkout runs (a bare ``podman run`` of a small image standing for the
helper's), so the ratio is that of the whole spawn. Goal (issue 15): at most
2x, with the container (a spawn always starts one).

    .venv/bin/python bench/clone_bench.py [--rounds 3] [--engine podman --image IMG]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kanibako.session.helper_clones import HelperClones

FILES = 20_000
HISTORY_BYTES = 1024**3
_BLOB = 8 * 1024 * 1024
_COMMIT_MARKS = 10_000_000  # blob marks count from 1, commit marks from here
_IDENTITY = "bench <bench@localhost> 1700000000 +0000"


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kanibako-bench" / "clone-repo"


def _fast_import_stream(out: subprocess.Popen[bytes]) -> None:
    """History of ``HISTORY_BYTES`` random blobs (each added, then removed), then the 20,000 files."""
    assert out.stdin is not None
    write = out.stdin.write
    mark = 0
    commits = 0

    def commit(body: bytes, message: str) -> None:
        nonlocal commits
        commits += 1
        parent = f"from :{_COMMIT_MARKS + commits - 1}\n".encode() if commits > 1 else b""
        msg = message.encode()
        write(b"commit refs/heads/main\nmark :%d\n" % (_COMMIT_MARKS + commits))
        write(f"committer {_IDENTITY}\ndata {len(msg)}\n".encode() + msg + b"\n" + parent + body)

    for index in range(HISTORY_BYTES // _BLOB):
        mark += 1
        data = os.urandom(_BLOB)
        write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
        commit(b"M 100644 :%d history/blob.bin\n" % mark, f"history {index}")
        commit(b"D history/blob.bin\n", f"drop {index}")
    body = []
    for index in range(FILES):
        mark += 1
        data = f"file {index}\n".encode() * 8
        write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
        body.append(b"M 100644 :%d src/d%03d/f%05d.txt\n" % (mark, index % 200, index))
    commit(b"".join(body), "the tree")
    out.stdin.close()


def large_repo() -> Path:
    """The cached repository (generated on first use: about a minute)."""
    repo = cache_root() / "large"
    if (repo / ".done").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    importer = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE)
    _fast_import_stream(importer)
    if importer.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=repo, check=True)
    (repo / ".done").touch()
    return repo


def empty_repo(scratch: Path) -> Path:
    repo = scratch / "empty"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b",
        "GIT_COMMITTER_NAME": "b",
    }
    env["GIT_COMMITTER_EMAIL"] = "b@b"
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", "empty"], cwd=repo, env=env, check=True
    )
    return repo


def spawn_once(
    repo: Path, scratch: Path, number: int, engine: list[str], image: str, *, spare: bool
) -> float:
    root = scratch / f"helpers-{repo.name}-{'spare' if spare else 'cold'}"
    workspace = root / str(number) / "workspace"
    workspace.mkdir(parents=True)
    if spare:
        # Made after the previous spawn, in the background, as the spawner does.
        HelperClones(repo).refill_spare(root).wait()
    os.sync()  # the last round's writes and removals are not this round's cost
    began = time.perf_counter()
    # As the spawner does: the checkout runs while the engine starts the container.
    pending = HelperClones(repo).begin(number, workspace)
    if engine:
        subprocess.run([*engine, "-v", f"{workspace}:/w", "-w", "/w", image, "true"], check=True)
    pending.finish()
    elapsed = time.perf_counter() - began
    subprocess.run(
        ["git", "update-ref", "-d", f"refs/kanibako/helpers/{number}/start"], cwd=repo, check=True
    )
    shutil.rmtree(workspace.parent)
    return elapsed


def history_bytes(repo: Path) -> int:
    return sum(p.stat().st_size for p in (repo / ".git" / "objects").rglob("*") if p.is_file())


def _default_image(engine: str) -> str:
    """The test suite's busybox image, built when missing (a fresh machine has none)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import engine_images

    return engine_images.ensure_busybox(engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", default="")
    parser.add_argument("--image", default="", help="default: the test suite's busybox image")
    args = parser.parse_args()
    engine = [args.engine, "run", "--rm", "--pull=never"] if args.engine else []
    if args.engine and not args.image:
        args.image = _default_image(args.engine)
    large = large_repo()
    with tempfile.TemporaryDirectory(prefix="kanibako-clone-bench-", dir=large.parent) as tmp:
        scratch = Path(tmp)
        empty = empty_repo(scratch)
        runs: dict[str, list[float]] = {}
        for round_ in range(args.rounds):
            for path in ("spare", "cold"):
                for name, repo in (("empty", empty), ("large", large)):
                    took = spawn_once(
                        repo, scratch, round_ + 1, engine, args.image, spare=path == "spare"
                    )
                    runs.setdefault(f"{path} {name}", []).append(took)
    best = {name: round(min(times), 3) for name, times in runs.items()}
    print(
        json.dumps(
            {
                "files": FILES,
                "history_mib": round(history_bytes(large) / 1024**2),
                "with_container": bool(engine),
                "seconds": best,
                # A spare is ready for every spawn but a project's first (see helper_spare).
                "ratio_large_over_empty": round(best["spare large"] / best["spare empty"], 2),
                "ratio_cold_large_over_empty": round(best["cold large"] / best["cold empty"], 2),
                "goal": "<= 2",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
