"""A random but seeded history of changes: every snapshot restores to exactly its tree."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

from kanibako_vault import list_snapshots, prune, restore, snapshot

Tree = dict[str, tuple[str, int, bytes]]


def _mutate(root: Path, rng: random.Random) -> None:
    """A few random edits: new, rewritten, deleted files; new dirs; links; kind swaps."""
    for _ in range(rng.randint(1, 4)):
        dirs = [root, *(p for p in root.rglob("*") if p.is_dir() and not p.is_symlink())]
        files = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
        action = rng.choice(["new", "rewrite", "delete", "mkdir", "link", "swap"])
        where = rng.choice(dirs)
        if action == "new" or (action in ("rewrite", "delete", "swap") and not files):
            (where / f"f{rng.randrange(10_000)}").write_bytes(rng.randbytes(rng.randint(0, 3000)))
        elif action == "rewrite":
            rng.choice(files).write_bytes(rng.randbytes(rng.randint(0, 3000)))
        elif action == "delete":
            rng.choice(files).unlink()
        elif action == "mkdir":
            (where / f"d{rng.randrange(10_000)}").mkdir(exist_ok=True)
        elif action == "link":
            link = where / f"l{rng.randrange(10_000)}"
            if not link.exists() and not link.is_symlink():
                link.symlink_to(rng.choice(["f1", "..", "missing", "."]) if where != root else "f1")
        else:
            victim = rng.choice(files)
            victim.unlink()
            victim.mkdir()
            (victim / "inside").write_text("was a file")


def test_every_snapshot_of_a_random_history_restores_exactly(
    tmp_path: Path, state: Callable[[Path], Tree]
) -> None:
    rng = random.Random(20261126)  # noqa: S311 - a repeatable history, not secrets
    share, store = tmp_path / "share", tmp_path / "store"
    share.mkdir()
    (share / "f1").write_text("seed")
    history: dict[str, Tree] = {}
    for _ in range(12):
        _mutate(share, rng)
        info = snapshot(share, store).snapshot
        if info is not None:
            history[info.name] = state(share)
    assert len(history) >= 8
    order = list(history)
    rng.shuffle(order)
    for name in order:
        restore(share, store, name)
        assert state(share) == history[name], name
    shutil.rmtree(share)
    result = prune(store, 4)
    assert result.deleted and all(i.problem is None for i in list_snapshots(store))
    for info in list_snapshots(store):
        if info.name in history:
            restore(share, store, info.name)
            assert state(share) == history[info.name], info.name
