"""Parsing the engines' JSON listings (Podman prints one array, Docker one object a line)."""

from __future__ import annotations

from kanibako_runtime.containers import parse_ps
from kanibako_runtime.images import parse_images


def test_podman_ps_json() -> None:
    text = (
        '[{"Id": "abc", "Names": ["kanibako-1"], "Image": "img", "State": "running",'
        ' "Labels": {"io.kanibako.project": "/p"}}]'
    )
    (info,) = parse_ps(text)
    assert (info.id, info.name, info.image, info.state) == ("abc", "kanibako-1", "img", "running")
    assert info.labels == {"io.kanibako.project": "/p"}


def test_docker_ps_json_lines() -> None:
    text = (
        '{"ID": "a1", "Names": "kanibako-1", "Image": "img", "State": "running",'
        ' "Labels": "io.kanibako.project=/p,x=y"}\n'
        '{"ID": "a2", "Names": "other", "Image": "img", "State": "exited", "Labels": ""}\n'
    )
    first, second = parse_ps(text)
    assert first.labels == {"io.kanibako.project": "/p", "x": "y"}
    assert second.name == "other" and second.labels == {}


def test_empty_listings() -> None:
    assert parse_ps("") == [] and parse_ps("[]") == [] and parse_images("") == []


def test_podman_and_docker_images() -> None:
    (podman,) = parse_images(
        '[{"Id": "i1", "Names": ["localhost/x:1"], "Size": 2130000, "Created": 5}]'
    )
    assert podman.names == ("localhost/x:1",) and podman.size == 2130000
    docker = parse_images(
        '{"ID": "i2", "Repository": "x", "Tag": "1", "Size": "2.13MB", "CreatedAt": "t"}\n'
        '{"ID": "i3", "Repository": "<none>", "Tag": "<none>", "Size": "1kB", "CreatedAt": "t"}\n'
    )
    assert docker[0].names == ("x:1",) and docker[0].size == 2130000
    assert docker[1].names == () and docker[1].size == 1000
