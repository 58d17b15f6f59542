"""Two processes updating the same registry at once lose nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kanibako_paths import KanibakoPaths
from kanibako_paths.known_projects import known_decentralized

WRITER = """
import sys
from pathlib import Path
from kanibako_paths import load_paths
from kanibako_paths.known_projects import remember_decentralized
paths = load_paths()
for i in range(80):
    remember_decentralized(paths, Path(f"/projects/{sys.argv[1]}-{i}"))
"""


def test_parallel_writers_keep_every_entry(paths: KanibakoPaths, xdg: Path) -> None:
    env = {**os.environ}  # the xdg fixture already points HOME and XDG_* here
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, name], env=env) for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    assert len(known_decentralized(paths)) == 160
