"""Engine error messages that mean a host problem the doctor knows, matched to its name.

A launch that fails this way ends with one line naming the problem and
pointing at ``kanibako doctor``, instead of the engine's raw error (or only its
exit status). The patterns are the engines' own wording (Podman 4 with runc or
crun, Docker 20+), matched case-insensitively anywhere in the error text.
"""

from __future__ import annotations

import re

# (pattern, problem, the doctor check that names the fix)
KNOWN_FAILURES: tuple[tuple[str, str, str], ...] = (
    (
        r"container-init binary not found|catatonit.*no such file|docker-init.*not found",
        "the init binary `--init` needs is not installed",
        "init binary",
    ),
    (
        r"error setting rlimit",
        "the engine's default ulimits exceed this host's hard limits",
        "ulimits",
    ),
    (
        r"cgroups in hybrid mode not supported|cgroup.*not supported by|"
        r"cannot set up cgroup|OCI runtime .* not found",
        "the OCI runtime cannot run containers with this host's cgroups",
        "oci runtime",
    ),
    (
        r"slirp4netns failed|pasta failed|/dev/net/tun|setup network: .*permission denied",
        "the rootless network needs /dev/net/tun, which this user cannot open",
        "rootless network",
    ),
    (
        r"newuidmap|newgidmap|no subuid ranges|no subgid ranges|"
        r"not enough IDs available in the namespace|cannot set up namespace using",
        "this user has no usable subordinate uid/gid ranges",
        "subuid/subgid",
    ),
    (
        r"cannot connect to the docker daemon|permission denied while trying to connect to "
        r"the docker daemon|unable to connect to podman socket",
        "the container engine's daemon is not reachable",
        "engine",
    ),
    (
        r"no space left on device",
        "the disk holding the engine's storage or Kanibako's data is full",
        "disk space",
    ),
)
_COMPILED = tuple(
    (re.compile(p, re.IGNORECASE), problem, check) for p, problem, check in KNOWN_FAILURES
)


def known_problem(stderr_text: str) -> tuple[str, str] | None:
    """The known host problem in an engine's error text and the check naming its fix, if any."""
    for pattern, problem, check in _COMPILED:
        if pattern.search(stderr_text):
            return problem, check
    return None


def diagnose_engine_failure(stderr_text: str) -> str | None:
    """One line naming the host problem behind an engine failure, or None when unknown.

    The line ends by sending the user to ``kanibako doctor``, which shows the
    fix (and applies it with ``--fix``).
    """
    found = known_problem(stderr_text)
    if found is None:
        return None
    problem, check = found
    return f"host problem: {problem}; run kanibako doctor (check '{check}')"


def diagnose_open_network_failure(stderr_text: str) -> str | None:
    """For a session with ``network = "open"``: the engine's network failed; the choices.

    Only open mode asks the engine for a network (allowlist and none run with
    ``--network none``), so the way out that needs no host change comes first.
    """
    found = known_problem(stderr_text)
    if found is None or found[1] != "rootless network":
        return None
    return (
        'network = "open" needs the engine\'s network, and rootless Podman cannot set it up '
        "here (slirp4netns cannot open /dev/net/tun); choose `kanibako config network "
        "allowlist` (the default, needs no network), `sudo chmod 0666 /dev/net/tun`, or "
        'netns = "host" in containers.conf (open sessions then share the host\'s network, '
        "loopback included)"
    )
