"""Bootstrapping Debian without root: ``mmdebstrap --mode=unshare``.

debootstrap needs root (it creates device nodes and chowns files); mmdebstrap
in unshare mode does the same work inside a user namespace, with the user's
subordinate ids, and writes the tree straight into a tarball. The tree is
trimmed like the rootful route's by a customize hook that runs kanibako's own
:func:`kanibako.images.bootstrap.slim_rootfs` on it inside that namespace (the
hook is this module run as a program), so both routes give the same image.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from kanibako.images.debian_mirror import SUITE, DebianMirror
from kanibako.images.host_command import run_command
from kanibako.step_progress import Step

_MERGED_USR_HOOKS = "share/mmdebstrap/hooks/merged-usr"


def mmdebstrap_argv(
    binary: str, output: Path, mirror: DebianMirror, *, rootless: bool
) -> list[str]:
    """The mmdebstrap command making a trimmed minbase bookworm tarball at ``output``."""
    argv = [
        binary,
        f"--mode={'unshare' if rootless else 'root'}",
        "--variant=minbase",
        "--components=main",
        "--format=tar",
        f"--customize-hook={slim_hook(mirror)}",
    ]
    # Merged /usr through symlinks and usr-is-merged, as debootstrap does it;
    # without the hook mmdebstrap installs usrmerge, which pulls in all of perl.
    hooks = Path(binary).resolve().parent.parent / _MERGED_USR_HOOKS
    if hooks.is_dir():
        argv.append(f"--hook-dir={hooks}")
    return [*argv, SUITE, str(output), mirror.archive]


def slim_hook(mirror: DebianMirror) -> str:
    """The customize hook: this module, run by this Python, on the tree at ``$1``."""
    words = [sys.executable, "-m", __name__]
    words += [mirror.archive, ",".join(mirror.suites), mirror.security or ""]
    return " ".join(shlex.quote(w) for w in words) + ' "$1"'


def run_mmdebstrap(
    binary: str, tarball: Path, mirror: DebianMirror, step: Step, *, work_dir: Path
) -> None:
    """Write the trimmed tarball to ``tarball`` (whole or not at all), output fed to ``step``.

    ``work_dir`` holds mmdebstrap's unpacked tree (``/tmp`` may be a small tmpfs).
    """
    partial = tarball.with_name(f".{tarball.name}.{os.getpid()}.partial")
    # The namespace's root is one of the user's subordinate ids, not the user:
    # it must be able to pass through the (private, mkdtemp-made) work dir.
    work_dir.chmod(0o755)
    argv = mmdebstrap_argv(binary, partial, mirror, rootless=os.geteuid() != 0)
    try:
        run_command(
            argv,
            step,
            what=f"mmdebstrap from {mirror.archive}",
            env={
                **os.environ,
                "TMPDIR": str(work_dir),
                # The hook imports kanibako from wherever this process found it.
                "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
            },
        )
        partial.replace(tarball)
    finally:
        partial.unlink(missing_ok=True)


def _main(args: list[str]) -> int:
    from kanibako.images.bootstrap import slim_rootfs

    archive, suites, security, root = args
    slim_rootfs(
        Path(root),
        DebianMirror(archive, suites=tuple(suites.split(",")), security=security or None),
    )
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
