"""The agent side of a launch, against the interpreter floor.

Three fresh interpreters, run alternately in one run (so machine load affects
them alike), medians compared:

- floor: what the launch pipeline has done before it asks for the agent (its
  imports, the project resolved and initialized);
- ``importlib.metadata``: the floor plus only listing the ``kanibako.targets``
  entry points the standard way;
- ``prepare_agent``: the floor plus Kanibako's whole agent preparation (target
  discovery and detection, agent config, credentials copied in, mounts,
  arguments) for a project with a fake ``claude`` on PATH.

It shows what the agent side adds to a launch, and why discovery reads
``entry_points.txt`` itself instead of importing ``importlib.metadata``.

    .venv/bin/python bench/agent_prepare.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# What the launch pipeline has done before it asks for the agent.
FLOOR = (
    "from pathlib import Path\n"
    "import kanibako.session.run\n"
    "from kanibako_paths import ensure_initialized, load_paths, resolve_project\n"
    "paths = load_paths(); project = ensure_initialized(paths, resolve_project(paths, Path.cwd()))\n"
)
METADATA = FLOOR + (
    "from importlib.metadata import entry_points; entry_points(group='kanibako.targets')\n"
)
PREPARE = FLOOR + (
    "from kanibako.app import LaunchOptions\n"
    "from kanibako.session.agent import prepare_agent\n"
    "prepare_agent(paths, project, LaunchOptions(), 'start', first_run=False, verbose=False)\n"
)


def _time(code: str, env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        project, bin_dir = home / "project", home / "bin"
        project.mkdir()
        bin_dir.mkdir()
        (bin_dir / "claude").write_text("#!/bin/sh\n")
        (bin_dir / "claude").chmod(0o755)
        (home / ".claude").mkdir()
        (home / ".claude/.credentials.json").write_text(
            json.dumps({"claudeAiOauth": {"accessToken": "t", "expiresAt": 1}})
        )
        env = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        cases = {"floor": FLOOR, "importlib.metadata": METADATA, "prepare_agent": PREPARE}
        for code in cases.values():  # warm caches, create the project's state
            _time(code, env, project)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(rounds):
            for name, code in cases.items():
                times[name].append(_time(code, env, project))
    floor = statistics.median(times["floor"])
    print(f"rounds: {rounds}; medians (fresh interpreter each):")
    for name, samples in times.items():
        median = statistics.median(samples)
        extra = "" if name == "floor" else f"  (+{1000 * (median - floor):.1f} ms over the floor)"
        print(f"  {name:<20} {1000 * median:7.1f} ms{extra}")
    ratio = statistics.median(times["prepare_agent"]) / floor
    print(f"prepare_agent / floor: {ratio:.2f}x")


if __name__ == "__main__":
    main()
