"""Launch overhead: `kanibako shell -c true` against a bare `podman run --rm IMAGE true`.

Both run the same local image, alternately in one run (so machine load affects
them alike); the medians are compared. The project has an empty vault and
helpers are off (--no-helpers), so the ratio is what Kanibako itself adds to
the engine. Goal: at most 1.35x.

    .venv/bin/python bench/launch_overhead.py [--rounds N] [--image IMAGE] [--engine podman]

The image defaults to the test suite's busybox image (built when missing).
Kanibako runs with compiled bytecode, as an installed copy does (a private
PYTHONPYCACHEPREFIX; PYTHONDONTWRITEBYTECODE is dropped for the runs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.35


def _time(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def _default_image(engine: str) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import engine_images

    return engine_images.ensure_busybox(engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--image", default=None)
    parser.add_argument("--engine", default="podman")
    args = parser.parse_args()
    engine = shutil.which(args.engine) or args.engine
    image = args.image or _default_image(engine)
    kanibako = str(Path(sys.executable).with_name("kanibako"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        project = home / "project"
        project.mkdir()
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            # Bytecode as an installed kanibako has it (pip compiles at install);
            # kept in a private cache, so the source tree stays untouched.
            "PYTHONPYCACHEPREFIX": str(home / "pycache"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "KANIBAKO_ENGINE": engine,
        }
        commands = {
            f"{Path(engine).name} run --rm IMAGE true": [engine, "run", "--rm", image, "true"],
            "kanibako shell -c true": [
                kanibako, "shell", "--no-helpers", "-i", image, "-c", "true",
            ],
        }  # fmt: skip
        for argv in commands.values():  # first run initializes the project; warms caches
            _time(argv, env, project)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, argv in commands.items():
                samples[name].append(_time(argv, env, project))
    bare, ours = (statistics.median(times) for times in samples.values())
    print(f"image: {image}; rounds: {args.rounds}; medians:")
    for name, times in samples.items():
        print(f"  {name:<32} {statistics.median(times) * 1000:7.1f} ms")
    ratio = ours / bare
    verdict = "ok" if ratio <= GOAL else "OVER GOAL"
    print(f"ratio: {ratio:.2f}x (goal <= {GOAL}x) {verdict}")


if __name__ == "__main__":
    main()
