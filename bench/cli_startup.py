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

GOALS = {"kanibako --help": 1.3, "kanibako status": 1.5}


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
        commands = {
            'python -c "import click"': [python, "-c", "import click"],
            "kanibako --help": [kanibako, "--help"],
            "kanibako status": [kanibako, "status"],
        }
        for argv in commands.values():  # warm the page cache and .pyc files
            _time(argv, env, project)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, argv in commands.items():
                samples[name].append(_time(argv, env, project))
    floor = statistics.median(samples['python -c "import click"'])
    print(f"rounds: {rounds}; medians:")
    for name, times in samples.items():
        print(f"  {name:<28} {statistics.median(times) * 1000:7.1f} ms")
    for name, goal in GOALS.items():
        ratio = statistics.median(samples[name]) / floor
        verdict = "ok" if ratio <= goal else "OVER GOAL"
        print(f"{name} / import click: {ratio:.2f}x (goal {goal}x) {verdict}")


if __name__ == "__main__":
    main()
