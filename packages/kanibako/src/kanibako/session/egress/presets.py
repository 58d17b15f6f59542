"""Named sets of destinations: ``@pypi``, ``@npm``, ... usable wherever a DEST is.

The package registries a developer needs are allowed by default; GitHub and
the others are there to be named (``kanibako net allow @github``).
"""

from __future__ import annotations

from kanibako.session.egress.destinations import DestinationError

PRESETS: dict[str, tuple[str, ...]] = {
    "pypi": ("pypi.org", "files.pythonhosted.org"),
    "npm": ("registry.npmjs.org", "registry.yarnpkg.com"),
    # apt speaks plain HTTP to these by default, HTTPS when the sources say so.
    "debian": ("deb.debian.org", "security.debian.org", "snapshot.debian.org"),
    "crates": ("crates.io", "index.crates.io", "static.crates.io"),
    "go": ("proxy.golang.org", "sum.golang.org"),
    "github": (
        "github.com",
        "api.github.com",
        "codeload.github.com",
        "objects.githubusercontent.com",
        "raw.githubusercontent.com",
        "*.githubusercontent.com",
        "ghcr.io",
    ),
    "gitlab": ("gitlab.com", "registry.gitlab.com"),
    "rubygems": ("rubygems.org", "index.rubygems.org"),
    "maven": ("repo.maven.apache.org", "repo1.maven.org"),
}
DEFAULT_PRESETS = ("pypi", "npm", "debian", "crates", "go")


def preset_hosts(reference: str) -> tuple[str, ...]:
    """The entries of ``@name`` (raises DestinationError naming the known presets)."""
    name = reference.removeprefix("@")
    if name not in PRESETS:
        known = " ".join(f"@{p}" for p in PRESETS)
        raise DestinationError(f"unknown preset {reference!r} (known: {known})")
    return PRESETS[name]
