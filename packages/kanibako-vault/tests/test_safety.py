"""The containment rules: relative paths and links resolved through the whole tree."""

from __future__ import annotations

import pytest

from kanibako_vault import UnsafeArchiveError
from kanibako_vault.safety import check_relpath, escaping_links, link_escapes


@pytest.mark.parametrize("path", ["", "/abs", "a/../b", "..", "a/./b", "a//b", "a/", "a\x00b"])
def test_bad_relative_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafeArchiveError):
        check_relpath(path)


@pytest.mark.parametrize("path", ["a", "a/b/c", ".hidden", "a..b", "name with spaces"])
def test_plain_relative_paths_pass(path: str) -> None:
    check_relpath(path)


@pytest.mark.parametrize(
    ("links", "path", "escapes"),
    [
        ({"l": "a/b"}, "l", False),
        ({"d/l": "../x"}, "d/l", False),
        ({"d/l": "../../x"}, "d/l", True),
        ({"l": "/etc"}, "l", True),
        ({"l": ""}, "l", True),
        ({"d/l": "..", "x": "d/l/.."}, "x", True),  # each looks harmless alone
        ({"d/l": "..", "x": "d/l/a"}, "x", False),
        ({"a": "b", "b": "a"}, "a", True),  # a loop
        ({"a": "missing/../.."}, "a", True),
        ({"a": "missing/.."}, "a", False),
    ],
)
def test_links_are_resolved_through_the_tree(
    links: dict[str, str], path: str, escapes: bool
) -> None:
    assert link_escapes(links, path, links[path]) is escapes


def test_escaping_links_finds_links_through_escaping_links() -> None:
    links = {"out": "/tmp", "via": "out/x", "fine": "via2", "via2": "x"}
    assert escaping_links(links) == {"out", "via"}
