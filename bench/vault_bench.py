"""Vault snapshots against `tar -cJf` (xz's default preset) on the same data, in one run.

A tree of 2,000 mixed files (text-like, binary with few distinct bytes, random) is
snapshotted with kanibako_vault and archived with `tar -cJf`, alternately, for a few
rounds (so machine load affects both alike); the fastest of each is compared.
Goals (issue 3): unchanged tree skipped in <= 0.2 s; first full snapshot <= 0.3x of
tar; after rewriting one file of 2,000 <= 0.1x; peak memory flat with vault size.

    .venv/bin/python bench/vault_bench.py [--mib 16] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kanibako_vault import restore, snapshot

FILES = 2000
_WORDS = [f"{w}{i}" for i in range(300) for w in ("vault", "agent", "share", "tar", "data")]


def make_tree(root: Path, total_mib: int, files: int = FILES) -> None:
    """``files`` files in 40 directories, about ``total_mib`` MiB, a third of each kind."""
    rng = random.Random(3)
    average = total_mib * 1024 * 1024 // files
    for i in range(files):
        directory = root / f"dir{i % 40:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        size = rng.randint(average // 2, average * 3 // 2)
        kind = i % 3
        if kind == 0:
            data = " ".join(rng.choice(_WORDS) for _ in range(size // 6 + 1)).encode()[:size]
        elif kind == 1:
            data = bytes(rng.getrandbits(4) for _ in range(size))
        else:
            data = os.urandom(size)
        (directory / f"file{i:04d}.dat").write_bytes(data)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def tar_cjf(tree: Path, out: Path) -> None:
    out.unlink(missing_ok=True)
    subprocess.run(["tar", "-cJf", str(out), "-C", str(tree), "."], check=True)


def peak_memory(tree: Path, store: Path) -> tuple[int, int]:
    """Peak RSS in KiB of a fresh process taking a full snapshot, and of its xz child."""
    code = (
        "import json, resource, sys; from pathlib import Path\n"
        "from kanibako_vault import snapshot\n"
        "snapshot(Path(sys.argv[1]), Path(sys.argv[2]), full=True)\n"
        "print(json.dumps([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tree), str(store)],
        check=True,
        capture_output=True,
        text=True,
    )
    own, child = json.loads(out.stdout)
    return int(own), int(child)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=16, help="size of the 2,000-file tree")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        tree = base / "share-rw"
        make_tree(tree, args.mib)
        size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
        print(
            f"tree: {FILES} files, {size / 2**20:.1f} MiB (text-like, low-entropy binary, random)"
        )
        tar_times, full_times = [], []
        for i in range(args.rounds):
            tar_times.append(timed(lambda: tar_cjf(tree, base / "baseline.tar.xz")))
            store = base / f"store{i}"
            full_times.append(timed(lambda store=store: snapshot(tree, store)))
        tar_time, full_time = min(tar_times), min(full_times)
        store = base / "store0"

        unchanged = min(timed(lambda: snapshot(tree, store)) for _ in range(5))
        assert snapshot(tree, store).snapshot is None

        small_times = []
        for i in range(3):
            victim = tree / "dir07" / "file0007.dat"
            victim.write_bytes(victim.read_bytes()[::-1] + str(i).encode())
            small_times.append(timed(lambda: snapshot(tree, store)))
        small = min(small_times)

        python_store = base / "store-python"
        os.environ["KANIBAKO_VAULT_XZ"] = "python"
        python_full = timed(lambda: snapshot(tree, python_store, compression="xz"))
        del os.environ["KANIBAKO_VAULT_XZ"]

        first = next(iter(sorted(store.glob("*.tar.zst")))).name.removesuffix(".tar.zst")
        restore_time = timed(lambda: restore(tree, store, first))

        tar_bytes = (base / "baseline.tar.xz").stat().st_size
        ours_bytes = next(iter(sorted(store.glob("*.tar.zst")))).stat().st_size
        print(
            f"tar -cJf (xz -6, 1 thread):         {tar_time:7.3f} s   {tar_bytes / 2**20:6.1f} MiB"
        )
        print(
            f"first full snapshot (zstd -3):      {full_time:7.3f} s   {ours_bytes / 2**20:6.1f} MiB"
            f"   ratio {full_time / tar_time:.3f}x  (goal <= 0.3x: {verdict(full_time <= 0.3 * tar_time)})"
        )
        print(
            f"unchanged tree, skipped:            {unchanged:7.3f} s"
            f"            ratio {unchanged / tar_time:.4f}x  (goal <= 0.2 s: {verdict(unchanged <= 0.2)})"
        )
        print(
            f"one file of {FILES} rewritten:        {small:7.3f} s"
            f"            ratio {small / tar_time:.4f}x  (goal <= 0.1x: {verdict(small <= 0.1 * tar_time)})"
        )
        print(
            f"full snapshot, xz via Python lzma:  {python_full:7.3f} s"
            f"            ratio {python_full / tar_time:.3f}x  (vault_compression = xz, no xz program)"
        )
        print(
            f"restore of the first snapshot:      {restore_time:7.3f} s (incl. safety snapshot and sync)"
        )

        small_tree, big_tree = base / "mem-small", base / "mem-big"
        for where, mib in ((small_tree, 8), (big_tree, 64)):
            where.mkdir()
            with (where / "one-big-file").open("wb") as out:
                for _ in range(mib):
                    out.write(os.urandom(1024 * 1024))
        small_rss = peak_memory(small_tree, base / "mem-store-small")
        big_rss = peak_memory(big_tree, base / "mem-store-big")
        flat = big_rss[0] <= small_rss[0] * 1.2 + 4096 and big_rss[1] <= small_rss[1] * 1.2 + 4096
        print(
            f"peak RSS, 8 MiB vs 64 MiB vault:    python {small_rss[0] / 1024:.0f} vs {big_rss[0] / 1024:.0f} MiB,"
            f" xz {small_rss[1] / 1024:.0f} vs {big_rss[1] / 1024:.0f} MiB  (goal flat: {verdict(flat)})"
        )
        shutil.rmtree(tree)


if __name__ == "__main__":
    main()
