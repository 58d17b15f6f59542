"""B-ary numbering: the number alone tells parent, depth and ancestry."""

from __future__ import annotations

import pytest

from kanibako_helpers import (
    HelperUsageError,
    ancestors,
    child_number,
    children_of,
    depth_of,
    is_descendant,
    parent_of,
)
from kanibako_helpers.numbering import siblings_of, slot_of


def test_director_children_are_one_to_base() -> None:
    assert list(children_of(0, 4)) == [1, 2, 3, 4]


def test_children_of_helper_follow_heap_numbering() -> None:
    assert list(children_of(1, 4)) == [5, 6, 7, 8]
    assert list(children_of(2, 3)) == [7, 8, 9]
    assert child_number(5, 2, 4) == 22


@pytest.mark.parametrize("base", [1, 2, 3, 4, 7])
def test_parent_inverts_child_for_every_slot(base: int) -> None:
    for parent in range(30):
        for slot in range(1, base + 1):
            number = child_number(parent, slot, base)
            assert parent_of(number, base) == parent
            assert slot_of(number, base) == slot


def test_director_has_no_parent_and_depth_zero() -> None:
    assert parent_of(0, 4) is None
    assert depth_of(0, 4) == 0
    assert list(ancestors(0, 4)) == []


def test_depth_and_ancestors_of_a_grandchild() -> None:
    assert depth_of(22, 4) == 3
    assert list(ancestors(22, 4)) == [5, 1, 0]


def test_descendant_is_strict_and_follows_the_tree() -> None:
    assert is_descendant(22, 1, 4)
    assert is_descendant(22, 0, 4)
    assert not is_descendant(22, 2, 4)
    assert not is_descendant(1, 1, 4)
    assert not is_descendant(1, 5, 4)


def test_siblings_exclude_self() -> None:
    assert siblings_of(2, 4) == [1, 3, 4]
    assert siblings_of(0, 4) == []


@pytest.mark.parametrize(("parent", "slot", "base"), [(0, 0, 4), (0, 5, 4), (-1, 1, 4), (0, 1, 0)])
def test_out_of_range_numbers_are_refused(parent: int, slot: int, base: int) -> None:
    with pytest.raises(HelperUsageError):
        child_number(parent, slot, base)
