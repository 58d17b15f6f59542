"""``kanibako gc``'s accounting on a big data directory, beside ``du -s`` of the same tree.

Builds (once per run, in a temporary directory) 200 account-centric projects,
initialized by kanibako_paths as ``kanibako init`` does, each with a shell of a
few files, a helper home, and 25 snapshot archives: 5,000 snapshots in all.
Then times ``account()`` (every project's state, shell, helpers and
snapshots, the caches, bundles and logs; no engine) and ``du -s`` on the data
directory, alternately, for a few rounds; the fastest of each is reported.
Goal (issue 13): accounting well under a second.

    .venv/bin/python bench/gc_bench.py [--projects 200] [--snapshots 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def build(root: Path, projects: int, snapshots: int) -> None:
    """The data directory: ``projects`` projects sharing ``snapshots`` snapshot archives."""
    os.environ["XDG_CONFIG_HOME"] = str(root / "config")
    os.environ["XDG_DATA_HOME"] = str(root / "data")
    os.environ["XDG_CACHE_HOME"] = str(root / "cache")
    from kanibako_paths import init_project, load_paths, resolve_project

    paths = load_paths()
    per_project = snapshots // projects
    for i in range(projects):
        workspace = root / "work" / f"p{i:03d}"
        workspace.mkdir(parents=True)
        project = init_project(paths, resolve_project(paths, workspace))
        for n in range(8):
            (project.shell_dir / f"file{n}.txt").write_bytes(b"s" * 2048)
        helper = project.shell_dir / "helpers" / "1" / "workspace"
        helper.mkdir(parents=True)
        (helper / "clone.txt").write_bytes(b"c" * 4096)
        store = project.metadata_dir / "vault-snapshots"
        store.mkdir()
        for s in range(per_project):
            (store / f"20261201T{i % 24:02d}{s // 60:02d}{s % 60:02d}.{i:06d}Z.tar.xz").write_bytes(
                b"v" * 1024
            )


def fastest(action: object, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--snapshots", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kanibako-gc-bench-"))
    try:
        build(root, args.projects, args.snapshots)
        from kanibako.gc.holdings import account
        from kanibako_paths import load_paths

        paths = load_paths()
        found = account(paths, with_engine=False)
        counted = sum(len(p.snapshot_names) for p in found.projects)
        assert len(found.projects) == args.projects and counted == args.snapshots
        ours = gc_du = 0.0
        for _ in range(args.rounds):
            ours = min(ours or 1e9, fastest(lambda: account(paths, with_engine=False), 1))
            gc_du = min(gc_du or 1e9, fastest(
                lambda: subprocess.run(["du", "-s", str(paths.data_dir)], capture_output=True,
                                       check=True), 1))  # fmt: skip
        print(json.dumps({
            "projects": args.projects, "snapshots": counted,
            "account_seconds": round(ours, 4), "du_seconds": round(gc_du, 4),
            "account_over_du": round(ours / gc_du, 2), "goal": "account well under 1 s",
        }, indent=2))  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
