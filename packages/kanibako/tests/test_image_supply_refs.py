"""Which reference a missing image is pulled as."""

from __future__ import annotations

import pytest

from kanibako.images.supply import published_ref


@pytest.mark.parametrize(
    ("image", "pulled"),
    [
        # The spec's `kanibako -i kanibako-systems:latest`: a bare bundled name is GHCR's.
        ("kanibako-systems:latest", "ghcr.io/doctorjei/kanibako-systems:latest"),
        ("kanibako-jvm", "ghcr.io/doctorjei/kanibako-jvm:latest"),
        # Anything with a registry or path, and other people's images, as given.
        ("ghcr.io/someone/kanibako-base:1.0", "ghcr.io/someone/kanibako-base:1.0"),
        ("localhost/kanibako-base:dev", "localhost/kanibako-base:dev"),
        ("ubuntu:24.04", "ubuntu:24.04"),
    ],
)
def test_pull_reference(image: str, pulled: str) -> None:
    assert published_ref(image) == pulled
