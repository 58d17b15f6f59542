"""Engine commands image supply needs beyond kanibako_runtime's: streamed pull and
build (progress, labels, image id), import of a root filesystem, labels, tags.

Output is read line by line into a :class:`~kanibako.step_progress.Step`, so
the user sees progress on a terminal and the last lines when something fails.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from kanibako.image_errors import ImageError
from kanibako.step_progress import Step
from kanibako_runtime import Engine

IMPORT_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    'CMD ["/bin/bash"]',
)
"""What a registry's Debian image sets and a bare imported tarball lacks."""


def run_streamed(
    engine: Engine,
    args: list[str],
    step: Step,
    *,
    stdin: int | None = None,
    show_tail: bool = True,
) -> None:
    """Run ``<engine> ARGS``, feeding its output to ``step``; raise ImageError on failure."""
    run_command([*engine.base_argv(), *args], step, what=f"'{engine.kind} {args[0]}'",
                stdin=stdin, show_tail=show_tail)  # fmt: skip


def run_command(
    argv: list[str],
    step: Step,
    *,
    what: str,
    stdin: int | None = None,
    show_tail: bool = True,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run ``argv``, its output (both streams) fed line by line to ``step``.

    A failure raises ImageError("WHAT failed: <last output line>"), after
    showing the last lines of output unless ``show_tail`` is false.
    """
    try:
        process = subprocess.Popen(
            argv,
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=env,
        )
    except FileNotFoundError as exc:
        raise ImageError(f"{argv[0]} is not installed") from exc
    assert process.stdout is not None  # noqa: S101 (PIPE was asked for)
    with process.stdout:
        for line in process.stdout:
            step.output(line)
    if process.wait() != 0:
        if show_tail:
            step.show_tail()
        last = step.tail[-1] if step.tail else f"exit status {process.returncode}"
        raise ImageError(f"{what} failed: {last}")


def pull(engine: Engine, image: str, step: Step) -> None:
    """Pull ``image`` (a failure is often expected: the caller falls back)."""
    run_streamed(engine, ["pull", image], step, show_tail=False)


def build(
    engine: Engine,
    containerfile: Path,
    step: Step,
    *,
    build_args: Mapping[str, str],
    labels: Mapping[str, str],
    tag: str | None = None,
    fresh: bool = False,
) -> str:
    """Build one Containerfile (its directory is the context); the new image's id.

    ``fresh`` skips the engine's layer cache, so package installs run again.
    """
    with tempfile.TemporaryDirectory(prefix="kanibako-build-") as tmp:
        iidfile = Path(tmp) / "iid"
        args = ["build", "--file", str(containerfile), "--iidfile", str(iidfile)]
        if tag:
            args += ["--tag", tag]
        if fresh:
            args.append("--no-cache")
        for key, value in build_args.items():
            args += ["--build-arg", f"{key}={value}"]
        for key, value in labels.items():
            args += ["--label", f"{key}={value}"]
        if engine.rootless or engine.kind == "docker":
            # Rootless Podman has no bridge on hosts without /dev/net/tun, and a
            # Docker daemon started without iptables has none either.
            args += ["--network", "host"]
        args.append(str(containerfile.parent))
        run_streamed(engine, args, step)
        image_id = iidfile.read_text(encoding="utf-8").strip()
    if not image_id:
        raise ImageError(f"building {containerfile} produced no image id")
    return image_id


def import_rootfs(engine: Engine, tarball: Path, image: str, step: Step) -> None:
    """Import a root filesystem tarball as ``image`` (with a registry image's PATH and CMD)."""
    args = ["import"]
    for change in IMPORT_CHANGES:
        args += ["--change", change]
    with tarball.open("rb") as source:
        run_streamed(engine, [*args, "-", image], step, stdin=source.fileno())


def labels(engine: Engine, image: str) -> dict[str, str] | None:
    """The labels of a local image; None when it is not present."""
    done = subprocess.run(
        [*engine.base_argv(), "image", "inspect", "--format", "{{json .Config.Labels}}", image],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    try:
        found = json.loads(done.stdout.strip().splitlines()[0])
    except (ValueError, IndexError):
        return {}
    return {str(k): str(v) for k, v in (found or {}).items()}


def tag_image(engine: Engine, source: str, target: str) -> None:
    """Give local image ``source`` the name ``target``."""
    done = subprocess.run(
        [*engine.base_argv(), "tag", source, target], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        reason = (done.stderr or "").strip().splitlines()
        raise ImageError(f"tagging {target} failed: {reason[-1] if reason else done.returncode}")
