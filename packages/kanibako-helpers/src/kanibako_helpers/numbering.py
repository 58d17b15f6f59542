"""B-ary numbering: every helper's number encodes its place in the spawn tree.

The director is 0. With branching factor ``base`` (the director's breadth), the
children of helper ``n`` are ``n*base + 1 .. n*base + base`` and the parent of
``n`` is ``(n - 1) // base`` — the numbering of a heap. A number alone says who
the parent, the depth and every ancestor are, so the hub can decide "is X a
descendant of Y" without trusting any stored tree.
"""

from __future__ import annotations

from collections.abc import Iterator

from kanibako_helpers.errors import HelperUsageError

DIRECTOR = 0


def _check(number: int, base: int) -> None:
    if base < 1:
        raise HelperUsageError(f"numbering base must be at least 1, not {base}")
    if number < 0:
        raise HelperUsageError(f"helper numbers are not negative: {number}")


def child_number(parent: int, slot: int, base: int) -> int:
    """The number of ``parent``'s child in ``slot`` (1-based, at most ``base``)."""
    _check(parent, base)
    if not 1 <= slot <= base:
        raise HelperUsageError(f"slot {slot} is outside 1..{base}")
    return parent * base + slot


def parent_of(number: int, base: int) -> int | None:
    """The parent's number, or None for the director."""
    _check(number, base)
    return None if number == DIRECTOR else (number - 1) // base


def slot_of(number: int, base: int) -> int:
    """Which of its parent's slots (1-based) ``number`` occupies."""
    _check(number, base)
    if number == DIRECTOR:
        raise HelperUsageError("the director has no slot")
    return (number - 1) % base + 1


def ancestors(number: int, base: int) -> Iterator[int]:
    """Parent, grandparent, ... up to and including the director."""
    current = parent_of(number, base)
    while current is not None:
        yield current
        current = parent_of(current, base)


def depth_of(number: int, base: int) -> int:
    """How many levels below the director ``number`` sits (director = 0)."""
    return sum(1 for _ in ancestors(number, base))


def is_descendant(number: int, ancestor: int, base: int) -> bool:
    """True when ``number`` lies strictly below ``ancestor`` in the tree."""
    return number != ancestor and ancestor in ancestors(number, base)


def children_of(parent: int, base: int) -> range:
    """Every number a child of ``parent`` could have."""
    _check(parent, base)
    return range(parent * base + 1, parent * base + base + 1)


def siblings_of(number: int, base: int) -> list[int]:
    """The other possible children of ``number``'s parent (empty for the director)."""
    parent = parent_of(number, base)
    if parent is None:
        return []
    return [n for n in children_of(parent, base) if n != number]
