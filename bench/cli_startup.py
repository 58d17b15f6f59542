"""CLI start-up: `kanibako --help` and `kanibako status` against `python -c "import click"`.

The floor is click's own import. All three run from the same venv, alternately
in one run (so machine load affects them alike); the medians are compared.
Goals: --help within 1.3x and status within 1.5x of the floor.

All three run with bytecode, as an installed copy does (pip compiles it at
install time): PYTHONDONTWRITEBYTECODE, which some machines set, is dropped and
a private PYTHONPYCACHEPREFIX receives the .pyc files in the warm-up round.
Without that, every run would recompile Kanibako's sources but not click's
(installed with .pyc), which measures the compiler, not the start-up.

    .venv/bin/python bench/cli_startup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kanibako_paths import DEFAULT_IMAGE
from kanibako_runtime.freshness import FreshnessHint, record

GOALS = {
    "kanibako --help": 1.3,
    "kanibako status": 1.5,
    "kanibako status (after a launch)": 1.5,
}


def _time(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    python = sys.executable
    kanibako = str(Path(python).with_name("kanibako"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        project = home / "project"
        project.mkdir()
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "PYTHONPYCACHEPREFIX": str(home / "pycache"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"),
        }
        # A second home as it is after a first launch: the registry freshness
        # answer is cached, so status reads and shows it.
        launched = home / "launched"
        launched_project = launched / "project"
        launched_project.mkdir(parents=True)
        launched_env = {
            **env,
            "HOME": str(launched),
            "XDG_CONFIG_HOME": str(launched / ".config"),
            "XDG_DATA_HOME": str(launched / ".local/share"),
            "XDG_CACHE_HOME": str(launched / ".cache"),
        }
        record(
            launched / ".cache/kanibako/freshness",
            FreshnessHint(image=DEFAULT_IMAGE, checked=time.time(), status="current"),
        )
        commands = {
            'python -c "import click"': ([python, "-c", "import click"], env, project),
            "kanibako --help": ([kanibako, "--help"], env, project),
            "kanibako status": ([kanibako, "status"], env, project),
            "kanibako status (after a launch)": (
                [kanibako, "status"],
                launched_env,
                launched_project,
            ),
        }
        for argv, run_env, cwd in commands.values():  # warm the page cache and .pyc files
            _time(argv, run_env, cwd)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, (argv, run_env, cwd) in commands.items():
                samples[name].append(_time(argv, run_env, cwd))
    floor = statistics.median(samples['python -c "import click"'])
    print(f"rounds: {rounds}; medians:")
    for name, times in samples.items():
        print(f"  {name:<34} {statistics.median(times) * 1000:7.1f} ms")
    for name, goal in GOALS.items():
        ratio = statistics.median(samples[name]) / floor
        verdict = "ok" if ratio <= goal else "OVER GOAL"
        print(f"{name} / import click: {ratio:.2f}x (goal {goal}x) {verdict}")


if __name__ == "__main__":
    main()
