"""Launch overhead: `kanibako shell -c true` (helpers on, and --no-helpers) against a bare `podman run --rm IMAGE true`.

All commands run the same local image, alternately in one run (so machine load
affects them alike); the medians are compared. The project has an empty vault.
Goals: with helpers on (the default users get) at most 1.35x the bare run;
with --no-helpers at most 1.2x. ``--warm`` adds the warm re-launch with the
defaults (a session execs into the project's standby container, and the
command is handed to the warm launcher: kanibako.session.launcher; goal at
most 0.8x) when the kanibako under test has standbys. The cold launches run
with KANIBAKO_NO_LAUNCHER=1: nothing of a previous session helps them.

    .venv/bin/python bench/launch_overhead.py [--rounds N] [--image IMAGE] [--engine podman] [--warm]

The image defaults to the test suite's Debian image (built when missing).
Kanibako runs with compiled bytecode, as an installed copy does (a private
PYTHONPYCACHEPREFIX; PYTHONDONTWRITEBYTECODE is dropped for the runs).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = "bare"
COLD = "cold:"  # first word of a command that must not use the warm launcher
GOALS = {"helpers on": 1.35, "--no-helpers": 1.2, "warm re-launch": 0.8}


def _time(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    if argv[0] == COLD:
        argv, env = argv[1:], {**env, "KANIBAKO_NO_LAUNCHER": "1"}
    start = time.perf_counter()
    subprocess.run(
        argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def _wait_for_standby(home: Path, timeout: float = 10.0) -> None:
    """Until the standby of the run just timed is up (not timed: it happens off the critical path).

    Without the wait the next command would share the machine with that
    start-up and the bare run would look slower than it is.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(home.glob(".local/share/kanibako/boxes/*/standby.json")):
            return
        time.sleep(0.05)


def _stop_launcher(home: Path) -> None:
    """End the warm launcher the warm runs left in the bench's own runtime directory."""
    import signal

    with contextlib.suppress(OSError, ValueError, StopIteration):
        lock = next((home / "run").glob("**/launcher.lock"))
        os.kill(int(lock.read_text()), signal.SIGTERM)


def _default_image(engine: str) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import engine_images

    return engine_images.ensure_debian(engine)


def _commands(engine: str, image: str, kanibako: str, warm: bool) -> dict[str, list[str]]:
    shell = [kanibako, "shell", "-i", image, "-c", "true"]
    cold = [COLD, *shell]
    commands = {
        BARE: [engine, "run", "--rm", image, "true"],
        "helpers on": [*cold, "--keep-warm", "0"] if warm else cold,
        "--no-helpers": [*cold, "--no-helpers", *(["--keep-warm", "0"] if warm else [])],
    }
    if warm:
        # Each run serves from the standby the previous one left, and leaves the
        # next: the defaults (helpers on, the allowlist proxy), as users get them.
        commands["warm re-launch"] = shell
    return commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--image", default=None)
    parser.add_argument("--engine", default="podman")
    parser.add_argument("--warm", action="store_true", help="also measure the warm re-launch")
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
            "XDG_RUNTIME_DIR": str(home / "run"),
            "KANIBAKO_ENGINE": engine,
        }
        (home / "run").mkdir(mode=0o700)
        commands = _commands(engine, image, kanibako, args.warm)
        for argv in commands.values():  # first run initializes the project; warms caches
            _time(argv, env, project)
        if args.warm:
            _wait_for_standby(home)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        try:
            for _ in range(args.rounds):
                for name, argv in commands.items():
                    samples[name].append(_time(argv, env, project))
                    if name == "warm re-launch":
                        _wait_for_standby(home)
        finally:
            if args.warm:
                # This project only: other sessions of the same user are not the bench's.
                subprocess.run([kanibako, "stop", str(project)], env=env, cwd=project, check=False)
                _stop_launcher(home)
    medians = {name: statistics.median(times) for name, times in samples.items()}
    print(f"image: {image}; engine: {engine}; rounds: {args.rounds}; medians:")
    for name, median in medians.items():
        label = f"{Path(engine).name} run --rm IMAGE true" if name == BARE else name
        print(f"  {label:<34} {median * 1000:7.1f} ms")
    for name, goal in GOALS.items():
        if name in medians:
            ratio = medians[name] / medians[BARE]
            verdict = "ok" if ratio <= goal else "OVER GOAL"
            print(f"ratio {name:<16} {ratio:.2f}x (goal <= {goal}x) {verdict}")


if __name__ == "__main__":
    main()
